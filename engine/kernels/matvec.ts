/**
 * Matrix-vector product for decode (shaders/matvec.wgsl): y = W x, y = W x + b, or y += W x,
 * with W [rows x cols] in its GGUF block layout (any WeightFormat), x [cols] and y [rows] f32.
 *
 *   const p = await matvecPlan(ctx, { format: 'Q4_K', rows, cols, weight, x, y });
 *   p.encode(pass);            // as often as needed; one dispatch per weight slice
 *
 * Quantized formats take the integer path by default (activation: 'int8'): the plan first
 * quantizes x to int8 into its own scratch exactly as llama.cpp's CPU backend does for that
 * weight type (act-quant.ts: q8_0 blocks of 32 with an fp16 scale for Q4_0..Q8_0, q8_K blocks
 * of 256 for the K-quants), then multiplies with dot4I8Packed (matvec-q8.wgsl); x then carries
 * int8 precision (NMSE ~1e-5) and our logits follow the peer's. activation: 'f32' keeps x in
 * f32 (matvec.wgsl, exact to f32 rounding, ALU-bound for 4-6 bit formats). Float formats
 * always use the f32 path.
 *
 * Several matvecs reading the same x with one activation format can share one quantization:
 * `activationQuantizePlan` and `quantizedX` (encode the quantize plan first).
 *
 * Weights larger than one storage binding are split by rows (weightSplit): pass one buffer or
 * the tensor's row parts (`WeightPart[]`, e.g. a 280 MB output matrix uploaded in two buffers);
 * the plan binds each slice separately and writes its rows at their place in y.
 * `wg` / `rowsPerWorkgroup` / `loop` override the tuned defaults (kernel lab and bench only).
 *
 * Loop variants (`MatvecLoop`, bitwise the same results, bench/kernels/run.ts times them):
 * 'base' one unit (int8) / 8-weight chunk (f32) per lane step; 'unroll2' / 'unroll4' that many
 * steps with every load issued before the first product (more bytes in flight per lane);
 * 'tile1' / 'tile2' / 'tile4' (int8 only) stage 1 / 2 / 4 units per lane of the group's rows in
 * workgroup memory with consecutive lanes reading consecutive words (coalesced whatever the
 * block size: Q8_0's 34-byte blocks cost a lane 11 scattered word loads per block otherwise);
 * 'tile1v' / 'tile2v' the same with 16-byte (vec4<u32>) loads.
 * The fused kernel (matvec-fused.ts) takes the same default, so it stays bitwise equal.
 *
 * Measured on an H100 (BENCHMARKS.md, Kernels, tenth run; x quantized once as decode runs it):
 * int8 path 82-102% of Dawn's 2.95 TB/s read ceiling on [128256 x 2048] for Q4_0/Q8_0/Q4_K/Q6_K,
 * F16 103%; [14336 x 4096] 69-88% (F16 91%), where the ~3.6 us a dependent dispatch costs
 * besides its bytes is a quarter of the kernel; gate and up stacked into one [28672 x 4096]
 * matvec 84-97%. Sharing the quantized x across q/k/v and gate/up saves one dispatch each.
 *
 * Extend: a fused epilogue (e.g. an activation) = a define in the shader + a flag here.
 */

import { LongreadError } from '../errors.ts';
import { gpuBinding, gpuRefSize, type BufferRef } from '../gpu/buffer-pool.ts';
import { activationFormatOf, activationQuantizePlan, type QuantizedActivation } from './act-quant.ts';
import { baseDefines, dispatch2d, ParamsWriter, planCreate, subgroupSizeRange, type KernelContext, type KernelPlan } from './context.ts';
import { weightFormatLayout, weightRowBytes, weightSplit, type WeightFormat, type WeightPart, type WeightSlice } from './weight-layout.ts';
import source from '../../shaders/matvec.wgsl';
import sourceQ8 from '../../shaders/matvec-q8.wgsl';

export { activationQuantizePlan, type ActivationQuantizePlan } from './act-quant.ts';

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
  /** 'int8' (default for quantized formats): x quantized as llama.cpp does; 'f32': exact path. */
  activation?: 'int8' | 'f32';
  /** int8 path: x already quantized (its plan encoded before this matvec, same activation format); default: own. */
  quantizedX?: QuantizedActivation;
  /**
   * int8 path, Q4_K / Q5_K: one invocation takes both 32-weight sub-blocks that share their nibble
   * bytes (default true). (A Q6_K variant sharing its high bits and scales was no faster on the
   * H100, BENCHMARKS.md eleventh run, and was removed.)
   */
  unit64?: boolean;
  /** Loop variant (see the header); default matvecDefaults. */
  loop?: MatvecLoop;
  /**
   * int8 path: where the workgroup is exactly one subgroup, sum rows with subgroupAdd alone, no
   * workgroup memory or barrier (default true; bitwise the same totals; false for the A/B).
   */
  sgWhole?: boolean;
}

/** How a lane walks its units (int8) or 8-weight chunks (f32); all give bitwise the same sums. */
export type MatvecLoop = 'base' | 'unroll2' | 'unroll4' | 'tile1' | 'tile2' | 'tile4' | 'tile1v' | 'tile2v';
export const MATVEC_LOOPS: readonly MatvecLoop[] = ['base', 'unroll2', 'unroll4', 'tile1', 'tile2', 'tile4', 'tile1v', 'tile2v'];

/**
 * Shader defines of a loop variant for a group of `width` lanes and `r` rows (`groups` groups
 * per workgroup: the fused kernel's G), and the workgroup memory its tile takes.
 */
export function matvecLoopDefines(format: WeightFormat, loop: MatvecLoop, width: number, r: number, groups = 1, unit64 = UNIT64_FORMATS.has(format)): { defines: Record<string, string | boolean>; tileBytes: number } {
  if (loop === 'base') return { defines: {}, tileBytes: 0 };
  if (loop.startsWith('unroll')) return { defines: { UNROLL: `${loop.slice(6)}u` }, tileBytes: 0 };
  const l = weightFormatLayout(format);
  if (l.float) throw new LongreadError('internal', `matvec: loop ${loop} is for quantized weights on the int8 path.`, "Use 'base' or 'unroll2' / 'unroll4' for float weights.");
  const upb = l.blockWeights / (unit64 && UNIT64_FORMATS.has(format) ? 64 : 32);
  const vec4 = loop.endsWith('v');
  const tileUnits = Number(loop.slice(4, 5)) * width;
  const words = Math.ceil(((tileUnits / upb) * l.blockBytes) / 4);
  // words of a row's chunk + slack: the misaligned start, the word after a field (qb_u128), and
  // with vec4 loads the start rounded down to 16 bytes, the end up
  const trow = vec4 ? 4 * Math.ceil((words + 6) / 4) : words + 2;
  const tlw = Math.ceil((vec4 ? trow / 4 : trow) / width);
  const defines = { TILE: true, TILE_VEC4: vec4, TILE_UNITS: `${tileUnits}u`, TILE_GROUPS: `${groups}u`, TROW: `${trow}u`, TLW: `${tlw}u`, UPB: `${upb}u`, BB: `${l.blockBytes}u` };
  return { defines, tileBytes: groups * r * trow * 4 };
}

/** Formats whose int8 dot has a 64-weight unit (shaders/common/quant-dot.wgsl dotq2). */
const UNIT64_FORMATS: ReadonlySet<WeightFormat> = new Set(['Q4_K', 'Q5_K']);

export interface MatvecPlan extends KernelPlan {
  /** One dispatch per weight slice. */
  readonly slices: readonly WeightSlice[];
  /** The path taken. */
  readonly activation: 'int8' | 'f32';
}

/** A CPU implementation of WebGPU (Mesa lavapipe / llvmpipe, SwiftShader): tuned apart. */
export function softwareAdapter(ctx: KernelContext): boolean {
  const info = (ctx.device as unknown as { adapterInfo?: { isFallbackAdapter?: boolean; architecture?: string } }).adapterInfo;
  return info?.isFallbackAdapter === true || info?.architecture === 'software';
}

/** The tuned defaults (bench/kernels measures the alternatives). */
export function matvecDefaults(format: WeightFormat, cols: number, activation: 'int8' | 'f32' = weightFormatLayout(format).float ? 'f32' : 'int8', software = false, rows?: number): { wg: number; rowsPerWorkgroup: number; loop: MatvecLoop } {
  const loop = software ? 'base' : (MATVEC_LOOP[format] ?? 'base');
  return { ...matvecShapeDefaults(format, cols, activation, software, rows), loop: activation === 'f32' && loop.startsWith('tile') ? 'base' : loop };
}

/**
 * Default loop variant per weight format on GPUs (bench/kernels/run.ts --loops measures them;
 * lavapipe keeps 'base'): one entry per format. The fused kernel follows. Q4_0 'unroll4' at the
 * engine's shapes on the H100, two sweeps with steady clocks (BENCHMARKS.md, eleventh and twelfth
 * runs): [14336 x 4096] 15.6 / 15.9 -> 14.6 / 14.8 us, [16384 x 2048] 11.0 -> 10.0, [2048 x 8192]
 * 7.3 -> 6.8. At these shapes a lane has at most 2 units a row, so the 4-unit loop itself never
 * runs and every unit goes through the loop after it: the gain is in the code the driver's
 * compiler makes of that loop when it follows another (unroll2, whose loop does run there, was
 * no faster: 16.0 us). Bitwise the same sums either way. The other formats: no variant led by
 * more than run-to-run spread (the H200 sweep of 2026-12-06 and these), so they keep 'base'.
 */
const MATVEC_LOOP: Partial<Record<WeightFormat, MatvecLoop>> = { Q4_0: 'unroll4' };

function matvecShapeDefaults(format: WeightFormat, cols: number, activation: 'int8' | 'f32', software: boolean, rows?: number): { wg: number; rowsPerWorkgroup: number } {
  // Measured on an H100 (BENCHMARKS.md, Kernels): wg 64 with 2 rows (int8) / 4 rows (f32)
  // led or tied on [14336 x 4096] and [128256 x 2048]; short rows take smaller groups.
  // The H200 sweep over the 1B decode shapes (2026-12-06, `run.mjs --loops`) added: long rows
  // (>= 256 int8 units, the down projection's 8192 columns) want 128 lanes (Q8_0 [2048 x 8192]
  // 26.2 -> 8.7 us: 1024 workgroups of 64 lanes leave the SMs short of loads in flight); tall
  // matrices want 4 rows per workgroup (the classifier, >= 65536 rows: Q8_0 101 -> 69 us;
  // the 64-weight-unit K-quants from 8192 rows: Q4_K [16384 x 2048] 35.6 -> 10.3 us); f32 rows
  // of matrices under 8192 rows run best as 128 lanes x 2 rows (F16 [2048 x 8192] 27.6 -> 12.3).
  // On lavapipe, time follows the number of invocations (bench/kernels/fused-lab.ts): int8 takes
  // one SIMD row of 8 lanes per 8 rows there, 4 for the K-quants (whose unrolled dots make
  // pipeline compiles ~3 s per row at 8).
  if (activation === 'int8' && software) return { wg: 8, rowsPerWorkgroup: activationFormatOf(format) === 'q8_K' ? 4 : 8 };
  if (activation === 'int8') {
    const unit64 = UNIT64_FORMATS.has(format);
    const units = cols / (unit64 ? 64 : 32);
    if (units >= 256) return { wg: 128, rowsPerWorkgroup: 2 };
    const tall = rows !== undefined && (rows >= 65536 || (unit64 && rows >= 8192));
    // the K-quants' tall matrices keep 32 lanes up to 4096 columns (Q4_K [14336 x 4096] wg32 r4
    // 15.5 / 15.8 us against wg64 r4 16.3 / 16.5, two H100 sweeps, eleventh and twelfth runs;
    // Q5_K, the other 64-weight-unit format, follows unmeasured, as for the 4 rows above)
    return { wg: units >= 64 && !(unit64 && tall) ? 64 : 32, rowsPerWorkgroup: tall ? 4 : 2 };
  }
  const chunks = Math.ceil(cols / 8);
  if (!software && rows !== undefined && rows < 8192 && chunks >= 256) return { wg: 128, rowsPerWorkgroup: 2 };
  return { wg: chunks >= 128 ? 64 : 32, rowsPerWorkgroup: 4 };
}

export async function matvecPlan(ctx: KernelContext, a: MatvecArgs): Promise<MatvecPlan> {
  try {
    return await matvecPlanOf(ctx, a);
  } catch (e) {
    // A device whose WGSL lacks packed 4x8 integer dot products cannot build the int8 path:
    // fall back to the f32 path unless the caller insisted on int8.
    if (e instanceof LongreadError && e.code === 'gpu-validation' && a.activation === undefined && !weightFormatLayout(a.format).float) {
      const { loop: _loop, ...rest } = a;
      return matvecPlanOf(ctx, { ...rest, activation: 'f32' });
    }
    throw e;
  }
}

async function matvecPlanOf(ctx: KernelContext, a: MatvecArgs): Promise<MatvecPlan> {
  const layout = weightFormatLayout(a.format);
  const rowBytes = weightRowBytes(a.format, a.cols);
  const activation = layout.float ? 'f32' : (a.activation ?? 'int8');
  const d = matvecDefaults(a.format, a.cols, activation, softwareAdapter(ctx), a.rows);
  const wg = a.wg ?? d.wg;
  const r = a.rowsPerWorkgroup ?? d.rowsPerWorkgroup;
  const loop = a.loop ?? d.loop;
  if (wg & (wg - 1) || wg < 8 || wg > 256) throw new LongreadError('internal', `matvec: workgroup size ${wg} is not a power of two in 8..256.`, 'Pass wg = 32, 64, 128 or 256.');
  checkSize('x', a.x, a.cols * 4);
  checkSize('y', a.y, a.rows * 4);
  if (a.bias) checkSize('bias', a.bias, a.rows * 4);
  const limits = ctx.device.limits;
  const slices = weightSplit(a.format, a.rows, a.cols, a.weight, {
    maxStorageBufferBindingSize: ctx.maxStorageBufferBindingSize,
    minStorageBufferOffsetAlignment: Number(limits.minStorageBufferOffsetAlignment),
  });
  const common = { FMT: a.format, WG: `${wg}u`, R: `${r}u`, BIAS: a.bias !== undefined, ACCUMULATE: a.accumulate === true };
  const groups = (s: WeightSlice) => dispatch2d(ctx, Math.ceil(s.rows / r));
  const params = (s: WeightSlice) => new ParamsWriter().u32(s.rows).u32(a.cols).u32(rowBytes).u32(s.rowStart).bytes();
  const wref = (s: WeightSlice) => ({ buffer: s.buffer, offset: s.offset, size: s.size });
  const plans: KernelPlan[] = [];
  const owned: KernelPlan[] = [];
  if (activation === 'int8') {
    const format = activationFormatOf(a.format)!;
    let q = a.quantizedX;
    if (q) {
      if (q.cols !== a.cols) throw new LongreadError('internal', `matvec: quantized x has ${q.cols} columns, the weight ${a.cols}.`, 'Quantize the input this matvec reads.');
      if (q.format !== format) throw new LongreadError('internal', `matvec: x quantized as ${q.format}, ${a.format} weights multiply ${format}.`, 'Share a quantized x only between weights of one activation format.');
    } else {
      const own = await activationQuantizePlan(ctx, { x: a.x, cols: a.cols, format });
      owned.push(own);
      plans.push(own);
      q = own;
    }
    const { xq, xs } = q;
    const unit64 = a.unit64 !== false && UNIT64_FORMATS.has(a.format);
    const red = ctx.subgroups ? wg * r : wg * r * 4;
    // a workgroup that is exactly one subgroup sums its rows with subgroupAdd alone (same totals)
    const sg = subgroupSizeRange(ctx);
    const sgWhole = ctx.subgroups && a.sgWhole !== false && sg.min === wg && sg.max === wg;
    let lp = matvecLoopDefines(a.format, loop, wg, r, 1, unit64);
    // a default tile that does not fit this device's workgroup memory: the plain loop (same sums)
    if (a.loop === undefined && lp.tileBytes + red > Number(limits.maxComputeWorkgroupStorageSize)) lp = matvecLoopDefines(a.format, 'base', wg, r);
    if (lp.tileBytes + red > Number(limits.maxComputeWorkgroupStorageSize)) {
      throw new LongreadError('internal', `matvec: loop ${loop} needs ${lp.tileBytes + red} bytes of workgroup memory, the device has ${Number(limits.maxComputeWorkgroupStorageSize)}.`, 'Use fewer rows or units per workgroup.');
    }
    for (const s of slices) {
      plans.push(
        await planCreate(ctx, {
          name: 'matvec-q8.wgsl',
          source: sourceQ8,
          defines: baseDefines(ctx, { ...common, UNIT64: unit64, SG_WHOLE: sgWhole, ...lp.defines }),
          params: params(s),
          buffers: [wref(s), xq, xs, a.y, a.bias ?? null, ...(lp.defines.TILE_VEC4 ? [wref(s)] : [])],
          workgroups: groups(s),
        }),
      );
    }
  } else {
    if (loop.startsWith('tile')) throw new LongreadError('internal', `matvec: loop ${loop} is for the int8 path.`, "Use 'base' or 'unroll2' / 'unroll4' with activation 'f32'.");
    const defines = baseDefines(ctx, { ...common, X_VEC4: a.cols % 4 === 0, ...matvecLoopDefines(a.format, loop, wg, r).defines });
    for (const s of slices) {
      plans.push(await planCreate(ctx, { name: 'matvec.wgsl', source, defines, params: params(s), buffers: [wref(s), a.x, a.y, a.bias ?? null], workgroups: groups(s) }));
    }
  }
  return {
    slices,
    activation,
    encode(pass) {
      for (const p of plans) p.encode(pass);
    },
    dispose() {
      for (const p of plans) if (!owned.includes(p)) p.dispose();
      for (const p of owned) p.dispose();
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
