/**
 * qwen3: Qwen3 dense models. The llama block with a per-head RMSNorm on q and k (weights
 * `attn_q_norm` / `attn_k_norm` [headDim], applied before RoPE), no q/k/v bias, RoPE NEOX,
 * head dim from `qwen3.attention.key_length` (128 on all sizes, so nHeads * headDim != dim).
 *
 * Extend: see llama.ts.
 */
import { baseHparams, llamaTensorMap, type Meta, type ModelHparams, type TensorSpec } from './hparams.ts';

export const qwen3 = {
  name: 'qwen3' as const,
  hparams(meta: Meta, tensorNames: ReadonlySet<string>): ModelHparams {
    return { ...baseHparams(meta, 'qwen3', { mode: 'neox' }, tensorNames), qkNorm: true };
  },
  tensorMap(hp: ModelHparams): TensorSpec[] {
    return llamaTensorMap(hp, (l) => [
      { name: `blk.${l}.attn_q_norm.weight`, dims: [hp.headDim], required: true },
      { name: `blk.${l}.attn_k_norm.weight`, dims: [hp.headDim], required: true },
    ]);
  },
};
