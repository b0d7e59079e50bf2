/**
 * Activation quantization for the quantized matrix kernels (shaders/act-quant.wgsl): x is
 * rounded the way llama.cpp's CPU backend rounds it before a quantized product, so that our
 * numerics follow the peer's (engine/reference/ops-act-quant.ts has the rules and the CPU
 * reference): q8_0 blocks of 32 with an fp16 scale for the 32-weight formats, q8_K blocks of
 * 256 with an f32 scale for the K-quants.
 *
 *   const q = await activationQuantizePlan(ctx, { x, cols, format: 'q8_K' });  // int8 + scales (matvec)
 *   const q = await activationQuantizePlan(ctx, { x, cols, maxRows, format: 'q8_0', out: { xq, xs } }); // (int8 matmul)
 *   const r = await activationRoundPlan(ctx, { x, y, cols, maxRows, format: 'q8_0' }); // y = d q in f32 (matmul)
 *   const n = await activationQuantizePlan(ctx, { x, cols, format, norm: { weight, eps } });  // rmsnorm(x) * w, quantized
 *   const s = await activationQuantizePlan(ctx, { x: gate, cols, format, swiglu: { up } });   // silu(gate) * up, quantized
 *
 * Both plans take a row count (maxRows, setRows per submit); the quantize plan writes into its
 * own buffers or, with `out`, into the caller's (the int8 matmul's scratch layout).
 * `norm` and `swiglu` fold decode's ffn_norm (rmsnorm.ts) or SwiGLU (elementwise.ts) into the
 * quantization, one dispatch instead of two, bitwise equal to the separate kernels.
 * `activationScratch` hands out one device-wide buffer for the rounded (or int8) x of the matmul
 * plans: each plan encodes its rounding right before its product, so plans can share it.
 *
 * Extend: a new activation format = a row in ACTIVATION_BLOCK, a case in activationFormatOf and
 * a variant of the shader.
 */

import { LongreadError } from '../errors.ts';
import { gpuRefSize, STORAGE, type BufferRef } from '../gpu/buffer-pool.ts';
import { ACTIVATION_BLOCK, activationFormatOfType, type ActivationFormat } from '../reference/ops-act-quant.ts';
import type { WgslDefines } from '../gpu/wgsl-loader.ts';
import { baseDefines, dispatch2d, ParamsWriter, planCreate, type DispatchPlan, type KernelContext, type KernelPlan } from './context.ts';
import { rmsNormWorkgroup } from './rmsnorm.ts';
import type { WeightFormat } from './weight-layout.ts';
import source from '../../shaders/act-quant.wgsl';

export type { ActivationFormat } from '../reference/ops-act-quant.ts';

/** The activation format llama.cpp's CPU backend multiplies `fmt` weights with (null: float x). */
export function activationFormatOf(fmt: WeightFormat): ActivationFormat | null {
  return activationFormatOfType(fmt);
}

function checkCols(what: string, cols: number, format: ActivationFormat): void {
  const B = ACTIVATION_BLOCK[format];
  if (cols % B) throw new LongreadError('internal', `${what}: ${cols} columns is not a multiple of the ${format} block (${B}).`, 'Quantized weights have whole blocks per row.');
}

/** Bytes of the int8 output for `rows` rows of `cols`: int8 x and its per-32 scales (vec4<f32>). */
export function activationQuantizeBytes(rows: number, cols: number): { xq: number; xs: number } {
  return { xq: rows * cols, xs: (rows * cols) / 2 };
}

function checkRef(what: string, name: string, ref: BufferRef, bytes: number, hint: string): void {
  if (gpuRefSize(ref) < bytes) throw new LongreadError('internal', `${what}: ${name} binding holds ${gpuRefSize(ref)} bytes, needs ${bytes}.`, hint);
}

/** One act-quant.wgsl dispatch whose row count is set per submit (like a matmul's token count). */
interface RowsDispatch {
  plan: DispatchPlan;
  setRows(rows: number): void;
}

/**
 * One act-quant.wgsl dispatch over `rows` rows of `cols` (rows are concatenated whole blocks,
 * so the shader sees rows * cols elements): 64 invocations per 256 elements; with `norm`
 * (NORM) one workgroup per row, reducing with eps.
 */
async function rowsDispatch(ctx: KernelContext, a: { what: string; defines: WgslDefines; buffers: (BufferRef | null)[]; cols: number; maxRows: number; rows: number; norm?: { eps: number } }): Promise<RowsDispatch> {
  const check = (rows: number) => {
    if (!(rows >= 1 && rows <= a.maxRows && Number.isInteger(rows))) throw new LongreadError('internal', `${a.what}: row count ${rows} outside 1..${a.maxRows}.`, 'Create the plan with a larger maxRows.');
  };
  check(a.rows);
  let rows = a.rows;
  const params = () => new ParamsWriter().u32(((a.norm ? 1 : rows) * a.cols) / 4).u32(rows).f32(a.norm?.eps ?? 0).bytes();
  const groups = () => dispatch2d(ctx, a.norm ? rows : Math.max(1, Math.ceil((rows * a.cols) / 256)));
  const plan = await planCreate(ctx, { name: 'act-quant.wgsl', source, defines: a.defines, params: params(), buffers: a.buffers, workgroups: groups() });
  return {
    plan,
    setRows(next) {
      check(next);
      if (next === rows) return;
      rows = next;
      plan.writeParams(params());
      const [x, y] = groups();
      plan.workgroups[0] = x;
      plan.workgroups[1] = y;
    },
  };
}

/**
 * x quantized to int8 as act-quant.wgsl writes it (by activationQuantizePlan, or by a kernel that
 * quantizes its own output with the same code, e.g. decodeAttentionPlan's quantizeOut): what a
 * matvec's `quantizedX` reads.
 */
export interface QuantizedActivation {
  readonly cols: number;
  readonly format: ActivationFormat;
  /** int8 x, 4 per u32 [maxRows * cols / 4], rows concatenated */
  readonly xq: BufferRef;
  /** per 32 elements (d, d * sum(q[0..16]), d * sum(q[16..32]), 0) [maxRows * cols / 32] */
  readonly xs: BufferRef;
}

/**
 * Where a quantization of `size` (activationQuantizeBytes) writes: the caller's `out`, checked to
 * hold it, or two buffers of its own that `free` destroys (the caller's are left alone).
 * activationQuantizePlan and decodeAttentionPlan's quantizeOut both take theirs from here.
 */
export function activationQuantizeOut(ctx: KernelContext, what: string, size: { xq: number; xs: number }, out: { xq: BufferRef; xs: BufferRef } | undefined, label: string): { xq: BufferRef; xs: BufferRef; free(): void } {
  if (out) {
    checkRef(what, 'xq', out.xq, size.xq, 'Size the output with activationQuantizeBytes.');
    checkRef(what, 'xs', out.xs, size.xs, 'Size the output with activationQuantizeBytes.');
    return { ...out, free() {} };
  }
  const xq = ctx.device.createBuffer({ size: size.xq, usage: STORAGE, label: `${label}:xq` });
  const xs = ctx.device.createBuffer({ size: size.xs, usage: STORAGE, label: `${label}:xs` });
  return {
    xq,
    xs,
    free() {
      xq.destroy();
      xs.destroy();
    },
  };
}

/** x quantized to int8 (act-quant.wgsl), shareable by the products that read x with one format. */
export interface ActivationQuantizePlan extends KernelPlan, QuantizedActivation {
  /** Sets the row count for the next submit (1..maxRows). */
  setRows(rows: number): void;
}

export interface ActivationQuantizeArgs {
  /** [maxRows x cols] f32 */
  x: BufferRef;
  cols: number;
  format: ActivationFormat;
  /** Largest row count (default 1: decode's x). */
  maxRows?: number;
  /** Initial row count (default maxRows). */
  rows?: number;
  /**
   * Where the int8 x and its scales go (sizes: activationQuantizeBytes), e.g. the int8 matmul's
   * scratch layout; default: two buffers of the plan's own, freed by dispose.
   */
  out?: { xq: BufferRef; xs: BufferRef };
  /**
   * Quantizes rmsnorm(x) * weight instead of x, computed as rmsnorm.ts computes it (same
   * workgroup size and reduction order, so bitwise its output): one dispatch for both.
   */
  norm?: { weight: BufferRef; eps: number };
  /**
   * Quantizes silu(x) * up instead of x (x is the gate), computed as elementwise.ts's swigluPlan
   * does (common/swiglu.wgsl): one dispatch for both. up: [maxRows x cols] f32.
   */
  swiglu?: { up: BufferRef };
}

/**
 * Quantizes `x` [rows x cols] to int8 and per-block scales. Decode quantizes its x [cols] once
 * for several matvecs (e.g. q/k/v or gate/up of one weight type): encode this plan, then the
 * matvec plans created with `quantizedX: thisPlan`, in one pass. The int8 matmul (prefill)
 * quantizes its tokens into the shared scratch with `out` and `setRows`.
 */
export async function activationQuantizePlan(ctx: KernelContext, a: ActivationQuantizeArgs): Promise<ActivationQuantizePlan> {
  checkCols('activation quantize', a.cols, a.format);
  const maxRows = a.maxRows ?? 1;
  const what = 'activation quantize';
  const size = activationQuantizeBytes(maxRows, a.cols);
  checkRef(what, 'x', a.x, maxRows * a.cols * 4, 'Allocate the activation buffers for the model shape.');
  if (a.norm && a.swiglu) throw new LongreadError('internal', `${what}: norm and swiglu inputs together.`, 'Fold one op into the quantization.');
  if (a.norm) checkRef(what, 'norm weight', a.norm.weight, a.cols * 4, 'Pass the norm weight of the row being quantized.');
  if (a.swiglu) checkRef(what, 'up', a.swiglu.up, maxRows * a.cols * 4, 'Allocate the activation buffers for the model shape.');
  const { xq, xs, free } = activationQuantizeOut(ctx, what, size, a.out, 'act-quant');
  let d: RowsDispatch;
  try {
    const q8K = a.format === 'q8_K';
    const defines = a.norm ? baseDefines(ctx, { Q8_K: q8K, NORM: true, WG: rmsNormWorkgroup(a.cols) }) : { Q8_K: q8K, SWIGLU: a.swiglu !== undefined };
    const buffers = [a.x, xq, xs, a.norm?.weight ?? null, a.swiglu?.up ?? null];
    d = await rowsDispatch(ctx, { what, defines, buffers, cols: a.cols, maxRows, rows: a.rows ?? maxRows, ...(a.norm ? { norm: { eps: a.norm.eps } } : {}) });
  } catch (e) {
    free();
    throw e;
  }
  return {
    cols: a.cols,
    format: a.format,
    xq,
    xs,
    setRows: d.setRows,
    encode: (pass) => d.plan.encode(pass),
    dispose() {
      d.plan.dispose();
      free();
    },
  };
}

export interface ActivationRoundPlan extends KernelPlan {
  /** Sets the row count for the next submit (1..maxRows). */
  setRows(rows: number): void;
}

/** y [rows x cols] = x rounded through `format` and back to f32 (act-quant.wgsl, ROUND). */
export async function activationRoundPlan(ctx: KernelContext, a: { x: BufferRef; y: BufferRef; cols: number; maxRows: number; rows?: number; format: ActivationFormat }): Promise<ActivationRoundPlan> {
  const what = 'activation round';
  checkCols(what, a.cols, a.format);
  const bytes = a.maxRows * a.cols * 4;
  checkRef(what, 'x', a.x, bytes, 'Allocate the activation buffers for maxRows rows.');
  checkRef(what, 'y', a.y, bytes, 'Allocate the activation buffers for maxRows rows.');
  const d = await rowsDispatch(ctx, { what, defines: { Q8_K: a.format === 'q8_K', ROUND: true }, buffers: [a.x, a.y], cols: a.cols, maxRows: a.maxRows, rows: a.rows ?? a.maxRows });
  return { setRows: d.setRows, encode: (pass) => d.plan.encode(pass), dispose: () => d.plan.dispose() };
}

/** A device-wide f32 scratch buffer of at least `bytes`, shared by the plans that ask for it. */
export interface ActivationScratch {
  readonly buffer: GPUBuffer;
  release(): void;
}

const scratches = new WeakMap<GPUDevice, { current: GPUBuffer | null; users: Map<GPUBuffer, number> }>();

/**
 * The shared scratch for rounded activations. Sharing is safe because every user writes it and
 * reads it back in two consecutive dispatches of one pass; a larger request replaces the
 * current buffer for later users (earlier ones keep theirs until they release it).
 */
export function activationScratch(ctx: KernelContext, bytes: number): ActivationScratch {
  let s = scratches.get(ctx.device);
  if (!s) scratches.set(ctx.device, (s = { current: null, users: new Map() }));
  const state = s;
  let buf = state.current;
  if (!buf || buf.size < bytes) {
    const size = Math.ceil(Math.max(bytes, 256) / 65536) * 65536;
    buf = ctx.device.createBuffer({ size: Math.min(size, Math.max(bytes, ctx.maxStorageBufferBindingSize)), usage: STORAGE, label: 'act-quant:scratch' });
    state.current = buf;
  }
  state.users.set(buf, (state.users.get(buf) ?? 0) + 1);
  const held = buf;
  let released = false;
  return {
    buffer: held,
    release() {
      if (released) return;
      released = true;
      const n = (state.users.get(held) ?? 1) - 1;
      if (n > 0) {
        state.users.set(held, n);
        return;
      }
      state.users.delete(held);
      if (state.current === held) state.current = null;
      held.destroy();
    },
  };
}
