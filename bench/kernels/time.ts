/**
 * Timing of recorded dispatches for the kernel benches (ops.ts, fused-lab.ts): `iters`
 * repetitions of `record` in one timestamped compute pass, median of `reps` runs after one
 * warm-up, in microseconds per repetition (GPU timestamps; the host clock where there are none).
 */
import type { GpuTimer } from '../../engine/gpu/timing.ts';
import type { KernelContext } from '../../engine/kernels/context.ts';

export async function timeUs(ctx: KernelContext, timer: GpuTimer, record: (pass: GPUComputePassEncoder) => void, iters: number, reps = 5): Promise<number> {
  const run = async (): Promise<number> => {
    const enc = ctx.device.createCommandEncoder();
    const pass = timer.beginPass(enc, 'run');
    for (let i = 0; i < iters; i++) record(pass);
    pass.end();
    timer.resolve(enc);
    const t0 = performance.now();
    ctx.device.queue.submit([enc.finish()]);
    await ctx.device.queue.onSubmittedWorkDone();
    const host = (performance.now() - t0) / iters;
    const [row] = await timer.read();
    return (timer.enabled && row && row.ms > 0 ? row.ms / iters : host) * 1000;
  };
  await run();
  const t: number[] = [];
  for (let r = 0; r < reps; r++) t.push(await run());
  return t.sort((a, b) => a - b)[Math.floor(t.length / 2)]!;
}
