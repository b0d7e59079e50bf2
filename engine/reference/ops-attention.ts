/**
 * CPU references for attention and the paged KV cache (the oracle of kv-append.wgsl,
 * attention-decode.wgsl and attention-prefill.wgsl). Layout: engine/kernels/kv-layout.ts.
 *
 * Extend: sparse attention references (block-sparse, token-sparse) belong next to `attention`,
 * taking the same dense K/V and a selection.
 */

import { KV_PAGE_TOKENS, kvPageWords, kvWordOffset } from '../kernels/kv-layout.ts';
import { f16BitsToF32, f32ToF16Bits } from './ops-f16.ts';

export interface AttentionShape {
  /** query tokens */
  tokens: number;
  nHeads: number;
  nKvHeads: number;
  headDim: number;
  /** absolute position of query 0 (tokens already cached before the batch) */
  qStart: number;
  scale: number;
}

/**
 * Causal GQA attention. q: [tokens, nHeads, hd]; k, v: [kvLen, nKvHeads, hd] with
 * kvLen >= qStart + tokens. Query i sees keys 0..=qStart+i; head h reads kv head
 * floor(h / (nHeads / nKvHeads)). Returns out [tokens, nHeads, hd] and, per (token, head),
 * the probabilities over keys 0..qStart+i ([tokens, nHeads, kvLen], zero past the mask).
 */
export function attention(q: Float32Array, k: Float32Array, v: Float32Array, kvLen: number, s: AttentionShape): { out: Float32Array; probs: Float32Array } {
  const { tokens, nHeads, nKvHeads, headDim: hd } = s;
  const G = nHeads / nKvHeads;
  const out = new Float32Array(tokens * nHeads * hd);
  const probs = new Float32Array(tokens * nHeads * kvLen);
  const sc = new Float64Array(kvLen);
  for (let t = 0; t < tokens; t++) {
    const seen = s.qStart + t + 1;
    for (let h = 0; h < nHeads; h++) {
      const kh = Math.floor(h / G);
      const qo = (t * nHeads + h) * hd;
      let m = -Infinity;
      for (let j = 0; j < seen; j++) {
        let d = 0;
        const ko = (j * nKvHeads + kh) * hd;
        for (let i = 0; i < hd; i++) d += q[qo + i]! * k[ko + i]!;
        sc[j] = d * s.scale;
        m = Math.max(m, sc[j]!);
      }
      let sum = 0;
      for (let j = 0; j < seen; j++) sum += (sc[j] = Math.exp(sc[j]! - m));
      for (let j = 0; j < seen; j++) {
        const p = sc[j]! / sum;
        probs[(t * nHeads + h) * kvLen + j] = p;
        const vo = (j * nKvHeads + kh) * hd;
        for (let i = 0; i < hd; i++) out[qo + i]! += p * v[vo + i]!;
      }
    }
  }
  return { out, probs };
}

/** physical page of (kvHead, logicalPage) */
export type PageMap = (kvHead: number, logicalPage: number) => number;

/**
 * Writes K/V rows [kvLen, nKvHeads, hd] (rounded to f16) into a page arena (Uint32Array of
 * `physPages` pages, modified in place) through `map`.
 */
export function kvPagesWrite(arena: Uint32Array, k: Float32Array, v: Float32Array, kvLen: number, nKvHeads: number, hd: number, map: PageMap, first = 0): void {
  for (let t = first; t < first + kvLen; t++) {
    for (let h = 0; h < nKvHeads; h++) {
      const phys = map(h, Math.floor(t / KV_PAGE_TOKENS));
      const src = ((t - first) * nKvHeads + h) * hd;
      for (let w = 0; w < hd / 2; w++) {
        for (const [which, x] of [['k', k], ['v', v]] as const) {
          arena[kvWordOffset(phys, t % KV_PAGE_TOKENS, w, hd, which)] = f32ToF16Bits(x[src + 2 * w]!) | (f32ToF16Bits(x[src + 2 * w + 1]!) << 16);
        }
      }
    }
  }
}

/** Reads K or V of tokens [0, kvLen) back as f32 [kvLen, nKvHeads, hd]. */
export function kvPagesRead(arena: Uint32Array, which: 'k' | 'v', kvLen: number, nKvHeads: number, hd: number, map: PageMap): Float32Array {
  const out = new Float32Array(kvLen * nKvHeads * hd);
  for (let t = 0; t < kvLen; t++) {
    for (let h = 0; h < nKvHeads; h++) {
      const phys = map(h, Math.floor(t / KV_PAGE_TOKENS));
      for (let w = 0; w < hd / 2; w++) {
        const word = arena[kvWordOffset(phys, t % KV_PAGE_TOKENS, w, hd, which)]!;
        out[(t * nKvHeads + h) * hd + 2 * w] = f16BitsToF32(word & 0xffff);
        out[(t * nKvHeads + h) * hd + 2 * w + 1] = f16BitsToF32(word >>> 16);
      }
    }
  }
  return out;
}

/** An arena of `pages` pages filled with f16 NaN halves (stale data no kernel may read). */
export function kvArenaPoisoned(pages: number, hd: number): Uint32Array {
  return new Uint32Array(pages * kvPageWords(hd)).fill(0x7e007e00);
}
