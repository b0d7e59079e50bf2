/**
 * Harness cases for element-wise and row ops: SwiGLU, bias add, residual add, softmax.
 */

import { addPlan, biasAddPlan, swigluPlan } from '../../engine/kernels/elementwise.ts';
import { softmaxPlan } from '../../engine/kernels/softmax.ts';
import { add, biasAdd, softmax, swiglu } from '../../engine/reference/ops.ts';
import type { KernelCase } from './harness.ts';

function swigluCase(name: string, n: number): KernelCase {
  return {
    op: 'swiglu',
    name,
    maxNmse: 1e-10,
    build({ rng, input, ctx }) {
      const g = rng.normal(n, 3);
      const u = rng.normal(n);
      const gb = input(g);
      const ub = input(u);
      return {
        outputs: [{ name: 'out', bytes: n * 4, expected: swiglu(g, u) }],
        plans: async ([out]) => [await swigluPlan(ctx, { gate: gb, up: ub, out: out!, n })],
        bytes: n * 12,
      };
    },
  };
}

function biasAddCase(name: string, rows: number, dim: number): KernelCase {
  return {
    op: 'bias-add',
    name,
    maxNmse: 1e-12,
    build({ rng, input, ctx }) {
      const x = rng.normal(rows * dim);
      const b = rng.normal(dim);
      const bb = input(b);
      return {
        outputs: [{ name: 'x', bytes: x.byteLength, init: x, expected: biasAdd(x, b, rows, dim) }],
        plans: async ([xr]) => [await biasAddPlan(ctx, { x: xr!, bias: bb, rows, dim })],
        bytes: x.byteLength * 2,
      };
    },
  };
}

function addCase(name: string, n: number): KernelCase {
  return {
    op: 'add',
    name,
    maxNmse: 1e-12,
    build({ rng, input, ctx }) {
      const x = rng.normal(n);
      const d = rng.normal(n);
      const db = input(d);
      return {
        outputs: [{ name: 'x', bytes: n * 4, init: x, expected: add(x, d) }],
        plans: async ([xr]) => [await addPlan(ctx, { x: xr!, delta: db, n })],
        bytes: n * 12,
      };
    },
  };
}

function softmaxCase(name: string, rows: number, n: number, scale: number): KernelCase {
  return {
    op: 'softmax',
    name,
    maxNmse: 1e-10,
    build({ rng, ctx }) {
      const x = rng.normal(rows * n, 4);
      return {
        outputs: [{ name: 'x', bytes: x.byteLength, init: x, expected: softmax(x, rows, n, scale) }],
        plans: async ([xr]) => [await softmaxPlan(ctx, { x: xr!, rows, n, scale })],
        bytes: x.byteLength * 3,
      };
    },
  };
}

export const ELEMENTWISE_CASES: KernelCase[] = [
  swigluCase('debug', 7),
  swigluCase('n=70001', 70001),
  biasAddCase('debug', 2, 5),
  biasAddCase('rows=3 dim=2053', 3, 2053),
  addCase('debug', 9),
  addCase('n=30011', 30011),
  softmaxCase('debug', 1, 10, 1),
  softmaxCase('rows=3 n=32003 scale=0.7', 3, 32003, 0.7),
  softmaxCase('rows=17 n=50', 17, 50, 1.3),
];
