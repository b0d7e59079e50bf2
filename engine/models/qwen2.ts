/**
 * qwen2: Qwen2 / Qwen2.5. The llama block plus biases on the q/k/v projections, RoPE NEOX
 * (pairs x[i], x[i + nRot/2]); small models tie the classifier to token_embd.
 *
 * Extend: see llama.ts.
 */
import { baseHparams, llamaTensorMap, type Meta, type ModelHparams, type TensorSpec } from './hparams.ts';

export const qwen2 = {
  name: 'qwen2' as const,
  hparams(meta: Meta, tensorNames: ReadonlySet<string>): ModelHparams {
    return { ...baseHparams(meta, 'qwen2', { mode: 'neox' }, tensorNames), qkvBias: true };
  },
  tensorMap(hp: ModelHparams): TensorSpec[] {
    const kv = hp.nKvHeads * hp.headDim;
    return llamaTensorMap(hp, (l) => [
      { name: `blk.${l}.attn_q.bias`, dims: [hp.nHeads * hp.headDim], required: true },
      { name: `blk.${l}.attn_k.bias`, dims: [kv], required: true },
      { name: `blk.${l}.attn_v.bias`, dims: [kv], required: true },
    ]);
  },
};
