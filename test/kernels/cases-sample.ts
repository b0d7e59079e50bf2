/**
 * Harness cases for token selection: row argmax (with ties) and GPU sampling under each filter
 * of the chain, several seeds per case, checked draw-for-draw against the CPU reference.
 */

import { argmaxPlan, samplePlan, type SamplingConfig } from '../../engine/kernels/sample.ts';
import { argmax, sample, sampleUniform } from '../../engine/reference/ops-sample.ts';
import type { KernelCase, OutputSpec } from './harness.ts';

function argmaxCase(name: string, rows: number, vocab: number, split?: boolean): KernelCase {
  return {
    op: 'argmax',
    name,
    maxNmse: 0,
    build({ rng, input, ctx }) {
      const logits = rng.normal(rows * vocab, 3);
      // a tie in row 0: the max copied to a later index must lose to the earlier one
      const r0 = argmax(logits, 1, vocab)[0]!;
      if (r0 + 1 < vocab) logits[vocab - 1] = logits[r0]!;
      const lb = input(logits);
      return {
        outputs: [{ name: 'ids', bytes: rows * 4, expected: argmax(logits, rows, vocab) }],
        plans: async ([out]) => [await argmaxPlan(ctx, { logits: lb, out: out!, rows, vocab, split })],
        bytes: logits.byteLength,
      };
    },
  };
}

function sampleCase(name: string, vocab: number, config: SamplingConfig, draws = 6, encodes = 1): KernelCase {
  return {
    op: 'sample',
    name,
    maxNmse: 0,
    build({ rng, input, ctx }) {
      const logits = rng.normal(vocab, 2.5);
      const lb = input(logits);
      const seeds = rng.u32(draws);
      const outputs: OutputSpec[] = [...seeds].map((seed, i) => {
        const ref = sample(logits, config, sampleUniform(seed, encodes - 1));
        return {
          name: `draw${i}`,
          bytes: 4,
          expected: new Uint32Array([ref.token]),
          check: (got) => (got[0] === ref.token ? null : `seed ${seed}: token ${got[0]} (kept by reference: ${ref.kept[got[0]!] ? 'yes' : 'no'}), expected ${ref.token}`),
        };
      });
      return {
        outputs,
        plans: async (outs) => {
          const plans = await Promise.all(outs.map((out, i) => samplePlan(ctx, { logits: lb, out, vocab, seed: seeds[i]!, config })));
          // encoding a plan n times draws steps 0..n-1; the last one stays in `out`
          return plans.flatMap((p) => Array(encodes).fill(p));
        },
        bytes: logits.byteLength * 10,
      };
    },
  };
}

export const SAMPLE_CASES: KernelCase[] = [
  argmaxCase('debug', 1, 10),
  argmaxCase('rows=3 vocab=5003', 3, 5003),
  argmaxCase('rows=1 vocab=70001', 1, 70001),
  argmaxCase('rows=2 vocab=128256 (two-stage, tie across parts)', 2, 128256, true),
  argmaxCase('rows=1 vocab=4097 (two-stage, short last part)', 1, 4097, true),
  argmaxCase('rows=2 vocab=128256 (one workgroup per row)', 2, 128256, false),
  sampleCase('debug greedy', 10, { temperature: 0 }, 2),
  sampleCase('vocab=3001 T=1', 3001, { temperature: 1 }),
  sampleCase('vocab=3001 T=0.8 top-k=40, 3rd draw', 3001, { temperature: 0.8, topK: 40 }, 4, 3),
  sampleCase('vocab=3001 top-p=0.9', 3001, { temperature: 1, topP: 0.9 }),
  sampleCase('vocab=3001 T=1.5 min-p=0.05', 3001, { temperature: 1.5, minP: 0.05 }),
  sampleCase('vocab=20011 T=0.7 k=50 p=0.8 min-p=0.02', 20011, { temperature: 0.7, topK: 50, topP: 0.8, minP: 0.02 }),
];
