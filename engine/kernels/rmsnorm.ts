/**
 * RMSNorm dispatch (shaders/rmsnorm.wgsl): plain, fused residual add, and in-place per-head
 * q/k norm (Qwen3). One workgroup per row.
 *
 *   const p = await rmsNormPlan(ctx, { x, weight, out, rows, dim, eps });          // out = norm(x) * w
 *   const p = await rmsNormPlan(ctx, { x, delta, weight, out, rows, dim, eps });   // x += delta; out = norm(x) * w
 *   const p = await qkNormPlan(ctx, { x: q, weight: qNorm, tokens, heads, headDim, eps }); // in place
 *   p.encode(pass);
 *
 * All tensors f32, row-major. Extend: new variants are defines in the shader.
 */

import type { BufferRef } from '../gpu/buffer-pool.ts';
import { baseDefines, dispatch2d, ParamsWriter, planCreate, type DispatchPlan, type KernelContext } from './context.ts';
import source from '../../shaders/rmsnorm.wgsl';

export interface RmsNormArgs {
  /** [rows, dim] f32; updated in place when `delta` is given (x += delta) or `out` is absent. */
  x: BufferRef;
  /** [dim] f32 */
  weight: BufferRef;
  /** [rows, dim] f32; absent = in place */
  out?: BufferRef;
  /** [rows, dim] f32 residual branch added into x first */
  delta?: BufferRef;
  rows: number;
  dim: number;
  eps: number;
}

/**
 * The workgroup size of a row of `dim`. Kernels that fold this norm in (matvec-fused.ts,
 * rope-kv.ts, act-quant.ts) reduce with the same one, so their sums are bitwise rmsnorm's.
 */
export function rmsNormWorkgroup(dim: number): number {
  return dim <= 64 ? 64 : dim <= 128 ? 128 : 256;
}

export function rmsNormPlan(ctx: KernelContext, a: RmsNormArgs): Promise<DispatchPlan> {
  const residual = a.delta !== undefined;
  const inplace = a.out === undefined;
  if (residual && inplace) throw new Error('rmsNormPlan: a fused residual add needs an `out` buffer');
  const wg = rmsNormWorkgroup(a.dim);
  return planCreate(ctx, {
    name: 'rmsnorm.wgsl',
    source,
    defines: baseDefines(ctx, { WG: wg, RESIDUAL: residual, INPLACE: inplace }),
    params: new ParamsWriter().u32(a.rows).u32(a.dim).f32(a.eps).bytes(),
    buffers: [a.x, a.weight, a.out ?? null, a.delta ?? null],
    workgroups: dispatch2d(ctx, a.rows),
  });
}

export interface QkNormArgs {
  /** [tokens, heads, headDim] f32, normalised in place */
  x: BufferRef;
  /** [headDim] f32 shared by all heads */
  weight: BufferRef;
  tokens: number;
  heads: number;
  headDim: number;
  eps: number;
}

/** Per-head RMSNorm of q or k (Qwen3), in place. */
export function qkNormPlan(ctx: KernelContext, a: QkNormArgs): Promise<DispatchPlan> {
  return rmsNormPlan(ctx, { x: a.x, weight: a.weight, rows: a.tokens * a.heads, dim: a.headDim, eps: a.eps });
}
