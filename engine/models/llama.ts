/**
 * llama: Llama 2 / 3.x (Llama 3 rope scaling arrives as a `rope_freqs` tensor), Mistral 7B,
 * SmolLM, TinyLlama. The plain pre-norm block: RMSNorm -> GQA attention with RoPE NORM
 * (adjacent pairs, the converter permuted Q/K) -> residual -> RMSNorm -> SwiGLU -> residual.
 *
 * Extend: a llama variant with a new metadata key reads it here; a new block op is a flag in
 * hparams.ts (see qwen2.ts, qwen3.ts for the two that exist).
 */
import { baseHparams, llamaTensorMap, type Meta, type ModelHparams, type TensorSpec } from './hparams.ts';

export const llama = {
  name: 'llama' as const,
  hparams(meta: Meta, tensorNames: ReadonlySet<string>): ModelHparams {
    return baseHparams(meta, 'llama', { mode: 'norm' }, tensorNames);
  },
  tensorMap(hp: ModelHparams): TensorSpec[] {
    return llamaTensorMap(hp);
  },
};
