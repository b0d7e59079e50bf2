/**
 * Split-K decode attention over the paged KV cache (shaders/attention-decode.wgsl): one query
 * token, GQA, head dims 8..128 (multiples of 8; 64 and 128 are the tuned ones).
 *
 *   const p = await decodeAttentionPlan(ctx, { q, out, kv: layerView, nHeads, maxKvLen })
 *   p.update(kvLen)   // each step, before the submit: tokens in the cache incl. the new one
 *   p.encode(pass)    // pass 1 (chunks x kv heads) + pass 2 (merge per head and dim slice)
 *   const f = await decodeAttentionPlan(ctx, { ..., quantizeOut: { format: 'q8_0' } })
 *   await matvecPlan(ctx, { ..., quantizedX: f.quantized! })  // pass 2 also quantizes out for it
 *
 * Two dispatches per call (three with `probs`). With `quantizeOut` (decode's attn_output over
 * quantized weights) pass 2 is `reduce_quant`: one workgroup per activation block (32 outputs
 * for q8_0, as many workgroups as `reduce` where headDim % 32 = 0; 256 for q8_K) merges its
 * slices and quantizes them as act-quant.ts would (shared code: common/act-quantize.wgsl), so the
 * matvec needs no quantization dispatch of its own: one dispatch fewer per layer, bitwise the
 * merge followed by activationQuantizePlan (test/kernels/cases-attention-quant.ts). `out` is
 * still written (the f32 fallback and anything else reading it).
 *
 * Built for memory bandwidth: pass 1 reads each K/V page once with 128-bit coalesced loads for
 * all G query heads of its KV head, the next page's loads in flight while a page is computed,
 * and keeps scores, softmax state and accumulators in registers (see the shader's header).
 * Chunking: pages are split into chunks so that about `targetWorkgroups` (default 512; 8 on
 * CPU adapters, DECODE_TARGET_SOFTWARE) workgroups run for any kvLen; `update` recomputes it. Telemetry tap: pass `probs`
 * (f32 [nHeads, maxKvLen]) and the plan also writes each head's attention probabilities over
 * the KV positions (a third small pass); without it nothing extra is compiled or run.
 * The chunk partials live in a scratch buffer shared by all decode plans of the context
 * (kernelScratch), so one per layer costs no extra memory.
 *
 * Pass-1 variants (`variant`, closed union DecodeVariant; the merge is the same for both;
 * default: decodeVariantDefault):
 *   'page'    `main` of attention-decode.wgsl: a workgroup of 256 walks its pages one after
 *             another, the next page's K/V in flight while a page is computed. The default on
 *             CPU adapters and where subgroups are narrower than a row's lanes.
 *   'stream-r' attention-decode-stream-r.wgsl: the chunk's page ids staged in workgroup memory
 *             up front, the chunk read as a token stream with `tokensPerStep` tokens per row
 *             group and step (all their K and V loads issued before the first score),
 *             `rowGroups` x lanes invocations per workgroup, chunks of at most
 *             STREAM_MAX_CHUNK_PAGES pages; its loops over tokens, row words and heads unrolled
 *             by the loader's #for so each K/V word, score and accumulator is its own variable
 *             (no function-scope arrays the compiler might spill to local memory). The default
 *             on GPUs, knobs from streamDefaults. H200 sweep (bench/kernels/ops.ts
 *             --only=decode, commit a5fa1cd, 2026-12-06), best us per layer, 32/8 heads: hd 128
 *             53.2 at 32K tokens (85% of the 2.95 TB/s ceiling) and 167.9 at 128K, against
 *             'page' 364.5 and 593.9; hd 64 32.8 and 86.0 against 77.8 and 344.1; 14/2 heads,
 *             hd 64, 32K: 36.9 against 45.1. (A rolled 'stream', the same algorithm in arrays,
 *             ran 176.1, 573.4, 77.8, 270.3 and 45.1 there and was removed.)
 */

import { LongreadError } from '../errors.ts';
import { UNIFORM, type BufferRef } from '../gpu/buffer-pool.ts';
import { ACTIVATION_BLOCK } from '../reference/ops-act-quant.ts';
import { baseDefines, kernelScratch, ParamsWriter, planCreate, subgroupSizeRange, type DispatchPlan, type KernelContext, type KernelPlan } from './context.ts';
import { activationQuantizeBytes, activationQuantizeOut, type ActivationFormat, type QuantizedActivation } from './act-quant.ts';
import { KV_PAGE_TOKENS, kvPagesFor, type KvLayerView } from './kv-layout.ts';
import { softwareAdapter } from './matvec.ts';
import source from '../../shaders/attention-decode.wgsl';
import streamRSource from '../../shaders/attention-decode-stream-r.wgsl';

export type DecodeVariant = 'page' | 'stream-r';

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
  /** Lanes sharing a K/V row in pass 1 (power of two dividing headDim / 8, <= 16); default decodeLanes(headDim, G). */
  lanesPerRow?: number;
  /** Pass-1 kernel (see the header); default decodeVariantDefault. */
  variant?: DecodeVariant;
  /** 'stream-r': tokens per row group and step (1, 2, 4 or 8); default streamDefaults. */
  tokensPerStep?: number;
  /** 'stream-r': row groups per workgroup (power of two, rowGroups * lanes in 32..256); default streamDefaults. */
  rowGroups?: number;
  /**
   * Pass 2 also quantizes `out` in `format` (see the header) into the plan's own buffers, or into
   * `out` (sized by activationQuantizeBytes: e.g. a layer's tapped plan writing where the plain
   * one does); the plan's `quantized` then is the matvec's `quantizedX`.
   */
  quantizeOut?: { format: ActivationFormat; out?: { xq: BufferRef; xs: BufferRef } };
}

export interface DecodeAttentionPlan extends KernelPlan {
  /** Sets the number of cached tokens attended to (1..maxKvLen). */
  update(kvLen: number): void;
  readonly kvLen: number;
  readonly chunks: number;
  /** With quantizeOut: out quantized by pass 2 (written at each encode), else null. */
  readonly quantized: QuantizedActivation | null;
  /**
   * The plan's dispatches as the per-op profile names them: the whole plan as 'attention
   * (decode)', or with quantizeOut pass 1 as that and pass 2 as 'fused attention merge+quantize'.
   */
  profileOps(): [string, KernelPlan][];
}

/**
 * Workgroups of pass 1 on CPU adapters (lavapipe runs each workgroup on one of its few threads,
 * so 512 small chunks only add per-workgroup and merge overhead): the bundled 28M model at 2049
 * cached tokens, 2 cores, one layer: 4.98 ms at 512, 1.64 at 64, 1.18 at 16, 0.79 at 4.
 */
export const DECODE_TARGET_SOFTWARE = 8;

/** Pages per chunk at most for the 'stream-r' variant (its workgroup-memory page-id table, MAXP). */
export const STREAM_MAX_CHUNK_PAGES = 64;

/**
 * The 'stream-r' knobs that won the H200 sweep (bench/kernels/ops.ts --only=decode, commit
 * a5fa1cd, 2026-12-06; every best at or tied with target 512, the plan's GPU default): 4 tokens
 * per step for every G; 128 invocations (8 row groups x 16 lanes at hd 128: 53.2 us at 32K
 * tokens, 167.9 at 128K; 16 x 8 lanes at hd 64: 32.8 and 86.0), 64 where G >= 7 and rows have
 * fewer than 16 lanes (14/2 heads, hd 64: 8 x 8 lanes 36.9 us against 49.2 for 16 x 8).
 */
export function streamDefaults(lanes: number, G: number): { tokensPerStep: number; rowGroups: number } {
  const invocations = G >= 7 && lanes < 16 ? 64 : 128;
  return { tokensPerStep: 4, rowGroups: Math.max(1, invocations / lanes) };
}

/**
 * Pass-1 variant when the caller names none: 'stream-r' on GPUs whose subgroups hold a row's
 * lanes (its scores reduce by shuffles), 'page' on CPU adapters (lavapipe: the stream pass's
 * 16-lane rows fall back to workgroup-memory sums; its rolled form ran 1.6x slower at hd 128).
 */
export function decodeVariantDefault(o: { software: boolean; subgroups: boolean; subgroupMinSize: number; lanes: number }): DecodeVariant {
  return !o.software && o.subgroups && o.subgroupMinSize >= o.lanes ? 'stream-r' : 'page';
}

export function decodeChunking(kvLen: number, nKvHeads: number, target: number, maxChunkPages = Infinity): { chunkPages: number; nChunks: number } {
  const pages = kvPagesFor(kvLen);
  const chunkPages = Math.min(maxChunkPages, Math.max(1, Math.ceil((pages * nKvHeads) / target)));
  return { chunkPages, nChunks: Math.ceil(pages / chunkPages) };
}

/** Shader shape of pass 1 and the merge (the defines of attention-decode.wgsl). */
export interface DecodeLayout {
  /** lanes that share a K/V row (a power of two dividing headDim / 8) */
  lanes: number;
  /** row groups (a power of two dividing 64); pass 1 runs rowGroups * lanes invocations */
  rowGroups: number;
  /** heads per round of the workgroup-memory score sum (path without sgRed) */
  hb: number;
  /** dims per merge workgroup */
  ds: number;
  /** scores summed by subgroup shuffles (a row group fits in the smallest subgroup) */
  sgRed: boolean;
  /** workgroup memory of the larger of pass 1 and the merge, bytes */
  sharedBytes: number;
}

/**
 * Default lanes per row: 8 (or the largest power of two dividing headDim / 8 below it), doubled
 * while an invocation would hold more than 32 accumulator floats (G * 8 * words) and the row
 * allows it. hd 128: 8 lanes of 2 words (16 dims) for G <= 2, else 16 lanes of one word; hd 64:
 * 8 lanes of one word. Fewer lanes mean fewer shuffles and softmax repeats per page, more lanes
 * fewer registers. Measured on the H100 (BENCHMARKS.md, 2026-12-06, 32/8 heads): hd 128 with 8
 * lanes (64 accumulators) took 795-1016 us at 32K against 193-205 us with 16 lanes; hd 64 was
 * best at 8 lanes. Chunk target 512 led or tied in every shape measured.
 */
export function decodeLanes(headDim: number, G = 4): number {
  const cols = headDim / 8;
  let lanes = 1;
  while (lanes < 8 && cols % (2 * lanes) === 0) lanes *= 2;
  while (lanes < 16 && cols % (2 * lanes) === 0 && G * 8 * (cols / lanes) > 32) lanes *= 2;
  return lanes;
}

export function decodeLayout(headDim: number, G: number, subgroups: boolean, subgroupMinSize: number, lanes = decodeLanes(headDim, G)): DecodeLayout {
  let rowGroups = 64;
  while (rowGroups * lanes > 256) rowGroups /= 2;
  const hb = Math.min(G, rowGroups / 8);
  const ds = headDim % 32 === 0 ? 32 : headDim % 16 === 0 ? 16 : 8;
  const sgRed = subgroups && (lanes === 1 || subgroupMinSize >= lanes);
  const wg = rowGroups * lanes;
  const main = 4 * (G * headDim + 8 * wg + 2 * rowGroups * G + (sgRed ? 0 : 64 * G));
  return { lanes, rowGroups, hb, ds, sgRed, sharedBytes: Math.max(main, 256 * 24) };
}

/** Shader shape of the 'stream-r' pass 1 (the defines of attention-decode-stream-r.wgsl). */
export interface DecodeStreamLayout {
  lanes: number;
  /** row groups per workgroup; the workgroup runs rowGroups * lanes invocations */
  rowGroups: number;
  /** tokens per row group and step (U) */
  tokens: number;
  sgRed: boolean;
  /** workgroup memory of pass 1, bytes */
  sharedBytes: number;
}

export function decodeStreamLayout(headDim: number, G: number, subgroups: boolean, subgroupMinSize: number, lanes: number, rg: number, tokens: number): DecodeStreamLayout {
  const sgRed = subgroups && (lanes === 1 || subgroupMinSize >= lanes);
  const wg = rg * lanes;
  const sharedBytes = 4 * (G * headDim + STREAM_MAX_CHUNK_PAGES + 8 * wg + 2 * rg * G + (sgRed ? 0 : wg * G));
  return { lanes, rowGroups: rg, tokens, sgRed, sharedBytes };
}

export async function decodeAttentionPlan(ctx: KernelContext, a: DecodeAttentionArgs): Promise<DecodeAttentionPlan> {
  const { nKvHeads, headDim } = a.kv;
  const G = a.nHeads / nKvHeads;
  const lanes = a.lanesPerRow ?? (Number.isInteger(G) ? decodeLanes(headDim, G) : 1);
  if (!Number.isInteger(G) || headDim % 8 || headDim > 128 || headDim < 8 || lanes & (lanes - 1) || (headDim / 8) % lanes || lanes > 16) {
    throw new LongreadError('model-unsupported', `Decode attention: ${a.nHeads} heads over ${nKvHeads} KV heads with head dim ${headDim} is not supported.`, 'Supported: head dims that are multiples of 8 up to 128, heads a multiple of KV heads.', {
      nHeads: a.nHeads,
      nKvHeads,
      headDim,
    });
  }
  const sgMin = subgroupSizeRange(ctx).min;
  const variant = a.variant ?? decodeVariantDefault({ software: softwareAdapter(ctx), subgroups: ctx.subgroups, subgroupMinSize: sgMin, lanes });
  const stream = variant === 'stream-r';
  const sd = streamDefaults(lanes, G);
  // the merge (and the 'page' pass 1) use the 'page' layout; the default one for 'stream-r', so
  // its merge pipeline is the default plan's
  const lay = decodeLayout(headDim, G, ctx.subgroups, sgMin, stream ? decodeLanes(headDim, G) : lanes);
  const sl = stream ? decodeStreamLayout(headDim, G, ctx.subgroups, sgMin, lanes, a.rowGroups ?? sd.rowGroups, a.tokensPerStep ?? sd.tokensPerStep) : null;
  if (sl) {
    const wg = sl.rowGroups * sl.lanes;
    if (sl.rowGroups & (sl.rowGroups - 1) || wg > 256 || wg < 32 || ![1, 2, 4, 8].includes(sl.tokens)) {
      throw new LongreadError('internal', `Decode attention '${variant}': ${sl.rowGroups} row groups of ${sl.lanes} lanes with ${sl.tokens} tokens per step is not a valid layout.`, 'rowGroups: a power of two with rowGroups * lanes in 32..256; tokensPerStep: 1, 2, 4 or 8.', { ...sl });
    }
  }
  const shared = sl ? Math.max(sl.sharedBytes, 256 * 24) : lay.sharedBytes;
  const limit = Number(ctx.device.limits.maxComputeWorkgroupStorageSize);
  if (shared > limit) {
    throw new LongreadError('model-unsupported', `Decode attention with ${G} query heads per KV head at head dim ${headDim} needs ${shared} bytes of workgroup memory; this GPU offers ${limit}.`, 'This model shape is not supported on this GPU.', { shared, limit, G, headDim });
  }
  const target = a.targetWorkgroups ?? (softwareAdapter(ctx) ? DECODE_TARGET_SOFTWARE : 512);
  const maxChunkPages = stream ? STREAM_MAX_CHUNK_PAGES : Infinity;
  const maxPages = kvPagesFor(a.maxKvLen);
  const maxChunks = Math.max(1, Math.min(Math.max(Math.ceil(target / nKvHeads), Math.ceil(maxPages / maxChunkPages)), maxPages));
  const partFloats = a.nHeads * maxChunks * (headDim + 2) + a.nHeads * 2;
  const part = kernelScratch(ctx, 'attention-decode:partials', partFloats * 4);
  const scale = a.scale ?? 1 / Math.sqrt(headDim);
  const probs = a.probs !== undefined;
  const defines = baseDefines(ctx, { HD: headDim, G, L: lay.lanes, TPW: lay.rowGroups, HB: lay.hb, DS: lay.ds, SG_RED: lay.sgRed, PROBS: probs });
  const params = (kvLen: number) => {
    const { chunkPages, nChunks } = decodeChunking(kvLen, nKvHeads, target, maxChunkPages);
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
  const quant = a.quantizeOut ? decodeQuantOut(ctx, a.quantizeOut, a.nHeads * headDim) : null;
  // Layout 'auto' keeps only the bindings an entry point uses: list exactly those.
  // one params uniform for the entry points below, written once per update (not once per plan)
  const paramsBuf = ctx.device.createBuffer({ size: state.bytes.byteLength, usage: UNIFORM, label: 'attention-decode:params' });
  ctx.device.queue.writeBuffer(paramsBuf, 0, state.bytes);
  const common = { name: 'attention-decode.wgsl', source, defines, params: state.bytes, sharedParams: paramsBuf };
  let passes: (DispatchPlan | null)[];
  try {
    passes = await Promise.all([
      planCreate(ctx, {
        ...common,
        ...(sl ? { name: 'attention-decode-stream-r.wgsl', source: streamRSource, defines: baseDefines(ctx, { HD: headDim, G, L: sl.lanes, W: headDim / 8 / sl.lanes, TPW: sl.rowGroups, U: sl.tokens, SG_RED: sl.sgRed, PROBS: probs }) } : {}),
        entryPoint: 'main',
        buffers: [a.q, a.kv.pages, a.kv.pageTable, part, null, a.probs ?? null],
        workgroups: [1, nKvHeads],
      }),
      quant
        ? planCreate(ctx, {
            ...common,
            defines: { ...defines, QUANT: true, Q8_K: quant.q.format === 'q8_K', QE: quant.block },
            entryPoint: 'reduce_quant',
            buffers: [null, null, null, part, a.out, null, quant.q.xq, quant.q.xs],
            workgroups: [(a.nHeads * headDim) / quant.block, 1],
          })
        : planCreate(ctx, { ...common, entryPoint: 'reduce', buffers: [null, null, null, part, a.out], workgroups: [headDim / lay.ds, a.nHeads] }),
      probs ? planCreate(ctx, { ...common, entryPoint: 'probs_norm', buffers: [null, null, null, part, null, a.probs!], workgroups: [1, a.nHeads] }) : Promise.resolve(null),
    ]);
  } catch (e) {
    quant?.free();
    paramsBuf.destroy();
    throw e;
  }
  const [main, reduce, norm] = [passes[0]!, passes[1]!, passes[2] ?? null];
  const plans = passes.filter((p): p is DispatchPlan => p !== null);
  const plan: DecodeAttentionPlan = {
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
      ctx.device.queue.writeBuffer(paramsBuf, 0, state.bytes);
      main.workgroups[0] = state.nChunks;
      if (norm) norm.workgroups[0] = Math.ceil(n / 256);
    },
    quantized: quant?.q ?? null,
    encode(pass) {
      if (kvLen === 0) throw new LongreadError('internal', 'decodeAttentionPlan.encode before update(kvLen).', 'Call update(kvLen) each step before encoding.');
      for (const p of plans) p.encode(pass);
    },
    profileOps() {
      if (!quant) return [['attention (decode)', plan]];
      return [['attention (decode)', main], ['fused attention merge+quantize', reduce!], ...(norm ? [['attention probs', norm] as [string, KernelPlan]] : [])];
    },
    dispose() {
      for (const p of plans) p.dispose();
      quant?.free();
      paramsBuf.destroy();
    },
  };
  return plan;
}

/**
 * The int8 output of `reduce_quant` for n outputs: checks the block fits (n whole blocks of
 * `format`) and takes the caller's buffers or makes its own (freed by `free`).
 */
function decodeQuantOut(ctx: KernelContext, o: NonNullable<DecodeAttentionArgs['quantizeOut']>, n: number): { q: QuantizedActivation; block: number; free(): void } {
  const B = ACTIVATION_BLOCK[o.format];
  if (n % B) throw new LongreadError('internal', `Decode attention: ${n} outputs are not whole ${o.format} blocks (${B}).`, 'Quantize the attention output only for weights whose rows are whole blocks.');
  const { xq, xs, free } = activationQuantizeOut(ctx, 'Decode attention quantizeOut', activationQuantizeBytes(1, n), o.out, 'attention-decode');
  return { q: { cols: n, format: o.format, xq, xs }, block: B, free };
}
