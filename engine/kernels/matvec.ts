/**
 * Matrix-vector product for decode (shaders/matvec.wgsl): y = W x, y = W x + b, or y += W x,
 * with W [rows x cols] in its GGUF block layout (any WeightFormat), x [cols] and y [rows] f32.
 *
 *   const p = await matvecPlan(ctx, { format: 'Q4_K', rows, cols, weight, x, y });
 *   p.encode(pass);            // as often as needed; one dispatch per weight slice
 *
 * Weights larger than one storage binding are split by rows (weightSplit): pass one buffer or
 * the tensor's row parts (`WeightPart[]`, e.g. a 280 MB output matrix uploaded in two buffers);
 * the plan binds each slice separately and writes its rows at their place in y.
 * `wg` / `rowsPerWorkgroup` override the tuned defaults (kernel lab and bench only).
 *
 * Extend: a fused epilogue (e.g. an activation) = a define in the shader + a flag here.
 */

import { LongreadError } from '../errors.ts';
import { gpuBinding, gpuRefSize, type BufferRef } from '../gpu/buffer-pool.ts';
import { baseDefines, dispatch2d, ParamsWriter, planCreate, type DispatchPlan, type KernelContext, type KernelPlan } from './context.ts';
import { weightFormatLayout, weightRowBytes, weightSplit, type WeightFormat, type WeightPart, type WeightSlice } from './weight-layout.ts';
import source from '../../shaders/matvec.wgsl';

export interface MatvecArgs {
  format: WeightFormat;
  rows: number;
  cols: number;
  /** The tensor's bytes in GGUF layout: one ref, or its row parts in order. */
  weight: BufferRef | WeightPart[];
  /** [cols] f32 */
  x: BufferRef;
  /** [rows] f32; written (or accumulated into with `accumulate`) */
  y: BufferRef;
  /** [rows] f32 added to the product */
  bias?: BufferRef;
  /** y += W x (residual add) instead of y = W x */
  accumulate?: boolean;
  /** Workgroup size (power of two, 32..256); default from the shape. */
  wg?: number;
  /** Rows per workgroup; default 4. */
  rowsPerWorkgroup?: number;
}

export interface MatvecPlan extends KernelPlan {
  /** One dispatch per weight slice. */
  readonly slices: readonly WeightSlice[];
}

/** The tuned defaults (bench/kernels measures the alternatives). */
export function matvecDefaults(format: WeightFormat, cols: number): { wg: number; rowsPerWorkgroup: number } {
  void format;
  const chunks = Math.ceil(cols / 8);
  return { wg: chunks >= 512 ? 128 : chunks >= 128 ? 64 : 32, rowsPerWorkgroup: 4 };
}

export async function matvecPlan(ctx: KernelContext, a: MatvecArgs): Promise<MatvecPlan> {
  weightFormatLayout(a.format);
  const rowBytes = weightRowBytes(a.format, a.cols);
  const d = matvecDefaults(a.format, a.cols);
  const wg = a.wg ?? d.wg;
  const r = a.rowsPerWorkgroup ?? d.rowsPerWorkgroup;
  if (wg & (wg - 1) || wg < 8 || wg > 256) throw new LongreadError('internal', `matvec: workgroup size ${wg} is not a power of two in 8..256.`, 'Pass wg = 32, 64, 128 or 256.');
  checkSize('x', a.x, a.cols * 4);
  checkSize('y', a.y, a.rows * 4);
  if (a.bias) checkSize('bias', a.bias, a.rows * 4);
  const limits = ctx.device.limits;
  const slices = weightSplit(a.format, a.rows, a.cols, a.weight, {
    maxStorageBufferBindingSize: ctx.maxStorageBufferBindingSize,
    minStorageBufferOffsetAlignment: Number(limits.minStorageBufferOffsetAlignment),
  });
  const defines = baseDefines(ctx, {
    FMT: a.format,
    WG: `${wg}u`,
    R: `${r}u`,
    X_VEC4: a.cols % 4 === 0,
    BIAS: a.bias !== undefined,
    ACCUMULATE: a.accumulate === true,
  });
  const plans: DispatchPlan[] = await Promise.all(
    slices.map((s) =>
      planCreate(ctx, {
        name: 'matvec.wgsl',
        source,
        defines,
        params: new ParamsWriter().u32(s.rows).u32(a.cols).u32(rowBytes).u32(s.rowStart).bytes(),
        buffers: [{ buffer: s.buffer, offset: s.offset, size: s.size }, a.x, a.y, a.bias ?? null],
        workgroups: dispatch2d(ctx, Math.ceil(s.rows / r)),
      }),
    ),
  );
  return {
    slices,
    encode(pass) {
      for (const p of plans) p.encode(pass);
    },
    dispose() {
      for (const p of plans) p.dispose();
    },
  };
}

function checkSize(name: string, ref: BufferRef, bytes: number): void {
  const have = gpuRefSize(ref);
  if (have < bytes) {
    throw new LongreadError('internal', `matvec: ${name} binding holds ${have} bytes, needs ${bytes}.`, 'Allocate the activation buffers for the model shape.', {
      binding: name,
      offset: gpuBinding(ref).offset ?? 0,
    });
  }
}
