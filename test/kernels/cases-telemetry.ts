/**
 * Harness cases for the telemetry kernels: attention binning of the attention tap
 * (engine/kernels/attention-bin.ts against engine/reference/ops-telemetry.ts).
 */

import { attentionBinPlan } from '../../engine/kernels/attention-bin.ts';
import { attentionBin } from '../../engine/reference/ops-telemetry.ts';
import type { KernelCase, Rng } from './harness.ts';

/** Increasing bounds over [0, end): nBins random-width bins (some empty), the last past maxKvLen when `overshoot`. */
function randomBounds(rng: Rng, nBins: number, end: number, overshoot: boolean): Uint32Array {
  const cuts = Array.from({ length: nBins - 1 }, () => rng.int(end + 1)).sort((a, b) => a - b);
  return Uint32Array.from([0, ...cuts, overshoot ? end + 7 : end]);
}

function attentionBinCase(name: string, s: { nHeads: number; maxKvLen: number; promptLen: number; nBins: number; rows: number; layers: number; layer: number; row: number }): KernelCase {
  return {
    op: 'attention-bin',
    name,
    maxNmse: 1e-12,
    build({ rng, input, ctx }) {
      // probabilities-like inputs: non-negative, each head's row summing to about 1
      const probs = rng.uniform(s.nHeads * s.maxKvLen, 0, 2 / s.maxKvLen);
      const bounds = randomBounds(rng, s.nBins, s.promptLen, s.promptLen === s.maxKvLen);
      const init = rng.uniform(s.rows * s.layers * s.nHeads * s.nBins, 0, 1);
      const pb = input(probs);
      const bb = input(bounds);
      const rb = input(Uint32Array.of(s.row));
      // rows >= s.rows are dropped by the kernel: the accumulator must come back unchanged
      const expected = s.row < s.rows ? attentionBin(init, probs, bounds, s) : init.slice();
      return {
        outputs: [{ name: 'out', bytes: init.byteLength, init, expected }],
        plans: async ([out]) => [await attentionBinPlan(ctx, { probs: pb, bounds: bb, row: rb, out: out!, nHeads: s.nHeads, maxKvLen: s.maxKvLen, nBins: s.nBins, rows: s.rows, layers: s.layers, layer: s.layer })],
        bytes: probs.byteLength + init.byteLength / s.rows / s.layers * 2,
      };
    },
  };
}

export const TELEMETRY_CASES: KernelCase[] = [
  attentionBinCase('debug', { nHeads: 2, maxKvLen: 10, promptLen: 9, nBins: 3, rows: 2, layers: 2, layer: 1, row: 1 }),
  attentionBinCase('heads=8 kv=1024 prompt=1000 bins=64 rows=8 layer=3/4 row=5', { nHeads: 8, maxKvLen: 1024, promptLen: 1000, nBins: 64, rows: 8, layers: 4, layer: 3, row: 5 }),
  attentionBinCase('heads=4 kv=256 bins past the end', { nHeads: 4, maxKvLen: 256, promptLen: 256, nBins: 17, rows: 3, layers: 2, layer: 0, row: 0 }),
  attentionBinCase('heads=3 kv=128 bins=130 (wider than a workgroup)', { nHeads: 3, maxKvLen: 128, promptLen: 100, nBins: 130, rows: 1, layers: 1, layer: 0, row: 0 }),
  attentionBinCase('row past the last: dropped', { nHeads: 2, maxKvLen: 64, promptLen: 50, nBins: 5, rows: 2, layers: 3, layer: 2, row: 2 }),
];
