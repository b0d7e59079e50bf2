/**
 * The layer plans of the GPU forward pass (gpu-forward.ts): the activation buffers of T tokens
 * and each layer's ops in encode order with their profile names, for one token (decode: matvec,
 * an attention plan updated to the step's KV length) or T tokens (prefill: matmul, an attention
 * plan re-targeted per chunk). gpu-forward.ts owns the buffers and plans it makes here, records
 * them into command buffers and disposes of them.
 *
 *   const env: LayerPlanEnv = { ctx, hp, wt, kv, rope, opts }
 *   const one = actsCreate(device, hp, 1, tok, stack)   // q|k|v and gate|up stacked when `stack`
 *   const layer = await layerPlans(env, one, l, 0)      // decode: pre-attention plans, attn, post
 *   decodeLayerOps(layer, layer.attn!, (name, p) => p.encode(pass))
 *
 * Decode dispatches: with stacked weights (the default) a layer of quantized weights runs as
 * attn_norm + quantize + q|k|v (1), q/k norm + RoPE + KV append (1), attention pass 1 and merge
 * (2), quantize + o (+residual) (2), ffn_norm + quantize (1) and gate|up (1), SwiGLU + quantize
 * (1) and down (+residual) (1): 10 dispatches (12 before ffn_norm and SwiGLU were folded into the
 * next matvec's activation quantization, act-quant.ts: +24% decode at 2K on the H100, 2026-12-07;
 * `fuseQuant: false` keeps them separate for A/B runs). `fuseMergeQuant: true` also folds o's
 * quantization into the attention's merge (attention-decode.ts quantizeOut; one workgroup per
 * activation block): 9, off by default: +2.4% at 2K in its one H100 run, but its 32K run lost the
 * host/GPU overlap (BENCHMARKS.md, seventh run). All bitwise equal to the separate kernels (matvec-fused.ts,
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

import { STORAGE, type BufferRef } from '../gpu/buffer-pool.ts';
import { decodeAttentionPlan, type DecodeAttentionPlan } from '../kernels/attention-decode.ts';
import { prefillAttentionPlan } from '../kernels/attention-prefill.ts';
import type { KernelPlan } from '../kernels/context.ts';
import { swigluPlan } from '../kernels/elementwise.ts';
import { kvAppendPlan } from '../kernels/kv-append.ts';
import { matmulPlan } from '../kernels/matmul.ts';
import { matvecPlan } from '../kernels/matvec.ts';
import { qkNormPlan, rmsNormPlan } from '../kernels/rmsnorm.ts';
import { ropePlan, type RopeTable } from '../kernels/rope.ts';
import { ropeKvPlan } from '../kernels/rope-kv.ts';
import type { KvCache } from '../kv/kv-cache.ts';
import { fusedDecodeAttnOutput, fusedDecodeFfn, fusedDecodeNormGateUp, fusedDecodeQkv, fusedDecodeSwigluDown, type FusedDecodeEnv, type NamedPlans } from './gpu-decode-fused.ts';
import { fusedRef, tensorRef } from './gpu-weights.ts';
import type { ModelHparams } from './hparams.ts';
import type { Int8Tune } from '../kernels/matmul-int8.ts';

/**
 * What the layer plans read: the fused helpers' env, the KV cache (whose per-layer views the
 * KV append and attention plans bind), the RoPE table and gpuForwardCreate's options.
 */
export interface LayerPlanEnv extends FusedDecodeEnv {
  kv: KvCache;
  rope: RopeTable;
  opts: { fuseFfn?: boolean; fuseQuant?: boolean; fuseMergeQuant?: boolean; fuseRope?: boolean; int8Prefill?: boolean; int8Tune?: Int8Tune };
}

/** Activations of T tokens, f32 row-major. */
export interface Acts {
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

export function actsCreate(device: GPUDevice, hp: ModelHparams, T: number, ids?: GPUBuffer, stack = true): Acts {
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

export function actsDispose(a: Acts, keepIds: boolean): void {
  for (const b of a.owned) if (!(keepIds && b === a.ids)) b.destroy();
}

export interface LayerPlans {
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
export function decodeLayerOps(l: LayerPlans, attn: DecodeAttentionPlan, visit: (name: string, p: KernelPlan) => void, afterAttention?: () => void): void {
  const n = l.plans.length - l.post!.length;
  for (let j = 0; j < n; j++) visit(l.names[j]!, l.plans[j]!);
  for (const [name, p] of attn.profileOps()) visit(name, p);
  afterAttention?.();
  for (let j = n; j < l.plans.length; j++) visit(l.names[j]!, l.plans[j]!);
}

/** The uploaded tensor of that name as a binding. */
function ref(e: LayerPlanEnv, name: string): BufferRef {
  return tensorRef(e.wt(name));
}

/**
 * attn_output (+residual), ffn_norm, gate and up (stacked in decode), SwiGLU, ffn_down
 * (+residual) as separate plans; in decode (stacked), ffn_norm and SwiGLU each fused into the
 * next matvec's activation quantization where the weights are quantized (gpu-decode-fused.ts).
 * `o`: the attn_output plans already made (reading the attention's quantized output).
 */
async function separateFfn(e: LayerPlanEnv, a: Acts, l: number, o?: NamedPlans): Promise<NamedPlans> {
  const { hp, opts } = e;
  const qd = hp.nHeads * hp.headDim;
  const T = a.T;
  const p = `blk.${l}.`;
  const mm = T === 1 ? 'matvec' : 'matmul';
  const out: NamedPlans = o ? { plans: [...o.plans], names: [...o.names] } : { plans: [await linear(e, T, `${p}attn_output.weight`, a.att, a.x, hp.dim, qd, { accumulate: true })], names: [`${mm} attn_output (+residual)`] };
  const add = (r: NamedPlans) => {
    out.plans.push(...r.plans);
    out.names.push(...r.names);
  };
  const fq = opts.fuseQuant !== false ? a.stacked : null;
  add((fq && (await fusedDecodeNormGateUp(e, { x: a.x, gu: fq.gu }, l))) || (await normGateUp(e, a, p)));
  add((fq && (await fusedDecodeSwigluDown(e, { gate: a.gate, up: a.up, act: a.act, x: a.x }, l))) || (await swigluDown(e, a, p)));
  return out;
}

/** ffn_norm into xn, then gate and up: one matvec over the stacked rows in decode, else one each. */
async function normGateUp(e: LayerPlanEnv, a: Acts, p: string): Promise<NamedPlans> {
  const { ctx, hp } = e;
  const T = a.T;
  const plans: KernelPlan[] = [await rmsNormPlan(ctx, { x: a.x, weight: ref(e, `${p}ffn_norm.weight`), out: a.xn, rows: T, dim: hp.dim, eps: hp.eps })];
  const guW = a.stacked ? fusedRef([e.wt(`${p}ffn_gate.weight`), e.wt(`${p}ffn_up.weight`)]) : null;
  if (a.stacked && guW) {
    plans.push(await matvecPlan(ctx, { format: e.wt(`${p}ffn_gate.weight`).format, rows: 2 * hp.ffnDim, cols: hp.dim, weight: guW, x: a.xn, y: a.stacked.gu }));
    return { plans, names: ['ffn_norm', 'matvec ffn_gate+up'] };
  }
  const mm = T === 1 ? 'matvec' : 'matmul';
  plans.push(await linear(e, T, `${p}ffn_gate.weight`, a.xn, a.gate, hp.ffnDim, hp.dim), await linear(e, T, `${p}ffn_up.weight`, a.xn, a.up, hp.ffnDim, hp.dim));
  return { plans, names: ['ffn_norm', `${mm} ffn_gate`, `${mm} ffn_up`] };
}

/** SwiGLU into act, then ffn_down (+residual). */
async function swigluDown(e: LayerPlanEnv, a: Acts, p: string): Promise<NamedPlans> {
  const { ctx, hp } = e;
  const T = a.T;
  return {
    plans: [
      await swigluPlan(ctx, { gate: a.gate, up: a.up, out: a.act, n: T * hp.ffnDim }),
      await linear(e, T, `${p}ffn_down.weight`, a.act, a.x, hp.dim, hp.ffnDim, { accumulate: true }),
    ],
    names: ['swiglu', `${T === 1 ? 'matvec' : 'matmul'} ffn_down (+residual)`],
  };
}

/** y = W x (+ bias, or y +=): matvec for one token, matmul for T. */
function linear(e: LayerPlanEnv, T: number, name: string, x: BufferRef, y: BufferRef, rows: number, cols: number, extra: { bias?: BufferRef; accumulate?: boolean } = {}): Promise<KernelPlan> {
  const { ctx, opts } = e;
  const t = e.wt(name);
  return T === 1
    ? matvecPlan(ctx, { format: t.format, rows, cols, weight: tensorRef(t), x, y, ...extra })
    : matmulPlan(ctx, { format: t.format, rows, cols, maxM: T, weight: tensorRef(t), x, y, ...extra, int8: opts.int8Prefill === true, ...(opts.int8Tune ? { int8Tune: opts.int8Tune } : {}) });
}

/** The block for T tokens: matvec when T = 1, matmul otherwise. */
export async function layerPlans(e: LayerPlanEnv, a: Acts, l: number, qStart: number, prefill = a.T > 1): Promise<LayerPlans> {
  const { ctx, hp, kv, rope, opts } = e;
  const qd = hp.nHeads * hp.headDim;
  const kd = hp.nKvHeads * hp.headDim;
  const scale = 1 / Math.sqrt(hp.headDim);
  const T = a.T;
  const p = `blk.${l}.`;
  const lin = (name: string, x: BufferRef, y: BufferRef, rows: number, cols: number, extra: { bias?: BufferRef; accumulate?: boolean } = {}) => linear(e, T, name, x, y, rows, cols, extra);
  const bias = (n: string) => (hp.qkvBias ? { bias: tensorRef(e.wt(`${p}${n}.bias`)) } : {});
  const mm = T === 1 ? 'matvec' : 'matmul';
  const plans: KernelPlan[] = [];
  const names: string[] = [];
  const qkv = ['attn_q', 'attn_k', 'attn_v'];
  // One token with stacked activations (decode): the fused kernels where they apply
  // (matvec-fused.ts, rope-kv.ts), else the separate plans below.
  const qkNorm = hp.qkNorm ? { q: ref(e, `${p}attn_q_norm.weight`), k: ref(e, `${p}attn_k_norm.weight`), eps: hp.eps } : undefined;
  // fuseRope: RoPE and the KV append in the q|k|v matvec's epilogue where it applies (no q/k norm)
  const ropeInQkv = a.stacked && opts.fuseRope === true && !qkNorm ? { positions: a.pos, table: rope, kv: kv.views[l]!, nHeads: hp.nHeads } : undefined;
  const fused = a.stacked ? await fusedDecodeQkv(e, { x: a.x, q: a.q, k: a.k, v: a.v, qkv: a.stacked.qkv }, l, ropeInQkv) : null;
  if (fused) {
    plans.push(...fused.plans);
    names.push(...fused.names);
  } else {
    plans.push(await rmsNormPlan(ctx, { x: a.x, weight: ref(e, `${p}attn_norm.weight`), out: a.xn, rows: T, dim: hp.dim, eps: hp.eps }));
    names.push('attn_norm');
    // decode: q, k and v as one matvec over the stacked rows when they share a buffer (gpu-weights.ts)
    const qkvW = a.stacked ? fusedRef(qkv.map((n) => e.wt(`${p}${n}.weight`))) : null;
    const qkvB = hp.qkvBias ? fusedRef(qkv.map((n) => e.wt(`${p}${n}.bias`))) : null;
    if (a.stacked && qkvW && (!hp.qkvBias || qkvB)) {
      plans.push(await matvecPlan(ctx, { format: e.wt(`${p}attn_q.weight`).format, rows: qd + 2 * kd, cols: hp.dim, weight: qkvW, x: a.xn, y: a.stacked.qkv, ...(qkvB ? { bias: qkvB } : {}) }));
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
  if (fused?.ropeKv) {
    // RoPE and the KV append ran in the fused q|k|v plan's epilogue
  } else if (a.stacked) {
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
  const ffn = a.stacked && opts.fuseFfn ? await fusedDecodeFfn(e, { att: a.att, x: a.x, act: a.act }, l) : null;
  const attnArgs = { q: a.q, out: a.att, kv: kv.views[l]!, nHeads: hp.nHeads, maxKvLen: kv.maxPages * 64, scale };
  // decode, stacked, default FFN side: the attention's merge pass quantizes o's input
  const attnO = a.stacked && opts.fuseMergeQuant === true && !prefill && !ffn ? await fusedDecodeAttnOutput(e, { attention: (quantizeOut) => decodeAttentionPlan(ctx, { ...attnArgs, quantizeOut }), att: a.att, x: a.x }, l) : null;
  const { plans: post, names: postNames } = ffn ? { plans: ffn.post, names: ffn.names } : await separateFfn(e, a, l, attnO?.o);
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
