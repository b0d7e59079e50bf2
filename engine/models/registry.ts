/**
 * Architecture registry: `general.architecture` -> the module that reads its hparams and lists
 * its tensors. Extend: import the new module and add it to ARCHITECTURES.
 */
import { LongreadError } from '../errors.ts';
import type { Meta, ModelHparams, TensorSpec } from './hparams.ts';
import { llama } from './llama.ts';
import { qwen2 } from './qwen2.ts';
import { qwen3 } from './qwen3.ts';

export interface ArchitectureModule {
  name: string;
  hparams(meta: Meta, tensorNames: ReadonlySet<string>): ModelHparams;
  tensorMap(hp: ModelHparams): TensorSpec[];
}

export const ARCHITECTURES: Record<string, ArchitectureModule> = { llama, qwen2, qwen3 };

export function architectureFor(meta: Meta, file: string): ArchitectureModule {
  const arch = meta['general.architecture'];
  const m = typeof arch === 'string' ? ARCHITECTURES[arch] : undefined;
  if (!m) {
    throw new LongreadError('model-unsupported', `${file}: architecture "${String(arch)}" (general.architecture) is not supported.`,
      `Use a model of one of these architectures: ${Object.keys(ARCHITECTURES).join(', ')}.`, { file, field: 'general.architecture', value: String(arch) });
  }
  return m;
}
