/**
 * Known-answer probe of the int8 subgroup matrix product (i8 x i8 -> i32, 16 x 16 x 32) with
 * matmul-int8.wgsl's operand layouts: A at byte 64 and B at byte 96 of the staged arrays, rows of
 * A / columns of B 48 bytes apart, four subgroups storing the same product to their own 256 words.
 * It is run in each placement of the staged operands and the i32 results (workgroup memory or
 * a storage scratch, matmul-int8.wgsl's STAGE_ST / RES_ST) until one is exact; the int8 kernel
 * is compiled with that placement, and not used at all where none is.
 *
 * Why: what Dawn's Vulkan backend accepts is only known on the device. On an H200 (Dawn in the
 * `webgpu` package, 2026-12-06) the device's adapterInfo listed no subgroup matrix configurations
 * (the adapter's info did: i8 -> i32 16x16x32 and 16x8x32), i8 loads from storage buffers
 * compiled and ran, and the same loads from a workgroup array<i32> failed with "An error occurred
 * while generating SPIR-V" at pipeline creation.
 */

import { gpuBufferFrom, gpuReadback, STORAGE } from '../gpu/buffer-pool.ts';

const HEAD = 'diagnostic(off, chromium.subgroup_matrix_uniformity);\nenable subgroups;\nenable chromium_experimental_subgroup_matrix;\n';

/** Where matmul-int8.wgsl keeps its staged X / W tiles (stage) and i32 products (res). */
export interface Int8Placement {
  stage: 'wg' | 'st';
  res: 'wg' | 'st';
}

/** Tried in this order: workgroup memory is the fastest where it compiles. */
export const INT8_PLACEMENTS: readonly Int8Placement[] = [
  { stage: 'wg', res: 'wg' },
  { stage: 'st', res: 'wg' },
  { stage: 'st', res: 'st' },
  { stage: 'wg', res: 'st' },
];

export const int8PlacementName = (p: Int8Placement) => `staged in ${p.stage === 'wg' ? 'workgroup memory' : 'storage'}, results in ${p.res === 'wg' ? 'workgroup memory' : 'storage'}`;

// Words staged per operand: B's last column ends at byte 96 + 15 * 48 + 32 = 848 (a 208-word
// array, 832 bytes, cut it off: the H100 run of 2026-12-06 read column 15 as garbage).
const PROBE_WORDS = 256;
// word offsets of the staged A, B and the results in the storage scratch: nonzero and 16-byte
// aligned, like a workgroup's region in the kernel's scratch
const XB = 1040;
const WB = XB + PROBE_WORDS;
const RB = WB + PROBE_WORDS;

/**
 * The probe shader: A and B copied from SA / SB into the placement's arrays, the product stored
 * to the placement's results and copied out to C. Offsets and stride in bytes of i8 (Dawn's
 * convention; smx.ts also tries word units, 16 / 24 / 12, to tell them apart).
 */
export const int8ProbeCode = (p: Int8Placement, aOff = 64, bOff = 96, stride = 48) => {
  const stage = p.stage === 'st';
  const res = p.res === 'st';
  const [xs, ws, xb, wb] = stage ? ['ST', 'ST', XB, WB] : ['xs', 'ws', 0, 0];
  const [rs, rb] = res ? ['ST', RB] : ['rs', 0];
  return `${HEAD}
@group(0) @binding(0) var<storage, read> SA: array<i32>;
@group(0) @binding(1) var<storage, read> SB: array<i32>;
@group(0) @binding(2) var<storage, read_write> C: array<i32>;
${stage || res ? '@group(0) @binding(3) var<storage, read_write> ST: array<i32>;' : ''}
${stage ? '' : `var<workgroup> xs: array<i32, ${PROBE_WORDS}>;\nvar<workgroup> ws: array<i32, ${PROBE_WORDS}>;`}
${res ? '' : 'var<workgroup> rs: array<i32, 1024>;'}
@compute @workgroup_size(128)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(subgroup_id) sg: u32) {
  for (var i = lid; i < ${PROBE_WORDS}u; i += 128u) {
    ${xs}[${xb}u + i] = SA[i];
    ${ws}[${wb}u + i] = SB[i];
  }
  ${stage ? 'storageBarrier();\n  ' : ''}workgroupBarrier();
  let a = subgroupMatrixLoad<subgroup_matrix_left<i8, 32, 16>>(&${xs}, ${4 * xb + aOff}u, false, ${stride}u);
  let b = subgroupMatrixLoad<subgroup_matrix_right<i8, 16, 32>>(&${ws}, ${4 * wb + bOff}u, true, ${stride}u);
  subgroupMatrixStore(&${rs}, ${rb}u + sg * 256u, subgroupMatrixMultiply<i32>(a, b), false, 16u);
  ${res ? 'storageBarrier();' : 'workgroupBarrier();'}
  for (var i = lid; i < 1024u; i += 128u) {
    C[i] = ${rs}[${rb}u + i];
  }
}`;
};

export interface Int8ProbeResult {
  ok: boolean;
  detail: string;
}

/** Runs `code` (an int8ProbeCode) once and compares all four subgroups' products. */
export async function int8ProbeRun(device: GPUDevice, code: string): Promise<Int8ProbeResult> {
  const a = new Int8Array(PROBE_WORDS * 4);
  const b = new Int8Array(PROBE_WORDS * 4);
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
  if (96 + 15 * 48 + 32 > b.length || 64 + 15 * 48 + 32 > a.length) throw new Error('int8 probe: operands do not fit the staged words');
  const expected = new Int32Array(256);
  for (let r = 0; r < 16; r++) for (let n = 0; n < 16; n++) for (let k = 0; k < 32; k++) expected[r * 16 + n]! += A[r]![k]! * B[k]![n]!;
  const sa = gpuBufferFrom(device, a, STORAGE, 'int8-probe-a');
  const sb = gpuBufferFrom(device, b, STORAGE, 'int8-probe-b');
  const c = device.createBuffer({ size: 4 * 1024, usage: STORAGE, label: 'int8-probe-c' });
  const st = device.createBuffer({ size: 4 * (RB + 1024), usage: STORAGE, label: 'int8-probe-scratch' });
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
    const bound = /binding\(3\)/.test(code) ? [sa, sb, c, st] : [sa, sb, c];
    const bg = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: bound.map((buffer, binding) => ({ binding, resource: { buffer } })) });
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
    for (const x of [sa, sb, c, st]) x.destroy();
  }
}

export interface Int8ProbeVerdict extends Int8ProbeResult {
  /** the first placement whose product was exact (ok only) */
  placement?: Int8Placement;
}

const running = new WeakMap<object, Promise<Int8ProbeVerdict>>();
const settled = new WeakMap<object, Int8ProbeVerdict>();

/** Each placement in INT8_PLACEMENTS' order until one is exact; run once per device. */
export function int8Probe(device: GPUDevice): Promise<Int8ProbeVerdict> {
  let p = running.get(device);
  if (!p) {
    p = (async (): Promise<Int8ProbeVerdict> => {
      const failed: string[] = [];
      for (const placement of INT8_PLACEMENTS) {
        const r = await int8ProbeRun(device, int8ProbeCode(placement));
        if (r.ok) return { ok: true, detail: `${int8PlacementName(placement)}: ${r.detail}${failed.length ? ` (failed: ${failed.join('; ')})` : ''}`, placement };
        failed.push(`${int8PlacementName(placement)}: ${r.detail}`);
      }
      return { ok: false, detail: failed.join('; ') };
    })().then((r) => {
      settled.set(device, r);
      return r;
    });
    running.set(device, p);
  }
  return p;
}

/** The verdict of a finished int8Probe on `device` (undefined: not run, or still running). */
export function int8ProbeSettled(device: object): Int8ProbeVerdict | undefined {
  return settled.get(device);
}
