/**
 * The GPU forward pass of the llama-family block (llama, qwen2, qwen3; flags in hparams.ts),
 * built from the kernels in engine/kernels/ over the paged KV cache (engine/kv/kv-cache.ts).
 *
 *   const f = await gpuForwardCreate(ctx, hp, weights, kv, { chunk: 512 })
 *   const first = await f.prefill(tokens, start, sampler, onChunk)  // chunks of <= 512 tokens, 1 submit each
 *   const next = await f.decode(pos, sampler)                       // ONE submit; feeds the last sampled id
 *   const { id } = await f.decodeSubmit(pos, sampler)               // the same, returning once submitted:
 *   const { id: id2 } = await f.decodeSubmit(pos + 1, sampler)      //   the next step may go ahead of the read
 *
 * Prefill runs tokens through matmul kernels in chunks, writing K/V into the cache; its last
 * submit also computes the logits of the last token and samples the next one on the GPU.
 * Decode records the whole token (embedding -> layers -> norm -> classifier -> sampling) into
 * one command buffer; the sampled id stays on the GPU as the next step's input and only its
 * 4 bytes are read back. The attention tap (per-layer probabilities of each decoded token,
 * summed over steps and binned per answer-token row) is compiled only when asked for.
 *
 * KV tiers (engine/kv/kv-tiers.ts): when layers of the cache live off the GPU, a step is
 * submitted in segments, one per off-GPU layer: the layer's pages are written into its staging
 * slot before the submit that runs it, the slot of the layer after next is refilled right after
 * that submit (so the CPU prepares it while the GPU runs), and the pages the step wrote are
 * copied out and stored after the last submit. When the cache's layout changes (a layer moved),
 * the plans that bind KV views are rebuilt. With every layer on the GPU nothing changes: one
 * submit per decode step.
 *
 * Decode dispatches: with stacked weights (the default) a layer of quantized weights runs as
 * attn_norm + quantize + q|k|v (1), q/k norm + RoPE + KV append (1), attention pass 1 and merge
 * (2), quantize + o (+residual) (2), ffn_norm + quantize (1) and gate|up (1), SwiGLU + quantize
 * (1) and down (+residual) (1): 10 dispatches (12 before ffn_norm and SwiGLU were folded into the
 * next matvec's activation quantization, act-quant.ts; `fuseQuant: false` keeps them separate for
 * A/B runs). `fuseMergeQuant: true` also folds o's quantization into the attention's merge
 * (attention-decode.ts quantizeOut): 9, off by default until timed on a GPU (its merge runs on one
 * workgroup per activation block: 32 outputs for q8_0, 256 for q8_K). All bitwise equal to the separate kernels (matvec-fused.ts,
 * rope-kv.ts, gpu-decode-fused.ts; engine/models/fuse.test.ts); float weights keep the separate
 * plans. The per-op profile lists the fused merge as 'fused attention merge+quantize' and counts
 * each op's dispatches. `fuseFfn: true` fuses the FFN side
 * further (o, ffn_norm + gate|up + SwiGLU, down: 7 dispatches), off by default:
 * on the H100 (BENCHMARKS.md, 2026-12-06) the fused gate|up + SwiGLU took 90 us a layer and the
 * fused down 33 us, against 52 and 24 us for the separate norm, matvec and SwiGLU plans (each
 * workgroup of the fused kernels normalises and quantizes the whole input again). `stack: false`
 * (modelLoad's fuseWeights: false) keeps every op separate (22 for llama), for A/B runs.
 *
 * Extend: a new block flag gets its op in `layerPlans` (and in the fused decode helpers), for
 * both `T = 1` (matvec) and `T > 1` (matmul) shapes; compare with engine/reference/forward.ts
 * (test/parity/gpu-vs-ref.test.ts).
 */

import { LongreadError } from '../errors.ts';
import { STORAGE, type BufferRef } from '../gpu/buffer-pool.ts';
import { GpuTimer } from '../gpu/timing.ts';
import { attentionTapCreate, type AttentionTap, type AttentionTapShape } from '../telemetry/attention-tap.ts';
import { decodeAttentionPlan, type DecodeAttentionPlan } from '../kernels/attention-decode.ts';
import { prefillAttentionPlan } from '../kernels/attention-prefill.ts';
import { planDispatches, plansSubmit, type KernelContext, type KernelPlan } from '../kernels/context.ts';
import { swigluPlan } from '../kernels/elementwise.ts';
import { embeddingPlan } from '../kernels/embedding.ts';
import { kvAppendPlan } from '../kernels/kv-append.ts';
import { matmulPlan } from '../kernels/matmul.ts';
import { matvecPlan } from '../kernels/matvec.ts';
import { qkNormPlan, rmsNormPlan } from '../kernels/rmsnorm.ts';
import { ropePlan, ropeTable, type RopeTable } from '../kernels/rope.ts';
import { ropeKvPlan } from '../kernels/rope-kv.ts';
import { argmaxPlan, samplePlan, type SamplePlan, type SamplingConfig } from '../kernels/sample.ts';
import { kvCacheCheck, kvCacheEnsure, type KvCache } from '../kv/kv-cache.ts';
import { kvEncodeWriteBack, kvOffloadedLayers, kvStageIn, kvStagingSlots, kvStepBegin, kvStepEnd } from '../kv/kv-tiers.ts';
import { fusedDecodeAttnOutput, fusedDecodeFfn, fusedDecodeNormGateUp, fusedDecodeQkv, fusedDecodeSwigluDown, type FusedDecodeEnv, type NamedPlans } from './gpu-decode-fused.ts';
import { fusedRef, tensorRef, type GpuTensor } from './gpu-weights.ts';
import type { ModelHparams } from './hparams.ts';

/** Activations of T tokens, f32 row-major. */
interface Acts {
  T: number;
  ids: GPUBuffer; // u32 [T] token ids
  pos: GPUBuffer; // u32 [T] positions = cache slots
  x: GPUBuffer; // [T, dim] residual stream
  xn: GPUBuffer; // [T, dim] normed
  q: BufferRef; // [T, nHeads * hd]
  k: BufferRef; // [T, nKvHeads * hd]
  v: BufferRef; // [T, nKvHeads * hd]
  att: GPUBuffer; // [T, nHeads * hd]
  gate: BufferRef; // [T, ffn]
  up: BufferRef; // [T, ffn]
  act: GPUBuffer; // [T, ffn]
  /** T = 1 with aligned widths: q|k|v and gate|up are views of these, so one matvec can fill each */
  stacked: { qkv: GPUBuffer; gu: GPUBuffer } | null;
  owned: GPUBuffer[];
}

function actsCreate(device: GPUDevice, hp: ModelHparams, T: number, ids?: GPUBuffer, stack = true): Acts {
  const owned: GPUBuffer[] = [];
  const f = (n: number, label: string) => {
    const b = device.createBuffer({ size: Math.max(16, n * 4), usage: STORAGE, label: `act${T}:${label}` });
    owned.push(b);
    return b;
  };
  const qd = hp.nHeads * hp.headDim;
  const kd = hp.nKvHeads * hp.headDim;
  const align = Number(device.limits.minStorageBufferOffsetAlignment);
  const view = (buffer: GPUBuffer, offset: number, floats: number): BufferRef => ({ buffer, offset: offset * 4, size: floats * 4 });
  const common = { T, ids: ids ?? f(T, 'ids'), pos: f(T, 'pos'), x: f(T * hp.dim, 'x'), xn: f(T * hp.dim, 'xn'), att: f(T * qd, 'att'), act: f(T * hp.ffnDim, 'act') };
  if (stack && T === 1 && (qd * 4) % align === 0 && (kd * 4) % align === 0 && (hp.ffnDim * 4) % align === 0) {
    const qkv = f(qd + 2 * kd, 'qkv');
    const gu = f(2 * hp.ffnDim, 'gate+up');
    return {
      ...common, owned, stacked: { qkv, gu },
      q: view(qkv, 0, qd), k: view(qkv, qd, kd), v: view(qkv, qd + kd, kd),
      gate: view(gu, 0, hp.ffnDim), up: view(gu, hp.ffnDim, hp.ffnDim),
    };
  }
  return { ...common, owned, stacked: null, q: f(T * qd, 'q'), k: f(T * kd, 'k'), v: f(T * kd, 'v'), gate: f(T * hp.ffnDim, 'gate'), up: f(T * hp.ffnDim, 'up') };
}

function actsDispose(a: Acts, keepIds: boolean): void {
  for (const b of a.owned) if (!(keepIds && b === a.ids)) b.destroy();
}

/**
 * Weight groups that decode reads as one stacked matrix when they were uploaded into one buffer
 * (engine/models/gpu-weights.ts, `fuseGroups`, first qualifying group wins): per layer q|k|v
 * (and their biases), else q|k (Q4_K_M's layers with a Q6_K attn_v), and gate|up.
 */
export function decodeFuseGroups(nLayers: number): string[][] {
  const g: string[][] = [];
  for (let l = 0; l < nLayers; l++) {
    const p = `blk.${l}.`;
    g.push([`${p}attn_q.weight`, `${p}attn_k.weight`, `${p}attn_v.weight`], [`${p}attn_q.bias`, `${p}attn_k.bias`, `${p}attn_v.bias`]);
    g.push([`${p}attn_q.weight`, `${p}attn_k.weight`], [`${p}attn_q.bias`, `${p}attn_k.bias`], [`${p}ffn_gate.weight`, `${p}ffn_up.weight`]);
  }
  return g;
}

export interface Sampler {
  /** temperature <= 0: greedy argmax */
  config: SamplingConfig;
}

/** Decode steps that may be submitted before their sampled ids are read (GpuForward.decodeSubmit). */
export const DECODE_READS_IN_FLIGHT = 3;

export interface GpuForward {
  /** Runs tokens at positions start.. (chunked), returns the id sampled after the last one. */
  prefill(tokens: readonly number[], start: number, sampler: Sampler, onChunk?: (done: number, total: number) => void, signal?: AbortSignal): Promise<number>;
  /**
   * Builds what a prefill of `tokens` tokens at positions start.. will use (plan sets for its
   * pieces, pipelines, activation buffers, the split-K attention variant for that position)
   * without running it, so a caller can do this while something else is in flight (a KV
   * snapshot being read) and the prefill itself pays no one-time costs.
   */
  prefillPrepare(tokens: number, start: number): Promise<void>;
  /** Feeds the last sampled id at position `pos`, returns the next sampled id. */
  decode(pos: number, sampler: Sampler, tap?: AttentionTap): Promise<number>;
  /**
   * decode, resolving as soon as the step is submitted, with its sampled id still to come. The
   * id stays on the GPU as the next step's input, so the step at pos + 1 can be submitted
   * before this one's id is read (the host records and submits while the GPU runs): at most
   * DECODE_READS_IN_FLIGHT steps unread. Not with KV tiers (their steps wait on uploads).
   */
  decodeSubmit(pos: number, sampler: Sampler, tap?: AttentionTap): Promise<{ id: Promise<number> }>;
  /** Restarts the sampler's random stream. */
  reseed(seed: number): void;
  /** Logits of the last step (tests and parity tools). */
  readLogits(): Promise<Float32Array>;
  /** The attention tap for a generation over `promptLen` prompt tokens (rows and bins: attention-tap.ts). */
  tapCreate(promptLen: number, opts?: Pick<AttentionTapShape, 'maxSteps' | 'binBounds' | 'maxRows'>): Promise<AttentionTap>;
  /**
   * GPU time per op of one decode step at position `pos` (kind 'decode') or of one prefill piece
   * of `tokens` tokens starting at `pos` (kind 'prefill'), each dispatch in its own timestamped
   * pass, summed over layers (without timestamp-query, e.g. on lavapipe: each dispatch submitted
   * alone and timed on the host to queue completion). Needs every KV layer on the GPU. It writes KV
   * at those positions: a benchmark tool; reset the session afterwards.
   */
  profile(kind: 'decode' | 'prefill', pos: number, tokens?: number): Promise<OpTime[]>;
  dispose(): void;
}

/** One row of a per-op profile: total GPU milliseconds of `op` over `calls` calls (`dispatches` in all). */
export interface OpTime {
  op: string;
  ms: number;
  calls: number;
  dispatches: number;
}

interface LayerPlans {
  plans: KernelPlan[];
  /** op name of each entry of `plans` (per-op profiles) */
  names: string[];
  attn?: DecodeAttentionPlan;
  /** the attention plan when a tap is on (probs written) */
  attnTapped?: DecodeAttentionPlan;
  /** T = 1: the plans after attention (plans = pre-attention + post) */
  post?: KernelPlan[];
  /** T > 1: the prefill attention plan (re-targeted per chunk) */
  prefillAttn?: { update(u: { tokens: number; qStart: number }): void };
}

/**
 * A decode layer's ops in encode order with their profile names: the plans before attention,
 * attention (`attn`, its pass 1 and fused merge apart where quantizeOut joined them), then
 * `afterAttention` (the tap's hook) and the plans after it.
 */
function decodeLayerOps(l: LayerPlans, attn: DecodeAttentionPlan, visit: (name: string, p: KernelPlan) => void, afterAttention?: () => void): void {
  const n = l.plans.length - l.post!.length;
  for (let j = 0; j < n; j++) visit(l.names[j]!, l.plans[j]!);
  for (const [name, p] of attn.profileOps()) visit(name, p);
  afterAttention?.();
  for (let j = n; j < l.plans.length; j++) visit(l.names[j]!, l.plans[j]!);
}

export async function gpuForwardCreate(ctx: KernelContext, hp: ModelHparams, w: Map<string, GpuTensor>, kv: KvCache, opts: { chunk?: number; stack?: boolean; fuseFfn?: boolean; fuseQuant?: boolean; fuseMergeQuant?: boolean; int8Prefill?: boolean } = {}): Promise<GpuForward> {
  const device = ctx.device;
  const chunk = Math.max(1, Math.min(opts.chunk ?? 512, kv.maxTokens));
  const wt = (name: string) => {
    const t = w.get(name);
    if (!t) throw new LongreadError('internal', `GPU forward: tensor ${name} was not uploaded.`, 'This is a bug in Longread; please report it.');
    return t;
  };
  const ref = (name: string) => tensorRef(wt(name));
  const fenv: FusedDecodeEnv = { ctx, hp, wt };
  const ropeFreqs = w.get('rope_freqs.weight');
  const rope: RopeTable = ropeTable(ctx, ropeFreqs ? { ...hp.rope, freqFactors: await readF32(device, ropeFreqs.buffer, hp.rope.nRot / 2) } : hp.rope);
  const outW = hp.tiedOutput ? wt('token_embd.weight') : wt('output.weight');
  const embW = wt('token_embd.weight');
  const qd = hp.nHeads * hp.headDim;
  const kd = hp.nKvHeads * hp.headDim;
  const scale = 1 / Math.sqrt(hp.headDim);

  // Decode state: the sampled id buffer is the next step's input ids.
  const tok = device.createBuffer({ size: 16, usage: STORAGE, label: 'decode:tok' });
  const one = actsCreate(device, hp, 1, tok, opts.stack !== false);
  const logits = device.createBuffer({ size: hp.vocab * 4, usage: STORAGE, label: 'logits' });
  // one readback buffer per step in flight (a buffer being mapped cannot be copied into)
  const stagings = Array.from({ length: DECODE_READS_IN_FLIGHT }, (_, i) => ({
    buffer: device.createBuffer({ size: 4, usage: 0x01 | 0x08, label: `decode:readback${i}` }), // MAP_READ | COPY_DST
    read: Promise.resolve(0),
  }));
  let nextStaging = 0;

  /**
   * attn_output (+residual), ffn_norm, gate and up (stacked in decode), SwiGLU, ffn_down
   * (+residual) as separate plans; in decode (stacked), ffn_norm and SwiGLU each fused into the
   * next matvec's activation quantization where the weights are quantized (gpu-decode-fused.ts).
   * `o`: the attn_output plans already made (reading the attention's quantized output).
   */
  async function separateFfn(a: Acts, l: number, o?: NamedPlans): Promise<NamedPlans> {
    const T = a.T;
    const p = `blk.${l}.`;
    const mm = T === 1 ? 'matvec' : 'matmul';
    const out: NamedPlans = o ? { plans: [...o.plans], names: [...o.names] } : { plans: [await linear(T, `${p}attn_output.weight`, a.att, a.x, hp.dim, qd, { accumulate: true })], names: [`${mm} attn_output (+residual)`] };
    const add = (r: NamedPlans) => {
      out.plans.push(...r.plans);
      out.names.push(...r.names);
    };
    const fq = opts.fuseQuant !== false ? a.stacked : null;
    add((fq && (await fusedDecodeNormGateUp(fenv, { x: a.x, gu: fq.gu }, l))) || (await normGateUp(a, p)));
    add((fq && (await fusedDecodeSwigluDown(fenv, { gate: a.gate, up: a.up, act: a.act, x: a.x }, l))) || (await swigluDown(a, p)));
    return out;
  }

  /** ffn_norm into xn, then gate and up: one matvec over the stacked rows in decode, else one each. */
  async function normGateUp(a: Acts, p: string): Promise<NamedPlans> {
    const T = a.T;
    const plans: KernelPlan[] = [await rmsNormPlan(ctx, { x: a.x, weight: ref(`${p}ffn_norm.weight`), out: a.xn, rows: T, dim: hp.dim, eps: hp.eps })];
    const guW = a.stacked ? fusedRef([wt(`${p}ffn_gate.weight`), wt(`${p}ffn_up.weight`)]) : null;
    if (a.stacked && guW) {
      plans.push(await matvecPlan(ctx, { format: wt(`${p}ffn_gate.weight`).format, rows: 2 * hp.ffnDim, cols: hp.dim, weight: guW, x: a.xn, y: a.stacked.gu }));
      return { plans, names: ['ffn_norm', 'matvec ffn_gate+up'] };
    }
    const mm = T === 1 ? 'matvec' : 'matmul';
    plans.push(await linear(T, `${p}ffn_gate.weight`, a.xn, a.gate, hp.ffnDim, hp.dim), await linear(T, `${p}ffn_up.weight`, a.xn, a.up, hp.ffnDim, hp.dim));
    return { plans, names: ['ffn_norm', `${mm} ffn_gate`, `${mm} ffn_up`] };
  }

  /** SwiGLU into act, then ffn_down (+residual). */
  async function swigluDown(a: Acts, p: string): Promise<NamedPlans> {
    const T = a.T;
    return {
      plans: [
        await swigluPlan(ctx, { gate: a.gate, up: a.up, out: a.act, n: T * hp.ffnDim }),
        await linear(T, `${p}ffn_down.weight`, a.act, a.x, hp.dim, hp.ffnDim, { accumulate: true }),
      ],
      names: ['swiglu', `${T === 1 ? 'matvec' : 'matmul'} ffn_down (+residual)`],
    };
  }

  /** y = W x (+ bias, or y +=): matvec for one token, matmul for T. */
  function linear(T: number, name: string, x: BufferRef, y: BufferRef, rows: number, cols: number, extra: { bias?: BufferRef; accumulate?: boolean } = {}): Promise<KernelPlan> {
    const t = wt(name);
    return T === 1
      ? matvecPlan(ctx, { format: t.format, rows, cols, weight: tensorRef(t), x, y, ...extra })
      : matmulPlan(ctx, { format: t.format, rows, cols, maxM: T, weight: tensorRef(t), x, y, ...extra, int8: opts.int8Prefill === true });
  }

  /** The block for T tokens: matvec when T = 1, matmul otherwise. */
  async function layerPlans(a: Acts, l: number, qStart: number, prefill = a.T > 1): Promise<LayerPlans> {
    const T = a.T;
    const p = `blk.${l}.`;
    const lin = (name: string, x: BufferRef, y: BufferRef, rows: number, cols: number, extra: { bias?: BufferRef; accumulate?: boolean } = {}) => linear(T, name, x, y, rows, cols, extra);
    const bias = (n: string) => (hp.qkvBias ? { bias: tensorRef(wt(`${p}${n}.bias`)) } : {});
    const mm = T === 1 ? 'matvec' : 'matmul';
    const plans: KernelPlan[] = [];
    const names: string[] = [];
    const qkv = ['attn_q', 'attn_k', 'attn_v'];
    // One token with stacked activations (decode): the fused kernels where they apply
    // (matvec-fused.ts, rope-kv.ts), else the separate plans below.
    const fused = a.stacked ? await fusedDecodeQkv(fenv, { x: a.x, q: a.q, k: a.k, v: a.v, qkv: a.stacked.qkv }, l) : null;
    if (fused) {
      plans.push(...fused.plans);
      names.push(...fused.names);
    } else {
      plans.push(await rmsNormPlan(ctx, { x: a.x, weight: ref(`${p}attn_norm.weight`), out: a.xn, rows: T, dim: hp.dim, eps: hp.eps }));
      names.push('attn_norm');
      // decode: q, k and v as one matvec over the stacked rows when they share a buffer (gpu-weights.ts)
      const qkvW = a.stacked ? fusedRef(qkv.map((n) => wt(`${p}${n}.weight`))) : null;
      const qkvB = hp.qkvBias ? fusedRef(qkv.map((n) => wt(`${p}${n}.bias`))) : null;
      if (a.stacked && qkvW && (!hp.qkvBias || qkvB)) {
        plans.push(await matvecPlan(ctx, { format: wt(`${p}attn_q.weight`).format, rows: qd + 2 * kd, cols: hp.dim, weight: qkvW, x: a.xn, y: a.stacked.qkv, ...(qkvB ? { bias: qkvB } : {}) }));
        names.push('matvec attn_qkv');
      } else {
        plans.push(
          await lin(`${p}attn_q.weight`, a.xn, a.q, qd, hp.dim, bias('attn_q')),
          await lin(`${p}attn_k.weight`, a.xn, a.k, kd, hp.dim, bias('attn_k')),
          await lin(`${p}attn_v.weight`, a.xn, a.v, kd, hp.dim, bias('attn_v')),
        );
        names.push(`${mm} attn_q`, `${mm} attn_k`, `${mm} attn_v`);
      }
    }
    const qkNorm = hp.qkNorm ? { q: ref(`${p}attn_q_norm.weight`), k: ref(`${p}attn_k_norm.weight`), eps: hp.eps } : undefined;
    if (a.stacked) {
      // one token, q|k|v adjacent: q/k norm, RoPE of q and k and the KV append as one dispatch
      plans.push(await ropeKvPlan(ctx, { qkv: a.stacked.qkv, positions: a.pos, table: rope, kv: kv.views[l]!, tokens: 1, nHeads: hp.nHeads, ...(qkNorm ? { qkNorm } : {}) }));
      names.push(qkNorm ? 'fused q/k norm+rope+kv append' : 'fused rope+kv append');
    } else {
      if (qkNorm) {
        names.push('q_norm', 'k_norm');
        plans.push(
          await qkNormPlan(ctx, { x: a.q, weight: qkNorm.q, tokens: T, heads: hp.nHeads, headDim: hp.headDim, eps: hp.eps }),
          await qkNormPlan(ctx, { x: a.k, weight: qkNorm.k, tokens: T, heads: hp.nKvHeads, headDim: hp.headDim, eps: hp.eps }),
        );
      }
      plans.push(
        await ropePlan(ctx, { x: a.q, positions: a.pos, table: rope, tokens: T, heads: hp.nHeads, headDim: hp.headDim }),
        await ropePlan(ctx, { x: a.k, positions: a.pos, table: rope, tokens: T, heads: hp.nKvHeads, headDim: hp.headDim }),
      );
      names.push('rope q', 'rope k');
      plans.push(await kvAppendPlan(ctx, { k: a.k, v: a.v, cacheIndex: a.pos, kv: kv.views[l]!, tokens: T }));
      names.push('kv append');
    }
    const out: LayerPlans = { plans, names };
    const ffn = a.stacked && opts.fuseFfn ? await fusedDecodeFfn(fenv, { att: a.att, x: a.x, act: a.act }, l) : null;
    const attnArgs = { q: a.q, out: a.att, kv: kv.views[l]!, nHeads: hp.nHeads, maxKvLen: kv.maxPages * 64, scale };
    // decode, stacked, default FFN side: the attention's merge pass quantizes o's input
    const attnO = a.stacked && opts.fuseMergeQuant === true && !prefill && !ffn ? await fusedDecodeAttnOutput(fenv, { attention: (quantizeOut) => decodeAttentionPlan(ctx, { ...attnArgs, quantizeOut }), att: a.att, x: a.x }, l) : null;
    const { plans: post, names: postNames } = ffn ? { plans: ffn.post, names: ffn.names } : await separateFfn(a, l, attnO?.o);
    if (!prefill) {
      out.attn = attnO?.attn ?? (await decodeAttentionPlan(ctx, attnArgs));
      out.post = post;
    } else {
      const attn = await prefillAttentionPlan(ctx, { q: a.q, out: a.att, kv: kv.views[l]!, nHeads: hp.nHeads, tokens: T, qStart, scale });
      out.prefillAttn = attn;
      plans.push(attn);
      names.push('attention (prefill)');
    }
    plans.push(...post);
    names.push(...postNames);
    return out;
  }

  // Decode plans (T = 1) and the shared tail: final norm, classifier, token selection.
  const decodeEmbed = await embeddingPlan(ctx, { table: embW.buffer, format: embW.format, vocab: hp.vocab, dim: hp.dim, ids: tok, out: one.x, tokens: 1 });
  const decodeLayers: LayerPlans[] = [];
  for (let l = 0; l < hp.nLayers; l++) decodeLayers.push(await layerPlans(one, l, 0));
  let boundLayout = kv.layoutVersion;
  let lastTap: AttentionTap | null = null;
  const tail: KernelPlan[] = [
    await rmsNormPlan(ctx, { x: one.x, weight: ref('output_norm.weight'), out: one.xn, rows: 1, dim: hp.dim, eps: hp.eps }),
    await matvecPlan(ctx, { format: outW.format, rows: hp.vocab, cols: hp.dim, weight: outW.buffer, x: one.xn, y: logits }),
  ];
  const greedy = await argmaxPlan(ctx, { logits, out: tok, rows: 1, vocab: hp.vocab });
  const sampler: SamplePlan = await samplePlan(ctx, { logits, out: tok, vocab: hp.vocab, seed: 0 });
  let samplerConfig = '';

  function encodeSelect(pass: GPUComputePassEncoder, s: Sampler): void {
    if (s.config.temperature <= 0) return greedy.encode(pass);
    const key = JSON.stringify(s.config);
    if (key !== samplerConfig) {
      sampler.configure(s.config);
      samplerConfig = key;
    }
    sampler.encode(pass);
  }

  /** Waits until the next readback buffer is unmapped (only with DECODE_READS_IN_FLIGHT steps unread). */
  async function readSlotFree(): Promise<void> {
    const slot = stagings[nextStaging]!;
    if (slot.buffer.mapState !== 'unmapped') await slot.read.catch(() => undefined);
  }

  /**
   * Submits `enc` with a copy of the sampled id, synchronously (so queue writes after the call
   * land after this step); the promise resolves to the id once read. Call readSlotFree first.
   */
  function submitAndRead(enc: GPUCommandEncoder): Promise<number> {
    const slot = stagings[nextStaging]!;
    if (slot.buffer.mapState !== 'unmapped') throw new LongreadError('internal', 'Decode readback buffer still mapped.', 'This is a bug in Longread; please report it.');
    nextStaging = (nextStaging + 1) % stagings.length;
    enc.copyBufferToBuffer(tok, 0, slot.buffer, 0, 4);
    device.queue.submit([enc.finish()]);
    slot.read = (async () => {
      await slot.buffer.mapAsync(0x0001);
      const id = new Uint32Array(slot.buffer.getMappedRange(0, 4))[0]!;
      slot.buffer.unmap();
      return id;
    })();
    return slot.read;
  }

  // Prefill plan sets by piece length (the chunk and powers of two below it, see prefillPieces).
  const prefillSets = new Map<number, { acts: Acts; embed: KernelPlan; layers: LayerPlans[]; attn: { update(u: { tokens: number; qStart: number }): void }[] }>();
  async function prefillSet(T: number) {
    let s = prefillSets.get(T);
    if (s) return s;
    const acts = actsCreate(device, hp, T, undefined, opts.stack !== false);
    const embed = await embeddingPlan(ctx, { table: embW.buffer, format: embW.format, vocab: hp.vocab, dim: hp.dim, ids: acts.ids, out: acts.x, tokens: T });
    const layers: LayerPlans[] = [];
    // a prefill chunk of one token (a prompt one past a chunk boundary, or one past a reused prefix) still uses the prefill path
    for (let l = 0; l < hp.nLayers; l++) layers.push(await layerPlans(acts, l, 0, true));
    const attn = layers.map((l) => l.prefillAttn!);
    s = { acts, embed, layers, attn };
    prefillSets.set(T, s);
    return s;
  }

  function disposeLayer(l: LayerPlans): void {
    for (const p of l.plans) p.dispose();
    l.attn?.dispose();
    l.attnTapped?.dispose();
  }

  function disposePrefillSet(s: { acts: Acts; embed: KernelPlan; layers: LayerPlans[] }): void {
    for (const l of s.layers) for (const p of l.plans) p.dispose();
    s.embed.dispose();
    actsDispose(s.acts, false);
  }

  /**
   * Layer l's decode attention with the probabilities tap: like its plain plan, writing the
   * quantized output (if that one does) into the plain plan's buffers, which o's matvec reads.
   */
  function tappedAttention(l: number, probs: BufferRef, maxKvLen: number): Promise<DecodeAttentionPlan> {
    const q = decodeLayers[l]!.attn!.quantized;
    const quantizeOut = q ? { quantizeOut: { format: q.format, out: { xq: q.xq, xs: q.xs } } } : {};
    return decodeAttentionPlan(ctx, { q: one.q, out: one.att, kv: kv.views[l]!, nHeads: hp.nHeads, maxKvLen, scale, probs, ...quantizeOut });
  }

  /** Rebuilds the plans that bind KV views after layers moved between tiers. */
  async function rebind(): Promise<void> {
    if (kv.layoutVersion === boundLayout) return;
    boundLayout = kv.layoutVersion;
    for (let l = 0; l < hp.nLayers; l++) {
      disposeLayer(decodeLayers[l]!);
      decodeLayers[l] = await layerPlans(one, l, 0);
      if (lastTap) decodeLayers[l]!.attnTapped = await tappedAttention(l, lastTap.probs[l]!, kv.maxPages * 64);
    }
    for (const s of prefillSets.values()) disposePrefillSet(s);
    prefillSets.clear();
  }

  /**
   * Records `pre`, then every layer, into command buffers: one when all KV is on the GPU,
   * else a submit before each off-GPU layer, whose pages are staged just before (see the header).
   * Returns the open encoder of the last segment (the caller adds the tail and submits it).
   */
  async function recordLayers(pre: (pass: GPUComputePassEncoder) => void, layer: (pass: GPUComputePassEncoder, l: number) => void, label: string): Promise<GPUCommandEncoder> {
    const off = kv.tiers ? kvOffloadedLayers(kv) : [];
    let enc = device.createCommandEncoder({ label });
    let pass = enc.beginComputePass({ label });
    pre(pass);
    if (off.length === 0) {
      for (let l = 0; l < hp.nLayers; l++) layer(pass, l);
      pass.end();
      return enc;
    }
    const slots = Math.min(off.length, kvStagingSlots(kv));
    for (let k = 0; k < slots; k++) await kvStageIn(kv, off[k]!);
    let k = 0;
    for (let l = 0; l < hp.nLayers; l++) {
      const isOff = l === off[k];
      if (isOff) {
        pass.end();
        device.queue.submit([enc.finish()]);
        // the slot of the previous off-GPU layer is free in queue order: refill it now
        if (k >= 1 && k - 1 + slots < off.length) await kvStageIn(kv, off[k - 1 + slots]!);
        enc = device.createCommandEncoder({ label });
        pass = enc.beginComputePass({ label });
      }
      layer(pass, l);
      if (isOff) {
        pass.end();
        kvEncodeWriteBack(kv, enc, l);
        pass = enc.beginComputePass({ label });
        k++;
      }
    }
    pass.end();
    return enc;
  }

  /** Each op in its own timestamped pass, one submit. */
  async function profileTimestamps(timed: [string, KernelPlan][], kind: string): Promise<{ label: string; ms: number }[]> {
    const timer = new GpuTimer(device, true, timed.length);
    const enc = device.createCommandEncoder({ label: `profile-${kind}` });
    for (const [name, plan] of timed) {
      const pass = timer.beginPass(enc, name);
      plan.encode(pass);
      pass.end();
    }
    timer.resolve(enc);
    device.queue.submit([enc.finish()]);
    const rows = await timer.read();
    timer.dispose();
    return rows;
  }

  /** Without timestamp-query (lavapipe): each op submitted alone, host clock to queue completion. */
  async function profileWall(timed: [string, KernelPlan][]): Promise<{ label: string; ms: number }[]> {
    const rows: { label: string; ms: number }[] = [];
    await device.queue.onSubmittedWorkDone();
    for (const [label, plan] of timed) rows.push({ label, ms: await GpuTimer.wall(device, () => plansSubmit(ctx, [plan], label)) });
    return rows;
  }

  const api: GpuForward = {
    async prefill(tokens, start, s, onChunk, signal) {
      if (tokens.length === 0) throw new LongreadError('bad-request', 'Prefill of an empty token list.', 'Pass at least one prompt token.');
      for (const id of tokens) {
        if (!(Number.isInteger(id) && id >= 0 && id < hp.vocab)) throw new LongreadError('bad-request', `Token id ${id} is outside the vocabulary (0..${hp.vocab - 1}).`, 'Pass ids from this model\'s tokenizer.');
      }
      if (kv.tiers) kvCacheCheck(kv, start + tokens.length);
      else kvCacheEnsure(kv, start + tokens.length);
      let id = -1;
      for (const [c, T] of prefillPieces(tokens.length, chunk)) {
        if (signal?.aborted) throw new LongreadError('cancelled', 'Prefill was cancelled.', 'Start it again when you are ready.');
        const q0 = start + c;
        if (kv.tiers) {
          await kvStepBegin(kv, q0, q0 + T);
          await rebind();
        }
        const set = await prefillSet(T);
        device.queue.writeBuffer(set.acts.ids, 0, Uint32Array.from(tokens.slice(c, c + T)));
        device.queue.writeBuffer(set.acts.pos, 0, Uint32Array.from({ length: T }, (_, i) => q0 + i));
        for (const a of set.attn) a.update({ tokens: T, qStart: q0 });
        const enc = await recordLayers((pass) => set.embed.encode(pass), (pass, l) => {
          for (const p of set.layers[l]!.plans) p.encode(pass);
        }, 'prefill');
        const last = c + T >= tokens.length;
        if (!last) {
          device.queue.submit([enc.finish()]);
          await device.queue.onSubmittedWorkDone();
        } else {
          enc.copyBufferToBuffer(set.acts.x, (T - 1) * hp.dim * 4, one.x, 0, hp.dim * 4);
          const pass = enc.beginComputePass({ label: 'prefill-tail' });
          for (const p of tail) p.encode(pass);
          encodeSelect(pass, s);
          pass.end();
          await readSlotFree();
          const read = submitAndRead(enc); // submits now; the write-back maps below wait alongside
          if (kv.tiers) await kvStepEnd(kv);
          id = await read;
        }
        if (kv.tiers && !last) await kvStepEnd(kv);
        onChunk?.(c + T, tokens.length);
      }
      return id;
    },

    async prefillPrepare(tokens, start) {
      if (tokens <= 0) return;
      for (const [c, T] of prefillPieces(tokens, chunk)) {
        const set = await prefillSet(T);
        // configures the attention for that position (creating its split-K pipelines if it needs
        // them); prefill() configures it again before use
        for (const a of set.attn) a.update({ tokens: T, qStart: start + c });
      }
    },

    async decode(pos, s, tap) {
      return (await api.decodeSubmit(pos, s, tap)).id;
    },

    async decodeSubmit(pos, s, tap) {
      await readSlotFree();
      if (kv.tiers) {
        await kvStepBegin(kv, pos, pos + 1);
        await rebind();
      } else {
        kvCacheEnsure(kv, pos + 1);
      }
      device.queue.writeBuffer(one.pos, 0, Uint32Array.of(pos));
      const enc = await recordLayers((pass) => decodeEmbed.encode(pass), (pass, i) => {
        const l = decodeLayers[i]!;
        const attn = tap ? l.attnTapped! : l.attn!;
        attn.update(pos + 1);
        decodeLayerOps(l, attn, (_, p) => p.encode(pass), tap ? () => tap.encodeLayer(pass, i) : undefined);
      }, 'decode');
      const pass = enc.beginComputePass({ label: 'decode-tail' });
      for (const p of tail) p.encode(pass);
      encodeSelect(pass, s);
      pass.end();
      const read = submitAndRead(enc); // submits now; the write-back maps wait alongside the token's
      read.catch(() => undefined); // observed by whoever awaits the id
      if (kv.tiers) await kvStepEnd(kv);
      return { id: read };
    },

    reseed(seed) {
      sampler.reseed(seed);
    },

    readLogits: () => readF32(device, logits, hp.vocab),

    async tapCreate(promptLen, opts = {}) {
      const maxKvLen = kv.maxPages * 64;
      await rebind();
      const tap = await attentionTapCreate(ctx, { nLayers: hp.nLayers, nHeads: hp.nHeads, maxKvLen, promptLen, ...opts });
      lastTap = tap;
      for (let l = 0; l < hp.nLayers; l++) {
        decodeLayers[l]!.attnTapped?.dispose();
        decodeLayers[l]!.attnTapped = await tappedAttention(l, tap.probs[l]!, maxKvLen);
      }
      return tap;
    },

    async profile(kind, pos, tokens = 1) {
      if (kv.tiers && kvOffloadedLayers(kv).length) throw new LongreadError('bad-request', 'Per-op profiles need every KV layer on the GPU.', 'Profile without a VRAM budget that moves layers off the GPU.');
      const T = kind === 'decode' ? 1 : tokens;
      kvCacheEnsure(kv, pos + T);
      const timed: [string, KernelPlan][] = [];
      if (kind === 'decode') {
        device.queue.writeBuffer(one.pos, 0, Uint32Array.of(pos));
        timed.push(['embedding', decodeEmbed]);
        for (const l of decodeLayers) {
          l.attn!.update(pos + 1);
          decodeLayerOps(l, l.attn!, (name, p) => timed.push([name, p]));
        }
        timed.push(['output_norm', tail[0]!], ['matvec classifier', tail[1]!], ['argmax', greedy]);
      } else {
        const set = await prefillSet(T);
        device.queue.writeBuffer(set.acts.ids, 0, Uint32Array.from({ length: T }, (_, i) => (i * 7919 + 13) % hp.vocab));
        device.queue.writeBuffer(set.acts.pos, 0, Uint32Array.from({ length: T }, (_, i) => pos + i));
        for (const a of set.attn) a.update({ tokens: T, qStart: pos });
        timed.push(['embedding', set.embed]);
        for (const l of set.layers) l.plans.forEach((p, j) => timed.push([l.names[j]!, p]));
      }
      const rows = device.features.has('timestamp-query') ? await profileTimestamps(timed, kind) : await profileWall(timed);
      const byOp = new Map<string, OpTime>();
      for (const [name, plan] of timed) {
        const o = byOp.get(name) ?? { op: name, ms: 0, calls: 0, dispatches: 0 };
        o.calls++;
        o.dispatches += planDispatches(plan);
        byOp.set(name, o);
      }
      for (const r of rows) byOp.get(r.label)!.ms += r.ms;
      return [...byOp.values()];
    },

    dispose() {
      for (const l of decodeLayers) disposeLayer(l);
      for (const s of prefillSets.values()) disposePrefillSet(s);
      for (const p of tail) p.dispose();
      decodeEmbed.dispose();
      greedy.dispose();
      sampler.dispose();
      actsDispose(one, false);
      logits.destroy();
      for (const st of stagings) st.buffer.destroy();
      rope.dispose();
    },
  };
  return api;
}

/**
 * Prefill pieces [offset, tokens]: whole chunks, then the remainder split into powers of two
 * (300 -> 256 + 32 + 8 + 4), so that plan sets exist for at most log2(chunk) + 1 sizes and are
 * built once per model instead of once per prompt length.
 */
export function prefillPieces(n: number, chunk: number): [number, number][] {
  const out: [number, number][] = [];
  let c = 0;
  for (; c + chunk <= n; c += chunk) out.push([c, chunk]);
  for (let bit = 1 << 30; bit >= 1; bit >>= 1) {
    if ((n - c) & bit) {
      out.push([c, bit]);
      c += bit;
    }
  }
  return out;
}

async function readF32(device: GPUDevice, buf: GPUBuffer, n: number): Promise<Float32Array> {
  const staging = device.createBuffer({ size: n * 4, usage: 0x01 | 0x08, label: 'readback:f32' });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(buf, 0, staging, 0, n * 4);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(0x0001);
  const out = new Float32Array(staging.getMappedRange().slice(0));
  staging.unmap();
  staging.destroy();
  return out;
}
