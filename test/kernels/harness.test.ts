// The harness must catch what it promises to catch: out-of-bounds writes (sentinels), elements
// left unwritten (NaN fill), wrong values (NMSE bound). Also checks pipeline reuse and the pool.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gpuAcquire, type Gpu } from '../../engine/gpu/device.ts';
import { kernelContextCreate, type KernelContext } from '../../engine/kernels/context.ts';
import { rmsNormPlan } from '../../engine/kernels/rmsnorm.ts';
import { rmsNorm } from '../../engine/reference/ops.ts';
import { harnessPerf, harnessRun, type KernelCase } from './harness.ts';
import { GpuTimer } from '../../engine/gpu/timing.ts';

function brokenCase(kind: 'oob' | 'short' | 'wrong' | 'ok'): KernelCase {
  const rows = 3;
  const dim = 40;
  return {
    op: 'rmsnorm',
    name: kind,
    maxNmse: 1e-10,
    build({ rng, input, ctx }) {
      const x = rng.normal(rows * dim);
      const w = rng.normal(dim);
      const expected = rmsNorm(x, w, rows, dim, 1e-5);
      if (kind === 'wrong') expected[5]! += 1;
      const xb = input(new Float32Array([...x, ...x]));
      const wb = input(w);
      return {
        outputs: [{ name: 'out', bytes: rows * dim * 4, expected }],
        plans: async ([out]) => {
          const o = out as { buffer: GPUBuffer; offset: number; size: number };
          const n = kind === 'oob' ? rows + 1 : kind === 'short' ? rows - 1 : rows;
          return [await rmsNormPlan(ctx, { x: xb, weight: wb, out: { buffer: o.buffer, offset: o.offset, size: n * dim * 4 }, rows: n, dim, eps: 1e-5 })];
        },
      };
    },
  };
}

describe('kernel harness', () => {
  let gpu: Gpu;
  let ctx: KernelContext;
  beforeAll(async () => {
    gpu = await gpuAcquire();
    ctx = kernelContextCreate(gpu);
  });
  afterAll(() => gpu?.dispose());

  it('passes a correct kernel and reuses its pipeline', async () => {
    const r = await harnessRun(ctx, brokenCase('ok'), 7);
    expect(r.errors).toEqual([]);
    const n = ctx.pipelines.size;
    await harnessRun(ctx, brokenCase('ok'), 8);
    expect(ctx.pipelines.size).toBe(n);
  });
  it('catches an out-of-bounds write through the sentinels', async () => {
    const r = await harnessRun(ctx, brokenCase('oob'), 7);
    expect(r.errors.join()).toMatch(/sentinel overwritten 0 bytes after/);
  });
  it('catches unwritten elements through the NaN fill', async () => {
    const r = await harnessRun(ctx, brokenCase('short'), 7);
    expect(r.errors.join()).toMatch(/element 80 is NaN/);
  });
  it('catches wrong values through the NMSE bound', async () => {
    const r = await harnessRun(ctx, brokenCase('wrong'), 7);
    expect(r.errors.join()).toMatch(/NMSE .* over the bound/);
  });
  it('perf mode times a case with timestamps (when offered) and with the wall clock', async () => {
    for (const timestamps of gpu.hasTimestamps ? [true, false] : [false]) {
      const r = await harnessPerf(ctx, brokenCase('ok'), { iters: 3, timestamps });
      expect(r.ms).toBeGreaterThan(0);
      expect(Number.isFinite(r.ms)).toBe(true);
      expect(r.timer).toBe(timestamps ? 'timestamp' : 'wall');
    }
  });
  it('GpuTimer gives one row per timed pass, in order', async () => {
    const t = new GpuTimer(ctx.device, gpu.hasTimestamps, 4);
    const enc = ctx.device.createCommandEncoder();
    for (const label of ['a', 'b']) t.beginPass(enc, label).end();
    t.resolve(enc);
    ctx.device.queue.submit([enc.finish()]);
    const rows = await t.read();
    expect(rows.map((r) => r.label)).toEqual(['a', 'b']);
    for (const r of rows) expect(gpu.hasTimestamps ? r.ms >= 0 : Number.isNaN(r.ms)).toBe(true);
    expect(await t.read()).toEqual([]);
    t.dispose();
  });
  it('pool reuses released buffers by size class and refuses oversize bindings', () => {
    const a = ctx.pool.acquire(1000);
    ctx.pool.release(a);
    const b = ctx.pool.acquire(900);
    expect(b).toBe(a);
    expect(b.size).toBe(1024);
    ctx.pool.release(b);
    expect(() => ctx.pool.acquire(ctx.maxStorageBufferBindingSize + 4)).toThrow(/maxStorageBufferBindingSize/);
  });
});
