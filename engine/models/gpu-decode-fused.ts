/**
 * Decode's fused layer ops (one token, q|k|v and gate|up stacked; gpu-layer-plans.ts): the matvecs
 * of a layer with their neighbours folded in (engine/kernels/matvec-fused.ts), so that a layer
 * of quantized weights runs as 7 dispatches instead of 15 with all of them, or 10 with the
 * default FFN side (9 with modelLoad's fuseMergeQuant; fusedDecodeFfn runs only with fuseFfn,
 * being slower on the H100; gpu-layer-plans.ts says why):
 *
 *   attn_norm + quantize + q|k|v (+ biases)      fusedDecodeQkv   1 dispatch (2 with only q|k stacked, 3 with none)
 *   q/k norm + RoPE + KV append                  rope-kv.ts       1 (gpu-layer-plans.ts); 0 with modelLoad's
 *                                                                 fuseRope (no q/k norm): fusedDecodeQkv's epilogue
 *   default FFN side:
 *   attention pass 1                             attention-decode.ts     1
 *   attention merge + quantize, o (+ residual)   fusedDecodeAttnOutput   2 (quantizeOut; fuseMergeQuant only,
 *                                                                        else merge 1 + quantize and o 2)
 *   ffn_norm + quantize, gate|up                 fusedDecodeNormGateUp   2 (act-quant.ts NORM)
 *   SwiGLU + quantize, down (+ residual)         fusedDecodeSwigluDown   2 (act-quant.ts SWIGLU)
 *   fuseFfn:
 *   attention                                                     2
 *   quantize + o (+ residual)                    fusedDecodeFfn   1
 *   ffn_norm + quantize + gate|up + SwiGLU                        1
 *   quantize + down (+ residual)                                  1
 *
 * Each returns null where a fused kernel does not apply (float weights, a weight split over
 * bindings, workgroup memory, no int8 matvec on the device), and gpu-layer-plans.ts makes the
 * separate plans instead. Values are bitwise those of the separate plans
 * (engine/models/fuse.test.ts).
 *
 * Extend: a new block flag that sits between these ops needs a prologue / epilogue in
 * matvec-q8-fused.wgsl, or it makes these helpers return null for that model.
 */

import { LongreadError } from '../errors.ts';
import type { BufferRef } from '../gpu/buffer-pool.ts';
import { activationFormatOf, activationQuantizePlan, type ActivationFormat, type ActivationQuantizePlan } from '../kernels/act-quant.ts';
import type { DecodeAttentionPlan } from '../kernels/attention-decode.ts';
import type { KernelContext, KernelPlan } from '../kernels/context.ts';
import { matvecPlan, type MatvecPlan } from '../kernels/matvec.ts';
import { matvecFusedPlan, type MatvecFusedArgs } from '../kernels/matvec-fused.ts';
import { fusedRef, tensorRef, type GpuTensor } from './gpu-weights.ts';
import type { ModelHparams } from './hparams.ts';

export interface FusedDecodeEnv {
  ctx: KernelContext;
  hp: ModelHparams;
  /** the uploaded tensor of that name (throws when missing) */
  wt(name: string): GpuTensor;
}

/** Plans with their profile names (GpuForward.profile). */
export interface NamedPlans {
  plans: KernelPlan[];
  names: string[];
}

/** All plans, or none (disposing those made) when one did not apply. */
function allOrNone(ps: (KernelPlan | null)[], names: string[]): NamedPlans | null {
  if (ps.every((x) => x)) return { plans: ps as KernelPlan[], names };
  for (const x of ps) x?.dispose();
  return null;
}

/**
 * attn_norm + q|k|v of layer `l` reading the residual x: one fused matvec over the stacked rows
 * into `qkv`; where only q|k were stacked (Q4_K_M's layers with a Q6_K attn_v) one over q|k
 * into the front of `qkv` and one for v; else one per projection (into q, k, v).
 */
export async function fusedDecodeQkv(e: FusedDecodeEnv, a: { x: BufferRef; q: BufferRef; k: BufferRef; v: BufferRef; qkv: BufferRef }, l: number, rope?: MatvecFusedArgs['ropeKv']): Promise<(NamedPlans & { ropeKv: boolean }) | null> {
  const { ctx, hp } = e;
  const p = `blk.${l}.`;
  const qd = hp.nHeads * hp.headDim;
  const kd = hp.nKvHeads * hp.headDim;
  const norm = { weight: tensorRef(e.wt(`${p}attn_norm.weight`)), eps: hp.eps };
  const ws = ['attn_q', 'attn_k', 'attn_v'].map((n) => e.wt(`${p}${n}.weight`));
  const bs = hp.qkvBias ? ['attn_q', 'attn_k', 'attn_v'].map((n) => e.wt(`${p}${n}.bias`)) : null;
  const qkvW = fusedRef(ws);
  const qkvB = bs ? fusedRef(bs) : null;
  if (qkvW && (!bs || qkvB)) {
    const args = { format: ws[0]!.format, rows: qd + 2 * kd, cols: hp.dim, weight: qkvW, x: a.x, y: a.qkv, norm, ...(qkvB ? { bias: qkvB } : {}) };
    // with `rope`: RoPE and the KV append in the same dispatch where the kernel takes them
    const withRope = rope ? await matvecFusedPlan(ctx, { ...args, ropeKv: rope }) : null;
    if (withRope) return { plans: [withRope], names: ['fused attn_norm+matvec qkv+rope+kv append'], ropeKv: true };
    const plan = await matvecFusedPlan(ctx, args);
    return ropeNotFused(allOrNone([plan], ['fused attn_norm+matvec qkv']));
  }
  const qkW = fusedRef(ws.slice(0, 2));
  const qkB = bs ? fusedRef(bs.slice(0, 2)) : null;
  if (qkW && (!bs || qkB)) {
    const made = [
      await matvecFusedPlan(ctx, { format: ws[0]!.format, rows: qd + kd, cols: hp.dim, weight: qkW, x: a.x, y: a.qkv, norm, ...(qkB ? { bias: qkB } : {}) }),
      await matvecFusedPlan(ctx, { format: ws[2]!.format, rows: kd, cols: hp.dim, weight: tensorRef(ws[2]!), x: a.x, y: a.v, norm, ...(bs ? { bias: tensorRef(bs[2]!) } : {}) }),
    ];
    return ropeNotFused(allOrNone(made, ['fused attn_norm+matvec qk', 'fused attn_norm+matvec v']));
  }
  const outs = [a.q, a.k, a.v];
  const made: (KernelPlan | null)[] = [];
  for (let i = 0; i < 3; i++) {
    made.push(await matvecFusedPlan(ctx, { format: ws[i]!.format, rows: i ? kd : qd, cols: hp.dim, weight: tensorRef(ws[i]!), x: a.x, y: outs[i]!, norm, ...(bs ? { bias: tensorRef(bs[i]!) } : {}) }));
  }
  return ropeNotFused(allOrNone(made, ['fused attn_norm+matvec q', 'fused attn_norm+matvec k', 'fused attn_norm+matvec v']));
}

/** Plans whose q|k|v still need rope-kv.ts after them. */
function ropeNotFused(p: NamedPlans | null): (NamedPlans & { ropeKv: boolean }) | null {
  return p && { ...p, ropeKv: false };
}

/**
 * After attention of layer `l`: o (+residual into x), ffn_norm + gate|up + SwiGLU into `act`,
 * down (+residual into x). Needs gate|up stacked (the SwiGLU epilogue pairs their rows).
 */
export async function fusedDecodeFfn(e: FusedDecodeEnv, a: { att: BufferRef; x: BufferRef; act: BufferRef }, l: number): Promise<{ post: KernelPlan[]; names: string[] } | null> {
  const { ctx, hp } = e;
  const p = `blk.${l}.`;
  const qd = hp.nHeads * hp.headDim;
  const gate = e.wt(`${p}ffn_gate.weight`);
  const guW = fusedRef([gate, e.wt(`${p}ffn_up.weight`)]);
  if (!guW) return null;
  const o = e.wt(`${p}attn_output.weight`);
  const down = e.wt(`${p}ffn_down.weight`);
  const r = allOrNone(
    [
      await matvecFusedPlan(ctx, { format: o.format, rows: hp.dim, cols: qd, weight: tensorRef(o), x: a.att, y: a.x, accumulate: true }),
      await matvecFusedPlan(ctx, { format: gate.format, rows: hp.ffnDim, cols: hp.dim, weight: guW, x: a.x, y: a.act, norm: { weight: tensorRef(e.wt(`${p}ffn_norm.weight`)), eps: hp.eps }, swiglu: true }),
      await matvecFusedPlan(ctx, { format: down.format, rows: hp.dim, cols: hp.ffnDim, weight: tensorRef(down), x: a.act, y: a.x, accumulate: true }),
    ],
    ['fused matvec attn_output (+residual)', 'fused ffn_norm+matvec gate+up+swiglu', 'fused matvec ffn_down (+residual)'],
  );
  return r ? { post: r.plans, names: r.names } : null;
}

/**
 * A fused quantization and the matvec reading it, or none where the device has no int8 path
 * (the quantize pipeline fails to build, or the matvec fell back to f32, as matvec.ts does).
 */
async function quantThenMatvec<Q extends KernelPlan>(quant: () => Promise<Q>, matvec: (q: Q) => Promise<MatvecPlan>): Promise<{ q: Q; mv: MatvecPlan } | null> {
  let q: Q;
  try {
    q = await quant();
  } catch (err) {
    if (err instanceof LongreadError && err.code === 'gpu-validation') return null;
    throw err;
  }
  let mv: MatvecPlan;
  try {
    mv = await matvec(q);
  } catch (err) {
    q.dispose();
    throw err;
  }
  if (mv.activation === 'int8') return { q, mv };
  mv.dispose();
  q.dispose();
  return null;
}

/** quantThenMatvec of an activation quantization: both plans, in encode order. */
async function namedQuantThenMatvec(quant: () => Promise<ActivationQuantizePlan>, matvec: (q: ActivationQuantizePlan) => Promise<MatvecPlan>, names: string[]): Promise<NamedPlans | null> {
  const r = await quantThenMatvec(quant, matvec);
  return r ? { plans: [r.q, r.mv], names } : null;
}

/**
 * Decode attention of layer `l` whose merge pass also quantizes its output for attn_output
 * (attention-decode.ts quantizeOut: one dispatch for the merge and the quantization), and the o
 * matvec (+residual into x) reading that. `attention` makes the layer's attention plan with the
 * given quantizeOut. Null for float o weights or where the device has no int8 path.
 */
export async function fusedDecodeAttnOutput(e: FusedDecodeEnv, a: { attention: (quantizeOut: { format: ActivationFormat }) => Promise<DecodeAttentionPlan>; att: BufferRef; x: BufferRef }, l: number): Promise<{ attn: DecodeAttentionPlan; o: NamedPlans } | null> {
  const { ctx, hp } = e;
  const o = e.wt(`blk.${l}.attn_output.weight`);
  const format = activationFormatOf(o.format);
  if (!format) return null;
  const r = await quantThenMatvec(
    () => a.attention({ format }),
    (attn) => matvecPlan(ctx, { format: o.format, rows: hp.dim, cols: hp.nHeads * hp.headDim, weight: tensorRef(o), x: a.att, y: a.x, accumulate: true, quantizedX: attn.quantized! }),
  );
  return r ? { attn: r.q, o: { plans: [r.mv], names: ['matvec attn_output (+residual)'] } } : null;
}

/**
 * ffn_norm + activation quantization of the residual x as one dispatch (act-quant.ts `norm`),
 * then the stacked gate|up matvec reading the quantized x into `gu` (gate rows, then up rows).
 * Null unless gate|up are stacked in quantized weights.
 */
export async function fusedDecodeNormGateUp(e: FusedDecodeEnv, a: { x: BufferRef; gu: BufferRef }, l: number): Promise<NamedPlans | null> {
  const { ctx, hp } = e;
  const p = `blk.${l}.`;
  const gate = e.wt(`${p}ffn_gate.weight`);
  const guW = fusedRef([gate, e.wt(`${p}ffn_up.weight`)]);
  const format = activationFormatOf(gate.format);
  if (!guW || !format) return null;
  const norm = { weight: tensorRef(e.wt(`${p}ffn_norm.weight`)), eps: hp.eps };
  return namedQuantThenMatvec(
    () => activationQuantizePlan(ctx, { x: a.x, cols: hp.dim, format, norm }),
    (q) => matvecPlan(ctx, { format: gate.format, rows: 2 * hp.ffnDim, cols: hp.dim, weight: guW, x: a.x, y: a.gu, quantizedX: q }),
    ['fused ffn_norm+quantize', 'matvec ffn_gate+up'],
  );
}

/**
 * SwiGLU of `gate` and `up` + activation quantization as one dispatch (act-quant.ts `swiglu`),
 * then ffn_down reading it (+residual into x). Null for float down weights. `act` is not written
 * (the matvec only checks its size).
 */
export async function fusedDecodeSwigluDown(e: FusedDecodeEnv, a: { gate: BufferRef; up: BufferRef; act: BufferRef; x: BufferRef }, l: number): Promise<NamedPlans | null> {
  const { ctx, hp } = e;
  const down = e.wt(`blk.${l}.ffn_down.weight`);
  const format = activationFormatOf(down.format);
  if (!format) return null;
  return namedQuantThenMatvec(
    () => activationQuantizePlan(ctx, { x: a.gate, cols: hp.ffnDim, format, swiglu: { up: a.up } }),
    (q) => matvecPlan(ctx, { format: down.format, rows: hp.dim, cols: hp.ffnDim, weight: tensorRef(down), x: a.act, y: a.x, accumulate: true, quantizedX: q }),
    ['fused swiglu+quantize', 'matvec ffn_down (+residual)'],
  );
}
