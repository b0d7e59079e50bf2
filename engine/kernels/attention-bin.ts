/**
 * Attention binning for the telemetry tap (shaders/attention-bin.wgsl): adds one layer's decode
 * attention probabilities, summed over token bins of the prompt, into row `row[0]` of a
 * [rows, layers, heads, bins] accumulator. One workgroup per (bin, head); a few microseconds
 * per layer and step, dispatched only when the attention tap is on.
 *
 *   const p = await attentionBinPlan(ctx, { probs, bounds, row, out, nHeads, maxKvLen, nBins, rows, layers, layer })
 *   device.queue.writeBuffer(row, 0, Uint32Array.of(r))   // before the submit of each step
 *   p.encode(pass)
 *
 * CPU reference: engine/reference/ops-telemetry.ts `attentionBin`.
 */

import type { BufferRef } from '../gpu/buffer-pool.ts';
import { baseDefines, ParamsWriter, planCreate, type DispatchPlan, type KernelContext } from './context.ts';
import source from '../../shaders/attention-bin.wgsl';

export interface AttentionBinArgs {
  /** [nHeads, maxKvLen] f32 */
  probs: BufferRef;
  /** [nBins + 1] u32, increasing token offsets: bin b = [bounds[b], bounds[b+1]) */
  bounds: BufferRef;
  /** [1] u32: the output row of the step (written by the host per step) */
  row: BufferRef;
  /** [rows, layers, nHeads, nBins] f32, accumulated into */
  out: BufferRef;
  nHeads: number;
  maxKvLen: number;
  nBins: number;
  rows: number;
  layers: number;
  layer: number;
}

export function attentionBinPlan(ctx: KernelContext, a: AttentionBinArgs): Promise<DispatchPlan> {
  if (a.nBins > ctx.maxWorkgroupsPerDimension || a.nHeads > ctx.maxWorkgroupsPerDimension) throw new Error(`attentionBinPlan: ${a.nBins} bins x ${a.nHeads} heads exceed the dispatch limit`);
  const block = a.nHeads * a.nBins;
  return planCreate(ctx, {
    name: 'attention-bin.wgsl',
    source,
    defines: baseDefines(ctx),
    params: new ParamsWriter().u32(a.nHeads).u32(a.maxKvLen).u32(a.nBins).u32(a.rows).u32(a.layers * block).u32(a.layer * block).bytes(),
    buffers: [a.probs, a.bounds, a.row, a.out],
    workgroups: [a.nBins, a.nHeads],
  });
}
