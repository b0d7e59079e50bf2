// The int8 tensor-core matmul where it can be checked without tensor cores (its WGSL:
// matmul-int8-wgsl.test.ts):
// - selection: a device without the feature, or without an i8 16x16x32 configuration, or with
//   another subgroup size, gets the f32 kernel, and `int8: true` then computes the same result;
// - the scratch layout.
// The kernel's numbers are checked on the GPU machine (MATMUL_INT8_CASES, smx.ts).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gpuAcquire, type Gpu } from '../../engine/gpu/device.ts';
import { kernelContextCreate, type KernelContext } from '../../engine/kernels/context.ts';
import { INT8_TILE, INT8_TILE_TALL, int8RegionBytes, int8ScratchLayout, int8StageBytes, int8TileFor, int8WorkgroupBytes, matmulInt8Support, type Int8Device, type SubgroupMatrixConfig } from '../../engine/kernels/matmul-int8.ts';
import type { Int8ProbeVerdict } from '../../engine/kernels/matmul-int8-probe.ts';
import { CHECK_MAX_NMSE, CHECK_SHAPE, int8CheckVerdict, int8CheckWeights } from '../../engine/kernels/matmul-int8-check.ts';
import { f16ToF32 } from '../../engine/formats/f16.ts';
import { matmulPlan } from '../../engine/kernels/matmul.ts';
import { harnessReport, harnessRun, harnessSeed } from './harness.ts';
import { MATMUL_INT8_CASES } from './cases-matrix.ts';

const I8: SubgroupMatrixConfig = { componentType: 'i8', resultComponentType: 'i32', M: 16, N: 16, K: 32 };

function fakeDevice(features: string[], info: Int8Device['adapterInfo']): Int8Device {
  return { features: new Set(features), adapterInfo: info };
}

describe('matmul int8: selection', () => {
  const all = ['subgroups', 'chromium-experimental-subgroup-matrix'];
  const h100 = { subgroupMinSize: 32, subgroupMaxSize: 32, subgroupMatrixConfigs: [{ ...I8, N: 8 }, I8] };
  const exact: Int8ProbeVerdict = { ok: true, detail: 'exact', placement: { stage: 'st', res: 'wg' } };
  it('accepts Q8_0 / Q4_0 on a device like the H100 once the probe was exact', () => {
    expect(matmulInt8Support(fakeDevice(all, h100), 'Q8_0', exact)).toBeNull();
    expect(matmulInt8Support(fakeDevice(all, h100), 'Q4_0', exact)).toBeNull();
    // configurations not listed (Dawn's node binding): the probe alone decides
    expect(matmulInt8Support(fakeDevice(all, { ...h100, subgroupMatrixConfigs: [] }), 'Q8_0', exact)).toBeNull();
  });
  it('refuses other formats, missing features, configurations, subgroup sizes and a probe that was not run or failed', () => {
    expect(matmulInt8Support(fakeDevice(all, h100), 'Q4_K', exact)).toMatch(/Q4_K/);
    expect(matmulInt8Support(fakeDevice(all, h100), 'F16', exact)).toMatch(/F16/);
    expect(matmulInt8Support(fakeDevice(['subgroups'], h100), 'Q8_0', exact)).toMatch(/subgroup-matrix/);
    expect(matmulInt8Support(fakeDevice(['chromium-experimental-subgroup-matrix'], h100), 'Q8_0', exact)).toMatch(/subgroups/);
    expect(matmulInt8Support(fakeDevice(all, { ...h100, subgroupMatrixConfigs: [{ ...I8, componentType: 'f16', resultComponentType: 'f16' }] }), 'Q8_0', exact)).toMatch(/f16->f16/);
    expect(matmulInt8Support(fakeDevice(all, { ...h100, subgroupMinSize: 16, subgroupMaxSize: 32 }), 'Q8_0', exact)).toMatch(/exactly 32/);
    expect(matmulInt8Support(fakeDevice(all, h100), 'Q8_0', undefined)).toMatch(/has not run/);
    expect(matmulInt8Support(fakeDevice(all, h100), 'Q8_0', { ok: false, detail: 'pipeline: An error occurred while generating SPIR-V' })).toMatch(/every placement.*SPIR-V/);
  });
  it('counts the workgroup memory of a tiling as the shader declares it, per placement', () => {
    // 2x2: xs, ws 64 rows x 48 bytes; sx, sw 2 x 64 f32; rs 4 subgroups x 1024 i32
    expect(int8WorkgroupBytes({ sgm: 2, sgn: 2 })).toBe(2 * 64 * 48 + 2 * 2 * 64 * 4 + 4 * 1024 * 4);
    expect(int8WorkgroupBytes({ sgm: 2, sgn: 2 })).toBeLessThanOrEqual(32768);
    expect(int8WorkgroupBytes({ sgm: 2, sgn: 2 }, { stage: 'st', res: 'wg' })).toBe(2 * 2 * 64 * 4 + 4 * 1024 * 4);
    expect(int8WorkgroupBytes({ sgm: 2, sgn: 2 }, { stage: 'st', res: 'st' })).toBe(2 * 2 * 64 * 4);
  });
  it('takes the 128 x 64 tiling for 1024..2048 weight rows only where its workgroup memory fits', () => {
    const wg = { stage: 'wg', res: 'wg' } as const;
    expect(int8WorkgroupBytes(INT8_TILE_TALL, wg)).toBe(128 * 48 + 64 * 48 + 2 * 192 * 4 + 8 * 1024 * 4);
    expect(int8TileFor(2048, wg, 49152)).toBe(INT8_TILE_TALL);
    expect(int8TileFor(1024, wg, 49152)).toBe(INT8_TILE_TALL);
    expect(int8TileFor(8192, wg, 49152)).toBe(INT8_TILE); // the 1B's gate / up: 64 x 64 measured 1.6x faster
    expect(int8TileFor(512, wg, 49152)).toBe(INT8_TILE);
    expect(int8TileFor(2048, wg, 32768)).toBe(INT8_TILE); // 43.5 KB does not fit WebGPU's default 32 KB
    expect(int8TileFor(2048, { stage: 'st', res: 'st' }, 32768)).toBe(INT8_TILE_TALL);
    // kb: on the chosen tiling where it fits, else on 64 x 64, else dropped
    expect(int8WorkgroupBytes({ sgm: 2, sgn: 2, kb: 2 }, wg)).toBe(128 * 80 + 2 * 2 * 128 * 4 + 4 * 2048 * 4);
    expect(int8TileFor(8192, wg, 49152, { kb: 2 })).toEqual({ ...INT8_TILE, kb: 2 });
    expect(int8TileFor(2048, wg, 49152, { kb: 2 })).toEqual({ ...INT8_TILE, kb: 2 }); // 128 x 64 with kb 2 needs 82 KB
    expect(int8TileFor(2048, { stage: 'st', res: 'st' }, 49152, { kb: 2 })).toEqual({ ...INT8_TILE_TALL, kb: 2 });
    expect(int8TileFor(8192, wg, 32768, { kb: 2 })).toBe(INT8_TILE);
    expect(int8RegionBytes({ sgm: 2, sgn: 2, kb: 4 }, { stage: 'st', res: 'st' })).toBe(144 * 128 + 4 * 4 * 4096);
  });
  it('sizes the storage staging scratch: one region per workgroup of the largest dispatch', () => {
    const t = { sgm: 2, sgn: 2 };
    expect(int8RegionBytes(t, { stage: 'wg', res: 'wg' })).toBe(0);
    expect(int8StageBytes(t, { stage: 'wg', res: 'wg' }, 8192, 2048)).toBe(0);
    expect(int8RegionBytes(t, { stage: 'st', res: 'wg' })).toBe(128 * 48);
    expect(int8RegionBytes(t, { stage: 'st', res: 'st' })).toBe(128 * 48 + 4 * 4096);
    // the 1B's ffn_gate over a 2048-token prefill piece: 128 x 32 workgroups
    expect(int8StageBytes(t, { stage: 'st', res: 'wg' }, 8192, 2048)).toBe(128 * 32 * 128 * 48);
    expect(int8StageBytes(t, { stage: 'st', res: 'wg' }, 100, 33)).toBe(2 * 1 * 128 * 48);
  });
  it('lays the int8 x and its scales out in one scratch with an aligned scale binding', () => {
    const l = int8ScratchLayout(137, 96);
    expect(l.xqBytes).toBe(137 * 96);
    expect(l.xsOffset % 256).toBe(0);
    expect(l.xsOffset).toBeGreaterThanOrEqual(l.xqBytes);
    expect(l.xsBytes).toBe((137 * 96 * 16) / 32);
    expect(l.total).toBeLessThanOrEqual(137 * 96 * 4 + 256); // fits the f32 rounding scratch
  });
});

describe('matmul int8: the kernel check (its device run needs subgroup matrices)', () => {
  it('makes valid Q8_0 / Q4_0 blocks: scales 0.002..0.02, quants across their range', () => {
    const { n, k } = CHECK_SHAPE;
    for (const [format, bytes] of [['Q8_0', 34], ['Q4_0', 18]] as const) {
      const w = int8CheckWeights(format, n, k);
      expect(w.length).toBe((n * k * bytes) / 32);
      const dv = new DataView(w.buffer);
      const quants: number[] = [];
      for (let o = 0; o < w.length; o += bytes) {
        const d = f16ToF32(dv.getUint16(o, true));
        expect(d).toBeGreaterThanOrEqual(0.0019);
        expect(d).toBeLessThanOrEqual(0.0201);
        for (let j = 2; j < bytes; j++) quants.push(format === 'Q8_0' ? dv.getInt8(o + j) : w[o + j]! & 15);
      }
      expect(Math.min(...quants)).toBe(format === 'Q8_0' ? -127 : 0);
      expect(Math.max(...quants)).toBe(format === 'Q8_0' ? 127 : 15);
    }
    expect(int8CheckWeights('Q8_0', 4, 64)).toEqual(int8CheckWeights('Q8_0', 4, 64)); // deterministic
  });
  it('accepts a summation-order difference and rejects a wrong value or a NaN', () => {
    const ref = Float32Array.from({ length: 4000 }, (_, i) => Math.sin(i) * 3);
    expect(int8CheckVerdict(ref, ref.map((v) => v * (1 + 1e-7)))).toBeNull();
    const wrong = ref.slice();
    wrong[1234] = wrong[1234]! + 1;
    expect(int8CheckVerdict(ref, wrong)).toMatch(/NMSE .* > /);
    const nan = ref.slice();
    nan[7] = NaN;
    expect(int8CheckVerdict(ref, nan)).toMatch(/non-finite output at 7/);
    expect(CHECK_MAX_NMSE).toBeLessThan(1e-6);
  });
});

describe('matmul int8: fallback on this device', () => {
  let gpu: Gpu;
  let ctx: KernelContext;
  beforeAll(async () => {
    gpu = await gpuAcquire();
    ctx = kernelContextCreate(gpu);
  });
  afterAll(() => {
    ctx?.pool.dispose();
    gpu?.dispose();
  });
  it('picks the f32 kernel where the device has no usable subgroup matrices', async () => {
    const reason = matmulInt8Support(ctx.device, 'Q8_0');
    if (reason === null) return; // a device with tensor cores: the cases below run the int8 kernel
    const w = ctx.device.createBuffer({ size: 34 * 4 * 64, usage: GPUBufferUsage.STORAGE });
    const x = ctx.device.createBuffer({ size: 4 * 128 * 4, usage: GPUBufferUsage.STORAGE });
    const y = ctx.device.createBuffer({ size: 4 * 64 * 4, usage: GPUBufferUsage.STORAGE });
    const p = await matmulPlan(ctx, { format: 'Q8_0', rows: 64, cols: 128, maxM: 4, weight: w, x, y, int8: true });
    expect(p.kernel).toBe('f32');
    p.dispose();
    for (const b of [w, x, y]) b.destroy();
  });
  for (const c of MATMUL_INT8_CASES) {
    it(`${c.op} ${c.name}`, async () => {
      const r = await harnessRun(ctx, c, harnessSeed());
      if (!r.ok) expect.fail(harnessReport(c, r));
    });
  }
});
