/**
 * Harness cases for the row ops: RMSNorm (plain, fused residual, per-head q/k norm).
 * Shapes are deliberately not multiples of the workgroup sizes.
 */

import { qkNormPlan, rmsNormPlan } from '../../engine/kernels/rmsnorm.ts';
import { add, rmsNorm } from '../../engine/reference/ops.ts';
import type { KernelCase } from './harness.ts';

function rmsNormCase(name: string, rows: number, dim: number, residual: boolean): KernelCase {
  return {
    op: residual ? 'rmsnorm-residual' : 'rmsnorm',
    name,
    maxNmse: 1e-10,
    build({ rng, input, ctx }) {
      const x = rng.normal(rows * dim, 2, 0.5);
      const w = rng.normal(dim, 1, 1);
      const delta = rng.normal(rows * dim);
      const sum = residual ? add(x, delta) : x;
      const expected = rmsNorm(sum, w, rows, dim, 1e-5);
      const wBuf = input(w);
      if (!residual) {
        const xBuf = input(x);
        return {
          outputs: [{ name: 'out', bytes: rows * dim * 4, expected }],
          plans: async ([out]) => [await rmsNormPlan(ctx, { x: xBuf, weight: wBuf, out: out!, rows, dim, eps: 1e-5 })],
          bytes: rows * dim * 8 + dim * 4,
        };
      }
      const dBuf = input(delta);
      return {
        outputs: [
          { name: 'out', bytes: rows * dim * 4, expected },
          { name: 'x', bytes: rows * dim * 4, init: x, expected: sum },
        ],
        plans: async ([out, xRef]) => [await rmsNormPlan(ctx, { x: xRef!, delta: dBuf, weight: wBuf, out: out!, rows, dim, eps: 1e-5 })],
        bytes: rows * dim * 16 + dim * 4,
      };
    },
  };
}

function qkNormCase(name: string, tokens: number, heads: number, headDim: number): KernelCase {
  return {
    op: 'qk-norm',
    name,
    maxNmse: 1e-10,
    build({ rng, input, ctx }) {
      const x = rng.normal(tokens * heads * headDim, 3);
      const w = rng.normal(headDim, 0.5, 1);
      const expected = rmsNorm(x, w, tokens * heads, headDim, 1e-6);
      const wBuf = input(w);
      return {
        outputs: [{ name: 'x', bytes: x.byteLength, init: x, expected }],
        plans: async ([xRef]) => [await qkNormPlan(ctx, { x: xRef!, weight: wBuf, tokens, heads, headDim, eps: 1e-6 })],
        bytes: x.byteLength * 2,
      };
    },
  };
}

export const NORM_CASES: KernelCase[] = [
  rmsNormCase('debug', 2, 8, false),
  rmsNormCase('rows=5 dim=1000', 5, 1000, false),
  rmsNormCase('rows=3 dim=4099', 3, 4099, false),
  rmsNormCase('debug', 2, 8, true),
  rmsNormCase('rows=7 dim=777', 7, 777, true),
  qkNormCase('debug', 1, 2, 64),
  qkNormCase('tokens=3 heads=5 hd=128', 3, 5, 128),
  qkNormCase('tokens=4 heads=3 hd=64', 4, 3, 64),
];
