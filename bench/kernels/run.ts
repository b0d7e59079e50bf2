/**
 * Kernel benchmarks for the GPU machine: effective bandwidth (GB/s) of matvec per format and
 * shape, FLOP rate of the tiled matmul, checked first against the CPU reference through the
 * harness cases (so a fast wrong kernel cannot report a number).
 *
 *   ../shared/device/pack.sh bench/kernels/run.ts        # here, from the repo root
 *   source .devpack/enter.sh && node .devpack/run.mjs [--quick] [--no-check] [--no-sweep] [--diag] [--warm-ms=N] [--matvec-only]
 *   ... node .devpack/run.mjs --loops [--budget-s=110] [--loop-shapes=14336x4096] [--loop-formats=Q4_0,Q6_K]   # matvec cases, then only the matvec
 *                                   # loop-variant sweep of matvec-loops.ts (kernels.md + kernels-raw.md)
 *   ... node .devpack/run.mjs --layout-lab [--all-sizes | --shapes]   # layout-lab.ts: reads and empty dispatches chained, a row-aligned Q4_0 matvec (layout.md)
 *
 * Timing: each measurement records `iters` dispatches into one compute pass, submits, and waits
 * for onSubmittedWorkDone. Two clocks per sample: timestamp queries at the pass's start and end
 * (GPU time, reported; Dawn's timestamp quantization off) and the host clock around submit +
 * wait (includes Dawn's command recording at submit; shown as "host us"). Median of `reps`
 * samples, after a warm-up. Weight copies are rotated so that the bytes touched per sample
 * exceed the 50 MB L2 of an H100 (no cache-resident numbers). Each copy writes its own y, which
 * every earlier sample wrote too, so Dawn puts a barrier before each dispatch: consecutive
 * matvecs run one after the other, as decode's dependent chain runs them.
 * Prints a markdown table (and writes it to $OUT/kernels.md when OUT is set).
 *
 * Extend: add shapes to MATVEC_SHAPES / MATMUL_SHAPES, variants to SWEEP.
 */

import { writeFileSync } from 'node:fs';
import { gpuAcquire } from '../../engine/gpu/device.ts';
import { gpuBufferFrom, STORAGE } from '../../engine/gpu/buffer-pool.ts';
import { kernelContextCreate, type KernelContext, type KernelPlan } from '../../engine/kernels/context.ts';
import { activationQuantizePlan, matvecDefaults, matvecPlan, type MatvecArgs } from '../../engine/kernels/matvec.ts';
import { activationFormatOf } from '../../engine/kernels/act-quant.ts';
import { matmulPlan } from '../../engine/kernels/matmul.ts';
import { weightRowBytes, type WeightFormat } from '../../engine/kernels/weight-layout.ts';
import { decodeAttentionPlan } from '../../engine/kernels/attention-decode.ts';
import { kvPagesFor, kvPageWords, type KvLayerView } from '../../engine/kernels/kv-layout.ts';
import { GpuTimer } from '../../engine/gpu/timing.ts';
import { timedPass } from './time.ts';
import { readCeiling } from './read-ceiling.ts';
import { harnessRun, harnessReport } from '../../test/kernels/harness.ts';
import { MATMUL_CASES, MATVEC_CASES } from '../../test/kernels/cases-matrix.ts';
import { ATTENTION_CASES } from '../../test/kernels/cases-attention.ts';
import { randomWeightBytes } from '../../test/kernels/weights-ref.ts';
import { benchMatvecLoops } from './matvec-loops.ts';
import { benchLayoutLab } from './layout-lab.ts';

const args = new Set(process.argv.slice(2));
/** The value of `--name=value`, if given. */
const opt = (name: string): string | undefined => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const quick = args.has('--quick');
const READ_CEILING_GBPS = 2950; // Dawn read kernel on the H100 (ARCHITECTURE.md)
const WARM_MS = Number(opt('warm-ms') ?? (quick ? 0 : 100));

const MATVEC_FORMATS: WeightFormat[] = ['Q4_0', 'Q8_0', 'Q4_K', 'Q6_K', 'F16'];
const MATVEC_SHAPES: [number, number][] = quick ? [[1024, 1024]] : [[14336, 4096], [128256, 2048]];
const SWEEP: [number, number][] = [
  [32, 4],
  [64, 2],
  [64, 4],
  [128, 2],
  [128, 4],
  [256, 2],
  [256, 4],
];
const MATMUL_SHAPES: { fmt: WeightFormat; m: number; n: number; k: number }[] = quick
  ? [{ fmt: 'F32', m: 256, n: 256, k: 256 }]
  : [
      { fmt: 'F32', m: 4096, n: 4096, k: 4096 },
      { fmt: 'Q8_0', m: 512, n: 14336, k: 4096 },
      { fmt: 'Q4_K', m: 512, n: 14336, k: 4096 },
      { fmt: 'F32', m: 4096, n: 4096, k: 4096 }, // again: run-to-run spread
    ];

interface Timing {
  /** GPU ms per iteration from timestamps (NaN without timestamp-query) */
  gpu: number;
  /** host ms per iteration around submit + wait */
  host: number;
}

async function timeMs(ctx: KernelContext, timer: GpuTimer, record: (pass: GPUComputePassEncoder, i: number) => void, iters: number, reps: number): Promise<Timing> {
  const run = (): Promise<Timing> => timedPass(ctx, timer, record, iters);
  // Warm-up: keep the GPU busy for >= WARM_MS first. The H100 idles at a 345 MHz SM clock
  // (nvidia-smi before the first run); short bursts after host waits may not reach boost,
  // which is the leading suspect for the run-to-run spread in BENCHMARKS.md (not yet verified).
  const w0 = performance.now();
  do await run();
  while (performance.now() - w0 < WARM_MS);
  const t: Timing[] = [];
  for (let r = 0; r < reps; r++) t.push(await run());
  const med = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return { gpu: med(t.map((x) => x.gpu)), host: med(t.map((x) => x.host)) };
}

/** A table row from a timing: GB/s over `bytes`, TFLOP/s over `flops`, % of the read ceiling unless `pct` is false. */
function timedRow(kernel: string, shape: string, variant: string, t: Timing, bytes: number, flops: number, pct = true): Row {
  const ms = best(t);
  const gbps = bytes / ms / 1e6;
  return { kernel, shape, variant, us: ms * 1000, hostUs: t.host * 1000, gbps, tflops: flops / ms / 1e9, pct: pct ? `${((100 * gbps) / READ_CEILING_GBPS).toFixed(0)}%` : '' };
}

function logRow(row: Row): void {
  console.log(`  ${row.kernel} ${row.shape} ${row.variant}: gpu ${row.us.toFixed(1)} us (host ${row.hostUs.toFixed(1)} us) ${row.gbps.toFixed(0)} GB/s`);
}

/**
 * Matvecs over x quantized once, as decode runs them: the quantization, then `plans` round-robin,
 * 640 dispatches in all (plus the quantization), so that the time per dispatch is far above the
 * timer's resolution.
 */
function timeChain(ctx: KernelContext, timer: GpuTimer, q: KernelPlan, plans: KernelPlan[]): Promise<Timing> {
  const iters = plans.length * Math.ceil(640 / plans.length);
  return timeMs(ctx, timer, (pass, i) => {
    if (i === 0) q.encode(pass);
    plans[i % plans.length]!.encode(pass);
  }, iters, quick ? 3 : 7);
}

/** GPU time when timestamps exist, else host time. */
function best(t: Timing): number {
  return Number.isFinite(t.gpu) && t.gpu > 0 ? t.gpu : t.host;
}

async function check(ctx: KernelContext, matvecOnly = false): Promise<boolean> {
  let ok = true;
  const cases = matvecOnly ? MATVEC_CASES : [...MATVEC_CASES, ...MATMUL_CASES, ...ATTENTION_CASES];
  for (const c of cases) {
    const r = await harnessRun(ctx, c, (Math.random() * 2 ** 32) >>> 0);
    if (!r.ok) {
      ok = false;
      console.log(harnessReport(c, r, 'gpu machine'));
    }
  }
  console.log(`harness: ${ok ? 'all' : 'NOT all'} ${cases.length} ${matvecOnly ? 'matvec' : 'matrix + attention'} cases pass`);
  return ok;
}

interface Row {
  kernel: string;
  shape: string;
  variant: string;
  us: number;
  hostUs: number;
  gbps: number;
  tflops: number;
  pct: string;
}

async function benchMatvec(ctx: KernelContext, timer: GpuTimer, rows: Row[], sweep: boolean): Promise<void> {
  for (const [n, k] of MATVEC_SHAPES) {
    for (const fmt of MATVEC_FORMATS) {
      const wBytes = n * weightRowBytes(fmt, k);
      const bytes = wBytes + k * 4 + n * 4; // weight + x + y, read once (the GB/s of every row)
      const copies = Math.min(8, Math.max(1, Math.ceil(256e6 / wBytes)));
      const data = randomWeightBytes(fmt, n, k, 12345);
      const ws = Array.from({ length: copies }, () => gpuBufferFrom(ctx.device, data, STORAGE, 'w'));
      const x = gpuBufferFrom(ctx.device, new Float32Array(k).map(() => Math.random() - 0.5), STORAGE, 'x');
      const ys = Array.from({ length: copies }, () => ctx.device.createBuffer({ size: n * 4, usage: STORAGE }));
      const quant = fmt !== 'F16';
      const variants: { wg: number; r: number; act: 'int8' | 'f32' }[] = [];
      const dI = matvecDefaults(fmt, k, quant ? 'int8' : 'f32', false, n); // the engine's default for this shape (rows included)
      variants.push({ wg: dI.wg, r: dI.rowsPerWorkgroup, act: quant ? 'int8' : 'f32' });
      if (quant) {
        const dF = matvecDefaults(fmt, k, 'f32', false, n);
        variants.push({ wg: dF.wg, r: dF.rowsPerWorkgroup, act: 'f32' });
      }
      if (sweep) for (const [wg, r] of SWEEP) if (!variants.some((v) => v.wg === wg && v.r === r && v.act === variants[0]!.act)) variants.push({ wg, r, act: variants[0]!.act });
      let top: Row | null = null;
      for (const v of variants) {
        const plans: KernelPlan[] = [];
        for (let c = 0; c < copies; c++) plans.push(await matvecPlan(ctx, { format: fmt, rows: n, cols: k, weight: ws[c]!, x, y: ys[c]!, wg: v.wg, rowsPerWorkgroup: v.r, activation: v.act }));
        const iters = copies * Math.max(1, Math.ceil(64 / copies));
        const t = await timeMs(ctx, timer, (pass, i) => plans[i % copies]!.encode(pass), iters, quick ? 3 : 7);
        const isDefault = v === variants[0];
        const row = timedRow(`matvec ${fmt}`, `${n}x${k}`, `${v.act} wg${v.wg} r${v.r}${isDefault ? '*' : ''}`, t, bytes, 2 * n * k);
        logRow(row);
        if (isDefault || (v.act === 'f32' && variants[0]!.act === 'int8' && v === variants[1])) rows.push(row);
        if (v.act === variants[0]!.act && !isDefault && (!top || row.gbps > top.gbps)) top = row;
        for (const p of plans) p.dispose();
      }
      if (top && top.gbps > rows.find((r) => r.kernel === top!.kernel && r.shape === top!.shape)!.gbps) rows.push({ ...top, variant: `${top.variant} (best of sweep)` });
      if (quant) {
        // The default int8 kernel with x quantized once for all copies, as decode runs it (its
        // quantization shared by q|k|v and gate|up, or folded into the op before: act-quant.ts
        // NORM / SWIGLU, attention-decode.ts quantizeOut): the rows above pay a quantization
        // dispatch of their own, and the dependency on it, per matvec.
        const q = await activationQuantizePlan(ctx, { x, cols: k, format: activationFormatOf(fmt)! });
        const chained = async (variant: string, o: Partial<MatvecArgs> = {}) => {
          const plans: KernelPlan[] = [];
          for (let c = 0; c < copies; c++) plans.push(await matvecPlan(ctx, { format: fmt, rows: n, cols: k, weight: ws[c]!, x, y: ys[c]!, quantizedX: q, ...o }));
          const row = timedRow(`matvec ${fmt}`, `${n}x${k}`, `${variant}, x quantized once (as in decode)`, await timeChain(ctx, timer, q, plans), bytes, 2 * n * k);
          logRow(row);
          rows.push(row);
          for (const p of plans) p.dispose();
        };
        await chained(`int8 wg${dI.wg} r${dI.rowsPerWorkgroup}*`);
        // the loop sweep's leads on [14336 x 4096] (BENCHMARKS.md, eleventh run), next to the default
        if (fmt === 'Q4_0') await chained(`int8 wg${dI.wg} r${dI.rowsPerWorkgroup} unroll4`, { loop: 'unroll4' });
        if (fmt === 'Q4_K') await chained('int8 wg32 r4', { wg: 32, rowsPerWorkgroup: 4 });
        q.dispose();
      }
      for (const b of [...ws, ...ys, x]) b.destroy();
    }
  }
  await benchDispatchCost(ctx, timer, rows);
  const [gn, gk] = quick ? [1024, 1024] : [14336, 4096];
  for (const fmt of MATVEC_FORMATS) if (fmt !== 'F16') await benchGateUp(ctx, timer, rows, fmt, gn, gk);
}

/**
 * The fixed cost of one dependent dispatch: a matvec too small to stream ([264 x 4096] Q4_0,
 * 0.6 MB), chained with a barrier before each as decode chains them. What a short matvec pays
 * on top of its bytes.
 */
async function benchDispatchCost(ctx: KernelContext, timer: GpuTimer, rows: Row[]): Promise<void> {
  const [n, k, fmt] = [264, 4096, 'Q4_0' as WeightFormat];
  const w = gpuBufferFrom(ctx.device, randomWeightBytes(fmt, n, k, 7), STORAGE, 'w');
  const x = gpuBufferFrom(ctx.device, new Float32Array(k).map(() => Math.random() - 0.5), STORAGE, 'x');
  const y = ctx.device.createBuffer({ size: n * 4, usage: STORAGE });
  const q = await activationQuantizePlan(ctx, { x, cols: k, format: activationFormatOf(fmt)! });
  const p = await matvecPlan(ctx, { format: fmt, rows: n, cols: k, weight: w, x, y, quantizedX: q });
  const row = timedRow(`matvec ${fmt}`, `${n}x${k}`, 'one dependent dispatch (barrier before each): the fixed cost', await timeChain(ctx, timer, q, [p]), n * weightRowBytes(fmt, k), 2 * n * k, false);
  rows.push(row);
  console.log(`  dispatch cost: gpu ${row.us.toFixed(2)} us per dependent dispatch`);
  p.dispose();
  q.dispose();
  for (const b of [w, x, y]) b.destroy();
}

/**
 * Decode's FFN gate and up matvecs as the engine runs them by default: the two [rows x cols]
 * matrices stacked in one weight (gpu-weights.ts) and read by ONE int8 matvec of 2 x rows rows
 * over the x quantized by the fused ffn_norm+quantize before it (gpu-layer-plans.ts), chained
 * with a barrier before each as decode does. (modelLoad's opt-in fuseFfn kernel, which also
 * quantizes x in every workgroup, is slower: 140-155 us for this shape on the H100.)
 */
async function benchGateUp(ctx: KernelContext, timer: GpuTimer, rows: Row[], fmt: WeightFormat, n: number, k: number): Promise<void> {
  const wBytes = 2 * n * weightRowBytes(fmt, k);
  const copies = Math.min(8, Math.max(1, Math.ceil(256e6 / wBytes)));
  const data = randomWeightBytes(fmt, 2 * n, k, 4321);
  const ws = Array.from({ length: copies }, () => gpuBufferFrom(ctx.device, data, STORAGE, 'w'));
  const x = gpuBufferFrom(ctx.device, new Float32Array(k).map(() => Math.random() - 0.5), STORAGE, 'x');
  const ys = Array.from({ length: copies }, () => ctx.device.createBuffer({ size: 2 * n * 4, usage: STORAGE }));
  const q = await activationQuantizePlan(ctx, { x, cols: k, format: activationFormatOf(fmt)! });
  const plans: KernelPlan[] = [];
  for (let c = 0; c < copies; c++) plans.push(await matvecPlan(ctx, { format: fmt, rows: 2 * n, cols: k, weight: ws[c]!, x, y: ys[c]!, quantizedX: q }));
  const d = matvecDefaults(fmt, k, 'int8', false, 2 * n);
  const row = timedRow(`matvec ${fmt}`, `2 x ${n}x${k}`, `int8 wg${d.wg} r${d.rowsPerWorkgroup}*, gate and up stacked in one dispatch (as decode runs the FFN)`, await timeChain(ctx, timer, q, plans), wBytes + k * 4 + 2 * n * 4, 4 * n * k);
  logRow(row);
  rows.push(row);
  for (const p of plans) p.dispose();
  q.dispose();
  for (const b of [...ws, ...ys, x]) b.destroy();
}

/**
 * Diagnostics for shapes far under the bandwidth ceiling: the same bytes as rows x cols in other
 * aspect ratios, one L2-resident copy, and one unit per invocation.
 */
async function diagMatvec(ctx: KernelContext, timer: GpuTimer): Promise<void> {
  const cases: { n: number; k: number; copies: number; wg?: number; r?: number; fmt: WeightFormat }[] = [
    { n: 14336, k: 4096, copies: 8, fmt: 'Q4_0' },
    { n: 14336, k: 4096, copies: 1, fmt: 'Q4_0' },
    { n: 28672, k: 2048, copies: 8, fmt: 'Q4_0' },
    { n: 7168, k: 8192, copies: 8, fmt: 'Q4_0' },
    { n: 57344, k: 1024, copies: 8, fmt: 'Q4_0' },
    { n: 14336, k: 4096, copies: 8, wg: 128, r: 1, fmt: 'Q4_0' },
    { n: 14336, k: 4096, copies: 8, wg: 32, r: 1, fmt: 'Q4_0' },
    { n: 57344, k: 4096, copies: 2, fmt: 'Q4_0' },
    { n: 14336, k: 4096, copies: 3, fmt: 'F16' },
    { n: 28672, k: 2048, copies: 3, fmt: 'F16' },
  ];
  for (const c of cases) {
    const data = randomWeightBytes(c.fmt, c.n, c.k, 4242);
    const ws = Array.from({ length: c.copies }, () => gpuBufferFrom(ctx.device, data, STORAGE, 'w'));
    const x = gpuBufferFrom(ctx.device, new Float32Array(c.k).map(() => Math.random() - 0.5), STORAGE, 'x');
    const ys = Array.from({ length: c.copies }, () => ctx.device.createBuffer({ size: c.n * 4, usage: STORAGE }));
    const plans: KernelPlan[] = [];
    for (let i = 0; i < c.copies; i++) plans.push(await matvecPlan(ctx, { format: c.fmt, rows: c.n, cols: c.k, weight: ws[i]!, x, y: ys[i]!, ...(c.wg ? { wg: c.wg, rowsPerWorkgroup: c.r } : {}) }));
    for (const iters of [64, 8]) {
      const t = await timeMs(ctx, timer, (pass, i) => plans[i % c.copies]!.encode(pass), iters, 7);
      const ms = best(t);
      console.log(`  diag ${c.fmt} ${c.n}x${c.k} copies ${c.copies}${c.wg ? ` wg${c.wg} r${c.r}` : ''} iters ${iters}: gpu ${(ms * 1000).toFixed(1)} us (host ${(t.host * 1000).toFixed(1)}) ${(data.length / ms / 1e6).toFixed(0)} GB/s`);
    }
    for (const p of plans) p.dispose();
    for (const b of [...ws, ...ys, x]) b.destroy();
  }
}

async function benchAttention(ctx: KernelContext, timer: GpuTimer, rows: Row[]): Promise<void> {
  const nKv = 8;
  const hd = 128;
  const nHeads = 32;
  for (const kvLen of quick ? [4096] : [32768, 131072]) {
    const maxPages = kvPagesFor(kvLen);
    const pagesTotal = maxPages * nKv;
    // Pages in a shuffled order, as a real cache's would be.
    const perm = new Uint32Array(pagesTotal).map((_, i) => i);
    for (let i = pagesTotal - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [perm[i], perm[j]] = [perm[j]!, perm[i]!];
    }
    const arenaWords = pagesTotal * kvPageWords(hd);
    const arena = randomWeightBytes('F16', arenaWords * 2, 1, 99);
    const pages = gpuBufferFrom(ctx.device, arena, STORAGE, 'kv');
    const table = gpuBufferFrom(ctx.device, perm, STORAGE, 'table');
    const q = gpuBufferFrom(ctx.device, new Float32Array(nHeads * hd).map(() => Math.random() - 0.5), STORAGE, 'q');
    const out = ctx.device.createBuffer({ size: nHeads * hd * 4, usage: STORAGE });
    const kv: KvLayerView = { pages, pageTable: table, tableOffset: 0, maxPages, nKvHeads: nKv, headDim: hd };
    const p = await decodeAttentionPlan(ctx, { q, out, kv, nHeads, maxKvLen: kvLen });
    p.update(kvLen);
    const t = await timeMs(ctx, timer, (pass) => p.encode(pass), 16, 7);
    rows.push(timedRow('decode attention', `${kvLen} tok, ${nHeads}/${nKv} heads, hd ${hd}`, `${p.chunks} chunks`, t, kvLen * nKv * hd * 4, 4 * kvLen * nHeads * hd));
    p.dispose();
    for (const b of [pages, table, q, out]) b.destroy();
  }
}

async function benchMatmul(ctx: KernelContext, timer: GpuTimer, rows: Row[]): Promise<void> {
  for (const s of MATMUL_SHAPES) {
    const data = randomWeightBytes(s.fmt, s.n, s.k, 777);
    const w = gpuBufferFrom(ctx.device, data, STORAGE, 'w');
    const x = gpuBufferFrom(ctx.device, new Float32Array(s.m * s.k).map(() => Math.random() - 0.5), STORAGE, 'x');
    const y = ctx.device.createBuffer({ size: s.m * s.n * 4, usage: STORAGE });
    for (const [tile, prefetch] of [[8, true], [8, false], [4, true]] as const) {
      const p = await matmulPlan(ctx, { format: s.fmt, rows: s.n, cols: s.k, maxM: s.m, weight: w, x, y, tile, prefetch });
      const t = await timeMs(ctx, timer, (pass) => p.encode(pass), quick ? 2 : 5, 5);
      rows.push(timedRow(`matmul ${s.fmt}`, `${s.m}x${s.n}x${s.k}`, `tile ${16 * tile}${prefetch ? ' prefetch' : ''}`, t, data.length + s.m * s.k * 4 + s.m * s.n * 4, 2 * s.m * s.n * s.k, false));
      p.dispose();
    }
    for (const b of [w, x, y]) b.destroy();
  }
}

async function main(): Promise<void> {
  const gpu = await gpuAcquire({ unsafe: true }); // unquantized timestamps (quantized ones come in 65.5 us steps on the H100)
  const ctx = kernelContextCreate(gpu);
  const info = `${gpu.info.adapterName} (${gpu.info.vendor} ${gpu.info.architecture}), subgroups ${gpu.hasSubgroups ? `${gpu.info.subgroupMinSize}-${gpu.info.subgroupMaxSize}` : 'no'}, maxStorageBufferBindingSize ${gpu.info.limits.maxStorageBufferBindingSize}`;
  console.log(info);
  const loops = args.has('--loops');
  if (args.has('--layout-lab')) {
    const timer = new GpuTimer(ctx.device, gpu.hasTimestamps, 4);
    const r = await benchLayoutLab(ctx, timer, quick, args.has('--all-sizes'), args.has('--shapes'));
    const text = `Device: ${info}\n\n${r.table}\n`;
    console.log(text);
    if (process.env.OUT) writeFileSync(`${process.env.OUT}/layout.md`, text);
    if (!r.ok) process.exitCode = 1;
    ctx.pool.dispose();
    gpu.dispose();
    return;
  }
  if (!args.has('--no-check') && !(await check(ctx, loops))) process.exitCode = 1;
  const rows: Row[] = [];
  const timer = new GpuTimer(ctx.device, gpu.hasTimestamps, 4);
  if (loops) {
    const budget = Number(opt('budget-s') ?? 110);
    const shapes = opt('loop-shapes')?.split(',').map((s) => s.split('x').map(Number) as [number, number]);
    const formats = opt('loop-formats')?.split(',') as WeightFormat[] | undefined;
    const r = await benchMatvecLoops(ctx, timer, budget, quick, { ...(shapes ? { shapes } : {}), ...(formats ? { formats } : {}) });
    const text = `Device: ${info}\n\n${r.summary}\n`;
    console.log(text);
    if (process.env.OUT) {
      writeFileSync(`${process.env.OUT}/kernels.md`, text);
      writeFileSync(`${process.env.OUT}/kernels-raw.md`, `Device: ${info}\n\n${r.raw}\n`);
    }
    ctx.pool.dispose();
    gpu.dispose();
    return;
  }
  const ceiling = await readCeiling(ctx, timer);
  const ceilingLine = `Read ceiling on this device (bench/kernels/read-ceiling.ts, ${(ceiling.bytes / 2 ** 20).toFixed(0)} MiB read once): ${ceiling.gbps.toFixed(0)} GB/s (${ceiling.best}; ${ceiling.rows.map((r) => `${r.gbps.toFixed(0)}`).join(' / ')} GB/s over the shapes). The % columns are of the H100's ${READ_CEILING_GBPS} GB/s.`;
  console.log(ceilingLine);
  if (args.has('--diag')) await diagMatvec(ctx, timer);
  await benchMatvec(ctx, timer, rows, !args.has('--no-sweep'));
  if (!args.has('--matvec-only')) {
    await benchAttention(ctx, timer, rows);
    await benchMatmul(ctx, timer, rows);
  }
  const table = [
    `Device: ${info}`,
    '',
    `Timer: ${gpu.hasTimestamps ? 'GPU timestamps around a pass of many dispatches' : 'host clock (no timestamp-query)'}; host us = submit-to-done per dispatch.`,
    '',
    ceilingLine,
    '',
    '| kernel | shape | variant | time (us) | host us | GB/s | % of 2.95 TB/s | TFLOP/s |',
    '|---|---|---|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.kernel} | ${r.shape} | ${r.variant} | ${r.us.toFixed(1)} | ${r.hostUs.toFixed(1)} | ${r.gbps.toFixed(0)} | ${r.pct} | ${r.tflops.toFixed(2)} |`),
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
