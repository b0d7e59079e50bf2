/**
 * Row softmax in place (shaders/softmax.wgsl): x[r, :] = softmax(x[r, :] * scale).
 *
 *   await softmaxPlan(ctx, { x, rows, n, scale })
 *
 * Attention does its own online softmax; this is for logits-shaped rows (sampling, telemetry).
 */

import type { BufferRef } from '../gpu/buffer-pool.ts';
import { baseDefines, dispatch2d, ParamsWriter, planCreate, type DispatchPlan, type KernelContext } from './context.ts';
import source from '../../shaders/softmax.wgsl';

export function softmaxPlan(ctx: KernelContext, a: { x: BufferRef; rows: number; n: number; scale?: number }): Promise<DispatchPlan> {
  return planCreate(ctx, {
    name: 'softmax.wgsl',
    source,
    defines: baseDefines(ctx, { WG: a.n <= 64 ? 64 : 256 }),
    params: new ParamsWriter().u32(a.rows).u32(a.n).f32(a.scale ?? 1).bytes(),
    buffers: [a.x],
    workgroups: dispatch2d(ctx, a.rows),
  });
}
