/**
 * Timing of recorded dispatches for the kernel benches (run.ts, ops.ts, fused-lab.ts).
 *
 *   timedPass: `iters` repetitions of `record` in one timestamped compute pass, per repetition:
 *              GPU ms from the timestamps (NaN without a reading) and host ms around submit + wait.
 *   medianPassMs: warm-up passes (one, or as many as fit `warmMs`: the H100 idles at a 345 MHz SM
 *              clock and short bursts may not reach boost), then the median of `reps` passes, in
 *              ms per repetition (GPU timestamps; the host clock where there are none).
 *   timeUs:    the same in microseconds.
 */
import type { GpuTimer } from '../../engine/gpu/timing.ts';
import type { KernelContext } from '../../engine/kernels/context.ts';

export async function timedPass(ctx: KernelContext, timer: GpuTimer, record: (pass: GPUComputePassEncoder, i: number) => void, iters: number): Promise<{ gpu: number; host: number }> {
  const enc = ctx.device.createCommandEncoder();
  const pass = timer.beginPass(enc, 'run');
  for (let i = 0; i < iters; i++) record(pass, i);
  pass.end();
  timer.resolve(enc);
  const t0 = performance.now();
  ctx.device.queue.submit([enc.finish()]);
  await ctx.device.queue.onSubmittedWorkDone();
  const host = (performance.now() - t0) / iters;
  const [row] = await timer.read();
  return { gpu: row ? row.ms / iters : NaN, host };
}

/**
 * Warm-up passes (at least one, then as many as fit `warmMs`), then the median of `reps` passes:
 * GPU ms per repetition from the timestamps, the host clock where there is no reading.
 */
export async function medianPassMs(ctx: KernelContext, timer: GpuTimer, record: (pass: GPUComputePassEncoder, i: number) => void, iters: number, reps: number, warmMs: number): Promise<number> {
  const run = async (): Promise<number> => {
    const t = await timedPass(ctx, timer, record, iters);
    return Number.isFinite(t.gpu) && t.gpu > 0 ? t.gpu : t.host;
  };
  const w0 = performance.now();
  do await run();
  while (performance.now() - w0 < warmMs);
  const t: number[] = [];
  for (let i = 0; i < reps; i++) t.push(await run());
  return t.sort((a, b) => a - b)[Math.floor(reps / 2)]!;
}

export async function timeUs(ctx: KernelContext, timer: GpuTimer, record: (pass: GPUComputePassEncoder) => void, iters: number, reps = 5, warmMs = 0): Promise<number> {
  return 1000 * (await medianPassMs(ctx, timer, record, iters, reps, warmMs));
}
