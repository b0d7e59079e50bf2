/**
 * Split-K decode attention over the paged KV cache (shaders/attention-decode.wgsl): one query
 * token, GQA, head dims 8..128 (multiples of 8; 64 and 128 are the tuned ones).
 *
 *   const p = await decodeAttentionPlan(ctx, { q, out, kv: layerView, nHeads, maxKvLen })
 *   p.update(kvLen)   // each step, before the submit: tokens in the cache incl. the new one
 *   p.encode(pass)    // pass 1 (chunks x kv heads) + pass 2 (merge per head)
 *
 * Chunking: pages are split into chunks so that about `targetWorkgroups` (default 1024)
 * workgroups run for any kvLen; `update` recomputes it. Telemetry tap: pass `probs`
 * (f32 [nHeads, maxKvLen]) and the plan also writes each head's attention probabilities over
 * the KV positions (a third small pass); without it nothing extra is compiled or run.
 * The chunk partials live in a scratch buffer shared by all decode plans of the context
 * (kernelScratch), so one per layer costs no extra memory.
 */

import { LongreadError } from '../errors.ts';
import type { BufferRef } from '../gpu/buffer-pool.ts';
import { baseDefines, kernelScratch, ParamsWriter, planCreate, type DispatchPlan, type KernelContext, type KernelPlan } from './context.ts';
import { KV_PAGE_TOKENS, kvPagesFor, type KvLayerView } from './kv-layout.ts';
import source from '../../shaders/attention-decode.wgsl';

export interface DecodeAttentionArgs {
  /** f32 [nHeads, headDim] (RoPE applied) */
  q: BufferRef;
  /** f32 [nHeads, headDim] */
  out: BufferRef;
  kv: KvLayerView;
  nHeads: number;
  maxKvLen: number;
  /** default 1 / sqrt(headDim) */
  scale?: number;
  /** f32 [nHeads, maxKvLen]: attention probabilities tap (optional) */
  probs?: BufferRef;
  targetWorkgroups?: number;
  /** Heads per P.V invocation (divides nHeads / nKvHeads); default decodeHeadsPerThread(G). */
  headsPerThread?: number;
}

/** Default heads per P.V invocation: 4 when it divides G, else G up to 8, else 2 or 1. */
export function decodeHeadsPerThread(G: number): number {
  if (G % 4 === 0) return 4;
  if (G <= 8) return G;
  return G % 2 === 0 ? 2 : 1;
}

export interface DecodeAttentionPlan extends KernelPlan {
  /** Sets the number of cached tokens attended to (1..maxKvLen). */
  update(kvLen: number): void;
  readonly kvLen: number;
  readonly chunks: number;
}

export function decodeChunking(kvLen: number, nKvHeads: number, target: number): { chunkPages: number; nChunks: number } {
  const pages = kvPagesFor(kvLen);
  const chunkPages = Math.max(1, Math.ceil((pages * nKvHeads) / target));
  return { chunkPages, nChunks: Math.ceil(pages / chunkPages) };
}

export async function decodeAttentionPlan(ctx: KernelContext, a: DecodeAttentionArgs): Promise<DecodeAttentionPlan> {
  const { nKvHeads, headDim } = a.kv;
  const G = a.nHeads / nKvHeads;
  const hpt = a.headsPerThread ?? (Number.isInteger(G) ? decodeHeadsPerThread(G) : 1);
  if (!Number.isInteger(G) || headDim % 8 || headDim > 128 || G % hpt || (G / hpt) * (headDim / 8) > 256) {
    throw new LongreadError('model-unsupported', `Decode attention: ${a.nHeads} heads over ${nKvHeads} KV heads with head dim ${headDim} is not supported.`, 'Supported: head dims that are multiples of 8 up to 128, heads a multiple of KV heads, at most 2048 / headDim query heads per KV head.', {
      nHeads: a.nHeads,
      nKvHeads,
      headDim,
    });
  }
  // Workgroup memory of the shader's declarations (k_sh, q_sh, s_sh + red, m_run, l_comb).
  const hg = G / hpt;
  const tg = Math.min(64, Math.floor(256 / ((headDim / 8) * hg)));
  const shared = 16 * Math.max(64 * (headDim / 8 + 1), 512) + G * headDim * 4 + 2 * G * 64 * 4 + G * 4 + tg * hg * 4;
  const limit = Number(ctx.device.limits.maxComputeWorkgroupStorageSize);
  if (shared > limit) {
    throw new LongreadError('model-unsupported', `Decode attention with ${G} query heads per KV head at head dim ${headDim} needs ${shared} bytes of workgroup memory; this GPU offers ${limit}.`, 'This model shape is not supported on this GPU.', { shared, limit, G, headDim });
  }
  const target = a.targetWorkgroups ?? 1024;
  const maxChunks = Math.max(1, Math.min(Math.ceil(target / nKvHeads), kvPagesFor(a.maxKvLen)));
  const partFloats = a.nHeads * maxChunks * (headDim + 2) + a.nHeads * 2;
  const part = kernelScratch(ctx, 'attention-decode:partials', partFloats * 4);
  const scale = a.scale ?? 1 / Math.sqrt(headDim);
  const probs = a.probs !== undefined;
  const defines = baseDefines(ctx, { HD: headDim, G, HPT: hpt, PROBS: probs });
  const params = (kvLen: number) => {
    const { chunkPages, nChunks } = decodeChunking(kvLen, nKvHeads, target);
    const bytes = new ParamsWriter()
      .u32(a.nHeads)
      .u32(kvLen)
      .u32(chunkPages)
      .u32(nChunks)
      .u32(maxChunks)
      .u32(a.kv.tableOffset)
      .u32(a.kv.maxPages)
      .u32(a.maxKvLen)
      .f32(scale)
      .bytes();
    return { bytes, nChunks };
  };
  let state = params(Math.min(KV_PAGE_TOKENS, a.maxKvLen));
  let kvLen = 0;
  // Layout 'auto' keeps only the bindings an entry point uses: list exactly those.
  const common = { name: 'attention-decode.wgsl', source, defines, params: state.bytes };
  const [main, reduce, norm] = await Promise.all([
    planCreate(ctx, { ...common, entryPoint: 'main', buffers: [a.q, a.kv.pages, a.kv.pageTable, part, null, a.probs ?? null], workgroups: [1, nKvHeads] }),
    planCreate(ctx, { ...common, entryPoint: 'reduce', buffers: [null, null, null, part, a.out], workgroups: [a.nHeads] }),
    probs ? planCreate(ctx, { ...common, entryPoint: 'probs_norm', buffers: [null, null, null, part, null, a.probs!], workgroups: [1, a.nHeads] }) : Promise.resolve(null),
  ]);
  const plans = [main, reduce, norm].filter((p): p is DispatchPlan => p !== null);
  return {
    get kvLen() {
      return kvLen;
    },
    get chunks() {
      return state.nChunks;
    },
    update(n: number) {
      if (!(n >= 1 && n <= a.maxKvLen)) {
        throw new LongreadError('context-too-large', `Decode attention: KV length ${n} is outside 1..${a.maxKvLen}.`, 'Create the plan with a larger maxKvLen.');
      }
      kvLen = n;
      state = params(n);
      for (const p of plans) p.writeParams(state.bytes);
      main.workgroups[0] = state.nChunks;
      if (norm) norm.workgroups[0] = Math.ceil(n / 256);
    },
    encode(pass) {
      if (kvLen === 0) throw new LongreadError('internal', 'decodeAttentionPlan.encode before update(kvLen).', 'Call update(kvLen) each step before encoding.');
      for (const p of plans) p.encode(pass);
    },
    dispose() {
      for (const p of plans) p.dispose();
    },
  };
}
