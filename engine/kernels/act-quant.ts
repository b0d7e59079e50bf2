/**
 * Activation quantization for the quantized matrix kernels (shaders/act-quant.wgsl): x is
 * rounded the way llama.cpp's CPU backend rounds it before a quantized product, so that our
 * numerics follow the peer's (engine/reference/ops-act-quant.ts has the rules and the CPU
 * reference): q8_0 blocks of 32 with an fp16 scale for the 32-weight formats, q8_K blocks of
 * 256 with an f32 scale for the K-quants.
 *
 *   const q = await activationQuantizePlan(ctx, { x, cols, format: 'q8_K' });  // int8 + scales (matvec)
 *   const r = await activationRoundPlan(ctx, { x, y, cols, maxRows, format: 'q8_0' }); // y = d q in f32 (matmul)
 *
 * `activationScratch` hands out one device-wide f32 buffer for the rounded x of the matmul
 * plans: each plan encodes its rounding right before its product, so plans can share it.
 *
 * Extend: a new activation format = a row in ACTIVATION_BLOCK, a case in activationFormatOf and
 * a variant of the shader.
 */

import { LongreadError } from '../errors.ts';
import { gpuRefSize, STORAGE, type BufferRef } from '../gpu/buffer-pool.ts';
import { ACTIVATION_BLOCK, activationFormatOfType, type ActivationFormat } from '../reference/ops-act-quant.ts';
import { dispatch2d, ParamsWriter, planCreate, type DispatchPlan, type KernelContext, type KernelPlan } from './context.ts';
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

function groupsFor(ctx: KernelContext, elements: number): [number, number] {
  return dispatch2d(ctx, Math.max(1, Math.ceil(elements / 256)));
}

/** x quantized to int8 (act-quant.wgsl), shareable by the matvecs that read x with one format. */
export interface ActivationQuantizePlan extends KernelPlan {
  readonly cols: number;
  readonly format: ActivationFormat;
  /** int8 x, 4 per u32 [cols / 4] */
  readonly xq: GPUBuffer;
  /** per 32 elements (d, d * sum(q[0..16]), d * sum(q[16..32]), 0) */
  readonly xs: GPUBuffer;
}

/**
 * Quantizes `x` [cols] once for several matvecs (e.g. q/k/v or gate/up of one weight type):
 * encode this plan, then the matvec plans created with `quantizedX: thisPlan`, in one pass.
 */
export async function activationQuantizePlan(ctx: KernelContext, a: { x: BufferRef; cols: number; format: ActivationFormat }): Promise<ActivationQuantizePlan> {
  checkCols('activation quantize', a.cols, a.format);
  if (gpuRefSize(a.x) < a.cols * 4) throw new LongreadError('internal', `activation quantize: x binding holds ${gpuRefSize(a.x)} bytes, needs ${a.cols * 4}.`, 'Allocate the activation buffers for the model shape.');
  const xq = ctx.device.createBuffer({ size: a.cols, usage: STORAGE, label: 'act-quant:xq' });
  const xs = ctx.device.createBuffer({ size: (a.cols / 32) * 16, usage: STORAGE, label: 'act-quant:xs' });
  let p: KernelPlan;
  try {
    p = await planCreate(ctx, {
      name: 'act-quant.wgsl',
      source,
      defines: { Q8_K: a.format === 'q8_K' },
      params: new ParamsWriter().u32(a.cols / 4).bytes(),
      buffers: [a.x, xq, xs],
      workgroups: groupsFor(ctx, a.cols),
    });
  } catch (e) {
    xq.destroy();
    xs.destroy();
    throw e;
  }
  return {
    cols: a.cols,
    format: a.format,
    xq,
    xs,
    encode: (pass) => p.encode(pass),
    dispose() {
      p.dispose();
      xq.destroy();
      xs.destroy();
    },
  };
}

export interface ActivationRoundPlan extends KernelPlan {
  /** Sets the row count for the next submit (1..maxRows). */
  setRows(rows: number): void;
}

/** y [rows x cols] = x rounded through `format` and back to f32 (act-quant.wgsl, ROUND). */
export async function activationRoundPlan(ctx: KernelContext, a: { x: BufferRef; y: BufferRef; cols: number; maxRows: number; rows?: number; format: ActivationFormat }): Promise<ActivationRoundPlan> {
  checkCols('activation round', a.cols, a.format);
  const bytes = a.maxRows * a.cols * 4;
  for (const [name, ref] of [['x', a.x], ['y', a.y]] as const) {
    if (gpuRefSize(ref) < bytes) throw new LongreadError('internal', `activation round: ${name} binding holds ${gpuRefSize(ref)} bytes, needs ${bytes}.`, 'Allocate the activation buffers for maxRows rows.');
  }
  let rows = a.rows ?? a.maxRows;
  const params = () => new ParamsWriter().u32((rows * a.cols) / 4).bytes();
  const p: DispatchPlan = await planCreate(ctx, {
    name: 'act-quant.wgsl',
    source,
    defines: { Q8_K: a.format === 'q8_K', ROUND: true },
    params: params(),
    buffers: [a.x, a.y],
    workgroups: groupsFor(ctx, rows * a.cols),
  });
  return {
    setRows(next) {
      if (next === rows) return;
      rows = next;
      p.writeParams(params());
      const [x, y] = groupsFor(ctx, rows * a.cols);
      p.workgroups[0] = x;
      p.workgroups[1] = y;
    },
    encode: (pass) => p.encode(pass),
    dispose: () => p.dispose(),
  };
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
