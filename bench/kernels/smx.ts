/**
 * Self-check and timing of the int8 tensor-core prefill matmul (matmul-int8.ts) on the GPU
 * machine, where the subgroup matrix feature exists (lavapipe has none):
 *
 *   ../shared/device/pack.sh bench/kernels/smx.ts               # here, from the repo root
 *   source .devpack/enter.sh && node .devpack/smx.mjs [--quick] [--no-time] [--q8]
 *
 * 1. Probe: adapter features, subgroup sizes and matrix configurations; a minimal subgroup
 *    matrix shader compiled in a few spellings, each compile / pipeline error printed.
 * 2. Unit: one 16x16x32 i8 product in each placement of the kernel's staging (row-major
 *    A, column-major B, rows 48 bytes apart, nonzero byte offsets) against the CPU.
 * 3. Cases: MATMUL_INT8_CASES (ragged shapes, bias, accumulate, split weights, setM) against
 *    the CPU reference through the kernel harness (NMSE bound, NaN/Inf, sentinels).
 * 4. Shapes (tokens x rows x cols) per format (--q8: Q8_0 only): the int8 kernel (TILES) against the
 *    rounded f32 kernel (same rounded X, so only f32 summation order differs; NMSE <= 1e-9),
 *    the small ragged one also against the CPU; then timings, TOPS and the speedup.
 * Prints PASS/FAIL lines and a markdown table (also $OUT/smx.md when OUT is set); exit code 1
 * on any FAIL.
 */

import { writeFileSync } from 'node:fs';
import { gpuAcquire } from '../../engine/gpu/device.ts';
import { gpuBufferFrom, gpuReadback, STORAGE } from '../../engine/gpu/buffer-pool.ts';
import { GpuTimer } from '../../engine/gpu/timing.ts';
import { kernelContextCreate, plansSubmit, type KernelContext } from '../../engine/kernels/context.ts';
import { matmulPlan, type MatmulPlan } from '../../engine/kernels/matmul.ts';
import { int8WorkgroupBytes, matmulInt8Plan, matmulInt8Probed, type Int8Tile } from '../../engine/kernels/matmul-int8.ts';
import { int8CheckActivations } from '../../engine/kernels/matmul-int8-check.ts';
import type { WeightFormat } from '../../engine/kernels/weight-layout.ts';
import { activationRound } from '../../engine/reference/ops-act-quant.ts';
import { harnessReport, harnessRun, nmse, Rng } from '../../test/kernels/harness.ts';
import { MATMUL_INT8_CASES } from '../../test/kernels/cases-matrix.ts';
import { matmulRef, randomWeightBytes, randomWeights } from '../../test/kernels/weights-ref.ts';
import { timeUs } from './time.ts';
import { int8ProbeSettled, type Int8Placement } from '../../engine/kernels/matmul-int8-probe.ts';
import { smxProbe, smxUnit } from './smx-probe.ts';

const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');
const FORMATS: WeightFormat[] = args.has('--q8') ? ['Q8_0'] : ['Q8_0', 'Q4_0'];
const SHAPES: [number, number, number][] = quick
  ? [[137, 1000, 96], [512, 1024, 1024]]
  : [[137, 1000, 96], [2048, 2048, 2048], [2048, 8192, 2048], [2048, 2048, 8192]];
// 64 x 64 and 128 x 64 (int8TileFor's picks), and 2 K blocks per barrier pair (slower on the H100; kept to watch it)
const TILES: Int8Tile[] = [{ sgm: 2, sgn: 2, prefetch: true }, { sgm: 4, sgn: 2, prefetch: true }, { sgm: 2, sgn: 2, kb: 2, prefetch: true }];
const MAX_NMSE = 1e-9;

let failed = false;
function verdict(ok: boolean, what: string, detail: string): void {
  if (!ok) failed = true;
  console.log(`${ok ? 'PASS' : 'FAIL'} ${what}: ${detail}`);
}

interface Row {
  fmt: string;
  shape: string;
  kernel: string;
  nmse: string;
  us: number;
  tops: number;
  speedup: string;
}

async function readY(ctx: KernelContext, y: GPUBuffer, n: number): Promise<Float32Array> {
  return new Float32Array(await gpuReadback(ctx.device, y, 0, n * 4));
}

async function shapeRun(ctx: KernelContext, timer: GpuTimer, fmt: WeightFormat, [m, n, k]: [number, number, number], placements: Int8Placement[], rows: Row[]): Promise<void> {
  const shape = `${m}x${n}x${k}`;
  const rng = new Rng(1234 + m + n + k);
  const small = m * n * k <= 2e7;
  // small shapes: weights with their dequantized values for the CPU reference
  const w = small ? randomWeights(fmt, n, k, rng) : { bytes: randomWeightBytes(fmt, n, k, 777 + n), values: new Float32Array(0) };
  const x = int8CheckActivations(m, k, 99 + m);
  const wBuf = gpuBufferFrom(ctx.device, w.bytes, STORAGE, 'w');
  const xBuf = gpuBufferFrom(ctx.device, x, STORAGE, 'x');
  const yF = ctx.device.createBuffer({ size: m * n * 4, usage: STORAGE, label: 'y-f32' });
  const yI = ctx.device.createBuffer({ size: m * n * 4, usage: STORAGE, label: 'y-int8' });
  const base = { format: fmt, rows: n, cols: k, maxM: m, weight: wBuf, x: xBuf };
  const pf = await matmulPlan(ctx, { ...base, y: yF });
  plansSubmit(ctx, [pf], 'smx');
  const ref = await readY(ctx, yF, m * n);
  const ops = 2 * m * n * k;
  const iters = Math.max(1, Math.min(50, Math.round(2e11 / ops)));
  const tf = args.has('--no-time') ? NaN : await timeUs(ctx, timer, (pass) => pf.encode(pass), iters);
  rows.push({ fmt, shape, kernel: 'f32 (rounded x)', nmse: '-', us: tf, tops: ops / tf / 1e6, speedup: '1.00' });
  if (small) {
    const cpu = matmulRef(activationRound(x, 'q8_0'), w.values, m, n, k);
    const [e, err] = nmse(ref, cpu);
    verdict(!err && e <= MAX_NMSE, `${fmt} ${shape} f32 kernel vs CPU`, err ?? `nmse ${e.toExponential(2)}`);
  }
  for (const tile of TILES) for (const placement of placements) {
    const label = `int8 ${32 * tile.sgm}x${32 * tile.sgn}${(tile.kb ?? 1) > 1 ? ` kb${tile.kb}` : ''}${tile.prefetch ? ' prefetch' : ''} ${placement.stage}/${placement.res}`;
    if (int8WorkgroupBytes(tile, placement) > Number(ctx.device.limits.maxComputeWorkgroupStorageSize)) {
      console.log(`SKIP ${fmt} ${shape} ${label}: needs ${int8WorkgroupBytes(tile, placement)} bytes of workgroup memory, the device allows ${ctx.device.limits.maxComputeWorkgroupStorageSize}`);
      continue;
    }
    let pi: MatmulPlan;
    try {
      pi = await matmulInt8Plan(ctx, { ...base, y: yI, int8Tile: tile, int8Placement: placement });
    } catch (e) {
      verdict(false, `${fmt} ${shape} ${label} plan`, (e as Error).message);
      continue;
    }
    ctx.device.pushErrorScope('validation');
    plansSubmit(ctx, [pi], 'smx');
    const verr = await ctx.device.popErrorScope();
    const got = await readY(ctx, yI, m * n);
    const [e, err] = nmse(got, ref);
    verdict(!verr && !err && e <= MAX_NMSE, `${fmt} ${shape} ${label} vs f32 kernel`, verr ? `validation: ${verr.message}` : (err ?? `nmse ${e.toExponential(2)}`));
    if (small) {
      const cpu = matmulRef(activationRound(x, 'q8_0'), w.values, m, n, k);
      const [ec, errc] = nmse(got, cpu);
      verdict(!errc && ec <= MAX_NMSE, `${fmt} ${shape} ${label} vs CPU`, errc ?? `nmse ${ec.toExponential(2)}`);
    }
    const ti = args.has('--no-time') ? NaN : await timeUs(ctx, timer, (pass) => pi.encode(pass), iters);
    rows.push({ fmt, shape, kernel: label, nmse: Number.isFinite(e) ? e.toExponential(1) : 'NaN', us: ti, tops: ops / ti / 1e6, speedup: (tf / ti).toFixed(2) });
    pi.dispose();
    // poison y so the next tiling cannot pass on the previous one's output
    ctx.device.queue.writeBuffer(yI, 0, new Float32Array(m * n).fill(NaN));
  }
  pf.dispose();
  for (const b of [wBuf, xBuf, yF, yI]) b.destroy();
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const gpu = await gpuAcquire({ unsafe: true });
  const ctx = kernelContextCreate(gpu);
  const device = `${gpu.info.adapterName} (${gpu.info.vendor} ${gpu.info.architecture}), subgroups ${gpu.info.subgroupMinSize}-${gpu.info.subgroupMaxSize}`;
  console.log(device);
  await smxProbe(gpu);
  const unit = gpu.hasSubgroupMatrix ? await smxUnit(ctx.device) : { ok: false, detail: 'no subgroup matrix feature', placements: [] };
  verdict(unit.ok, 'unit 16x16x32 i8 product per placement (kernel layouts)', unit.detail);
  const reason = await matmulInt8Probed(ctx.device, 'Q8_0'); // the engine's own probe
  verdict(reason === null, 'int8 kernel selectable', reason ?? `yes: ${int8ProbeSettled(ctx.device)?.detail}`);
  if (reason !== null) {
    process.exitCode = 1;
    return;
  }
  for (const c of MATMUL_INT8_CASES) {
    const r = await harnessRun(ctx, c, 4242);
    verdict(r.ok, `case ${c.op} ${c.name}`, r.ok ? `nmse ${Object.values(r.nmse).map((v) => v.toExponential(1)).join(', ')}` : harnessReport(c, r));
  }
  const rows: Row[] = [];
  const timer = new GpuTimer(ctx.device, gpu.hasTimestamps, 64);
  for (const fmt of FORMATS) for (const s of SHAPES) await shapeRun(ctx, timer, fmt, s, unit.placements, rows);
  const table = [
    `Device: ${device}`,
    '',
    `int8 kernel (matmul-int8.wgsl) vs the rounded f32 kernel (matmul.wgsl); both include their activation pass. TOPS = 2 M N K / time. ${failed ? '**Some checks FAILED (see log).**' : 'All checks passed.'}`,
    '',
    '| format | M x N x K | kernel | NMSE vs f32 | time (us) | TOPS | speedup |',
    '|---|---|---|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.fmt} | ${r.shape} | ${r.kernel} | ${r.nmse} | ${r.us.toFixed(1)} | ${r.tops.toFixed(1)} | ${r.speedup} |`),
  ].join('\n');
  console.log(table);
  if (process.env.OUT) writeFileSync(`${process.env.OUT}/smx.md`, table + '\n');
  console.log(`${failed ? 'FAILED' : 'ALL PASS'} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  if (failed) process.exitCode = 1;
  ctx.pool.dispose();
  gpu.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
