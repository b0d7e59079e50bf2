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
 *
 * Few query tokens over a long cache (speculative verification, small chunks) would leave the
 * GPU idle with one workgroup per (query block, KV head), so the plan then splits the key tiles
 * over about `targetWorkgroups` (default 1024; 8 on CPU adapters, PREFILL_TARGET_SOFTWARE) workgroups and merges the partials in a second
 * pass (SPLIT variant); `splits` tells which was chosen. The partials live in a scratch buffer
 * shared by all prefill plans of the context (kernelScratch).
 *
 * A workgroup holds up to `maxRows` (default 64) (query, head) rows: BQ = floor(rows / G) query
 * tokens times the G heads of one KV head, fewer where workgroup memory is short (hd 128 on a
 * 32 KB device: 24 rows); `rows` tells the choice. Tune `maxRows` / `targetWorkgroups` with
 * bench/kernels/ops.ts.
 */

import { LongreadError } from '../errors.ts';
import type { BufferRef } from '../gpu/buffer-pool.ts';
import { baseDefines, kernelScratch, ParamsWriter, planCreate, planCreateSync, type DispatchPlan, type KernelContext, type KernelPlan } from './context.ts';
import type { KvLayerView } from './kv-layout.ts';
import { softwareAdapter } from './matvec.ts';
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
  targetWorkgroups?: number;
  /** Most (query, head) rows per workgroup (a tuning knob, up to 128; default 64, less where workgroup memory is short). */
  maxRows?: number;
}

export interface PrefillAttentionPlan extends KernelPlan {
  update(u: { tokens: number; qStart: number }): void;
  /** key splits of the current configuration (1 = direct) */
  readonly splits: number;
  /** (query, head) rows of a workgroup: tokens per block x heads per KV head */
  readonly rows: number;
}

const KT = 32; // key tile of the shader

/**
 * Split-K target on CPU adapters (lavapipe: each workgroup runs on one of a few threads, so
 * splitting only adds the partials and the merge). A 512-token piece of the bundled 28M model
 * from position 0, one layer, 2 cores: 104 ms unsplit against 223 ms with 1024's 16 splits.
 */
export const PREFILL_TARGET_SOFTWARE = 8;

/** Workgroup memory of the shader at `rows` rows: q tile, one K or V tile, P (all f32). */
export function prefillAttentionShared(headDim: number, rows: number): number {
  return 4 * headDim * rows + 4 * KT * headDim + 4 * KT * rows;
}

/**
 * Rows per workgroup: the most (up to maxRows) that fit the device's workgroup memory, then cut
 * to the BQ * G rows actually used (rounded up to the shader's 4-row groups).
 */
function prefillRows(limit: number, headDim: number, G: number, maxRows: number): { rows: number; bq: number } | null {
  let r = Math.min(maxRows, 128, Math.floor((limit - 4 * KT * headDim) / (4 * headDim + 4 * KT))); // 2 invocations a row: <= 256
  r -= r % 4;
  if (r < Math.max(4, G)) return null;
  const bq = Math.floor(r / G);
  return { rows: Math.ceil((bq * G) / 4) * 4, bq };
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
  const limit = Number(ctx.device.limits.maxComputeWorkgroupStorageSize);
  const shape = prefillRows(limit, headDim, G, a.maxRows ?? 64);
  if (!shape) {
    const shared = prefillAttentionShared(headDim, Math.max(4, G));
    throw new LongreadError('model-unsupported', `Prefill attention at head dim ${headDim} with ${G} query heads per KV head needs ${shared} bytes of workgroup memory; this GPU offers ${limit}.`, 'This model shape is not supported on this GPU.', { shared, limit, G, headDim });
  }
  const { rows, bq } = shape;
  const checkGrid = (tokens: number) => {
    if (Math.ceil(tokens / bq) > ctx.maxWorkgroupsPerDimension) {
      throw new LongreadError('context-too-large', `Prefill attention: ${tokens} query tokens in one dispatch exceed the GPU's workgroup grid (${ctx.maxWorkgroupsPerDimension * bq} at ${G} heads per KV head).`, 'Prefill in chunks of at most a few thousand tokens.', { tokens });
    }
  };
  checkGrid(a.tokens);
  const target = a.targetWorkgroups ?? (softwareAdapter(ctx) ? PREFILL_TARGET_SOFTWARE : 1024);
  const split = (tokens: number, qStart: number) => {
    const blocks = Math.ceil(tokens / bq) * nKvHeads;
    const tiles = Math.ceil((qStart + tokens) / KT);
    let n = blocks * 2 > target ? 1 : Math.max(1, Math.min(tiles, Math.floor(target / blocks)));
    const perSplit = Math.ceil(tiles / n);
    n = Math.ceil(tiles / perSplit);
    return { n, perSplit };
  };
  const params = (tokens: number, qStart: number) => {
    const sp = split(tokens, qStart);
    return new ParamsWriter()
      .u32(tokens)
      .u32(qStart)
      .u32(a.qStride ?? a.nHeads * headDim)
      .u32(a.outStride ?? a.nHeads * headDim)
      .u32(a.kv.tableOffset)
      .u32(a.kv.maxPages)
      .f32(a.scale ?? 1 / Math.sqrt(headDim))
      .u32(sp.perSplit)
      .u32(sp.n)
      .u32(a.nHeads)
      .bytes();
  };
  // Partials: splits * qBlocks <= target / nKvHeads, so splits * tokens <= that * bq.
  const partFloats = Math.ceil((target * bq) / nKvHeads) * a.nHeads * (headDim + 2);
  const part = kernelScratch(ctx, 'attention-prefill:partials', partFloats * 4);
  const common = { name: 'attention-prefill.wgsl', source, params: params(a.tokens, a.qStart) };
  const defines = baseDefines(ctx, { HD: headDim, G, R: rows, BQ: bq, NT: 2 * rows });
  const direct = await planCreate(ctx, { ...common, defines, buffers: [a.q, a.kv.pages, a.kv.pageTable, a.out], workgroups: [1, nKvHeads] });
  // The split-K pair is created the first time a configuration needs it (most plans never do).
  let splitPlans: [DispatchPlan, DispatchPlan] | null = null;
  const splitCreate = (): [DispatchPlan, DispatchPlan] =>
    (splitPlans ??= [
      planCreateSync(ctx, { ...common, defines: { ...defines, SPLIT: true }, buffers: [a.q, a.kv.pages, a.kv.pageTable, null, part], workgroups: [1, nKvHeads] }),
      planCreateSync(ctx, { ...common, defines: { ...defines, SPLIT: true }, entryPoint: 'reduce', buffers: [null, null, null, a.out, part], workgroups: [1, a.nHeads] }),
    ]);
  let splits = 1;
  const configure = (tokens: number, qStart: number) => {
    checkGrid(tokens);
    const bytes = params(tokens, qStart);
    splits = split(tokens, qStart).n;
    direct.writeParams(bytes);
    direct.workgroups[0] = Math.ceil(tokens / bq);
    if (splits > 1 || splitPlans) {
      const [main, reduce] = splitCreate();
      main.writeParams(bytes);
      reduce.writeParams(bytes);
      main.workgroups[0] = Math.ceil(tokens / bq);
      main.workgroups[2] = splits;
      reduce.workgroups[0] = tokens;
    }
  };
  configure(a.tokens, a.qStart);
  return {
    get splits() {
      return splits;
    },
    rows,
    encode(pass) {
      if (splits === 1 || !splitPlans) direct.encode(pass);
      else {
        splitPlans[0].encode(pass);
        splitPlans[1].encode(pass);
      }
    },
    dispose() {
      for (const p of [direct, ...(splitPlans ?? [])]) p.dispose();
    },
    update({ tokens, qStart }) {
      configure(tokens, qStart);
    },
  };
}
