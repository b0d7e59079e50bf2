/**
 * RoPE of q and k + KV append in one dispatch (shaders/rope-kv.wgsl), with the per-head q/k
 * RMSNorm of Qwen3 folded in when asked: decode's rmsnorm x2 + rope + kv-append (up to four
 * dependent dispatches, each ~11 us of fixed cost on the H100) become one, with the same values.
 *
 *   const p = await ropeKvPlan(ctx, { qkv, positions, table, kv: layerView, tokens: 1, nHeads });
 *   p.encode(pass)   // after the q|k|v matvec, before attention
 *
 * `qkv` is the stacked activation [tokens, (nHeads + 2 nKvHeads) * headDim] (q | k | v per
 * token, as decode's stacked matvec writes it); q and k are rotated in place, k and v written
 * to cache slot positions[t] (the page table must map it). `qkNorm` normalises each q and k head
 * first (rmsnorm.ts qkNormPlan, in place).
 */

import type { BufferRef } from '../gpu/buffer-pool.ts';
import { baseDefines, dispatch2d, ParamsWriter, planCreate, type DispatchPlan, type KernelContext } from './context.ts';
import type { KvLayerView } from './kv-layout.ts';
import { rmsNormWorkgroup } from './rmsnorm.ts';
import type { RopeTable } from './rope.ts';
import source from '../../shaders/rope-kv.wgsl';

export interface RopeKvArgs {
  /** f32 [tokens, (nHeads + 2 nKvHeads) * headDim], q and k rotated in place */
  qkv: BufferRef;
  /** u32 [tokens]: position and cache slot of each token */
  positions: BufferRef;
  table: RopeTable;
  kv: KvLayerView;
  tokens: number;
  nHeads: number;
  /** per-head RMSNorm weights [headDim] of q and k (Qwen3) */
  qkNorm?: { q: BufferRef; k: BufferRef; eps: number };
}

export function ropeKvPlan(ctx: KernelContext, a: RopeKvArgs): Promise<DispatchPlan> {
  const { nKvHeads, headDim } = a.kv;
  const nRot = a.table.config.nRot;
  if (nRot % 2 || nRot > headDim) throw new Error(`ropeKvPlan: nRot ${nRot} must be even and <= headDim ${headDim}`);
  return planCreate(ctx, {
    name: 'rope-kv.wgsl',
    source,
    defines: baseDefines(ctx, { HD: headDim, WG: rmsNormWorkgroup(headDim), MODE: a.table.config.mode, QK_NORM: a.qkNorm !== undefined }),
    params: new ParamsWriter()
      .u32(a.tokens)
      .u32(a.nHeads)
      .u32(nKvHeads)
      .u32(nRot)
      .u32(a.kv.tableOffset)
      .u32(a.kv.maxPages)
      .f32(a.table.mscale)
      .f32(a.qkNorm?.eps ?? 0)
      .bytes(),
    buffers: [a.qkv, a.positions, a.table.freqs, a.kv.pageTable, a.kv.pages, a.qkNorm?.q ?? null, a.qkNorm?.k ?? null],
    workgroups: dispatch2d(ctx, a.tokens * (a.nHeads + nKvHeads)),
  });
}
