/**
 * Causal flash attention for prefill over the paged KV cache (shaders/attention-prefill.wgsl).
 *
 *   const p = await prefillAttentionPlan(ctx, { q, out, kv: layerView, nHeads, tokens, qStart })
 *   p.encode(pass)   // after kvAppend of the same tokens
 *
 * q / out: f32 [tokens, nHeads, headDim] (strides overridable for fused buffers). Query i is at
 * absolute position qStart + i and sees cache tokens 0..=qStart+i, so chunked prefill and
 * speculative verification (several new tokens over an existing cache) use the same kernel.
 * `update({ tokens, qStart })` re-targets a plan (same buffers) for the next chunk.
 */

import { LongreadError } from '../errors.ts';
import type { BufferRef } from '../gpu/buffer-pool.ts';
import { ParamsWriter, planCreate, type KernelContext, type KernelPlan } from './context.ts';
import type { KvLayerView } from './kv-layout.ts';
import source from '../../shaders/attention-prefill.wgsl';

export interface PrefillAttentionArgs {
  q: BufferRef;
  out: BufferRef;
  kv: KvLayerView;
  nHeads: number;
  tokens: number;
  qStart: number;
  scale?: number;
  qStride?: number;
  outStride?: number;
}

export interface PrefillAttentionPlan extends KernelPlan {
  update(u: { tokens: number; qStart: number }): void;
}

export async function prefillAttentionPlan(ctx: KernelContext, a: PrefillAttentionArgs): Promise<PrefillAttentionPlan> {
  const { nKvHeads, headDim } = a.kv;
  const G = a.nHeads / nKvHeads;
  if (!Number.isInteger(G) || G > 16 || headDim % 8 || headDim > 128) {
    throw new LongreadError('model-unsupported', `Prefill attention: ${a.nHeads} heads over ${nKvHeads} KV heads with head dim ${headDim} is not supported.`, 'Supported: head dims that are multiples of 8 up to 128, at most 16 query heads per KV head.', {
      nHeads: a.nHeads,
      nKvHeads,
      headDim,
    });
  }
  const bq = Math.floor(16 / G);
  const checkGrid = (tokens: number) => {
    if (Math.ceil(tokens / bq) > ctx.maxWorkgroupsPerDimension) {
      throw new LongreadError('context-too-large', `Prefill attention: ${tokens} query tokens in one dispatch exceed the GPU's workgroup grid (${ctx.maxWorkgroupsPerDimension * bq} at ${G} heads per KV head).`, 'Prefill in chunks of at most a few thousand tokens.', { tokens });
    }
  };
  checkGrid(a.tokens);
  const params = (tokens: number, qStart: number) =>
    new ParamsWriter()
      .u32(tokens)
      .u32(qStart)
      .u32(a.qStride ?? a.nHeads * headDim)
      .u32(a.outStride ?? a.nHeads * headDim)
      .u32(a.kv.tableOffset)
      .u32(a.kv.maxPages)
      .f32(a.scale ?? 1 / Math.sqrt(headDim))
      .bytes();
  const plan = await planCreate(ctx, {
    name: 'attention-prefill.wgsl',
    source,
    defines: { HD: headDim, G },
    params: params(a.tokens, a.qStart),
    buffers: [a.q, a.kv.pages, a.kv.pageTable, a.out],
    workgroups: [Math.ceil(a.tokens / bq), nKvHeads],
  });
  return {
    encode: (pass) => plan.encode(pass),
    dispose: () => plan.dispose(),
    update({ tokens, qStart }) {
      checkGrid(tokens);
      plan.writeParams(params(tokens, qStart));
      plan.workgroups[0] = Math.ceil(tokens / bq);
    },
  };
}
