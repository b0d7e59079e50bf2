/**
 * Tiled matrix-matrix product for prefill (shaders/matmul.wgsl): Y = X W^T (+ bias) or
 * Y += X W^T, with W [rows x cols] in its GGUF block layout, X [m x cols] and Y [m x rows] f32.
 *
 *   const p = await matmulPlan(ctx, { format: 'Q8_0', rows, cols, maxM: 512, weight, x, y });
 *   p.setM(137);               // tokens of the next submit (writes the plans' uniforms)
 *   p.encode(pass);
 *
 * `setM` goes through queue.writeBuffer, so every encode in one submit sees the last value:
 * use one plan per distinct token count inside a submit. Weights larger than one storage
 * binding are split by rows as in matvec.ts; each slice writes its columns of Y.
 * Tile sizes (matmulTileDefaults): 128 x 128 (tm = tn = 8) by default, 64 x 64 (4) for small
 * problems; on CPU adapters (lavapipe) 256 x 128 (tm 16, tn 8) for pieces of 256+ tokens.
 * Every tiling sums each output in the same k order, so results are bitwise the same.
 *
 * Quantized formats round X first (activation: 'round', the default): one pass writes X
 * rounded through the activation format llama.cpp's CPU backend multiplies that weight type
 * with (act-quant.ts: q8_0 / q8_K) into a device-wide scratch, and the product reads it, so
 * prefill logits follow the peer's like decode's int8 matvec does. activation: 'f32'
 * multiplies the caller's X as is. Float formats never round.
 *
 * int8: true picks the int8 tensor-core kernel (matmul-int8.ts) for Q8_0 / Q4_0 on devices with
 * subgroup matrices where its probe passed and the kernel's own known-answer check matched this
 * kernel (matmul-int8-check.ts; same X rounding, per-block scales in f32); everything else falls
 * back here. modelLoad passes it by default (int8Prefill).
 *
 * Extend: an epilogue = a define in the shader + a flag here (and in matmul-int8.wgsl).
 */

import { LongreadError } from '../errors.ts';
import { gpuRefSize, type BufferRef } from '../gpu/buffer-pool.ts';
import { activationFormatOf, activationRoundPlan, activationScratch, type ActivationRoundPlan, type ActivationScratch } from './act-quant.ts';
import { baseDefines, ParamsWriter, planCreate, type DispatchPlan, type KernelContext, type KernelPlan } from './context.ts';
import { int8TileOf, matmulInt8Fits, matmulInt8Plan, matmulInt8Probed, type Int8Tune } from './matmul-int8.ts';
import { matmulInt8Checked } from './matmul-int8-check.ts';
import { softwareAdapter } from './matvec.ts';
import { weightRowBytes, weightSplit, type WeightFormat, type WeightPart, type WeightSlice } from './weight-layout.ts';
import source from '../../shaders/matmul.wgsl';

export interface MatmulArgs {
  format: WeightFormat;
  /** Rows of W = columns of Y (N). */
  rows: number;
  /** Columns of W and X (K). */
  cols: number;
  /** Largest token count this plan is used with (sizes the checks). */
  maxM: number;
  /** Initial token count (default maxM). */
  m?: number;
  weight: BufferRef | WeightPart[];
  /** [m x cols] f32 */
  x: BufferRef;
  /** [m x rows] f32 */
  y: BufferRef;
  /** [rows] f32 added to every row of Y */
  bias?: BufferRef;
  /** Y += X W^T */
  accumulate?: boolean;
  /** Per-invocation tile (4 or 8) along tokens and outputs; default from the shape (matmulTileDefaults). */
  tile?: 4 | 8;
  /** Per-invocation tile along tokens only (4, 8 or 16: 64, 128 or 256 tokens a workgroup); overrides `tile` there. */
  tileM?: 4 | 8 | 16;
  /** Issue the next tile's loads before this tile's arithmetic (default true). */
  prefetch?: boolean;
  /** Quantized formats: 'round' (default) X as llama.cpp rounds it; 'f32': X as is. */
  activation?: 'round' | 'f32';
  /**
   * The int8 tensor-core kernel (matmul-int8.ts) where the device and the format allow it
   * (Q8_0 / Q4_0 with subgroup matrices); the f32 kernel otherwise. Same rounding of X.
   */
  int8?: boolean;
  /** Variants of the int8 kernel's tiling (int8TileFor): bench A/B runs. */
  int8Tune?: Int8Tune;
}

export interface MatmulPlan extends KernelPlan {
  readonly slices: readonly WeightSlice[];
  /** The kernel chosen: the int8 tensor-core one or the tiled f32 one. */
  readonly kernel: 'int8' | 'f32';
  /** Sets the token count for the next submit (1..maxM). */
  setM(m: number): void;
}

/** Workgroup memory of the f32 kernel at a [tm, tn] tile: X and W tiles of BK = 16 f32 columns. */
export function matmulShared(tm: number, tn: number): number {
  return 4 * 16 * 16 * (tm + tn);
}

/**
 * Per-invocation tile [tm, tn] of the f32 kernel. GPUs: 8 x 8 from 96 tokens and 512 outputs,
 * else 4 x 4. CPU adapters (lavapipe, `software`): 16 x 8 from 256 tokens, measured on the
 * bundled 28M model's prefill shapes (512 tokens, Q8_0, 2 cores): 4.2 GFLOP/s against 3.0 for
 * 8 x 8 and 1.9 for 4 x 4 on [1536 x 512] and [512 x 1536] (bench/e2e/cpu-profile.ts has the
 * whole-prefill breakdown). Each lavapipe workgroup runs on one thread, so larger tiles reuse
 * every staged X and W value across more products.
 */
export function matmulTileDefaults(maxM: number, rows: number, software = false, sharedLimit = 32768): { tm: 4 | 8 | 16; tn: 4 | 8 } {
  if (software && maxM >= 256 && matmulShared(16, 8) <= sharedLimit) return { tm: 16, tn: 8 };
  const t = maxM >= 96 && rows >= 512 ? 8 : 4;
  return { tm: t, tn: t };
}

export async function matmulPlan(ctx: KernelContext, a: MatmulArgs): Promise<MatmulPlan> {
  if (a.int8 && a.activation !== 'f32' && (await matmulInt8Probed(ctx.device, a.format)) === null) {
    // one tiling for the fit, the check and the plan: the kernel is checked on a known answer
    // once per device, format and tiling (matmul-int8-check.ts) before it runs this product
    const int8 = { ...a, int8Tile: int8TileOf(ctx, a.rows, a.int8Tune) };
    if (matmulInt8Fits(ctx, int8) && (await matmulInt8Checked(ctx, a.format, int8.int8Tile, (r) => matmulF32Plan(ctx, r))) === null) return matmulInt8Plan(ctx, int8);
  }
  return matmulF32Plan(ctx, a);
}

/** The tiled f32 kernel (shaders/matmul.wgsl), whatever `a.int8` says. */
async function matmulF32Plan(ctx: KernelContext, a: MatmulArgs): Promise<MatmulPlan> {
  const rowBytes = weightRowBytes(a.format, a.cols);
  const d = matmulTileDefaults(a.maxM, a.rows, softwareAdapter(ctx), Number(ctx.device.limits.maxComputeWorkgroupStorageSize));
  const tm = a.tileM ?? a.tile ?? d.tm;
  const tn = a.tile ?? d.tn;
  const need = (name: string, ref: BufferRef, bytes: number) => {
    if (gpuRefSize(ref) < bytes) throw new LongreadError('internal', `matmul: ${name} binding holds ${gpuRefSize(ref)} bytes, needs ${bytes}.`, 'Allocate the activation buffers for maxM tokens.');
  };
  need('x', a.x, a.maxM * a.cols * 4);
  need('y', a.y, a.maxM * a.rows * 4);
  if (a.bias) need('bias', a.bias, a.rows * 4);
  const slices = weightSplit(a.format, a.rows, a.cols, a.weight, {
    maxStorageBufferBindingSize: ctx.maxStorageBufferBindingSize,
    minStorageBufferOffsetAlignment: Number(ctx.device.limits.minStorageBufferOffsetAlignment),
  });
  const defines = baseDefines(ctx, {
    FMT: a.format,
    TM: `${tm}u`,
    TN: `${tn}u`,
    BIAS: a.bias !== undefined,
    ACCUMULATE: a.accumulate === true,
    PREFETCH: a.prefetch !== false,
  });
  const bm = 16 * tm;
  const bn = 16 * tn;
  const actFormat = a.activation === 'f32' ? null : activationFormatOf(a.format);
  let m = a.m ?? a.maxM;
  let round: ActivationRoundPlan | null = null;
  let scratch: ActivationScratch | null = null;
  if (actFormat) {
    scratch = activationScratch(ctx, a.maxM * a.cols * 4);
    const xr = { buffer: scratch.buffer, size: a.maxM * a.cols * 4 };
    try {
      round = await activationRoundPlan(ctx, { x: a.x, y: xr, cols: a.cols, maxRows: a.maxM, rows: m, format: actFormat });
    } catch (e) {
      scratch.release();
      throw e;
    }
  }
  const x: BufferRef = scratch ? { buffer: scratch.buffer, size: a.maxM * a.cols * 4 } : a.x;
  const params = (s: WeightSlice, m: number) => new ParamsWriter().u32(m).u32(s.rows).u32(a.cols).u32(rowBytes).u32(s.rowStart).u32(a.rows).bytes();
  let plans: DispatchPlan[];
  try {
    plans = await Promise.all(
      slices.map((s) =>
        planCreate(ctx, {
          name: 'matmul.wgsl',
          source,
          defines,
          params: params(s, m),
          buffers: [{ buffer: s.buffer, offset: s.offset, size: s.size }, x, a.y, a.bias ?? null],
          workgroups: [Math.ceil(s.rows / bn), Math.ceil(m / bm)],
        }),
      ),
    );
  } catch (e) {
    round?.dispose();
    scratch?.release();
    throw e;
  }
  return {
    slices,
    kernel: 'f32',
    setM(next) {
      if (!(next >= 1 && next <= a.maxM && Number.isInteger(next))) throw new LongreadError('internal', `matmul: token count ${next} outside 1..${a.maxM}.`, 'Create the plan with a larger maxM.');
      if (next === m) return;
      m = next;
      round?.setRows(m);
      plans.forEach((p, i) => {
        p.writeParams(params(slices[i]!, m));
        p.workgroups[1] = Math.ceil(m / bm);
      });
    },
    encode(pass) {
      // the rounding writes the shared scratch: it must stay right before its product
      round?.encode(pass);
      for (const p of plans) p.encode(pass);
    },
    dispose() {
      for (const p of plans) p.dispose();
      round?.dispose();
      scratch?.release();
    },
  };
}
