/**
 * Kernel benchmarks for the GPU machine: effective bandwidth (GB/s) of matvec per format and
 * shape, FLOP rate of the tiled matmul, checked first against the CPU reference through the
 * harness cases (so a fast wrong kernel cannot report a number).
 *
 *   ../shared/device/pack.sh bench/kernels/run.ts        # here, from the repo root
 *   source .devpack/enter.sh && node .devpack/run.mjs [--quick] [--no-check] [--no-sweep]
 *
 * Timing: each measurement records `iters` dispatches into one compute pass, submits, and waits
 * for onSubmittedWorkDone; the host time over iters is one sample, the median of `reps` samples
 * is reported (warm-up first). Weight copies are rotated so that the bytes touched per sample
 * exceed the 50 MB L2 of an H100 (no cache-resident numbers). Each copy writes its own y, so
 * consecutive matvecs may overlap as independent kernels would.
 * Prints a markdown table (and writes it to $OUT/kernels.md when OUT is set).
 *
 * Extend: add shapes to MATVEC_SHAPES / MATMUL_SHAPES, variants to SWEEP.
 */

import { writeFileSync } from 'node:fs';
import { gpuAcquire } from '../../engine/gpu/device.ts';
import { gpuBufferFrom, STORAGE } from '../../engine/gpu/buffer-pool.ts';
import { kernelContextCreate, type KernelContext, type KernelPlan } from '../../engine/kernels/context.ts';
import { matvecDefaults, matvecPlan } from '../../engine/kernels/matvec.ts';
import { matmulPlan } from '../../engine/kernels/matmul.ts';
import { weightRowBytes, type WeightFormat } from '../../engine/kernels/weight-layout.ts';
import { harnessRun, harnessReport } from '../../test/kernels/harness.ts';
import { MATMUL_CASES, MATVEC_CASES } from '../../test/kernels/cases-matrix.ts';
import { randomWeightBytes } from '../../test/kernels/weights-ref.ts';

const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');
const READ_CEILING_GBPS = 2950; // Dawn read kernel on the H100 (ARCHITECTURE.md)

const MATVEC_FORMATS: WeightFormat[] = ['Q4_0', 'Q8_0', 'Q4_K', 'Q6_K', 'F16'];
const MATVEC_SHAPES: [number, number][] = quick ? [[1024, 1024]] : [[14336, 4096], [128256, 2048]];
const SWEEP: [number, number][] = [
  [64, 2],
  [64, 4],
  [128, 2],
  [128, 4],
  [128, 8],
  [256, 2],
  [256, 4],
];
const MATMUL_SHAPES: { fmt: WeightFormat; m: number; n: number; k: number }[] = quick
  ? [{ fmt: 'F32', m: 256, n: 256, k: 256 }]
  : [
      { fmt: 'F32', m: 4096, n: 4096, k: 4096 },
      { fmt: 'Q8_0', m: 512, n: 14336, k: 4096 },
      { fmt: 'Q4_K', m: 512, n: 14336, k: 4096 },
    ];

async function timeMs(ctx: KernelContext, record: (pass: GPUComputePassEncoder, i: number) => void, iters: number, reps: number): Promise<number> {
  const run = async () => {
    const enc = ctx.device.createCommandEncoder();
    const pass = enc.beginComputePass();
    for (let i = 0; i < iters; i++) record(pass, i);
    pass.end();
    const t0 = performance.now();
    ctx.device.queue.submit([enc.finish()]);
    await ctx.device.queue.onSubmittedWorkDone();
    return (performance.now() - t0) / iters;
  };
  await run();
  const t: number[] = [];
  for (let r = 0; r < reps; r++) t.push(await run());
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)]!;
}

async function check(ctx: KernelContext): Promise<boolean> {
  let ok = true;
  for (const c of [...MATVEC_CASES, ...MATMUL_CASES]) {
    const r = await harnessRun(ctx, c, (Math.random() * 2 ** 32) >>> 0);
    if (!r.ok) {
      ok = false;
      console.log(harnessReport(c, r, 'gpu machine'));
    }
  }
  console.log(`harness: ${ok ? 'all' : 'NOT all'} ${MATVEC_CASES.length + MATMUL_CASES.length} matrix cases pass`);
  return ok;
}

interface Row {
  kernel: string;
  shape: string;
  variant: string;
  us: number;
  gbps: number;
  tflops: number;
  pct: string;
}

async function benchMatvec(ctx: KernelContext, rows: Row[], sweep: boolean): Promise<void> {
  for (const [n, k] of MATVEC_SHAPES) {
    for (const fmt of MATVEC_FORMATS) {
      const wBytes = n * weightRowBytes(fmt, k);
      const copies = Math.min(8, Math.max(1, Math.ceil(256e6 / wBytes)));
      const data = randomWeightBytes(fmt, n, k, 12345);
      const ws = Array.from({ length: copies }, () => gpuBufferFrom(ctx.device, data, STORAGE, 'w'));
      const x = gpuBufferFrom(ctx.device, new Float32Array(k).map(() => Math.random() - 0.5), STORAGE, 'x');
      const ys = Array.from({ length: copies }, () => ctx.device.createBuffer({ size: n * 4, usage: STORAGE }));
      const d = matvecDefaults(fmt, k);
      const variants: [number, number][] = sweep ? SWEEP : [[d.wg, d.rowsPerWorkgroup]];
      let best: Row | null = null;
      for (const [wg, r] of variants) {
        const plans: KernelPlan[] = [];
        for (let c = 0; c < copies; c++) plans.push(await matvecPlan(ctx, { format: fmt, rows: n, cols: k, weight: ws[c]!, x, y: ys[c]!, wg, rowsPerWorkgroup: r }));
        const iters = copies * Math.max(1, Math.ceil(64 / copies));
        const ms = await timeMs(ctx, (pass, i) => plans[i % copies]!.encode(pass), iters, quick ? 3 : 7);
        const bytes = wBytes + k * 4 + n * 4;
        const gbps = bytes / ms / 1e6;
        const row: Row = { kernel: `matvec ${fmt}`, shape: `${n}x${k}`, variant: `wg${wg} r${r}${wg === d.wg && r === d.rowsPerWorkgroup ? '*' : ''}`, us: ms * 1000, gbps, tflops: (2 * n * k) / ms / 1e9, pct: `${((100 * gbps) / READ_CEILING_GBPS).toFixed(0)}%` };
        if (sweep) console.log(`  ${row.kernel} ${row.shape} ${row.variant}: ${row.us.toFixed(1)} us ${gbps.toFixed(0)} GB/s`);
        if (!best || row.gbps > best.gbps) best = row;
        for (const p of plans) p.dispose();
      }
      rows.push(best!);
      for (const b of [...ws, ...ys, x]) b.destroy();
    }
  }
}

async function benchMatmul(ctx: KernelContext, rows: Row[]): Promise<void> {
  for (const s of MATMUL_SHAPES) {
    const data = randomWeightBytes(s.fmt, s.n, s.k, 777);
    const w = gpuBufferFrom(ctx.device, data, STORAGE, 'w');
    const x = gpuBufferFrom(ctx.device, new Float32Array(s.m * s.k).map(() => Math.random() - 0.5), STORAGE, 'x');
    const y = ctx.device.createBuffer({ size: s.m * s.n * 4, usage: STORAGE });
    for (const tile of [8, 4] as const) {
      const p = await matmulPlan(ctx, { format: s.fmt, rows: s.n, cols: s.k, maxM: s.m, weight: w, x, y, tile });
      const ms = await timeMs(ctx, (pass) => p.encode(pass), quick ? 2 : 5, 5);
      const flops = 2 * s.m * s.n * s.k;
      const bytes = data.length + s.m * s.k * 4 + s.m * s.n * 4;
      rows.push({ kernel: `matmul ${s.fmt}`, shape: `${s.m}x${s.n}x${s.k}`, variant: `tile ${16 * tile}`, us: ms * 1000, gbps: bytes / ms / 1e6, tflops: flops / ms / 1e9, pct: '' });
      p.dispose();
    }
    for (const b of [w, x, y]) b.destroy();
  }
}

async function main(): Promise<void> {
  const gpu = await gpuAcquire();
  const ctx = kernelContextCreate(gpu);
  const info = `${gpu.info.adapterName} (${gpu.info.vendor} ${gpu.info.architecture}), subgroups ${gpu.hasSubgroups ? `${gpu.info.subgroupMinSize}-${gpu.info.subgroupMaxSize}` : 'no'}, maxStorageBufferBindingSize ${gpu.info.limits.maxStorageBufferBindingSize}`;
  console.log(info);
  if (!args.has('--no-check') && !(await check(ctx))) process.exitCode = 1;
  const rows: Row[] = [];
  await benchMatvec(ctx, rows, !args.has('--no-sweep'));
  await benchMatmul(ctx, rows);
  const table = [
    `Device: ${info}`,
    '',
    '| kernel | shape | variant | time (us) | GB/s | % of 2.95 TB/s | TFLOP/s |',
    '|---|---|---|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.kernel} | ${r.shape} | ${r.variant} | ${r.us.toFixed(1)} | ${r.gbps.toFixed(0)} | ${r.pct} | ${r.tflops.toFixed(2)} |`),
  ].join('\n');
  console.log(table);
  if (process.env.OUT) writeFileSync(`${process.env.OUT}/kernels.md`, table + '\n');
  ctx.pool.dispose();
  gpu.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
