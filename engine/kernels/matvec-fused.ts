/**
 * Decode matvec with its neighbours folded in (shaders/matvec-q8-fused.wgsl): ONE dispatch for
 * what the separate path runs as activation quantization + int8 product (matvec.ts), plus
 * optionally the RMSNorm before it (`norm`) and the SwiGLU after it (`swiglu`). Decode on the
 * H100 is bound by per-dispatch latency (BENCHMARKS.md, "Where the time goes"), so a layer's
 * norm -> quantize -> q|k|v and norm -> quantize -> gate|up -> swiglu become one dispatch each.
 *
 *   const p = await matvecFusedPlan(ctx, { format, rows, cols, weight, x, y, norm: { weight: nw, eps } });
 *   if (p) p.encode(pass); else ... the separate plans (rmsnorm.ts, matvec.ts)
 *
 * Results are bitwise those of the separate kernels (the shader header says why); the harness
 * (test/kernels/cases-fused.ts) checks them against the CPU reference and engine/models/
 * fuse.test.ts against the separate decode. Returns null where the fused kernel does not apply
 * (float formats, a weight split over bindings, x too large for workgroup memory, shapes the
 * bitwise reduction rule cannot take): the caller keeps the separate path.
 *
 * `swiglu`: `weight` holds the gate rows then the up rows (2 x rows, stacked as gpu-weights.ts
 * uploads them) and y [rows] = silu(gate x) * (up x). `ropeKv`: decode's q|k|v with RoPE and the
 * KV append in the epilogue (rope-kv.ts's work; null where a workgroup's rows are not whole quads,
 * RoPE covers part of a head, or the device binds too few storage buffers).
 *
 * Extend: another prologue / epilogue = a define in the shader + a field here.
 */

import { LongreadError } from '../errors.ts';
import { gpuRefSize, type BufferRef } from '../gpu/buffer-pool.ts';
import { activationFormatOf } from './act-quant.ts';
import { baseDefines, dispatch2d, ParamsWriter, planCreate, type DispatchPlan, type KernelContext } from './context.ts';
import type { KvLayerView } from './kv-layout.ts';
import { rmsNormWorkgroup } from './rmsnorm.ts';
import type { RopeTable } from './rope.ts';
import { matvecDefaults, matvecLoopDefines, softwareAdapter, type MatvecLoop } from './matvec.ts';
import { weightFormatLayout, weightRowBytes, weightSplit, type WeightFormat } from './weight-layout.ts';
import source from '../../shaders/matvec-q8-fused.wgsl';

export interface MatvecFusedArgs {
  format: WeightFormat;
  /** output rows (with `swiglu`: gate rows = up rows) */
  rows: number;
  cols: number;
  /** [rows x cols] in GGUF layout; with `swiglu` [2 rows x cols] (gate rows, then up rows) */
  weight: BufferRef;
  /** [cols] f32 */
  x: BufferRef;
  /** [rows] f32 */
  y: BufferRef;
  /** y = W norm(x) with norm(x) = x / rms(x) * weight, as rmsnorm.ts */
  norm?: { weight: BufferRef; eps: number };
  bias?: BufferRef;
  /** y += W x (residual add) */
  accumulate?: boolean;
  /** y = silu(gate x) * (up x) */
  swiglu?: boolean;
  /** Workgroup size (64..256; with `norm` it is rmsnorm's for cols); default 256. */
  wg?: number;
  /** Lanes per row group (matvec-q8's workgroup size); default matvecDefaults. */
  groupWidth?: number;
  /** Rows per row group (even with swiglu); default matvecDefaults. */
  rowsPerGroup?: number;
  /** The unit loop's variant (matvec.ts MatvecLoop); default matvecDefaults, as the separate path. */
  loop?: MatvecLoop;
  /**
   * Decode's q|k|v rows (nHeads q heads, then the KV heads' k and v) for one token: the epilogue
   * also rotates q and k and appends k and v to the cache slot positions[0], as rope-kv.ts does
   * after the matvec (the same values; no q/k norm, RoPE over the whole head).
   */
  ropeKv?: { positions: BufferRef; table: RopeTable; kv: KvLayerView; nHeads: number };
}

/** Workgroup memory of the fused kernel in bytes. */
function sharedBytes(cols: number, wg: number, r: number, q8K: boolean, sgRows: boolean, swiglu: boolean, tileBytes: number): number {
  return cols + cols / 2 + (q8K ? cols / 8 : 0) + (sgRows ? wg * r : wg * r * 4) + wg * 4 + (swiglu ? wg * r * 4 : 0) + tileBytes;
}

export async function matvecFusedPlan(ctx: KernelContext, a: MatvecFusedArgs): Promise<DispatchPlan | null> {
  if (weightFormatLayout(a.format).float) return null;
  const act = activationFormatOf(a.format)!;
  if (a.cols % (act === 'q8_K' ? 256 : 32)) return null;
  const d = matvecDefaults(a.format, a.cols, 'int8', softwareAdapter(ctx));
  const gw = a.groupWidth ?? d.wg;
  const r = a.rowsPerGroup ?? d.rowsPerWorkgroup;
  const wg = a.norm ? rmsNormWorkgroup(a.cols) : (a.wg ?? 256);
  if (wg % gw || gw < 8 || gw & (gw - 1) || (a.swiglu && r % 2)) return null;
  const limits = ctx.device.limits;
  if (wg > Number(limits.maxComputeInvocationsPerWorkgroup)) return null;
  const wRows = a.swiglu ? 2 * a.rows : a.rows;
  const rowBytes = weightRowBytes(a.format, a.cols);
  const slices = weightSplit(a.format, wRows, a.cols, a.weight, { maxStorageBufferBindingSize: ctx.maxStorageBufferBindingSize, minStorageBufferOffsetAlignment: Number(limits.minStorageBufferOffsetAlignment) });
  if (slices.length !== 1) return null;
  // subgroup row reductions need subgroups no wider than a row group (as matvec-q8's workgroup)
  const sgMax = (ctx.device as unknown as { adapterInfo?: { subgroupMaxSize?: number } }).adapterInfo?.subgroupMaxSize ?? 128;
  const sgRows = ctx.subgroups && sgMax <= gw;
  const unit64 = a.format === 'Q4_K' || a.format === 'Q5_K';
  const lp = matvecLoopDefines(a.format, a.loop ?? d.loop, gw, r, wg / gw, unit64);
  if (sharedBytes(a.cols, wg, r, act === 'q8_K', sgRows, a.swiglu === true, lp.tileBytes) > Number(limits.maxComputeWorkgroupStorageSize)) return null;
  if (gpuRefSize(a.x) < a.cols * 4 || gpuRefSize(a.y) < a.rows * 4) return null;
  const wref = () => ({ buffer: slices[0]!.buffer, offset: slices[0]!.offset, size: slices[0]!.size });
  const rk = a.ropeKv;
  if (rk) {
    const hd = rk.kv.headDim;
    const whole = rk.table.config.nRot === hd && hd % 4 === 0 && ((wg / gw) * r) % 4 === 0 && a.rows === (rk.nHeads + 2 * rk.kv.nKvHeads) * hd;
    if (!whole || a.swiglu || a.accumulate) return null;
  }
  const buffers = [wref(), a.x, a.y, a.norm?.weight ?? null, a.bias ?? null, lp.defines.TILE_VEC4 ? wref() : null, ...(rk ? [rk.positions, rk.table.freqs, rk.kv.pageTable, rk.kv.pages] : [])];
  if (buffers.filter((b) => b).length > Number(limits.maxStorageBuffersPerShaderStage)) return null;
  const perGroup = a.swiglu ? r / 2 : r;
  const groups = Math.ceil(a.rows / perGroup);
  try {
    return await planCreate(ctx, {
    name: 'matvec-q8-fused.wgsl',
    source,
    defines: baseDefines(ctx, {
      FMT: a.format,
      WG: `${wg}u`,
      GW: `${gw}u`,
      R: `${r}u`,
      KMAX: `${a.cols}u`,
      Q8_K: act === 'q8_K',
      SG_ROWS: sgRows,
      NORM: a.norm !== undefined,
      BIAS: a.bias !== undefined,
      ACCUMULATE: a.accumulate === true,
      SWIGLU: a.swiglu === true,
      ROPE_KV: rk !== undefined,
      ...(rk ? { HD: `${rk.kv.headDim}u`, MODE: rk.table.config.mode } : {}),
      UNIT64: unit64,
      ...lp.defines,
    }),
    params: new ParamsWriter().u32(a.rows).u32(a.cols).u32(rowBytes).u32(0).f32(a.norm?.eps ?? 0).u32(a.swiglu ? a.rows : 0)
      .u32(rk?.nHeads ?? 0).u32(rk?.kv.nKvHeads ?? 0).u32(rk?.kv.tableOffset ?? 0).u32(rk?.kv.maxPages ?? 0).f32(rk?.table.mscale ?? 0).bytes(),
    buffers,
    workgroups: dispatch2d(ctx, Math.ceil(groups / (wg / gw))),
    });
  } catch (e) {
    // no packed 4x8 integer dot products in this device's WGSL: the caller's separate path decides
    if (e instanceof LongreadError && e.code === 'gpu-validation') return null;
    throw e;
  }
}
