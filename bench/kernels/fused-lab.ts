/**
 * Kernel lab for the fused decode matvec (engine/kernels/matvec-fused.ts): at the decode shapes
 * of a model, the separate ops (rmsnorm + act-quant + int8 matvec [+ swiglu]) against the fused
 * dispatch, with a sweep of its knobs (workgroup size, lanes per row group, rows per group).
 * Back-to-back dispatches of one op in one pass, so fixed per-dispatch costs count as in decode.
 *
 *   LLAMA_GPU=cpu node --import ./bin/register.mjs bench/kernels/fused-lab.ts [--shape 1b|tiny] [--format Q8_0]
 *   ../shared/device/pack.sh bench/kernels/fused-lab.ts; node .devpack/fused-lab.mjs --shape 1b  (GPU machine)
 *
 * Timing: GPU timestamps when offered, else host clock around submit + wait; median of 5.
 * Extend: a shape is a row of SHAPES; a knob setting a row of VARIANTS.
 */

import { gpuAcquire } from '../../engine/gpu/device.ts';
import { gpuBufferFrom, STORAGE } from '../../engine/gpu/buffer-pool.ts';
import { GpuTimer } from '../../engine/gpu/timing.ts';
import { timeUs } from './time.ts';
import { kernelContextCreate, type KernelPlan } from '../../engine/kernels/context.ts';
import { swigluPlan } from '../../engine/kernels/elementwise.ts';
import { matvecFusedPlan, type MatvecFusedArgs } from '../../engine/kernels/matvec-fused.ts';
import { matvecPlan } from '../../engine/kernels/matvec.ts';
import { rmsNormPlan } from '../../engine/kernels/rmsnorm.ts';
import { weightRowBytes, type WeightFormat } from '../../engine/kernels/weight-layout.ts';

const argv = process.argv.slice(2);
const arg = (k: string) => {
  const i = argv.indexOf(k);
  return i >= 0 ? argv[i + 1] : undefined;
};
const FORMAT = (arg('--format') ?? 'Q8_0') as WeightFormat;
const DIMS = { tiny: { dim: 256, qkv: 512, ffn: 512 }, '1b': { dim: 2048, qkv: 3072, ffn: 8192 } }[arg('--shape') ?? 'tiny']!;

interface Shape {
  name: string;
  rows: number;
  cols: number;
  norm: boolean;
  swiglu: boolean;
  accumulate: boolean;
}
const SHAPES: Shape[] = [
  { name: 'attn_norm + qkv', rows: DIMS.qkv, cols: DIMS.dim, norm: true, swiglu: false, accumulate: false },
  { name: 'attn_output (+res)', rows: DIMS.dim, cols: DIMS.dim, norm: false, swiglu: false, accumulate: true },
  { name: 'ffn_norm + gate|up + swiglu', rows: DIMS.ffn, cols: DIMS.dim, norm: true, swiglu: true, accumulate: false },
  { name: 'ffn_down (+res)', rows: DIMS.dim, cols: DIMS.ffn, norm: false, swiglu: false, accumulate: true },
];
const VARIANTS: Pick<MatvecFusedArgs, 'wg' | 'groupWidth' | 'rowsPerGroup'>[] = [{}, { wg: 128 }, { rowsPerGroup: 4 }, { groupWidth: 32, rowsPerGroup: 4 }, { groupWidth: 8, rowsPerGroup: 8 }];

const encodeAll = (plans: KernelPlan[]) => (pass: GPUComputePassEncoder) => {
  for (const p of plans) p.encode(pass);
};

const gpu = await gpuAcquire({ unsafe: true });
const ctx = kernelContextCreate(gpu);
const timer = new GpuTimer(gpu.device, gpu.hasTimestamps, 4);
const iters = Number(arg('--iters') ?? 20);
const rand = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898) * 0.5);
console.log(`${gpu.info.adapterName}, ${FORMAT}, ${iters} dispatches per timing; us per op`);
console.log('| op | rows x cols | separate | ' + VARIANTS.map((v) => `fused ${JSON.stringify(v)}`).join(' | ') + ' |');
console.log('|---|---|---:|' + VARIANTS.map(() => '---:').join('|') + '|');
for (const s of SHAPES) {
  const wRows = s.swiglu ? 2 * s.rows : s.rows;
  const bytes = Math.ceil((wRows * weightRowBytes(FORMAT, s.cols)) / 4) * 4 + 16;
  // random bytes: f16 scales may be any value; timings do not depend on them
  const w = gpu.device.createBuffer({ size: bytes, usage: STORAGE });
  const x = gpuBufferFrom(gpu.device, rand(s.cols), STORAGE);
  const nw = gpuBufferFrom(gpu.device, rand(s.cols).map((v) => 1 + v), STORAGE);
  const xn = gpu.device.createBuffer({ size: s.cols * 4, usage: STORAGE });
  const y = gpu.device.createBuffer({ size: wRows * 4, usage: STORAGE });
  const act = gpu.device.createBuffer({ size: s.rows * 4, usage: STORAGE });
  const sep: KernelPlan[] = [];
  if (s.norm) sep.push(await rmsNormPlan(ctx, { x, weight: nw, out: xn, rows: 1, dim: s.cols, eps: 1e-5 }));
  sep.push(await matvecPlan(ctx, { format: FORMAT, rows: wRows, cols: s.cols, weight: w, x: s.norm ? xn : x, y, accumulate: s.accumulate }));
  if (s.swiglu) sep.push(await swigluPlan(ctx, { gate: { buffer: y, offset: 0, size: s.rows * 4 }, up: { buffer: y, offset: s.rows * 4, size: s.rows * 4 }, out: act, n: s.rows }));
  const cells = [(await timeUs(ctx, timer, encodeAll(sep), iters)).toFixed(1)];
  for (const v of VARIANTS) {
    const p = await matvecFusedPlan(ctx, { format: FORMAT, rows: s.rows, cols: s.cols, weight: w, x, y: s.swiglu ? act : y, accumulate: s.accumulate, swiglu: s.swiglu, ...(s.norm ? { norm: { weight: nw, eps: 1e-5 } } : {}), ...v });
    cells.push(p ? (await timeUs(ctx, timer, encodeAll([p]), iters)).toFixed(1) : '—');
    p?.dispose();
  }
  console.log(`| ${s.name} | ${wRows} x ${s.cols} | ${cells.join(' | ')} |`);
  for (const p of sep) p.dispose();
  for (const b of [w, x, nw, xn, y, act]) b.destroy();
}
timer.dispose();
gpu.dispose();
process.exit(0);
