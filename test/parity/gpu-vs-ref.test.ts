// GPU runtime vs the CPU reference forward (engine/reference/forward.ts) on tiny random-weight
// models of every architecture (llama, qwen2, qwen3) and weight type (F16, Q8_0, Q4_0, Q4_K,
// Q6_K): the GPU's greedy continuation is fed to both, and at every position the next-token
// distributions must agree (KL) with the same top-1 unless the reference itself is a near-tie.
// The reference rounds what the GPU rounds: K/V to f16 in the cache, and the input of every
// quantized matrix product to q8_0 / q8_K as llama.cpp's CPU backend does (int8 matvec, rounded
// matmul input). Measured on lavapipe: mean KL 4e-11 to 1e-10 for F16; for quantized types 1e-13
// at most positions, with a few positions up to ~1e-3 where f32-level differences (exp, summation
// order) flip one activation's rounding (mean KL <= 4.8e-4).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelLoad } from '../../engine/decode/index.ts';
import { gpuAcquire, type Gpu } from '../../engine/gpu/device.ts';
import { refModelLoad } from '../../engine/models/reference-load.ts';
import { refForward } from '../../engine/reference/forward.ts';
import { ggufGenerate, type GenArch, type GenType } from '../../tools/gen-gguf/gen-gguf.ts';
import { klDivergence, top2 } from './compare.ts';

const ARCHS: GenArch[] = ['llama', 'qwen2', 'qwen3'];
const TYPES: GenType[] = ['F16', 'Q8_0', 'Q4_0', 'Q4_K', 'Q6_K'];
const STEPS = 12;

describe('GPU forward vs CPU reference', () => {
  let gpu: Gpu;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-parity-'));
  beforeAll(async () => {
    gpu = await gpuAcquire();
  });
  afterAll(() => gpu?.dispose());

  for (const arch of ARCHS) {
    for (const type of TYPES) {
      it(`${arch} ${type}`, async () => {
        const file = path.join(dir, `${arch}-${type}.gguf`);
        ggufGenerate({ shape: `tiny-${arch}`, type, out: file, seed: 11 });
        const model = await modelLoad(gpu, file, { contextLength: 256, chunk: 8 });
        try {
          const prompt = model.tokenizer.encode('Once upon a time there was a little girl who went to the park', { addSpecial: true });
          const V = model.hp.vocab;
          const sampler = { config: { temperature: 0 } };
          // GPU: prefill (several chunks), then decode step by step, keeping every distribution
          const gpuLogits: Float32Array[] = [];
          const ids: number[] = [await model.forward.prefill(prompt, 0, sampler)];
          gpuLogits.push(await model.forward.readLogits());
          for (let i = 1; i < STEPS; i++) {
            ids.push(await model.forward.decode(prompt.length + i - 1, sampler));
            gpuLogits.push(await model.forward.readLogits());
          }
          // reference on the same sequence
          const ref = await refModelLoad(file);
          const all = refForward(ref.create(), [...prompt, ...ids.slice(0, -1)], 0);
          let kl = 0;
          const bad: string[] = [];
          for (let i = 0; i < STEPS; i++) {
            const row = all.subarray((prompt.length - 1 + i) * V, (prompt.length + i) * V);
            kl += klDivergence(row, gpuLogits[i]!);
            const { top, margin } = top2(row);
            expect(top2(gpuLogits[i]!).top).toBe(ids[i]); // the GPU argmax picked its own top-1
            if (top !== ids[i]) bad.push(`step ${i}: ref ${top} gpu ${ids[i]} (ref margin ${margin.toFixed(3)})`);
            if (top !== ids[i]) expect(margin, bad.join('; ')).toBeLessThan(type === 'F16' ? 0.01 : 0.2);
          }
          kl /= STEPS;
          expect(kl).toBeLessThan(type === 'F16' ? 1e-8 : 2e-3);
          expect(bad.length, bad.join('; ')).toBeLessThanOrEqual(type === 'F16' ? 0 : 1);
        } finally {
          model.dispose();
        }
      });
    }
  }
});
