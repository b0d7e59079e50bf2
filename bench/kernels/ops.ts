/**
 * Benchmarks of the non-matrix kernels on the GPU machine: decode attention (bandwidth, with a
 * sweep of its tuning knobs), prefill attention (FLOP rate, plus the split-K verification
 * shape), token selection latency at a real vocabulary, RMSNorm bandwidth. Every kernel is
 * first checked by the harness cases of its op (a wrong kernel reports no number).
 *
 *   ../shared/device/pack.sh bench/kernels/ops.ts          # here, from the repo root
 *   source .devpack/enter.sh && node .devpack/ops.mjs [--quick] [--no-check] [--only=decode] [--warm-ms=N]
 *
 * Timing: `iters` dispatches recorded into one timed compute pass (GPU timestamps when the
 * device has timestamp-query, host clock around submit + wait otherwise), median of `reps`, after
 * warm-up passes for --warm-ms (default 100; the H100's 32K decode attention, the first shape of
 * its sweep, ran at 31% of the read ceiling there against 85% on an H200: clock ramp suspected).
 * KV caches are far larger than the H100's 50 MB L2 at the benchmark shapes (decode attention
 * replicates smaller ones).
 * Prints a markdown table (also written to $OUT/ops.md when OUT is set).
 *
 * Extend: add a `bench*` function and call it from main.
 */

import { writeFileSync } from 'node:fs';
import { gpuAcquire } from '../../engine/gpu/device.ts';
import { gpuBufferFrom, STORAGE } from '../../engine/gpu/buffer-pool.ts';
import { GpuTimer } from '../../engine/gpu/timing.ts';
import { timeUs } from './time.ts';
import { kernelContextCreate, type KernelContext } from '../../engine/kernels/context.ts';
import { decodeAttentionPlan, decodeLanes, decodeVariantDefault, streamDefaults, type DecodeVariant } from '../../engine/kernels/attention-decode.ts';
import { prefillAttentionPlan } from '../../engine/kernels/attention-prefill.ts';
import { kvPagesFor, kvPageWords, type KvLayerView } from '../../engine/kernels/kv-layout.ts';
import { rmsNormPlan } from '../../engine/kernels/rmsnorm.ts';
import { softwareAdapter } from '../../engine/kernels/matvec.ts';
import { argmaxPlan, samplePlan } from '../../engine/kernels/sample.ts';
import { harnessReport, harnessRun } from '../../test/kernels/harness.ts';
import { ATTENTION_CASES } from '../../test/kernels/cases-attention.ts';
import { NORM_CASES } from '../../test/kernels/cases-norm.ts';
import { SAMPLE_CASES } from '../../test/kernels/cases-sample.ts';

const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');
/** `--only=decode` (or prefill, select, norm): run only the benches whose name contains it */
const only = [...args].find((a) => a.startsWith('--only='))?.slice(7).toLowerCase();
/** `--warm-ms=N`: warm-up per timed shape (timeUs) */
const WARM_MS = Number([...args].find((a) => a.startsWith('--warm-ms='))?.slice(10) ?? (quick ? 0 : 100));
const READ_CEILING_GBPS = 2950; // Dawn read kernel on the H100 (ARCHITECTURE.md)

interface Row {
  kernel: string;
  shape: string;
  variant: string;
  us: number;
  gbps: number;
  tflops: number;
}

/** A paged cache of `tokens` tokens per KV head with random finite f16 data in shuffled pages. */
function randomCache(ctx: KernelContext, tokens: number, nKv: number, hd: number): { kv: KvLayerView; destroy(): void } {
  const maxPages = kvPagesFor(tokens);
  const total = maxPages * nKv;
  const perm = new Uint32Array(total).map((_, i) => i);
  let s = 0x12345678;
  const next = () => ((s ^= s << 13), (s ^= s >>> 17), (s ^= s << 5), s >>> 0);
  for (let i = total - 1; i > 0; i--) {
    const j = next() % (i + 1);
    [perm[i], perm[j]] = [perm[j]!, perm[i]!];
  }
  const words = new Uint32Array(total * kvPageWords(hd));
  for (let i = 0; i < words.length; i++) words[i] = next() & 0x3bff3bff; // |x| < 1, finite
  const pages = gpuBufferFrom(ctx.device, words, STORAGE, 'bench:pages');
  const table = gpuBufferFrom(ctx.device, perm, STORAGE, 'bench:table');
  return { kv: { pages, pageTable: table, tableOffset: 0, maxPages, nKvHeads: nKv, headDim: hd }, destroy: () => (pages.destroy(), table.destroy()) };
}

function randomF32(ctx: KernelContext, n: number, label: string): GPUBuffer {
  return gpuBufferFrom(ctx.device, new Float32Array(n).map(() => Math.random() * 2 - 1), STORAGE, label);
}

/** Best-per-shape lines of the decode sweep, printed again under the table. */
const decodeSummary: string[] = [];

/** One decode-attention configuration of the sweep (DecodeAttentionArgs knobs). */
interface DecodeConfig {
  variant: DecodeVariant;
  lanes: number;
  target: number;
  /** 'stream-r': tokens per row group and step, invocations per workgroup */
  tokens?: number;
  invocations?: number;
}

/**
 * The decode sweep of one shape: 'page' over lanes x chunk targets, and 'stream-r' (the GPU
 * default) over tokens per step x workgroup size at targets 512 and 1024 only (sweep time; its
 * lanes: the default).
 */
function decodeConfigs(hd: number, G: number): DecodeConfig[] {
  const lanesDefault = decodeLanes(hd, G);
  const sd = streamDefaults(lanesDefault, G);
  const streamQuick = { lanes: lanesDefault, target: 512, tokens: sd.tokensPerStep, invocations: sd.rowGroups * lanesDefault };
  if (quick) return [{ variant: 'page', lanes: lanesDefault, target: 512 }, { variant: 'stream-r', ...streamQuick }];
  const targets = [512, 1024, 2048, 4096];
  const out: DecodeConfig[] = [];
  for (const lanes of [lanesDefault, hd === 128 ? (lanesDefault === 16 ? 8 : 16) : 4]) for (const target of targets) out.push({ variant: 'page', lanes, target });
  for (const tokens of [2, 4, 8]) for (const invocations of [64, 128, 256]) for (const target of [512, 1024]) out.push({ variant: 'stream-r', lanes: lanesDefault, target, tokens, invocations });
  return out;
}

function decodeConfigLabel(c: DecodeConfig, chunks: number): string {
  const knobs = c.variant === 'page' ? '' : `${c.variant} ${c.tokens} tok/step, ${c.invocations! / c.lanes}x${c.lanes} inv, `;
  return `${knobs}${c.lanes} lanes/row, ${chunks} chunks (target ${c.target})`;
}

/**
 * Decode attention at the model shapes: Llama-3-8B (32/8 heads, hd 128) and Llama-3.2-1B (32/8,
 * hd 64) at 32K and 128K tokens, Qwen2.5-0.5B (14/2, hd 64, G = 7) at 32K; sweep of both pass-1
 * variants and their knobs (decodeConfigs; "*" = the engine's defaults). GB/s counts K + V bytes
 * once; caches smaller than 200 MB are replicated and the timed dispatches rotate over the
 * copies, so no number comes from L2. Prints the best configuration per shape and per variant.
 */
async function benchDecode(ctx: KernelContext, timer: GpuTimer, rows: Row[]): Promise<void> {
  const shapes: { kvLen: number; nHeads: number; nKv: number; hd: number }[] = quick
    ? [{ kvLen: 4096, nHeads: 32, nKv: 8, hd: 128 }, { kvLen: 4096, nHeads: 32, nKv: 8, hd: 64 }]
    : [
        { kvLen: 32768, nHeads: 32, nKv: 8, hd: 128 },
        { kvLen: 131072, nHeads: 32, nKv: 8, hd: 128 },
        { kvLen: 32768, nHeads: 32, nKv: 8, hd: 64 },
        { kvLen: 131072, nHeads: 32, nKv: 8, hd: 64 },
        { kvLen: 32768, nHeads: 14, nKv: 2, hd: 64 },
      ];
  for (const { kvLen, nHeads, nKv, hd } of shapes) {
    const bytes = kvLen * nKv * hd * 4; // K + V, f16, read once
    const copies = Math.min(16, Math.ceil(200e6 / bytes));
    const caches = Array.from({ length: copies }, () => randomCache(ctx, kvLen, nKv, hd));
    const q = randomF32(ctx, nHeads * hd, 'q');
    const out = ctx.device.createBuffer({ size: nHeads * hd * 4, usage: STORAGE });
    const G = nHeads / nKv;
    const lanesDefault = decodeLanes(hd, G);
    const shape = `${kvLen} tok, ${nHeads}/${nKv} heads, hd ${hd}`;
    const best = new Map<string, Row>();
    // the plan the engine builds for this shape on this device (decodeAttentionPlan's defaults)
    const sgMin = (ctx.device as unknown as { adapterInfo?: { subgroupMinSize?: number } }).adapterInfo?.subgroupMinSize ?? 0;
    const defVariant = decodeVariantDefault({ software: softwareAdapter(ctx), subgroups: ctx.subgroups, subgroupMinSize: sgMin, lanes: lanesDefault });
    const sd = streamDefaults(lanesDefault, G);
    const isEngineDefault = (c: DecodeConfig) => c.variant === defVariant && c.lanes === lanesDefault && c.target === 512
      && (c.variant === 'page' || (c.tokens === sd.tokensPerStep && c.invocations === sd.rowGroups * lanesDefault));
    for (const cfg of decodeConfigs(hd, G)) {
      const knobs = cfg.variant !== 'page' ? { variant: cfg.variant, tokensPerStep: cfg.tokens!, rowGroups: cfg.invocations! / cfg.lanes } : {};
      let plans;
      try {
        plans = await Promise.all(caches.map((c) => decodeAttentionPlan(ctx, { q, out, kv: c.kv, nHeads, maxKvLen: kvLen, targetWorkgroups: cfg.target, lanesPerRow: cfg.lanes, ...knobs })));
      } catch (e) {
        console.log(`  skipped ${shape} ${JSON.stringify(cfg)}: ${(e as Error).message}`);
        continue;
      }
      for (const p of plans) p.update(kvLen);
      let i = 0;
      const us = await timeUs(ctx, timer, (pass) => plans[i++ % plans.length]!.encode(pass), 16, 5, WARM_MS);
      const star = isEngineDefault(cfg) ? '*' : '';
      const row = { kernel: 'decode attention', shape, variant: `${decodeConfigLabel(cfg, plans[0]!.chunks)}${star}${copies > 1 ? `, ${copies} copies` : ''}`, us, gbps: bytes / us / 1e3, tflops: (4 * kvLen * nHeads * hd) / us / 1e6 };
      rows.push(row);
      for (const key of ['all', cfg.variant]) if (!best.get(key) || row.us < best.get(key)!.us) best.set(key, row);
      for (const p of plans) p.dispose();
    }
    for (const [key, b] of best) {
      const line = `best decode attention (${key}) ${shape}: ${b.variant} ${b.us.toFixed(1)} us = ${((100 * b.gbps) / READ_CEILING_GBPS).toFixed(0)}% of the ceiling`;
      console.log(`  ${line}`);
      decodeSummary.push(line);
    }
    q.destroy();
    out.destroy();
    for (const c of caches) c.destroy();
  }
}

async function benchPrefill(ctx: KernelContext, timer: GpuTimer, rows: Row[]): Promise<void> {
  // Llama-3.2-1B (hd 64, 32/8 heads): a 512-token prefill piece at 32K (the end-to-end case) and
  // at 128K, a first piece of 2048; Llama-3-8B-like hd 128; the split-K verification shape.
  // Variants: targetWorkgroups (key splits) and maxRows (rows per workgroup) sweeps on the 32K piece.
  const shapes: { tokens: number; qStart: number; hd: number; sweep?: boolean }[] = quick
    ? [{ tokens: 256, qStart: 0, hd: 64 }, { tokens: 4, qStart: 2048, hd: 128 }]
    : [
        { tokens: 512, qStart: 32256, hd: 64, sweep: true },
        { tokens: 512, qStart: 130560, hd: 64 },
        { tokens: 2048, qStart: 0, hd: 64 },
        { tokens: 512, qStart: 32256, hd: 128, sweep: true },
        { tokens: 2048, qStart: 0, hd: 128 },
        { tokens: 4, qStart: 32764, hd: 128 },
      ];
  const nKv = 8;
  const nHeads = 32;
  for (const s of shapes) {
    const { hd } = s;
    const cache = randomCache(ctx, s.qStart + s.tokens, nKv, hd);
    const q = randomF32(ctx, s.tokens * nHeads * hd, 'q');
    const out = ctx.device.createBuffer({ size: s.tokens * nHeads * hd * 4, usage: STORAGE });
    const variants: { target?: number; maxRows?: number }[] = s.sweep ? [{}, { target: 2048 }, { target: 4096 }, { maxRows: 32 }, { maxRows: 32, target: 4096 }, { maxRows: 128 }] : [{}];
    for (const v of variants) {
      const p = await prefillAttentionPlan(ctx, { q, out, kv: cache.kv, nHeads, tokens: s.tokens, qStart: s.qStart, ...(v.target ? { targetWorkgroups: v.target } : {}), ...(v.maxRows ? { maxRows: v.maxRows } : {}) });
      const us = await timeUs(ctx, timer, (pass) => p.encode(pass), s.tokens > 64 ? 2 : 16, 5, WARM_MS);
      const pairs = s.tokens * s.qStart + (s.tokens * (s.tokens + 1)) / 2; // (query, key) pairs under the causal mask
      const kvBytes = (s.qStart + s.tokens) * nKv * hd * 4;
      const variant = `${p.rows} rows/wg, ${p.splits} key splits (target ${v.target ?? 1024})`;
      rows.push({ kernel: 'prefill attention', shape: `${s.tokens} tok after ${s.qStart}, ${nHeads}/${nKv} heads, hd ${hd}`, variant, us, gbps: kvBytes / us / 1e3, tflops: (4 * pairs * nHeads * hd) / us / 1e6 });
      p.dispose();
    }
    q.destroy();
    out.destroy();
    cache.destroy();
  }
}

async function benchSelect(ctx: KernelContext, timer: GpuTimer, rows: Row[]): Promise<void> {
  const vocab = quick ? 32000 : 128256;
  const logits = gpuBufferFrom(ctx.device, new Float32Array(vocab).map(() => Math.random() * 8), STORAGE, 'logits');
  const out = ctx.device.createBuffer({ size: 16, usage: STORAGE });
  const am = await argmaxPlan(ctx, { logits, out, rows: 1, vocab });
  rows.push({ kernel: 'argmax', shape: `vocab ${vocab}`, variant: ctx.subgroups ? 'subgroups' : 'fallback', us: await timeUs(ctx, timer, (pass) => am.encode(pass), 32, 5, WARM_MS), gbps: 0, tflops: 0 });
  for (const config of [{ temperature: 0.8 }, { temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05 }, { temperature: 0.8, topP: 0.95 }]) {
    const sp = await samplePlan(ctx, { logits, out, vocab, seed: 1, config });
    const us = await timeUs(ctx, timer, (pass) => sp.encode(pass), 32, 5, WARM_MS);
    rows.push({ kernel: 'sample', shape: `vocab ${vocab}`, variant: JSON.stringify(config).replace(/[{}"]/g, ''), us, gbps: (vocab * 4) / us / 1e3, tflops: 0 });
    sp.dispose();
  }
  am.dispose();
  logits.destroy();
  out.destroy();
}

async function benchNorm(ctx: KernelContext, timer: GpuTimer, rows: Row[]): Promise<void> {
  for (const [r, d] of quick ? [[64, 1024]] : [[1, 4096], [2048, 4096]]) {
    const x = randomF32(ctx, r! * d!, 'x');
    const w = randomF32(ctx, d!, 'w');
    const out = ctx.device.createBuffer({ size: r! * d! * 4, usage: STORAGE });
    const p = await rmsNormPlan(ctx, { x, weight: w, out, rows: r!, dim: d!, eps: 1e-5 });
    const us = await timeUs(ctx, timer, (pass) => p.encode(pass), 32, 5, WARM_MS);
    rows.push({ kernel: 'rmsnorm', shape: `${r}x${d}`, variant: ctx.subgroups ? 'subgroups' : 'fallback', us, gbps: (r! * d! * 8) / us / 1e3, tflops: 0 });
    p.dispose();
    for (const b of [x, w, out]) b.destroy();
  }
}

async function check(ctx: KernelContext): Promise<boolean> {
  let ok = true;
  const cases = [...ATTENTION_CASES, ...SAMPLE_CASES, ...NORM_CASES];
  for (const c of cases) {
    const r = await harnessRun(ctx, c, (Math.random() * 2 ** 32) >>> 0);
    if (!r.ok) {
      ok = false;
      console.log(harnessReport(c, r, 'gpu machine'));
    }
  }
  console.log(`harness: ${ok ? 'all' : 'NOT all'} ${cases.length} attention / selection / norm cases pass`);
  return ok;
}

async function main(): Promise<void> {
  const gpu = await gpuAcquire();
  const ctx = kernelContextCreate(gpu);
  const info = `${gpu.info.adapterName} (${gpu.info.vendor} ${gpu.info.architecture}), subgroups ${gpu.hasSubgroups ? `${gpu.info.subgroupMinSize}-${gpu.info.subgroupMaxSize}` : 'no'}, workgroup memory ${gpu.info.limits.maxComputeWorkgroupStorageSize} B`;
  console.log(info);
  if (!args.has('--no-check') && !(await check(ctx))) {
    process.exitCode = 1;
    return;
  }
  const timer = new GpuTimer(ctx.device, gpu.hasTimestamps, 4);
  const rows: Row[] = [];
  for (const bench of [benchDecode, benchPrefill, benchSelect, benchNorm].filter((b) => !only || b.name.toLowerCase().includes(only))) {
    await bench(ctx, timer, rows);
    const r = rows[rows.length - 1];
    if (r) console.log(`  ${r.kernel} ${r.shape} ${r.variant}: ${r.us.toFixed(1)} us`);
  }
  const table = [
    `Device: ${info}`,
    '',
    `Timer: ${gpu.hasTimestamps ? 'GPU timestamps around a pass of many dispatches' : 'host clock (no timestamp-query)'}.`,
    '',
    '| kernel | shape | variant | time (us) | GB/s | % of 2.95 TB/s | TFLOP/s |',
    '|---|---|---|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.kernel} | ${r.shape} | ${r.variant} | ${r.us.toFixed(1)} | ${r.gbps ? r.gbps.toFixed(0) : ''} | ${r.gbps ? `${((100 * r.gbps) / READ_CEILING_GBPS).toFixed(0)}%` : ''} | ${r.tflops ? r.tflops.toFixed(2) : ''} |`),
    ...(decodeSummary.length ? ['', ...decodeSummary.map((l) => `- ${l}`)] : []),
  ].join('\n');
  console.log(table);
  if (process.env.OUT) writeFileSync(`${process.env.OUT}/ops.md`, table + '\n');
  timer.dispose();
  ctx.pool.dispose();
  gpu.dispose();
}

await main();
