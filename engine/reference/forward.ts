/**
 * The readable CPU reference forward pass of the llama-family transformers (llama, qwen2,
 * qwen3): plain loops over dequantized f32 weights, every tensor's shape in a comment. It is
 * the oracle of the GPU runtime (engine/models/gpu-forward.ts) and reproduces the stories260K
 * golden text (test/golden/). Slow on purpose; only tiny models go through it.
 *
 *   const m = refModelCreate(hp, (name) => f32 weights in ggml layout or undefined);
 *   const logits = refForward(m, [1, 403, 9], 0);   // [3, vocab]; K/V of positions 0..2 cached
 *   refForward(m, [next], 3);                        // continues from the cache
 *
 * Weights arrive in ggml layout: a matrix with dims [in, out] is row-major [out][in], so
 * y[o] = sum_i W[o * in + i] x[i]. The KV cache holds K (RoPE applied) and V per layer, rounded
 * to f16 like the GPU cache and llama.cpp's (opts.kvF16, default on).
 * Quantized matrices multiply x rounded as llama.cpp's CPU backend rounds it (opts.act, see
 * ops-act-quant.ts), like the GPU kernels do.
 *
 * Extend: a new architecture flag (hparams.ts) gets its branch in `layerForward`, where the
 * matching step of the block happens.
 */

import { LongreadError } from '../errors.ts';
import type { ModelHparams } from '../models/hparams.ts';
import { activationRound, type ActivationFormat } from './ops-act-quant.ts';
import { attention } from './ops-attention.ts';
import { attentionGgmlCpu } from './ops-attention-ggml.ts';
import { f16BitsToF32, f32ToF16Bits } from './ops-f16.ts';
import { rmsNorm, swiglu } from './ops.ts';
import { rope } from './ops-rope.ts';

export type RefWeightSource = (name: string) => Float32Array | undefined;

export interface RefModel {
  hp: ModelHparams;
  w: RefWeightSource;
  /**
   * The activation format each matrix multiplies its input in (ops-act-quant.ts: llama.cpp
   * rounds x to q8_0 / q8_K before a quantized product); absent or null: x stays f32.
   */
  act?: (name: string) => ActivationFormat | null;
  /** K/V rounded to f16 when cached (default true) */
  kvF16: boolean;
  /** 'exact' (default) or llama.cpp's CPU flash-attention numerics (ops-attention-ggml.ts) */
  attention: 'exact' | 'ggml-cpu';
  /** per layer: K [cached, nKvHeads, hd] (RoPE applied) and V, grown as tokens arrive */
  k: Float32Array[];
  v: Float32Array[];
  /** tokens in the cache */
  length: number;
}

export interface RefModelOptions {
  /** activation format per matrix name (null / absent: f32 x) */
  act?: (name: string) => ActivationFormat | null;
  /** round cached K/V to f16 (default true) */
  kvF16?: boolean;
  /** 'ggml-cpu': emulate llama.cpp's CPU attention numerics (peer parity analysis only) */
  attention?: 'exact' | 'ggml-cpu';
}

export function refModelCreate(hp: ModelHparams, w: RefWeightSource, opts: RefModelOptions = {}): RefModel {
  return { hp, w, ...(opts.act ? { act: opts.act } : {}), kvF16: opts.kvF16 !== false, attention: opts.attention ?? 'exact', k: [], v: [], length: 0 };
}

const f16Round = (x: number): number => f16BitsToF32(f32ToF16Bits(x));

/** x [rows, inDim] as the product with matrix `name` sees it (rounded per m.act). */
function actIn(m: RefModel, name: string, x: Float32Array): Float32Array {
  const f = m.act?.(name);
  return f ? activationRound(x, f) : x;
}

function weight(m: RefModel, name: string): Float32Array {
  const t = m.w(name);
  if (!t) throw new LongreadError('gguf-invalid', `Reference forward: tensor ${name} is missing.`, 'Load a complete model.', { field: name });
  return t;
}

/** y = x W^T (+ b).  x: [rows, inDim]; W: [outDim, inDim] (ggml dims [inDim, outDim]); y: [rows, outDim] */
export function linear(x: Float32Array, W: Float32Array, rows: number, inDim: number, outDim: number, b?: Float32Array): Float32Array {
  const y = new Float32Array(rows * outDim);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outDim; o++) {
      let s = 0;
      const wo = o * inDim;
      const xo = r * inDim;
      for (let i = 0; i < inDim; i++) s += x[xo + i]! * W[wo + i]!;
      y[r * outDim + o] = s + (b ? b[o]! : 0);
    }
  }
  return y;
}

/**
 * Runs `tokens` at positions start.. through the model; returns logits [tokens, vocab], or with
 * `lastOnly` just the last token's [1, vocab] (the last layer then computes K/V for every token
 * but attention and FFN only for the last one: long prompts stay affordable on the CPU).
 * `start` must equal the cache length (rewind with refTruncate to reuse a prefix).
 */
export function refForward(m: RefModel, tokens: readonly number[], start: number, opts: { lastOnly?: boolean } = {}): Float32Array {
  const { hp } = m;
  if (start !== m.length) throw new LongreadError('internal', `Reference forward at position ${start} with ${m.length} cached tokens.`, 'Truncate the cache first (refTruncate).');
  const T = tokens.length;
  const D = hp.dim;
  // x: [T, D] the residual stream
  const emb = weight(m, 'token_embd.weight'); // [vocab, D]
  let x: Float32Array = new Float32Array(T * D);
  tokens.forEach((id, t) => {
    if (!(id >= 0 && id < hp.vocab)) throw new LongreadError('bad-request', `Token id ${id} at position ${start + t} is outside the vocabulary (0..${hp.vocab - 1}).`, 'Pass ids from this model\'s tokenizer.');
    x.set(emb.subarray(id * D, id * D + D), t * D);
  });
  const positions = tokens.map((_, t) => start + t);
  for (let l = 0; l < hp.nLayers; l++) x = layerForward(m, l, x, T, positions, opts.lastOnly === true && l === hp.nLayers - 1);
  m.length += T;
  // final norm and classifier: logits [rows, vocab], rows = T (or 1 with lastOnly)
  const rows = x.length / D;
  const xn = rmsNorm(x, weight(m, 'output_norm.weight'), rows, D, hp.eps);
  const outName = hp.tiedOutput ? 'token_embd.weight' : 'output.weight';
  return linear(actIn(m, outName, xn), weight(m, outName), rows, D, hp.vocab); // W [vocab, D]
}

/**
 * One transformer block over x [T, D]; returns the new residual stream [T, D], or only its last
 * row [1, D] with `lastOnly` (K/V of all T tokens still go to the cache).
 */
function layerForward(m: RefModel, l: number, x: Float32Array, T: number, positions: number[], lastOnly = false): Float32Array {
  const { hp } = m;
  const { dim: D, nHeads: H, nKvHeads: KH, headDim: hd, ffnDim: F } = hp;
  const p = `blk.${l}.`;
  const bias = (n: string) => (hp.qkvBias ? weight(m, `${p}${n}.bias`) : undefined);

  // attention: xn [T, D] -> q [Q, H, hd] (Q = T, or 1 with lastOnly), k/v [T, KH, hd]
  const xn = rmsNorm(x, weight(m, `${p}attn_norm.weight`), T, D, hp.eps);
  const Q = lastOnly ? 1 : T;
  const q0 = T - Q; // first query row
  const lin = (name: string, x: Float32Array, rows: number, inDim: number, outDim: number, b?: Float32Array) => linear(actIn(m, `${p}${name}.weight`, x), weight(m, `${p}${name}.weight`), rows, inDim, outDim, b);
  let q = lin('attn_q', xn.subarray(q0 * D), Q, D, H * hd, bias('attn_q'));
  let k = lin('attn_k', xn, T, D, KH * hd, bias('attn_k'));
  const v = lin('attn_v', xn, T, D, KH * hd, bias('attn_v'));
  if (hp.qkNorm) {
    // per-head RMSNorm over hd: rows [T * heads, hd]
    q = rmsNorm(q, weight(m, `${p}attn_q_norm.weight`), Q * H, hd, hp.eps);
    k = rmsNorm(k, weight(m, `${p}attn_k_norm.weight`), T * KH, hd, hp.eps);
  }
  q = rope(q, positions.slice(q0), Q, H, hd, hp.rope);
  k = rope(k, positions, T, KH, hd, hp.rope);

  // append to the cache: K/V [cached + T, KH, hd]
  const prev = m.length;
  const kvLen = prev + T;
  const grow = (old: Float32Array | undefined, add: Float32Array) => {
    const out = new Float32Array(kvLen * KH * hd);
    if (old) out.set(old.subarray(0, prev * KH * hd));
    out.set(m.kvF16 ? add.map(f16Round) : add, prev * KH * hd);
    return out;
  };
  m.k[l] = grow(m.k[l], k);
  m.v[l] = grow(m.v[l], v);

  // causal GQA attention: att [Q, H, hd]
  const { out: att } = (m.attention === 'ggml-cpu' ? attentionGgmlCpu : attention)(q, m.k[l]!, m.v[l]!, kvLen, { tokens: Q, nHeads: H, nKvHeads: KH, headDim: hd, qStart: prev + q0, scale: 1 / Math.sqrt(hd) });
  // x += att Wo^T: [Q, D]
  const o = lin('attn_output', att, Q, H * hd, D);
  const x1 = new Float32Array(Q * D);
  for (let i = 0; i < x1.length; i++) x1[i] = x[q0 * D + i]! + o[i]!;

  // feed-forward: x1 + down(silu(gate(xn2)) * up(xn2)); gate/up [Q, F]
  const xn2 = rmsNorm(x1, weight(m, `${p}ffn_norm.weight`), Q, D, hp.eps);
  const gate = lin('ffn_gate', xn2, Q, D, F);
  const up = lin('ffn_up', xn2, Q, D, F);
  const down = lin('ffn_down', swiglu(gate, up), Q, F, D);
  for (let i = 0; i < x1.length; i++) x1[i] = x1[i]! + down[i]!;
  return x1;
}

/** Drops cached positions >= length (keeps the prefix for the next refForward). */
export function refTruncate(m: RefModel, length: number): void {
  m.length = Math.min(m.length, length);
}

/** Greedy generation: feeds `prompt`, then appends the argmax token until `n` positions in all. */
export function refGreedy(m: RefModel, prompt: readonly number[], n: number, stop: (id: number) => boolean = () => false): number[] {
  const out = [...prompt];
  let logits = refForward(m, prompt, m.length);
  let last = logits.subarray((prompt.length - 1) * m.hp.vocab);
  while (out.length < n) {
    let best = 0;
    for (let i = 1; i < m.hp.vocab; i++) if (last[i]! > last[best]!) best = i;
    out.push(best);
    if (stop(best) || out.length >= n) break;
    logits = refForward(m, [best], m.length);
    last = logits;
  }
  return out;
}
