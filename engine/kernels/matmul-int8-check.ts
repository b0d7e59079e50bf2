/**
 * The int8 kernel's own known-answer check on the device, once per (device, format, tiling),
 * before matmulPlan hands it a prefill. matmul-int8-probe.ts proves the subgroup-matrix product
 * and where its operands may live; this runs matmul-int8.wgsl itself (its staging, scaling and
 * edges) on a small ragged product and compares it with the f32 kernel over the same rounded X:
 * the two differ only in f32 summation order (NMSE 3e-14..3e-12 on the H100, 2026-12-07,
 * bench/kernels/smx.ts), so anything above CHECK_MAX_NMSE, a non-finite value or an error means
 * the kernel is wrong on this device and matmulPlan keeps the f32 kernel for that format and
 * tiling. Its GPU errors stay in its own validation scope. Cost: two small plans and one
 * readback each, once.
 *
 *   const why = await matmulInt8Checked(ctx, 'Q8_0', tile, (a) => f32Plan(ctx, a))   // null: use int8
 *
 * Not run on devices without subgroup matrices (matmulPlan asks matmulInt8Probed first), so this
 * machine's tests cover only its pure parts (int8CheckWeights, int8CheckVerdict).
 */

import { gpuBufferFrom, gpuReadback, STORAGE } from '../gpu/buffer-pool.ts';
import { f32ToF16 } from '../formats/f16.ts';
import { plansSubmit, type KernelContext } from './context.ts';
import type { MatmulArgs, MatmulPlan } from './matmul.ts';
import { int8TileName, matmulInt8Plan, type Int8Tile } from './matmul-int8.ts';
import type { WeightFormat } from './weight-layout.ts';

/** The check's product: tokens not a multiple of 32, rows not a multiple of 64, three K blocks. */
export const CHECK_SHAPE = { m: 40, n: 100, k: 96 } as const;
export const CHECK_MAX_NMSE = 1e-9;

/** Deterministic xorshift32 in [0, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

/** Random Q8_0 / Q4_0 blocks (`n` rows of `k` weights): scales 0.002..0.02, every quant used. */
export function int8CheckWeights(format: WeightFormat, n: number, k: number, seed = 11): Uint8Array {
  const q8 = format === 'Q8_0';
  const blockBytes = q8 ? 34 : 18;
  const out = new Uint8Array(n * (k / 32) * blockBytes);
  const dv = new DataView(out.buffer);
  const r = rng(seed);
  for (let b = 0; b < out.length / blockBytes; b++) {
    const o = b * blockBytes;
    dv.setUint16(o, f32ToF16(0.002 + 0.018 * r()), true);
    for (let j = 2; j < blockBytes; j++) out[o + j] = q8 ? (Math.floor(r() * 255) - 127) & 0xff : Math.floor(r() * 256);
  }
  return out;
}

/** Activations with block maxima over three decades, so the q8_0 rounding sees varied scales (also smx.ts's). */
export function int8CheckActivations(m: number, k: number, seed = 5): Float32Array {
  const x = new Float32Array(m * k);
  const r = rng(seed);
  let scale = 1;
  for (let i = 0; i < x.length; i++) {
    if (i % 32 === 0) scale = 10 ** (3 * r() - 1.5);
    x[i] = (r() - 0.5) * scale;
  }
  return x;
}

/** null when `got` matches `ref` (finite, NMSE <= CHECK_MAX_NMSE), else why not. */
export function int8CheckVerdict(ref: Float32Array, got: Float32Array): string | null {
  let num = 0;
  let den = 0;
  for (let i = 0; i < ref.length; i++) {
    if (!Number.isFinite(got[i]!) || !Number.isFinite(ref[i]!)) return `the int8 kernel check found a non-finite output at ${i}`;
    num += (got[i]! - ref[i]!) ** 2;
    den += ref[i]! ** 2;
  }
  const e = num / Math.max(den, 1e-30);
  return e <= CHECK_MAX_NMSE ? null : `the int8 kernel check differs from the f32 kernel (NMSE ${e.toExponential(2)} > ${CHECK_MAX_NMSE})`;
}

async function checkRun(ctx: KernelContext, format: WeightFormat, tile: Int8Tile, f32: (a: MatmulArgs) => Promise<MatmulPlan>): Promise<string | null> {
  const { m, n, k } = CHECK_SHAPE;
  const dev = ctx.device;
  const weight = gpuBufferFrom(dev, int8CheckWeights(format, n, k), STORAGE, 'int8-check:w');
  const x = gpuBufferFrom(dev, int8CheckActivations(m, k), STORAGE, 'int8-check:x');
  const yF = dev.createBuffer({ size: m * n * 4, usage: STORAGE, label: 'int8-check:y-f32' });
  const yI = dev.createBuffer({ size: m * n * 4, usage: STORAGE, label: 'int8-check:y-int8' });
  const plans: MatmulPlan[] = [];
  // A kernel that does not compile here raises a validation error besides the rejection: it is
  // this check's failure, not one for the scope of the caller (modelLoad's).
  dev.pushErrorScope('validation');
  let verdict: string | null;
  try {
    const base = { format, rows: n, cols: k, maxM: m, weight, x };
    plans.push(await f32({ ...base, y: yF }));
    plans.push(await matmulInt8Plan(ctx, { ...base, y: yI, int8Tile: tile }));
    // one submit each: both plans round X into the same device-wide activation scratch
    for (const p of plans) plansSubmit(ctx, [p], 'int8-check');
    const ref = new Float32Array(await gpuReadback(dev, yF, 0, m * n * 4));
    const got = new Float32Array(await gpuReadback(dev, yI, 0, m * n * 4));
    verdict = int8CheckVerdict(ref, got);
  } catch (e) {
    verdict = `the int8 kernel check failed: ${(e as Error).message.split('\n')[0]}`;
  } finally {
    for (const p of plans) p.dispose();
    for (const b of [weight, x, yF, yI]) b.destroy();
  }
  const err = await dev.popErrorScope();
  return err ? `the int8 kernel check raised a validation error: ${err.message.split('\n')[0]}` : verdict;
}

const checked = new WeakMap<object, Map<string, Promise<string | null>>>();

/** The checks run on `device` so far, as 'Q8_0 2x2 prefetch: ok' or the reason (benches' notes). */
export async function int8CheckResults(device: object): Promise<string[]> {
  const byKey = checked.get(device);
  if (!byKey) return [];
  return Promise.all([...byKey].map(async ([k, v]) => `${k}: ${(await v) ?? 'ok'}`));
}

/**
 * Why the int8 kernel must not run `format` at `tile` on this device (null: it may), from its
 * known-answer check, run once per device, format and tiling; an error counts as a failure.
 * `f32` builds the f32 reference plan (matmul.ts's kernel, passed in to keep the imports one way).
 */
export function matmulInt8Checked(ctx: KernelContext, format: WeightFormat, tile: Int8Tile, f32: (a: MatmulArgs) => Promise<MatmulPlan>): Promise<string | null> {
  let byKey = checked.get(ctx.device);
  if (!byKey) checked.set(ctx.device, (byKey = new Map()));
  const key = `${format} ${int8TileName(tile)}`;
  let v = byKey.get(key);
  if (!v) {
    v = checkRun(ctx, format, tile, f32).catch((e: unknown) => `the int8 kernel check failed: ${(e as Error).message}`);
    byKey.set(key, v);
  }
  return v;
}
