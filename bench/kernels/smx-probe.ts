/**
 * Subgroup matrix diagnostics for bench/kernels/smx.ts (GPU machine only):
 *   smxProbe: adapter facts and a minimal shader compiled in several spellings, so one run shows
 *             which WGSL this Dawn accepts (compile messages and pipeline errors printed);
 *   smxUnit:  one i8 16x16x32 product with matmul-int8.wgsl's layouts, checked on the CPU.
 */

import type { Gpu } from '../../engine/gpu/device.ts';
import { gpuBufferFrom, gpuReadback, STORAGE } from '../../engine/gpu/buffer-pool.ts';

const HEAD = 'diagnostic(off, chromium.subgroup_matrix_uniformity);\nenable subgroups;\nenable chromium_experimental_subgroup_matrix;\n';

const BODY = `
@group(0) @binding(0) var<storage, read> A: array<ELEM>;
@group(0) @binding(1) var<storage, read_write> C: array<i32>;
@compute @workgroup_size(128)
fn main(@builtin(subgroup_id) sg: u32) {
  let a = subgroupMatrixLoad<subgroup_matrix_left<i8, 32, 16>>(&A, 0u, false, 32u);
  let b = subgroupMatrixLoad<subgroup_matrix_right<i8, 16, 32>>(&A, 512u, true, 32u);
  var c = subgroup_matrix_result<i32, 16, 16>();
  c = subgroupMatrixMultiplyAccumulate(a, b, c);
  subgroupMatrixStore(&C, sg * 256u, c, false, 16u);
}`;

export const SPELLINGS: [string, string][] = [
  ['storage array<i32>, diagnostic + enable subgroups (the kernel)', HEAD + BODY.replace('ELEM', 'i32')],
  ['without enable subgroups', HEAD.replace('enable subgroups;\n', '') + BODY.replace('ELEM', 'i32')],
  ['without the uniformity diagnostic', HEAD.replace(/^diagnostic.*\n/, '') + BODY.replace('ELEM', 'i32')],
  ['i8 from array<u32> (expected to fail)', HEAD + BODY.replace('ELEM', 'u32')],
];

async function compile(device: GPUDevice, label: string, code: string): Promise<void> {
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ code, label });
  const info = await module.getCompilationInfo();
  const msgs = info.messages.filter((m) => !/deprecated builtin/.test(m.message)).map((m) => `${m.type} ${m.lineNum}:${m.linePos} ${m.message}`);
  const deprecated = info.messages.length - msgs.length;
  let pipeline = 'ok';
  try {
    await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' }, label });
  } catch (e) {
    pipeline = `error: ${(e as Error).message.split('\n')[0]}`;
  }
  const scope = await device.popErrorScope();
  console.log(`probe [${label}]: pipeline ${pipeline}${scope ? `; validation: ${scope.message.split('\n')[0]}` : ''}${deprecated ? `; ${deprecated} "deprecated builtin" warnings` : ''}`);
  for (const m of msgs) console.log(`    ${m}`);
}

export async function smxProbe(gpu: Gpu): Promise<void> {
  const ai = gpu.device.adapterInfo as GPUAdapterInfo & { subgroupMatrixConfigs?: { componentType: string; resultComponentType: string; M: number; N: number; K: number }[] };
  console.log(`features: ${[...gpu.features].sort().join(', ')}`);
  console.log(`subgroup sizes: ${ai.subgroupMinSize}..${ai.subgroupMaxSize}`);
  console.log(`subgroup matrix configs: ${(ai.subgroupMatrixConfigs ?? []).map((c) => `${c.componentType}->${c.resultComponentType} ${c.M}x${c.N}x${c.K}`).join(', ') || 'none'}`);
  if (!gpu.hasSubgroupMatrix) return;
  for (const [label, code] of SPELLINGS) await compile(gpu.device, label, code);
}

// A at byte 64 and B at byte 96 of their staging arrays, rows (A) / columns (B) 48 bytes apart,
// as in matmul-int8.wgsl; 4 subgroups each store the same product to their own 256 words.
// i8 offsets and strides count bytes (Dawn's doc: elements of the component type; Tint lowers
// them to words by dividing by 4). If that fails, the same data is tried with word units, so
// one run tells which convention this Dawn uses.
export const unitCode = (aOff: number, bOff: number, stride: number) => `${HEAD}
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

export async function smxUnit(device: GPUDevice): Promise<{ ok: boolean; detail: string }> {
  const bytes = await unitRun(device, unitCode(64, 96, 48));
  if (bytes.ok) return { ok: true, detail: `${bytes.detail} (byte offsets and strides)` };
  const words = await unitRun(device, unitCode(16, 24, 12));
  return { ok: false, detail: `byte units: ${bytes.detail}; word units: ${words.ok ? 'EXACT: this Dawn counts i8 offsets/strides in i32 words, matmul-int8.wgsl must divide them by 4' : words.detail}` };
}

async function unitRun(device: GPUDevice, code: string): Promise<{ ok: boolean; detail: string }> {
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
  const sa = gpuBufferFrom(device, a, STORAGE, 'unit-a');
  const sb = gpuBufferFrom(device, b, STORAGE, 'unit-b');
  const c = device.createBuffer({ size: 4 * 1024, usage: STORAGE, label: 'unit-c' });
  try {
    const module = device.createShaderModule({ code, label: 'smx-unit' });
    const errors = (await module.getCompilationInfo()).messages.filter((m) => m.type === 'error');
    if (errors.length) return { ok: false, detail: errors.map((e) => `${e.lineNum}:${e.linePos} ${e.message}`).join('; ') };
    device.pushErrorScope('validation');
    let pipeline: GPUComputePipeline;
    try {
      pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    } catch (e) {
      await device.popErrorScope();
      return { ok: false, detail: `pipeline: ${(e as Error).message}` };
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
    if (verr) return { ok: false, detail: `validation: ${verr.message}` };
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
    return { ok: false, detail: (e as Error).message };
  } finally {
    for (const x of [sa, sb, c]) x.destroy();
  }
}
