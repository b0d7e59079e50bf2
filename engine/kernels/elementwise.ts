/**
 * Element-wise kernels (shaders/elementwise.wgsl): SwiGLU, bias add, residual add.
 *
 *   await swigluPlan(ctx, { gate, up, out, n })       // out = silu(gate) * up
 *   await biasAddPlan(ctx, { x, bias, rows, dim })    // x[r, :] += bias (in place; Qwen2 qkv bias)
 *   await addPlan(ctx, { x, delta, n })               // x += delta (in place)
 *
 * All f32. Extend: add an entry point to the shader and a 10-line wrapper here.
 */

import type { BufferRef } from '../gpu/buffer-pool.ts';
import { dispatch2d, ParamsWriter, planCreate, type DispatchPlan, type KernelContext } from './context.ts';
import source from '../../shaders/elementwise.wgsl';

const WG = 256;

function plan(ctx: KernelContext, entryPoint: string, inPlace: boolean, n: number, dim: number, buffers: (BufferRef | null)[]): Promise<DispatchPlan> {
  return planCreate(ctx, {
    name: 'elementwise.wgsl',
    source,
    entryPoint,
    defines: { WG, IN_PLACE: inPlace },
    params: new ParamsWriter().u32(n).u32(dim).bytes(),
    buffers,
    workgroups: dispatch2d(ctx, Math.ceil(n / WG)),
  });
}

/** out[i] = silu(gate[i]) * up[i] for i < n. */
export function swigluPlan(ctx: KernelContext, a: { gate: BufferRef; up: BufferRef; out: BufferRef; n: number }): Promise<DispatchPlan> {
  return plan(ctx, 'swiglu', false, a.n, 0, [a.gate, a.up, a.out]);
}

/** x[r, i] += bias[i]; x: [rows, dim]. */
export function biasAddPlan(ctx: KernelContext, a: { x: BufferRef; bias: BufferRef; rows: number; dim: number }): Promise<DispatchPlan> {
  return plan(ctx, 'bias_add', true, a.rows * a.dim, a.dim, [a.x, a.bias]);
}

/** x[i] += delta[i] for i < n. */
export function addPlan(ctx: KernelContext, a: { x: BufferRef; delta: BufferRef; n: number }): Promise<DispatchPlan> {
  return plan(ctx, 'add', true, a.n, 0, [a.x, a.delta]);
}
