/**
 * Model hyper-parameters and the tensor map, shared by every architecture module
 * (llama.ts, qwen2.ts, qwen3.ts) and by both forward passes (the CPU reference in
 * engine/reference/forward.ts and the GPU one in engine/models/gpu-forward.ts).
 *
 * An architecture module reads its GGUF metadata (`{arch}.*` keys, see peers.md B.4) into a
 * `ModelHparams` and lists its tensors (`TensorSpec`: GGUF name, ggml dims ne[0..] with the
 * contiguous dimension first, required or not). The flags in `ModelHparams` (qkvBias, qkNorm,
 * rope mode) are everything the shared transformer block needs to know about an architecture.
 *
 * Extend: a new flag here + its branch in both forward passes; a new architecture = a new
 * module that fills these types + one entry in registry.ts.
 */

import { LongreadError } from '../errors.ts';
import type { RopeConfig, RopeScaling } from '../reference/ops-rope.ts';

export type Architecture = 'llama' | 'qwen2' | 'qwen3';

export interface ModelHparams {
  arch: Architecture;
  nLayers: number;
  /** residual stream width (n_embd) */
  dim: number;
  nHeads: number;
  nKvHeads: number;
  headDim: number;
  /** SwiGLU hidden width (n_ff) */
  ffnDim: number;
  vocab: number;
  /** context the model was trained for */
  contextLength: number;
  /** RMSNorm epsilon */
  eps: number;
  rope: RopeConfig;
  /** q/k/v projections carry a bias (qwen2) */
  qkvBias: boolean;
  /** per-head RMSNorm on q and k before RoPE (qwen3) */
  qkNorm: boolean;
  /** no `output.weight`: the classifier is token_embd */
  tiedOutput: boolean;
}

export interface TensorSpec {
  name: string;
  /** ggml dims: ne[0] is the contiguous (input) dimension */
  dims: number[];
  required: boolean;
}

export type Meta = Record<string, unknown>;

/** A numeric metadata value (u64 arrive as bigint). */
export function metaNumber(meta: Meta, key: string, fallback?: number): number {
  const v = meta[key];
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v === undefined && fallback !== undefined) return fallback;
  throw new LongreadError('gguf-invalid', v === undefined ? `The GGUF metadata has no ${key}.` : `The GGUF metadata field ${key} is not a number.`,
    'The file is not a complete model of a supported architecture; re-convert it with a current llama.cpp.', { field: key });
}

export function metaString(meta: Meta, key: string): string | undefined {
  const v = meta[key];
  return typeof v === 'string' ? v : undefined;
}

/** Rope scaling from `{arch}.rope.scaling.*` (none, linear, yarn) or Llama 3's `rope_freqs`. */
export function ropeScalingFromMeta(meta: Meta, arch: string): RopeScaling {
  const type = metaString(meta, `${arch}.rope.scaling.type`);
  const factor = metaNumber(meta, `${arch}.rope.scaling.factor`, 1);
  if (!type || type === 'none' || factor === 1) return { kind: 'none' };
  if (type === 'linear') return { kind: 'linear', factor };
  if (type === 'yarn') {
    return {
      kind: 'yarn', factor,
      originalContext: metaNumber(meta, `${arch}.rope.scaling.original_context_length`, metaNumber(meta, `${arch}.context_length`)),
      betaFast: metaNumber(meta, `${arch}.rope.scaling.yarn_beta_fast`, 32),
      betaSlow: metaNumber(meta, `${arch}.rope.scaling.yarn_beta_slow`, 1),
      attnFactor: metaNumber(meta, `${arch}.rope.scaling.attn_factor`, 1),
    };
  }
  throw new LongreadError('model-unsupported', `Rope scaling type "${type}" (${arch}.rope.scaling.type) is not supported.`, 'Use a model with none, linear or yarn rope scaling.', { field: `${arch}.rope.scaling.type`, value: type });
}

/** The hparams every llama-family architecture shares; the caller sets the flags. */
export function baseHparams(meta: Meta, arch: Architecture, rope: { mode: 'norm' | 'neox' }, tensorNames: ReadonlySet<string>): ModelHparams {
  const k = (s: string) => `${arch}.${s}`;
  const dim = metaNumber(meta, k('embedding_length'));
  const nHeads = metaNumber(meta, k('attention.head_count'));
  const nKvHeads = metaNumber(meta, k('attention.head_count_kv'), nHeads);
  const headDim = metaNumber(meta, k('attention.key_length'), dim / nHeads);
  const tokens = meta['tokenizer.ggml.tokens'];
  const vocab = metaNumber(meta, k('vocab_size'), Array.isArray(tokens) ? tokens.length : undefined);
  const hp: ModelHparams = {
    arch,
    nLayers: metaNumber(meta, k('block_count')),
    dim,
    nHeads,
    nKvHeads,
    headDim,
    ffnDim: metaNumber(meta, k('feed_forward_length')),
    vocab,
    contextLength: metaNumber(meta, k('context_length')),
    eps: metaNumber(meta, k('attention.layer_norm_rms_epsilon'), 1e-5),
    rope: {
      mode: rope.mode,
      nRot: metaNumber(meta, k('rope.dimension_count'), headDim),
      base: metaNumber(meta, k('rope.freq_base'), 10000),
      scaling: ropeScalingFromMeta(meta, arch),
    },
    qkvBias: false,
    qkNorm: false,
    tiedOutput: !tensorNames.has('output.weight'),
  };
  const bad = (field: string, why: string) => new LongreadError('gguf-invalid', `${arch}.${field}: ${why}.`, 'The model metadata is inconsistent; re-convert the model.', { field: `${arch}.${field}` });
  for (const [f, v] of Object.entries({ block_count: hp.nLayers, embedding_length: dim, 'attention.head_count': nHeads, 'attention.head_count_kv': nKvHeads, feed_forward_length: hp.ffnDim, vocab_size: vocab, context_length: hp.contextLength })) {
    if (!Number.isInteger(v) || v <= 0) throw bad(f, `${v} is not a positive integer`);
  }
  if (nHeads % nKvHeads) throw bad('attention.head_count_kv', `${nHeads} heads are not a multiple of ${nKvHeads} KV heads`);
  if (!Number.isInteger(headDim) || headDim % 2) throw bad('attention.key_length', `head dim ${headDim} is not an even integer`);
  if (hp.rope.nRot % 2 || hp.rope.nRot > headDim) throw bad('rope.dimension_count', `${hp.rope.nRot} rotated dims with head dim ${headDim}`);
  return hp;
}

/** The tensors of the llama-family block; `extra(layer)` adds an architecture's own. */
export function llamaTensorMap(hp: ModelHparams, extra: (layer: number) => TensorSpec[] = () => []): TensorSpec[] {
  const { dim, nHeads, nKvHeads, headDim: hd, ffnDim, vocab } = hp;
  const t = (name: string, dims: number[], required = true): TensorSpec => ({ name, dims, required });
  const out = [t('token_embd.weight', [dim, vocab]), t('output_norm.weight', [dim]), t('output.weight', [dim, vocab], false), t('rope_freqs.weight', [hp.rope.nRot / 2], false)];
  for (let l = 0; l < hp.nLayers; l++) {
    const b = `blk.${l}.`;
    out.push(
      t(`${b}attn_norm.weight`, [dim]),
      t(`${b}attn_q.weight`, [dim, nHeads * hd]),
      t(`${b}attn_k.weight`, [dim, nKvHeads * hd]),
      t(`${b}attn_v.weight`, [dim, nKvHeads * hd]),
      t(`${b}attn_output.weight`, [nHeads * hd, dim]),
      t(`${b}ffn_norm.weight`, [dim]),
      t(`${b}ffn_gate.weight`, [dim, ffnDim]),
      t(`${b}ffn_up.weight`, [dim, ffnDim]),
      t(`${b}ffn_down.weight`, [ffnDim, dim]),
      ...extra(l),
    );
  }
  return out;
}

/** Checks that every required tensor is present with its dims; returns the names missing but optional. */
export function tensorMapCheck(map: TensorSpec[], tensors: ReadonlyMap<string, { dims: readonly number[] }>, file: string): void {
  for (const s of map) {
    const t = tensors.get(s.name);
    if (!t) {
      if (s.required) throw new LongreadError('gguf-invalid', `${file}: tensor ${s.name} is missing.`, 'The file is incomplete or of another architecture; re-convert it.', { file, field: s.name });
      continue;
    }
    const dims = [...t.dims];
    while (dims.length > s.dims.length && dims[dims.length - 1] === 1) dims.pop();
    if (dims.length !== s.dims.length || dims.some((d, i) => d !== s.dims[i])) {
      throw new LongreadError('gguf-invalid', `${file}: tensor ${s.name} has dims [${t.dims.join(', ')}], expected [${s.dims.join(', ')}].`, 'The tensor shapes do not match the metadata; re-convert the model.', { file, field: s.name, dims: [...t.dims], expected: s.dims });
    }
  }
}
