/**
 * Harness cases for RoPE: both modes, head dims 64 and 128, partial rotary, every scaling
 * scheme, random (not sorted) positions, strided views into a fused QKV buffer.
 */

import { ropePlan, ropeTable } from '../../engine/kernels/rope.ts';
import { rope, type RopeConfig } from '../../engine/reference/ops-rope.ts';
import type { KernelCase } from './harness.ts';

function ropeCase(name: string, tokens: number, heads: number, headDim: number, cfg: RopeConfig, maxPos = 4096, fused = false): KernelCase {
  return {
    op: `rope-${cfg.mode}`,
    name,
    maxNmse: 1e-9,
    build({ rng, input, ctx }) {
      const x = rng.normal(tokens * heads * headDim);
      const positions = new Uint32Array(tokens).map(() => rng.int(maxPos));
      const expected = rope(x, positions, tokens, heads, headDim, cfg);
      const posBuf = input(positions);
      const table = ropeTable(ctx, cfg);
      if (!fused) {
        return {
          outputs: [{ name: 'x', bytes: x.byteLength, init: x, expected }],
          plans: async ([xr]) => [await ropePlan(ctx, { x: xr!, positions: posBuf, table, tokens, heads, headDim }), { encode() {}, dispose: () => table.dispose() }],
          bytes: x.byteLength * 2,
        };
      }
      // x is the k part of a [tokens, 3 * heads * headDim] buffer: q | k | v; only k rotates.
      const stride = 3 * heads * headDim;
      const all = rng.normal(tokens * stride);
      const exp = Float32Array.from(all);
      for (let t = 0; t < tokens; t++) {
        all.set(x.subarray(t * heads * headDim, (t + 1) * heads * headDim), t * stride + heads * headDim);
        exp.set(expected.subarray(t * heads * headDim, (t + 1) * heads * headDim), t * stride + heads * headDim);
      }
      return {
        outputs: [{ name: 'qkv', bytes: all.byteLength, init: all, expected: exp }],
        plans: async ([xr]) => [
          await ropePlan(ctx, { x: xr!, positions: posBuf, table, tokens, heads, headDim, tokenStride: stride, offset: heads * headDim }),
          { encode() {}, dispose: () => table.dispose() },
        ],
      };
    },
  };
}

const llama3 = { kind: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalContext: 8192 } as const;
const yarn = { kind: 'yarn', factor: 4, originalContext: 4096, betaFast: 32, betaSlow: 1 } as const;

export const ROPE_CASES: KernelCase[] = [
  ropeCase('debug', 2, 1, 8, { mode: 'norm', nRot: 8, base: 10000 }, 10),
  ropeCase('debug', 2, 1, 8, { mode: 'neox', nRot: 8, base: 10000 }, 10),
  ropeCase('hd=64 t=5 h=3', 5, 3, 64, { mode: 'norm', nRot: 64, base: 10000 }),
  ropeCase('hd=128 t=3 h=5 llama3', 3, 5, 128, { mode: 'norm', nRot: 128, base: 500000, scaling: llama3 }),
  ropeCase('hd=128 t=4 h=3 yarn', 4, 3, 128, { mode: 'neox', nRot: 128, base: 1e6, scaling: yarn }),
  ropeCase('hd=64 t=3 h=2 linear partial nRot=32', 3, 2, 64, { mode: 'neox', nRot: 32, base: 10000, scaling: { kind: 'linear', factor: 2 } }),
  ropeCase('hd=128 t=3 h=2 fused-qkv view', 3, 2, 128, { mode: 'neox', nRot: 128, base: 1e6 }, 4096, true),
];
