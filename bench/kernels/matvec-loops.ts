/**
 * Decode matvec sweep over the loop variants (matvec.ts MatvecLoop) and workgroup shapes, for
 * the issue shapes and the Llama-3.2-1B decode shapes, within a time budget. Run through
 * run.ts (`--loops`), which checks the harness cases first.
 *
 * Method: as run.ts's matvec bench (weight copies rotated past the 50 MB L2, up to 64 of them,
 * 640 dispatches in one timestamped pass, 300 ms of warm-up before each variant, median of
 * `reps`), except that every variant reads ONE x quantized once per pass (one act-quant dispatch
 * per 640 matvecs), so the numbers are the product kernel alone; the default is also timed with
 * its own act-quant dispatch ("+aq", as in run.ts's table and in decode). Each (shape, format)
 * gets what is left of the budget over the pairs left; a share spent skips that pair's remaining
 * variants (listed as skipped; the first two always run), in this order: defaults, every loop at
 * the default (wg, r), then SWEEP_LOOPS at every SWEEP (wg, r).
 *
 * Output: a summary table (default, best per loop, best overall per shape and format) and the
 * raw list of every measured variant.
 *
 * `only` narrows the sweep to some shapes and formats (run.ts --loop-shapes=14336x4096 --loop-formats=Q4_0,Q6_K).
 *
 * Extend: shapes in LOOP_SHAPES, workgroup shapes in LOOP_SWEEP, loops in matvec.ts MATVEC_LOOPS.
 */

import { execFileSync } from 'node:child_process';
import { gpuBufferFrom, STORAGE } from '../../engine/gpu/buffer-pool.ts';
import type { GpuTimer } from '../../engine/gpu/timing.ts';
import { activationFormatOf, activationQuantizePlan } from '../../engine/kernels/act-quant.ts';
import type { KernelContext, KernelPlan } from '../../engine/kernels/context.ts';
import { MATVEC_LOOPS, matvecDefaults, matvecPlan, type MatvecLoop } from '../../engine/kernels/matvec.ts';
import { weightRowBytes, type WeightFormat } from '../../engine/kernels/weight-layout.ts';
import { randomWeightBytes } from '../../test/kernels/weights-ref.ts';
import { medianPassMs } from './time.ts';

const READ_CEILING_GBPS = 2950;
const LOOP_FORMATS: WeightFormat[] = ['Q8_0', 'Q4_0', 'Q4_K', 'Q6_K', 'F16'];
/** [rows, cols]: 1B decode gate|up, down, q|k|v, o; issue 4's two shapes (the classifier last). */
const LOOP_SHAPES: [number, number][] = [
  [16384, 2048],
  [2048, 8192],
  [14336, 4096],
  [3072, 2048],
  [2048, 2048],
  [128256, 2048],
];
const LOOP_SWEEP: [number, number][] = [
  [64, 1],
  [128, 1],
  [256, 1],
  [64, 2],
  [32, 4],
  [128, 2],
  [64, 4],
];
/** Loops tried at every SWEEP shape (all of MATVEC_LOOPS at the default shape). */
const SWEEP_LOOPS: readonly MatvecLoop[] = ['base', 'unroll2', 'unroll4', 'tile1', 'tile1v', 'tile2v'];

interface Variant {
  wg: number;
  r: number;
  loop: MatvecLoop;
  /** with its own act-quant dispatch */
  ownQuant: boolean;
  isDefault: boolean;
}

interface Measured extends Variant {
  us: number;
  gbps: number;
}

function label(v: Variant): string {
  return `${v.loop} wg${v.wg} r${v.r}${v.ownQuant ? ' +aq' : ''}${v.isDefault ? '*' : ''}`;
}

/** nvidia-smi's SM / memory clocks (MHz) where the tool exists, else ''. */
export function gpuClocks(): string {
  try {
    return execFileSync('nvidia-smi', ['--query-gpu=clocks.sm,clocks.mem,clocks.max.sm,power.draw', '--format=csv,noheader'], { timeout: 3000, encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

function variantsOf(fmt: WeightFormat, rows: number, cols: number): Variant[] {
  const quant = fmt !== 'F16';
  const d = matvecDefaults(fmt, cols, undefined, false, rows); // the engine's default for this shape (rows included)
  const loops = MATVEC_LOOPS.filter((l) => quant || !l.startsWith('tile'));
  const out: Variant[] = [];
  const add = (v: Variant) => {
    if (!out.some((o) => o.wg === v.wg && o.r === v.r && o.loop === v.loop && o.ownQuant === v.ownQuant)) out.push(v);
  };
  if (quant) add({ wg: d.wg, r: d.rowsPerWorkgroup, loop: d.loop, ownQuant: true, isDefault: true });
  add({ wg: d.wg, r: d.rowsPerWorkgroup, loop: d.loop, ownQuant: false, isDefault: true });
  for (const loop of loops) add({ wg: d.wg, r: d.rowsPerWorkgroup, loop, ownQuant: false, isDefault: false });
  for (const [wg, r] of LOOP_SWEEP) for (const loop of loops.filter((l) => SWEEP_LOOPS.includes(l))) add({ wg, r, loop, ownQuant: false, isDefault: false });
  return out;
}

/** Runs the sweep; returns the summary and the raw markdown. */
export async function benchMatvecLoops(ctx: KernelContext, timer: GpuTimer, budgetS: number, quick: boolean, only: { shapes?: [number, number][]; formats?: WeightFormat[] } = {}): Promise<{ summary: string; raw: string }> {
  const shapes: [number, number][] = only.shapes ?? (quick ? [[1024, 1024], [300, 2048]] : LOOP_SHAPES);
  const formats = only.formats ?? LOOP_FORMATS;
  const tStart = performance.now();
  let pairsLeft = shapes.length * formats.length;
  const clocks0 = gpuClocks();
  const summary: string[] = ['| shape | format | default +aq | default | best base | best unroll | best tile | best variant | best % of 2.95 TB/s |', '|---|---|---:|---:|---:|---:|---:|---|---:|'];
  const raw: string[] = ['| shape | format | variant | us | GB/s | % |', '|---|---|---|---:|---:|---:|'];
  let first = true;
  for (const [n, k] of shapes) {
    const clocks = gpuClocks();
    if (clocks) raw.push(`| ${n}x${k} | | nvidia-smi before this shape: ${clocks} | | | |`);
    for (const fmt of formats) {
      const t0 = performance.now();
      // this pair's share: what is left of the budget over the pairs left (fast pairs pass time on)
      const share = (budgetS * 1000 - (t0 - tStart)) / pairsLeft--;
      const wBytes = n * weightRowBytes(fmt, k);
      // enough copies to touch > 5x the 50 MB L2 per pass (small decode matrices: up to 64 copies)
      const copies = Math.min(64, Math.max(1, Math.ceil(256e6 / wBytes)));
      const data = randomWeightBytes(fmt, n, k, 12345);
      const ws = Array.from({ length: copies }, () => gpuBufferFrom(ctx.device, data, STORAGE, 'w'));
      const x = gpuBufferFrom(ctx.device, new Float32Array(k).map(() => Math.random() - 0.5), STORAGE, 'x');
      const ys = Array.from({ length: copies }, () => ctx.device.createBuffer({ size: n * 4, usage: STORAGE }));
      const act = activationFormatOf(fmt);
      const q = act ? await activationQuantizePlan(ctx, { x, cols: k, format: act }) : null;
      const done: Measured[] = [];
      const vs = variantsOf(fmt, n, k);
      let skipped = 0;
      for (const v of vs) {
        if (done.length >= 2 && performance.now() - t0 > share) {
          skipped++;
          continue;
        }
        const plans: KernelPlan[] = [];
        try {
          for (let c = 0; c < copies; c++) {
            plans.push(await matvecPlan(ctx, { format: fmt, rows: n, cols: k, weight: ws[c]!, x, y: ys[c]!, wg: v.wg, rowsPerWorkgroup: v.r, loop: v.loop, ...(q && !v.ownQuant ? { quantizedX: q } : {}) }));
          }
        } catch (e) {
          raw.push(`| ${n}x${k} | ${fmt} | ${label(v)} | not built: ${(e as Error).message.replace(/\|/g, '/')} | | |`);
          for (const p of plans) p.dispose();
          continue;
        }
        // 640 dispatches a pass (as run.ts's chained rows), so that one pass is milliseconds, not
        // tens of microseconds, of GPU work
        const iters = copies * Math.max(1, Math.ceil(640 / copies));
        const record = (pass: GPUComputePassEncoder, i: number) => {
          if (i === 0 && q && !v.ownQuant) q.encode(pass);
          plans[i % copies]!.encode(pass);
        };
        // the first measurement of the run warms the GPU up to its clocks for a second, every later
        // one for 300 ms: building a variant's pipelines leaves the GPU idle, and the H100 drops its
        // SM clock within that (1980 -> 675 MHz over a sweep with 15 ms warm-ups, eleventh run)
        const ms = await medianPassMs(ctx, timer, record, iters, quick ? 3 : 5, quick ? 15 : first ? 1000 : 300);
        first = false;
        const gbps = (wBytes + k * 4 + n * 4) / ms / 1e6;
        const m: Measured = { ...v, us: ms * 1000, gbps };
        done.push(m);
        raw.push(`| ${n}x${k} | ${fmt} | ${label(v)} | ${m.us.toFixed(1)} | ${gbps.toFixed(0)} | ${((100 * gbps) / READ_CEILING_GBPS).toFixed(0)}% |`);
        console.log(`  ${n}x${k} ${fmt} ${label(v)}: ${m.us.toFixed(1)} us ${gbps.toFixed(0)} GB/s`);
        for (const p of plans) p.dispose();
      }
      if (skipped) raw.push(`| ${n}x${k} | ${fmt} | ${skipped} variants skipped (budget share ${(share / 1000).toFixed(1)} s spent) | | | |`);
      const cell = (m: Measured | undefined) => (m ? `${m.us.toFixed(1)} us ${m.gbps.toFixed(0)}` : '—');
      const bestOf = (f: (m: Measured) => boolean) => done.filter((m) => !m.ownQuant && f(m)).sort((a, b) => a.us - b.us)[0];
      const best = bestOf(() => true);
      summary.push(
        `| ${n}x${k} | ${fmt} | ${cell(done.find((m) => m.isDefault && m.ownQuant))} | ${cell(done.find((m) => m.isDefault && !m.ownQuant))} | ${cell(bestOf((m) => m.loop === 'base'))} | ${cell(bestOf((m) => m.loop.startsWith('unroll')))} | ${cell(bestOf((m) => m.loop.startsWith('tile')))} | ${best ? label(best) : '—'} | ${best ? `${((100 * best.gbps) / READ_CEILING_GBPS).toFixed(0)}%` : '—'} |`,
      );
      q?.dispose();
      for (const b of [...ws, ...ys, x]) b.destroy();
    }
  }
  const head = [
    `Matvec loop sweep (bench/kernels/matvec-loops.ts): GPU us per matvec and GB/s (weights + x + y once), x quantized once per pass except "+aq" rows; "*" = default. Budget ${budgetS} s.`,
    `nvidia-smi clocks (sm, mem, max sm, power) before: ${clocks0 || 'n/a'}; after: ${gpuClocks() || 'n/a'}`,
    '',
  ];
  return { summary: [...head, ...summary].join('\n'), raw: raw.join('\n') };
}
