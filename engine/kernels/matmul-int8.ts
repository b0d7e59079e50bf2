/**
 * Int8 tensor-core prefill matmul (shaders/matmul-int8.wgsl) for Q8_0 and Q4_0 weights:
 * X is quantized to q8_0 blocks (act-quant.wgsl, int8 output: the same rounding as the f32
 * path's ROUND mode) and each block's integer dot product runs on subgroup matrices
 * (i8 x i8 -> i32, 16 x 16 x 32), scaled per block by d_x * d_w into f32.
 *
 * Reached through `matmulPlan(ctx, { ..., int8: true })`, which calls `matmulInt8Support` and
 * falls back to the f32 tiled kernel when it returns a reason; nothing here runs on devices
 * without `chromium-experimental-subgroup-matrix` (lavapipe, CI). Where the adapter does not list
 * its subgroup matrix configurations (Dawn's node binding), the known-answer probe of
 * matmul-int8-probe.ts decides. The probe also picks where the kernel stages its tiles and
 * products (workgroup memory or a storage scratch shared by all int8 plans of a context:
 * int8StageBytes per dispatch, one region per workgroup).
 *
 * The int8 x and its scales live in the device-wide activation scratch (act-quant.ts): x at
 * offset 0, the scales at the next 256-byte boundary (int8ScratchLayout), written by the same
 * activationQuantizePlan decode's matvecs use, pointed at the scratch; like the f32 rounding,
 * the quantization is encoded right before its product.
 *
 * Extend: another 32-block format = a staging branch in the shader and a row in INT8_FORMATS.
 */

import { LongreadError } from '../errors.ts';
import { gpuRefSize } from '../gpu/buffer-pool.ts';
import { activationQuantizeBytes, activationQuantizePlan, activationScratch, type ActivationQuantizePlan, type ActivationScratch } from './act-quant.ts';
import { int8Probe, int8ProbeSettled, type Int8Placement, type Int8ProbeVerdict } from './matmul-int8-probe.ts';
import { baseDefines, kernelScratch, ParamsWriter, planCreate, type DispatchPlan, type KernelContext } from './context.ts';
import type { MatmulArgs, MatmulPlan } from './matmul.ts';
import { weightRowBytes, weightSplit, type WeightFormat, type WeightSlice } from './weight-layout.ts';
import source from '../../shaders/matmul-int8.wgsl';

export const SUBGROUP_MATRIX_FEATURE = 'chromium-experimental-subgroup-matrix';
export const INT8_FORMATS: readonly WeightFormat[] = ['Q8_0', 'Q4_0'];

/**
 * Subgroups along M (>= 2) and N (1, 2, 4 or 8) per workgroup, each owning 32 x 32 outputs;
 * kb: K blocks of 32 staged and multiplied between one pair of barriers (1, 2 or 4; default 1;
 * each costs another 4 KiB of i32 results per subgroup); prefetch: the next group's global loads
 * are issued before this group's products.
 */
export interface Int8Tile {
  sgm: number;
  sgn: number;
  kb?: number;
  prefetch?: boolean;
}

/** Variants applied to int8TileFor's pick (bench A/B runs: modelLoad int8Tune). */
export interface Int8Tune {
  kb?: number;
}
export const INT8_TILE: Int8Tile = { sgm: 2, sgn: 2, prefetch: true };
/** The taller tiling (128 x 64 outputs per workgroup): int8TileFor's pick for 1024..2048 rows. */
export const INT8_TILE_TALL: Int8Tile = { sgm: 4, sgn: 2, prefetch: true };

/**
 * Tiling for `rows` weight rows (N) per dispatch. From smx.ts on the H100 (BENCHMARKS.md,
 * 2026-12-07, M = 2048 tokens, Q8_0 and Q4_0 alike): N = 2048 ran 1.15-1.4x faster on 128 x 64
 * (K 2048: 0.42 against 0.59 ms; K 8192: 1.63 against 1.91 ms), N = 8192 1.6x slower (2.82
 * against 1.74 ms), so the taller tiling is taken only in the measured band around N = 2048, and
 * only where its workgroup memory (43.5 KB with tiles and results there) fits `wgMax`.
 * `tune.kb` > 1 (K blocks per barrier pair; bench A/B, modelLoad int8Tune) applies to the chosen
 * tiling where it fits `wgMax`, else to the 64 x 64 one, else is dropped (measured 1.2-2.2x
 * slower on the H100: its workgroup memory halves the workgroups an SM holds).
 */
export function int8TileFor(rows: number, placement: Int8Placement, wgMax: number, tune: Int8Tune = {}): Int8Tile {
  const tall = rows >= 1024 && rows <= 2048 && int8WorkgroupBytes(INT8_TILE_TALL, placement) <= wgMax;
  let tile = tall ? INT8_TILE_TALL : INT8_TILE;
  const kb = tune.kb ?? 1;
  if (kb !== 1) tile = [{ ...tile, kb }, { ...INT8_TILE, kb }].find((t) => int8WorkgroupBytes(t, placement) <= wgMax) ?? tile;
  return tile;
}

/** The tiling matmulInt8Plan takes for `rows` weight rows on this context's device. */
export function int8TileOf(ctx: KernelContext, rows: number, tune: Int8Tune = {}): Int8Tile {
  return int8TileFor(rows, int8PlacementOf(ctx.device), Number(ctx.device.limits.maxComputeWorkgroupStorageSize), tune);
}

/** Shape facts of one adapter's subgroup matrix configuration (GPUSubgroupMatrixConfig). */
export interface SubgroupMatrixConfig {
  componentType: string;
  resultComponentType: string;
  M: number;
  N: number;
  K: number;
}

export interface Int8Device {
  features: { has(name: string): boolean };
  adapterInfo?: { subgroupMinSize?: number; subgroupMaxSize?: number; subgroupMatrixConfigs?: Iterable<SubgroupMatrixConfig> };
}

/**
 * Why the int8 kernel cannot run `format` on `device` (null: it can): it needs the subgroup
 * matrix feature, an i8 -> i32 16 x 16 x 32 configuration (where the adapter lists any), an
 * exact int8Probe on the device in some placement, and subgroups of exactly 32.
 */
export function matmulInt8Support(device: Int8Device, format: WeightFormat, probe: Int8ProbeVerdict | undefined = int8ProbeSettled(device)): string | null {
  if (!INT8_FORMATS.includes(format)) return `format ${format} has no int8 kernel (${INT8_FORMATS.join(', ')} only)`;
  if (!device.features.has('subgroups')) return 'the device has no subgroups';
  if (!device.features.has(SUBGROUP_MATRIX_FEATURE)) return `the device lacks ${SUBGROUP_MATRIX_FEATURE} (create it with unsafe: true)`;
  const info = device.adapterInfo;
  const configs = Array.from(info?.subgroupMatrixConfigs ?? []); // a WebIDL sequence in Dawn
  const ok = configs.some((c) => String(c.componentType) === 'i8' && String(c.resultComponentType) === 'i32' && Number(c.M) === 16 && Number(c.N) === 16 && Number(c.K) === 32);
  if (!ok && configs.length) return `no i8 -> i32 16x16x32 subgroup matrix configuration (offered: ${configs.map((c) => `${c.componentType}->${c.resultComponentType} ${c.M}x${c.N}x${c.K}`).join(', ')})`;
  if (info?.subgroupMinSize !== 32 || info?.subgroupMaxSize !== 32) return `subgroup size ${info?.subgroupMinSize}..${info?.subgroupMaxSize}, the kernel needs exactly 32`;
  if (!probe) return 'the int8 probe has not run on this device (await matmulInt8Probed)';
  if (!probe.ok) return `the int8 probe failed in every placement: ${probe.detail}`;
  return null;
}

/**
 * matmulInt8Support after running the known-answer probe (once per device, only on devices that
 * have the feature, subgroups and a format the kernel reads).
 */
export async function matmulInt8Probed(device: Int8Device, format: WeightFormat): Promise<string | null> {
  if (INT8_FORMATS.includes(format) && device.features.has('subgroups') && device.features.has(SUBGROUP_MATRIX_FEATURE)) {
    await int8Probe(device as unknown as GPUDevice);
  }
  return matmulInt8Support(device, format);
}

/** The placement the probe found on `device` (workgroup memory for both where it has not run). */
export function int8PlacementOf(device: object): Int8Placement {
  return int8ProbeSettled(device)?.placement ?? { stage: 'wg', res: 'wg' };
}

/** The shader defines of one variant (exported for the preprocessing test). */
export function matmulInt8Defines(ctx: KernelContext, a: { format: WeightFormat; bias?: boolean; accumulate?: boolean; tile?: Int8Tile; placement?: Int8Placement }) {
  const t = a.tile ?? INT8_TILE;
  if (!(t.sgm >= 2 && [1, 2, 4, 8].includes(t.sgn) && [1, 2, 4].includes(t.kb ?? 1))) throw new LongreadError('internal', `matmul int8: tiling ${int8TileName(t)} is not supported.`, 'Use SGM >= 2, SGN in 1, 2, 4, 8 and KB in 1, 2, 4 (matmul-int8.wgsl staging).');
  const p = a.placement ?? { stage: 'wg', res: 'wg' };
  return baseDefines(ctx, { FMT: a.format, SGM: `${t.sgm}u`, SGN: `${t.sgn}u`, KB: `${t.kb ?? 1}u`, BIAS: a.bias === true, ACCUMULATE: a.accumulate === true, PREFETCH: t.prefetch !== false, STAGE_ST: p.stage === 'st', RES_ST: p.res === 'st', SCRATCH: p.stage === 'st' || p.res === 'st' });
}

/** A tiling as the benches and check results name it: '2x2', '2x2 kb2', with ' prefetch'. */
export function int8TileName(t: Int8Tile): string {
  return `${t.sgm}x${t.sgn}${(t.kb ?? 1) > 1 ? ` kb${t.kb}` : ''}${t.prefetch === false ? '' : ' prefetch'}`;
}

/** Staged row stride in bytes (matmul-int8.wgsl KS): KB blocks of 32 bytes and 16 bytes of skew. */
function int8RowStride(t: Int8Tile): number {
  return 32 * (t.kb ?? 1) + 16;
}

/** Workgroup memory of a tiling (matmul-int8.wgsl: staged x and w, scales, i32 results; the first and last only where placed there). */
export function int8WorkgroupBytes(t: Int8Tile, p: Int8Placement = { stage: 'wg', res: 'wg' }): number {
  const bm = 32 * t.sgm;
  const bn = 32 * t.sgn;
  const kb = t.kb ?? 1;
  return (p.stage === 'wg' ? int8RowStride(t) * (bm + bn) : 0) + 4 * 2 * kb * (bm + bn) + (p.res === 'wg' ? 4 * 1024 * kb * t.sgm * t.sgn : 0);
}

/** Bytes of one workgroup's region of the storage scratch (matmul-int8.wgsl REGION). */
export function int8RegionBytes(t: Int8Tile, p: Int8Placement): number {
  return (p.stage === 'st' ? int8RowStride(t) * 32 * (t.sgm + t.sgn) : 0) + (p.res === 'st' ? 4 * 1024 * (t.kb ?? 1) * t.sgm * t.sgn : 0);
}

/** Storage scratch of the largest dispatch of a [rows x cols] product over maxM tokens (0: none needed). */
export function int8StageBytes(t: Int8Tile, p: Int8Placement, rows: number, maxM: number): number {
  return Math.ceil(rows / (32 * t.sgn)) * Math.ceil(maxM / (32 * t.sgm)) * int8RegionBytes(t, p);
}

/** Byte layout of the int8 x and its scales in the scratch: [xq | pad to 256 | xs]. */
export function int8ScratchLayout(maxM: number, cols: number): { xqBytes: number; xsOffset: number; xsBytes: number; total: number } {
  const { xq: xqBytes, xs: xsBytes } = activationQuantizeBytes(maxM, cols);
  const xsOffset = Math.ceil(xqBytes / 256) * 256;
  return { xqBytes, xsOffset, xsBytes, total: xsOffset + xsBytes };
}

export async function matmulInt8Plan(ctx: KernelContext, a: MatmulArgs & { int8Tile?: Int8Tile; int8Placement?: Int8Placement }): Promise<MatmulPlan> {
  if (a.cols % 32) throw new LongreadError('internal', `matmul int8: ${a.cols} columns is not a multiple of 32.`, 'Quantized weights have whole blocks per row.');
  const placement = a.int8Placement ?? int8PlacementOf(ctx.device);
  const wgMax = Number(ctx.device.limits.maxComputeWorkgroupStorageSize);
  const tile = a.int8Tile ?? int8TileFor(a.rows, placement, wgMax);
  const wgBytes = int8WorkgroupBytes(tile, placement);
  if (wgBytes > wgMax) throw new LongreadError('internal', `matmul int8: tiling ${int8TileName(tile)} needs ${wgBytes} bytes of workgroup memory, the device allows ${wgMax}.`, 'Use a smaller tiling (INT8_TILE).');
  for (const [name, ref, bytes] of [['x', a.x, a.maxM * a.cols * 4], ['y', a.y, a.maxM * a.rows * 4], ['bias', a.bias, a.rows * 4]] as const) {
    if (ref && gpuRefSize(ref) < bytes) throw new LongreadError('internal', `matmul: ${name} binding holds ${gpuRefSize(ref)} bytes, needs ${bytes}.`, 'Allocate the activation buffers for maxM tokens.');
  }
  const bm = 32 * tile.sgm;
  const bn = 32 * tile.sgn;
  const rowBytes = weightRowBytes(a.format, a.cols);
  const slices = weightSplit(a.format, a.rows, a.cols, a.weight, {
    maxStorageBufferBindingSize: ctx.maxStorageBufferBindingSize,
    minStorageBufferOffsetAlignment: Number(ctx.device.limits.minStorageBufferOffsetAlignment),
  });
  const stageBytes = Math.max(0, ...slices.map((s) => int8StageBytes(tile, placement, s.rows, a.maxM)));
  if (stageBytes > ctx.maxStorageBufferBindingSize) {
    throw new LongreadError('internal', `matmul int8: the staging scratch of ${a.rows} rows x ${a.maxM} tokens needs ${stageBytes} bytes, a binding holds at most ${ctx.maxStorageBufferBindingSize}.`, 'Prefill in smaller pieces or use the f32 kernel (matmulInt8Fits).');
  }
  const stage = stageBytes ? kernelScratch(ctx, 'int8-stage', stageBytes) : null;
  let m = a.m ?? a.maxM;
  const lay = int8ScratchLayout(a.maxM, a.cols);
  const scratch: ActivationScratch = activationScratch(ctx, lay.total);
  const out = { xq: { buffer: scratch.buffer, offset: 0, size: lay.xqBytes }, xs: { buffer: scratch.buffer, offset: lay.xsOffset, size: lay.xsBytes } };
  let quant: ActivationQuantizePlan;
  try {
    quant = await activationQuantizePlan(ctx, { x: a.x, cols: a.cols, maxRows: a.maxM, rows: m, format: 'q8_0', out });
  } catch (e) {
    scratch.release();
    throw e;
  }
  const params = (s: WeightSlice, m: number) => new ParamsWriter().u32(m).u32(s.rows).u32(a.cols).u32(rowBytes).u32(s.rowStart).u32(a.rows).bytes();
  const defines = matmulInt8Defines(ctx, { format: a.format, bias: a.bias !== undefined, accumulate: a.accumulate, tile, placement });
  let plans: DispatchPlan[];
  try {
    plans = await Promise.all(
      slices.map((s) =>
        planCreate(ctx, {
          name: 'matmul-int8.wgsl',
          source,
          defines,
          params: params(s, m),
          buffers: [{ buffer: s.buffer, offset: s.offset, size: s.size }, out.xq, out.xs, a.y, a.bias ?? null, stage ? { buffer: stage, offset: 0, size: stageBytes } : null],
          workgroups: [Math.ceil(s.rows / bn), Math.ceil(m / bm)],
        }),
      ),
    );
  } catch (e) {
    quant.dispose();
    scratch.release();
    throw e;
  }
  return {
    slices,
    kernel: 'int8',
    setM(next) {
      if (!(next >= 1 && next <= a.maxM && Number.isInteger(next))) throw new LongreadError('internal', `matmul: token count ${next} outside 1..${a.maxM}.`, 'Create the plan with a larger maxM.');
      if (next === m) return;
      m = next;
      quant.setRows(m);
      plans.forEach((p, i) => {
        p.writeParams(params(slices[i]!, m));
        p.workgroups[1] = Math.ceil(m / bm);
      });
    },
    encode(pass) {
      // the quantization writes the shared scratch: it must stay right before its product
      quant.encode(pass);
      for (const p of plans) p.encode(pass);
    },
    dispose() {
      for (const p of plans) p.dispose();
      quant.dispose();
      scratch.release();
    },
  };
}

/** Whether the int8 plan's staging scratch fits one binding (matmulPlan falls back to f32 where not). */
export function matmulInt8Fits(ctx: KernelContext, a: Pick<MatmulArgs, 'rows' | 'maxM'> & { int8Tile?: Int8Tile }): boolean {
  return int8StageBytes(a.int8Tile ?? int8TileOf(ctx, a.rows), int8PlacementOf(ctx.device), a.rows, a.maxM) <= ctx.maxStorageBufferBindingSize;
}
