/**
 * The automatic prefill chunk: big pieces on GPUs while their activations stay modest, 512 on
 * CPU adapters (lavapipe), and an explicit chunk always wins.
 */
import { describe, expect, it } from 'vitest';
import type { ModelHparams } from './hparams.ts';
import { prefillChunkDefault } from './index.ts';

const shape = (dim: number, nHeads: number, nKvHeads: number, headDim: number, ffnDim: number, vocab: number) =>
  ({ dim, nHeads, nKvHeads, headDim, ffnDim, vocab }) as ModelHparams;

describe('prefillChunkDefault', () => {
  it('picks the largest piece whose activations fit, on GPUs only', () => {
    const llama1b = shape(2048, 32, 8, 64, 8192, 128256);
    const qwen05b = shape(896, 14, 2, 64, 4864, 151936);
    const llama8b = shape(4096, 32, 8, 128, 14336, 128256);
    const wide = shape(8192, 64, 8, 128, 28672, 128256); // 70B-like
    expect(prefillChunkDefault(llama1b, false)).toBe(2048);
    expect(prefillChunkDefault(qwen05b, false)).toBe(2048);
    expect(prefillChunkDefault(llama8b, false)).toBe(1024);
    expect(prefillChunkDefault(wide, false)).toBe(512);
    for (const hp of [llama1b, qwen05b, llama8b, wide]) expect(prefillChunkDefault(hp, true)).toBe(512);
  });
});
