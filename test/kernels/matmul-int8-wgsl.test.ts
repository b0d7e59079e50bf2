// The int8 matmul's WGSL (every variant) and smx.ts's probe shaders through Tint's front end
// (parse, types, the subgroup matrix builtins' signatures, uniformity) on Dawn's null backend,
// which offers chromium-experimental-subgroup-matrix with no configurations, so pipelines cannot
// be created here: that is checked on the GPU machine (bench/kernels/smx.ts, harness cases).
// A file of its own: the null-backend Dawn instance must not share a process with the engine's.

import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wgslPreprocess } from '../../engine/gpu/wgsl-loader.ts';
import type { KernelContext } from '../../engine/kernels/context.ts';
import { int8TileName, matmulInt8Defines } from '../../engine/kernels/matmul-int8.ts';
import source from '../../shaders/matmul-int8.wgsl';
import { SPELLINGS } from '../../bench/kernels/smx-probe.ts';
import { INT8_PLACEMENTS, int8ProbeCode } from '../../engine/kernels/matmul-int8-probe.ts';

// kept referenced for the whole file: a collected instance takes its threads down under Dawn
let instance: GPU | null = null;

describe('matmul int8: WGSL on Dawn null backend', () => {
  let device: GPUDevice | null = null;
  beforeAll(async () => {
    const m = createRequire(import.meta.url)('webgpu') as { create(flags: string[]): GPU; globals: Record<string, unknown> };
    Object.assign(globalThis, m.globals);
    instance = m.create(['backend=null', 'enable-dawn-features=allow_unsafe_apis']);
    const adapter = await instance.requestAdapter();
    if (adapter?.features.has('chromium-experimental-subgroup-matrix')) {
      device = await adapter.requestDevice({ requiredFeatures: ['subgroups', 'chromium-experimental-subgroup-matrix'] as GPUFeatureName[] });
    }
  });
  afterAll(() => device?.destroy());

  const errorsOf = async (code: string): Promise<string[]> => {
    const info = await device!.createShaderModule({ code }).getCompilationInfo();
    return info.messages.filter((x) => x.type === 'error').map((x) => `${x.lineNum}:${x.linePos} ${x.message}\n  ${code.split('\n')[x.lineNum - 1]}`);
  };
  it("smx.ts's probe spellings: the kernel's compiles, i8 from array<u32> does not", async () => {
    if (!device) return;
    expect(await errorsOf(SPELLINGS[0]![1])).toEqual([]);
    for (const p of INT8_PLACEMENTS) expect(await errorsOf(int8ProbeCode(p))).toEqual([]);
    expect((await errorsOf(SPELLINGS.find(([l]) => l.includes('u32'))![1])).length).toBeGreaterThan(0);
  });

  const ctx = { subgroups: true } as KernelContext;
  for (const format of ['Q8_0', 'Q4_0'] as const) {
    for (const [bias, accumulate] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      for (const tile of [{ sgm: 2, sgn: 2, prefetch: true }, { sgm: 4, sgn: 2, prefetch: false }, { sgm: 2, sgn: 4, prefetch: true }, { sgm: 2, sgn: 2, kb: 2, prefetch: true }, { sgm: 2, sgn: 1, kb: 4, prefetch: false }, { sgm: 4, sgn: 2, prefetch: true }]) {
        for (const placement of INT8_PLACEMENTS) {
        it(`${format}${bias ? ' bias' : ''}${accumulate ? ' acc' : ''} ${int8TileName(tile)} ${placement.stage}/${placement.res}`, async () => {
          const code = wgslPreprocess('matmul-int8.wgsl', source, matmulInt8Defines(ctx, { format, bias, accumulate, tile, placement }));
          expect(code).toMatch(/^(enable|diagnostic)/);
          if (!device) {
            console.warn('Dawn null backend without subgroup matrices: WGSL checked by preprocessing only');
            return;
          }
          expect(await errorsOf(code)).toEqual([]);
        });
        }
      }
    }
  }
});
