/**
 * RoPE dispatch (shaders/rope.wgsl), in place on q or k, with explicit positions.
 *
 *   const table = ropeTable(ctx, { mode: 'neox', nRot: 128, base: 1e6, scaling })  // once per model
 *   const p = await ropePlan(ctx, { x: q, positions, table, tokens, heads: 32, headDim: 128 })
 *   p.encode(pass)
 *
 * `positions` is a u32 buffer [tokens] the runtime fills per step (position of each token, so
 * batches, speculative drafts and gaps all work). For a fused QKV buffer pass `tokenStride`
 * (elements between tokens) and `offset` (elements to the first head), and one plan each for
 * q and k. Scaling schemes live in engine/reference/ops-rope.ts (`ropeFreqs`).
 */

import { gpuBufferFrom, STORAGE, type BufferRef } from '../gpu/buffer-pool.ts';
import { ropeFreqs, type RopeConfig } from '../reference/ops-rope.ts';
import { dispatch2d, ParamsWriter, planCreate, type DispatchPlan, type KernelContext } from './context.ts';
import source from '../../shaders/rope.wgsl';

export interface RopeTable {
  config: RopeConfig;
  /** f32 [nRot/2] */
  freqs: GPUBuffer;
  mscale: number;
  dispose(): void;
}

export function ropeTable(ctx: KernelContext, config: RopeConfig): RopeTable {
  const { freqs, mscale } = ropeFreqs(config);
  const buf = gpuBufferFrom(ctx.device, Float32Array.from(freqs), STORAGE, 'rope:freqs');
  return { config, freqs: buf, mscale, dispose: () => buf.destroy() };
}

export interface RopeArgs {
  /** f32, rotated in place */
  x: BufferRef;
  /** u32 [tokens] */
  positions: BufferRef;
  table: RopeTable;
  tokens: number;
  heads: number;
  headDim: number;
  /** elements between consecutive tokens (default heads * headDim) */
  tokenStride?: number;
  /** elements before the first head of token 0 (default 0) */
  offset?: number;
}

export function ropePlan(ctx: KernelContext, a: RopeArgs): Promise<DispatchPlan> {
  const nRot = a.table.config.nRot;
  if (nRot % 2 || nRot > a.headDim) throw new Error(`ropePlan: nRot ${nRot} must be even and <= headDim ${a.headDim}`);
  const n = a.tokens * a.heads * (nRot / 2);
  return planCreate(ctx, {
    name: 'rope.wgsl',
    source,
    defines: { MODE: a.table.config.mode },
    params: new ParamsWriter()
      .u32(a.tokens)
      .u32(a.heads)
      .u32(a.headDim)
      .u32(nRot)
      .u32(a.tokenStride ?? a.heads * a.headDim)
      .u32(a.offset ?? 0)
      .f32(a.table.mscale)
      .bytes(),
    buffers: [a.x, a.positions, a.table.freqs],
    workgroups: dispatch2d(ctx, Math.ceil(n / 256)),
  });
}
