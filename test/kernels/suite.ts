/**
 * Turns a list of KernelCase objects into vitest tests: each case runs once with subgroups
 * (when the device offers them) and once on the fallback path (subgroups disabled on the
 * device, `gpuAcquire({ disableFeatures: ['subgroups'] })`), with a fresh seed per run.
 *
 *   kernelSuite('norm ops', NORM_CASES);   // in test/kernels/<area>.test.ts
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gpuAcquire, type Gpu } from '../../engine/gpu/device.ts';
import { kernelContextCreate, type KernelContext } from '../../engine/kernels/context.ts';
import { harnessReport, harnessRun, harnessSeed, type KernelCase } from './harness.ts';

export function kernelSuite(title: string, cases: KernelCase[], opts: { fallback?: boolean } = {}): void {
  const variants: { label: string; disable: string[] }[] = [{ label: 'subgroups', disable: [] }];
  if (opts.fallback !== false) variants.push({ label: 'no-subgroups', disable: ['subgroups'] });
  for (const v of variants) {
    describe(`${title} [${v.label}]`, () => {
      let gpu: Gpu;
      let ctx: KernelContext;
      beforeAll(async () => {
        gpu = await gpuAcquire({ disableFeatures: v.disable });
        ctx = kernelContextCreate(gpu);
        if (v.label === 'subgroups' && !gpu.hasSubgroups) console.warn(`${title}: device has no subgroups; the subgroup variant runs the fallback`);
      });
      afterAll(() => {
        ctx?.pool.dispose();
        gpu?.dispose();
      });
      for (const c of cases) {
        it(`${c.op} ${c.name}`, async () => {
          const seed = harnessSeed();
          const r = await harnessRun(ctx, c, seed);
          if (!r.ok) expect.fail(harnessReport(c, r, v.label));
          expect(r.ok).toBe(true);
        });
      }
    });
  }
}
