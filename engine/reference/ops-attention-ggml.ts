/**
 * llama.cpp's CPU flash attention, numerics included: the emulation the peer parity analysis
 * uses (test/parity/peer.test.ts header), not an oracle of any GPU kernel. For a batch of fewer
 * than 64 query rows (every decode step, short prompts) ggml-cpu runs
 * ggml_compute_forward_flash_attn_ext_f16_one_chunk (ops.cpp), which
 *   - converts q to f16 (the vec_dot_type of the f16 K cache) and dots it with f16 K rows in f32;
 *   - walks the keys in order with an online softmax (M, S in f32), and
 *   - accumulates V in an f16 vector: VKQ = f16(VKQ * ms) on a new maximum, then
 *     VKQ = f16(VKQ + v * vs) per key (an f32 FMA rounded to f16 every step),
 *   - and scales the f32 copy of VKQ by 1 / S at the end.
 * The per-key f16 rounding of the accumulator is sequential by construction: a parallel GPU
 * kernel cannot reproduce it. Exact up to the f32 summation order of the dot products.
 *
 * Same shapes and arguments as `attention` in ops-attention.ts (K/V already f16-valued).
 */

import type { AttentionShape } from './ops-attention.ts';
import { f16BitsToF32, f32ToF16Bits } from './ops-f16.ts';

const h16 = (x: number): number => f16BitsToF32(f32ToF16Bits(x));
const f = Math.fround;

/** q: [tokens, nHeads, hd]; k, v: [kvLen, nKvHeads, hd]; returns out [tokens, nHeads, hd]. */
export function attentionGgmlCpu(q: Float32Array, k: Float32Array, v: Float32Array, kvLen: number, s: AttentionShape): { out: Float32Array } {
  const { tokens, nHeads, nKvHeads, headDim: hd } = s;
  if (kvLen < s.qStart + tokens) throw new Error(`attentionGgmlCpu: ${kvLen} cached keys, queries reach ${s.qStart + tokens}`);
  const G = nHeads / nKvHeads;
  const out = new Float32Array(tokens * nHeads * hd);
  const scale = f(s.scale);
  const qh = new Float32Array(hd);
  const acc = new Float32Array(hd); // f16-valued VKQ
  for (let t = 0; t < tokens; t++) {
    const seen = s.qStart + t + 1;
    for (let h = 0; h < nHeads; h++) {
      const kh = Math.floor(h / G);
      const qo = (t * nHeads + h) * hd;
      for (let i = 0; i < hd; i++) qh[i] = h16(q[qo + i]!);
      acc.fill(0);
      let S = 0;
      let M = -Infinity;
      for (let j = 0; j < seen; j++) {
        const ko = (j * nKvHeads + kh) * hd;
        let d = 0;
        for (let i = 0; i < hd; i++) d += qh[i]! * h16(k[ko + i]!);
        const sc = f(f(d) * scale);
        let ms = 1;
        let vs = 1;
        if (sc > M) {
          ms = f(Math.exp(M - sc));
          M = sc;
          for (let i = 0; i < hd; i++) acc[i] = h16(f(acc[i]! * ms));
        } else vs = f(Math.exp(sc - M));
        // f32 FMA (the product of an f16 and an f32 is exact in double), rounded to f16
        for (let i = 0; i < hd; i++) acc[i] = h16(f(acc[i]! + h16(v[ko + i]!) * vs));
        S = f(S * ms + vs);
      }
      const inv = S === 0 ? 0 : f(1 / S);
      for (let i = 0; i < hd; i++) out[qo + i] = f(acc[i]! * inv);
    }
  }
  return { out };
}
