/**
 * Known-answer probe of the int8 subgroup matrix product (i8 x i8 -> i32, 16 x 16 x 32) with
 * matmul-int8.wgsl's operand layouts: A at byte 64 and B at byte 96 of workgroup arrays, rows of
 * A / columns of B 48 bytes apart, four subgroups storing the same product to their own 256 words.
 *
 * Why: Dawn's node binding offers the `chromium-experimental-subgroup-matrix` feature but may not
 * expose `GPUAdapterInfo.subgroupMatrixConfigs` (H200, Dawn in the `webgpu` package, 2026-12-06:
 * the list read back empty while the kernels compiled). Where the adapter lists no configuration,
 * the int8 kernel is enabled only after this product came back exact on the device itself.
 */

import { gpuBufferFrom, gpuReadback, STORAGE } from '../gpu/buffer-pool.ts';

const HEAD = 'diagnostic(off, chromium.subgroup_matrix_uniformity);\nenable subgroups;\nenable chromium_experimental_subgroup_matrix;\n';

/** The probe shader; offsets and stride in the units Dawn is believed to use (bytes of i8). */
export const int8ProbeCode = (aOff: number, bOff: number, stride: number) => `${HEAD}
@group(0) @binding(0) var<storage, read> SA: array<i32>;
@group(0) @binding(1) var<storage, read> SB: array<i32>;
@group(0) @binding(2) var<storage, read_write> C: array<i32>;
var<workgroup> xs: array<i32, 208>;
var<workgroup> ws: array<i32, 208>;
@compute @workgroup_size(128)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(subgroup_id) sg: u32) {
  for (var i = lid; i < 208u; i += 128u) {
    xs[i] = SA[i];
    ws[i] = SB[i];
  }
  workgroupBarrier();
  let a = subgroupMatrixLoad<subgroup_matrix_left<i8, 32, 16>>(&xs, ${aOff}u, false, ${stride}u);
  let b = subgroupMatrixLoad<subgroup_matrix_right<i8, 16, 32>>(&ws, ${bOff}u, true, ${stride}u);
  subgroupMatrixStore(&C, sg * 256u, subgroupMatrixMultiply<i32>(a, b), false, 16u);
}`;

export interface Int8ProbeResult {
  ok: boolean;
  detail: string;
}

/** Runs `code` (int8ProbeCode's bindings) once and compares all four subgroups' products. */
export async function int8ProbeRun(device: GPUDevice, code: string): Promise<Int8ProbeResult> {
  const a = new Int8Array(208 * 4);
  const b = new Int8Array(208 * 4);
  const A: number[][] = [];
  const B: number[][] = [];
  let s = 7;
  const rnd = () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return ((s >>> 16) % 255) - 127;
  };
  for (let r = 0; r < 16; r++) A.push(Array.from({ length: 32 }, rnd));
  for (let k = 0; k < 32; k++) B.push(Array.from({ length: 16 }, rnd));
  for (let r = 0; r < 16; r++) for (let k = 0; k < 32; k++) a[64 + r * 48 + k] = A[r]![k]!;
  for (let n = 0; n < 16; n++) for (let k = 0; k < 32; k++) b[96 + n * 48 + k] = B[k]![n]!;
  const expected = new Int32Array(256);
  for (let r = 0; r < 16; r++) for (let n = 0; n < 16; n++) for (let k = 0; k < 32; k++) expected[r * 16 + n]! += A[r]![k]! * B[k]![n]!;
  const sa = gpuBufferFrom(device, a, STORAGE, 'int8-probe-a');
  const sb = gpuBufferFrom(device, b, STORAGE, 'int8-probe-b');
  const c = device.createBuffer({ size: 4 * 1024, usage: STORAGE, label: 'int8-probe-c' });
  try {
    device.pushErrorScope('validation');
    let pipeline: GPUComputePipeline;
    try {
      const module = device.createShaderModule({ code, label: 'int8-probe' });
      pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    } catch (e) {
      await device.popErrorScope();
      return { ok: false, detail: `pipeline: ${(e as Error).message.split('\n')[0]}` };
    }
    const bg = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [sa, sb, c].map((buffer, binding) => ({ binding, resource: { buffer } })) });
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bg);
    pass.dispatchWorkgroups(1);
    pass.end();
    device.queue.submit([enc.finish()]);
    const verr = await device.popErrorScope();
    if (verr) return { ok: false, detail: `validation: ${verr.message.split('\n')[0]}` };
    const got = new Int32Array(await gpuReadback(device, c));
    for (let g = 0; g < 4; g++) {
      for (let i = 0; i < 256; i++) {
        if (got[g * 256 + i] !== expected[i]) {
          const row = (o: Int32Array, at: number) => Array.from(o.subarray(at, at + 4)).join(' ');
          return { ok: false, detail: `subgroup ${g} element (${i >> 4}, ${i & 15}) is ${got[g * 256 + i]}, expected ${expected[i]}; row 0 got [${row(got, g * 256)}] expected [${row(expected, 0)}]` };
        }
      }
    }
    return { ok: true, detail: 'all 4 subgroups exact' };
  } catch (e) {
    return { ok: false, detail: (e as Error).message.split('\n')[0]! };
  } finally {
    for (const x of [sa, sb, c]) x.destroy();
  }
}

const running = new WeakMap<object, Promise<Int8ProbeResult>>();
const settled = new WeakMap<object, Int8ProbeResult>();

/** The probe's verdict for `device`, run once per device with the kernel's own offsets and stride. */
export function int8Probe(device: GPUDevice): Promise<Int8ProbeResult> {
  let p = running.get(device);
  if (!p) {
    p = int8ProbeRun(device, int8ProbeCode(64, 96, 48)).then((r) => {
      settled.set(device, r);
      return r;
    });
    running.set(device, p);
  }
  return p;
}

/** The verdict of a finished int8Probe on `device` (undefined: not run, or still running). */
export function int8ProbeSettled(device: object): Int8ProbeResult | undefined {
  return settled.get(device);
}
