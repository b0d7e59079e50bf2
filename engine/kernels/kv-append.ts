/**
 * KV append (shaders/kv-append.wgsl): writes new tokens' K (RoPE applied) and V from f32
 * activations into the paged f16 cache (layout: kv-layout.ts).
 *
 *   const p = await kvAppendPlan(ctx, { k, v, cacheIndex, kv: layerView, tokens })
 *   p.encode(pass)   // after RoPE on k, before attention
 *
 * `cacheIndex` is u32 [tokens]: the cache slot (token index) each new token goes to; the page
 * table must already map those pages. `kStride` / `vStride` / `kOffset` / `vOffset` (elements)
 * let k and v be views into a fused QKV activation buffer.
 */

import type { BufferRef } from '../gpu/buffer-pool.ts';
import { dispatch2d, ParamsWriter, planCreate, type DispatchPlan, type KernelContext } from './context.ts';
import type { KvLayerView } from './kv-layout.ts';
import source from '../../shaders/kv-append.wgsl';

export interface KvAppendArgs {
  k: BufferRef;
  v: BufferRef;
  cacheIndex: BufferRef;
  kv: KvLayerView;
  tokens: number;
  kStride?: number;
  vStride?: number;
  kOffset?: number;
  vOffset?: number;
}

export function kvAppendPlan(ctx: KernelContext, a: KvAppendArgs): Promise<DispatchPlan> {
  const { nKvHeads, headDim } = a.kv;
  const row = nKvHeads * headDim;
  const n = a.tokens * nKvHeads * (headDim / 2);
  return planCreate(ctx, {
    name: 'kv-append.wgsl',
    source,
    defines: { HD: headDim },
    params: new ParamsWriter()
      .u32(a.tokens)
      .u32(nKvHeads)
      .u32(a.kStride ?? row)
      .u32(a.vStride ?? row)
      .u32(a.kOffset ?? 0)
      .u32(a.vOffset ?? 0)
      .u32(a.kv.tableOffset)
      .u32(a.kv.maxPages)
      .bytes(),
    buffers: [a.k, a.v, a.cacheIndex, a.kv.pageTable, a.kv.pages],
    workgroups: dispatch2d(ctx, Math.ceil(n / 256)),
  });
}
