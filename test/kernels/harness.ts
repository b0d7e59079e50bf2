/**
 * The kernel harness (ggml test-backend-ops style): every GPU op is checked against its CPU
 * reference in engine/reference/ by one `KernelCase` object. Adding a kernel = adding a case to
 * test/kernels/cases-*.ts; the vitest files and bench/kernels pick cases up from `ALL_CASES`.
 *
 * What the harness guarantees for each case run:
 * - fresh random inputs every run from a seeded RNG (`env.rng`); the seed is printed on failure
 *   and can be pinned with LONGREAD_KERNEL_SEED=<n>;
 * - every output region is bound inside a larger buffer with 256 sentinel bytes on each side;
 *   the sentinels must come back bit-identical (catches out-of-bounds writes);
 * - output regions start filled with 0xFF bytes (NaN / 0xFFFFFFFF) unless the case gives an
 *   initial value (in/out tensors), so elements a kernel forgot to write fail the check;
 * - NaN/Inf anywhere in a float output where the reference is finite fails;
 * - float outputs are compared by normalised MSE, sum((a-b)^2) / sum(b^2), against the case's
 *   bound (`maxNmse`, per output override); integer outputs must match exactly, or pass the
 *   case's own `check`.
 * Perf mode (`harnessPerf`) times the plans with timestamp queries (wall clock without) and
 * reports GB/s and GFLOP/s from the case's `bytes` / `flops`.
 */

import { gpuBufferFrom, gpuReadback, STORAGE, type BufferRef } from '../../engine/gpu/buffer-pool.ts';
import { GpuTimer } from '../../engine/gpu/timing.ts';
import type { KernelContext, KernelPlan } from '../../engine/kernels/context.ts';

// ---------------------------------------------------------------------------------------------
// Seeded RNG
// ---------------------------------------------------------------------------------------------

export class Rng {
  private s: number;
  constructor(readonly seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  /** Uniform [0, 1) (mulberry32). */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** n samples of N(mean, std); exact zeros are re-drawn (inputs are never zero). */
  normal(n: number, std = 1, mean = 0): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let v = 0;
      while (v === 0) {
        const u = 1 - this.next();
        v = mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
      }
      out[i] = v;
    }
    return out;
  }
  uniform(n: number, lo: number, hi: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * this.next();
    return out;
  }
  u32(n: number): Uint32Array {
    const out = new Uint32Array(n);
    for (let i = 0; i < n; i++) out[i] = Math.floor(this.next() * 4294967296);
    return out;
  }
}

export function harnessSeed(): number {
  const env = process.env.LONGREAD_KERNEL_SEED;
  return env !== undefined && env !== '' ? Number(env) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
}

// ---------------------------------------------------------------------------------------------
// Case interface
// ---------------------------------------------------------------------------------------------

export interface HarnessEnv {
  ctx: KernelContext;
  rng: Rng;
  /** Creates a storage buffer holding `data`, destroyed after the run. */
  input(data: ArrayBufferView, label?: string): GPUBuffer;
  /** Creates an empty storage buffer (scratch), destroyed after the run. */
  scratch(bytes: number, label?: string): GPUBuffer;
}

export type OutputData = Float32Array | Uint32Array | Int32Array;

export interface OutputSpec {
  name: string;
  /** Bytes of the output region (multiple of 4). */
  bytes: number;
  /** Initial contents (in/out tensors). Default: 0xFF bytes. */
  init?: ArrayBufferView;
  /** Expected values after decode. */
  expected: OutputData;
  /** Bytes -> values to compare (default: Float32Array view of the region). */
  decode?: (bytes: ArrayBuffer) => OutputData;
  /** 'nmse' (default for Float32Array) or 'exact' (default for integer arrays). */
  compare?: 'nmse' | 'exact';
  maxNmse?: number;
  /** Custom check instead of compare: returns an error text or null. */
  check?: (got: OutputData, expected: OutputData) => string | null;
}

export interface BuiltCase {
  outputs: OutputSpec[];
  /** Creates the plans that write the outputs (refs in the order of `outputs`). */
  plans(outs: BufferRef[]): Promise<KernelPlan[]>;
  /** Bytes read + written by one run, for perf mode. */
  bytes?: number;
  /** Floating-point operations of one run, for perf mode. */
  flops?: number;
}

export interface KernelCase {
  op: string;
  /** Shape description; 'debug' for the pinned small case of an op. */
  name: string;
  /** Default NMSE bound of float outputs. */
  maxNmse: number;
  build(env: HarnessEnv): Promise<BuiltCase> | BuiltCase;
}

export interface CaseResult {
  ok: boolean;
  seed: number;
  errors: string[];
  nmse: Record<string, number>;
}

// ---------------------------------------------------------------------------------------------
// Running one case
// ---------------------------------------------------------------------------------------------

const PAD = 256;

function sentinelByte(i: number): number {
  return (i * 131 + 0x5a) & 0xff;
}

function makeEnv(ctx: KernelContext, seed: number, owned: GPUBuffer[]): HarnessEnv {
  return {
    ctx,
    rng: new Rng(seed),
    input(data, label = 'input') {
      const b = gpuBufferFrom(ctx.device, data, STORAGE, label);
      owned.push(b);
      return b;
    },
    scratch(bytes, label = 'scratch') {
      const b = ctx.device.createBuffer({ size: Math.max(4, Math.ceil(bytes / 4) * 4), usage: STORAGE, label });
      owned.push(b);
      return b;
    },
  };
}

/** NMSE of got vs expected and a NaN/Inf check; returns [nmse, error|null]. */
export function nmse(got: ArrayLike<number>, expected: ArrayLike<number>): [number, string | null] {
  let num = 0;
  let den = 0;
  for (let i = 0; i < expected.length; i++) {
    const g = got[i]!;
    const e = expected[i]!;
    if (!Number.isFinite(g) && Number.isFinite(e)) return [NaN, `element ${i} is ${g}, expected ${e}`];
    if (!Number.isFinite(e)) {
      if (!(g === e || (Number.isNaN(g) && Number.isNaN(e)))) return [NaN, `element ${i} is ${g}, expected ${e}`];
      continue;
    }
    num += (g - e) ** 2;
    den += e * e;
  }
  return [den > 0 ? num / den : num, null];
}

export async function harnessRun(ctx: KernelContext, c: KernelCase, seed: number): Promise<CaseResult> {
  const owned: GPUBuffer[] = [];
  const env = makeEnv(ctx, seed, owned);
  const errors: string[] = [];
  const nm: Record<string, number> = {};
  let plans: KernelPlan[] = [];
  try {
    const built = await c.build(env);
    const outBufs: GPUBuffer[] = [];
    const refs: BufferRef[] = [];
    for (const o of built.outputs) {
      if (o.bytes % 4) throw new Error(`${c.op}/${c.name}: output ${o.name} size ${o.bytes} is not a multiple of 4`);
      const total = PAD + Math.ceil(o.bytes / PAD) * PAD + PAD;
      const init = new Uint8Array(total);
      for (let i = 0; i < total; i++) init[i] = sentinelByte(i);
      const region = init.subarray(PAD, PAD + o.bytes);
      if (o.init) region.set(new Uint8Array(o.init.buffer, o.init.byteOffset, o.init.byteLength));
      else region.fill(0xff);
      const b = gpuBufferFrom(ctx.device, init, STORAGE, `out:${o.name}`);
      owned.push(b);
      outBufs.push(b);
      refs.push({ buffer: b, offset: PAD, size: o.bytes });
    }
    ctx.device.pushErrorScope('validation');
    plans = await built.plans(refs);
    const enc = ctx.device.createCommandEncoder({ label: `${c.op}/${c.name}` });
    const pass = enc.beginComputePass();
    for (const p of plans) p.encode(pass);
    pass.end();
    ctx.device.queue.submit([enc.finish()]);
    const verr = await ctx.device.popErrorScope();
    if (verr) errors.push(`validation: ${verr.message}`);
    for (let k = 0; k < built.outputs.length; k++) {
      const o = built.outputs[k]!;
      const all = new Uint8Array(await gpuReadback(ctx.device, outBufs[k]!));
      for (let i = 0; i < all.length; i++) {
        if (i >= PAD && i < PAD + o.bytes) continue;
        if (all[i] !== sentinelByte(i)) {
          const where = i < PAD ? `${PAD - i} bytes before` : `${i - PAD - o.bytes} bytes after`;
          errors.push(`${o.name}: sentinel overwritten ${where} the output`);
          break;
        }
      }
      const bytes = all.slice(PAD, PAD + o.bytes).buffer;
      const got = o.decode ? o.decode(bytes) : o.expected instanceof Float32Array ? new Float32Array(bytes) : o.expected instanceof Int32Array ? new Int32Array(bytes) : new Uint32Array(bytes);
      if (got.length !== o.expected.length) {
        errors.push(`${o.name}: decoded ${got.length} values, expected ${o.expected.length}`);
        continue;
      }
      if (o.check) {
        const e = o.check(got, o.expected);
        if (e) errors.push(`${o.name}: ${e}`);
        continue;
      }
      const mode = o.compare ?? (o.expected instanceof Float32Array ? 'nmse' : 'exact');
      if (mode === 'exact') {
        for (let i = 0; i < got.length; i++) {
          if (got[i] !== o.expected[i]) {
            errors.push(`${o.name}: element ${i} is ${got[i]}, expected ${o.expected[i]}`);
            break;
          }
        }
      } else {
        const [v, err] = nmse(got, o.expected);
        nm[o.name] = v;
        const bound = o.maxNmse ?? c.maxNmse;
        if (err) errors.push(`${o.name}: ${err}`);
        else if (!(v <= bound)) errors.push(`${o.name}: NMSE ${v.toExponential(3)} over the bound ${bound.toExponential(1)}`);
      }
    }
  } finally {
    for (const p of plans) p.dispose();
    for (const b of owned) b.destroy();
  }
  return { ok: errors.length === 0, seed, errors, nmse: nm };
}

/** Failure text naming the case, the seed and how to replay it. */
export function harnessReport(c: KernelCase, r: CaseResult, variant = ''): string {
  return `${c.op}/${c.name}${variant ? ` [${variant}]` : ''} failed (seed ${r.seed}; replay with LONGREAD_KERNEL_SEED=${r.seed}):\n  ${r.errors.join('\n  ')}`;
}

// ---------------------------------------------------------------------------------------------
// Perf mode
// ---------------------------------------------------------------------------------------------

export interface PerfResult {
  op: string;
  name: string;
  ms: number;
  gbps: number;
  gflops: number;
  timer: 'timestamp' | 'wall';
}

/** Median time of `iters` runs of the case's plans (each run its own timed pass). */
export async function harnessPerf(ctx: KernelContext, c: KernelCase, opts: { iters?: number; timestamps: boolean; seed?: number }): Promise<PerfResult> {
  const owned: GPUBuffer[] = [];
  const env = makeEnv(ctx, opts.seed ?? 1, owned);
  const iters = opts.iters ?? 20;
  let plans: KernelPlan[] = [];
  try {
    const built = await c.build(env);
    const refs = built.outputs.map((o) => {
      const b = env.scratch(o.bytes, `out:${o.name}`);
      if (o.init) ctx.device.queue.writeBuffer(b, 0, new Uint8Array(o.init.buffer as ArrayBuffer, o.init.byteOffset, o.init.byteLength));
      return { buffer: b, offset: 0, size: o.bytes };
    });
    plans = await built.plans(refs);
    const times: number[] = [];
    const timer = new GpuTimer(ctx.device, opts.timestamps, iters + 2);
    // warm-up
    const w = ctx.device.createCommandEncoder();
    const wp = w.beginComputePass();
    for (const p of plans) p.encode(wp);
    wp.end();
    ctx.device.queue.submit([w.finish()]);
    await ctx.device.queue.onSubmittedWorkDone();
    if (opts.timestamps) {
      const enc = ctx.device.createCommandEncoder();
      for (let i = 0; i < iters; i++) {
        const pass = timer.beginPass(enc, `${i}`);
        for (const p of plans) p.encode(pass);
        pass.end();
      }
      timer.resolve(enc);
      ctx.device.queue.submit([enc.finish()]);
      for (const r of await timer.read()) times.push(r.ms);
    } else {
      for (let i = 0; i < iters; i++) {
        times.push(
          await GpuTimer.wall(ctx.device, () => {
            const enc = ctx.device.createCommandEncoder();
            const pass = enc.beginComputePass();
            for (const p of plans) p.encode(pass);
            pass.end();
            ctx.device.queue.submit([enc.finish()]);
          }),
        );
      }
    }
    timer.dispose();
    times.sort((a, b) => a - b);
    const ms = times[Math.floor(times.length / 2)]!;
    return { op: c.op, name: c.name, ms, gbps: (built.bytes ?? 0) / ms / 1e6, gflops: (built.flops ?? 0) / ms / 1e6, timer: opts.timestamps ? 'timestamp' : 'wall' };
  } finally {
    for (const p of plans) p.dispose();
    for (const b of owned) b.destroy();
  }
}
