/**
 * Subgroup matrix diagnostics for bench/kernels/smx.ts (GPU machine only):
 *   smxProbe: adapter facts and a minimal shader compiled in several spellings, so one run shows
 *             which WGSL this Dawn accepts (compile messages and pipeline errors printed);
 *   smxUnit:  one i8 16x16x32 product with matmul-int8.wgsl's layouts, checked on the CPU.
 */

import type { Gpu } from '../../engine/gpu/device.ts';
import { INT8_PLACEMENTS, int8PlacementName, int8ProbeCode, int8ProbeRun, type Int8Placement } from '../../engine/kernels/matmul-int8-probe.ts';

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
  const list = (x: typeof ai | undefined) => Array.from(x?.subgroupMatrixConfigs ?? []).map((c) => `${c.componentType}->${c.resultComponentType} ${c.M}x${c.N}x${c.K}`).join(', ') || 'none';
  console.log(`subgroup matrix configs: device.adapterInfo ${list(ai)}; adapter.info ${list(gpu.adapter.info as typeof ai)}`);
  if (!gpu.hasSubgroupMatrix) return;
  for (const [label, code] of SPELLINGS) await compile(gpu.device, label, code);
}

// The unit product is the engine's own probe (engine/kernels/matmul-int8-probe.ts) in every
// placement of the staged operands and results (byte offsets and strides, as Dawn's doc says:
// elements of the component type); where a placement fails, the same data is tried with word units,
// so one run tells which convention this Dawn uses.
export async function smxUnit(device: GPUDevice): Promise<{ ok: boolean; detail: string; placements: Int8Placement[] }> {
  const lines: string[] = [];
  const placements: Int8Placement[] = [];
  for (const p of INT8_PLACEMENTS) {
    const bytes = await int8ProbeRun(device, int8ProbeCode(p));
    if (bytes.ok) {
      placements.push(p);
      lines.push(`${int8PlacementName(p)}: ${bytes.detail} (byte offsets and strides)`);
      continue;
    }
    const words = await int8ProbeRun(device, int8ProbeCode(p, 16, 24, 12));
    lines.push(`${int8PlacementName(p)}: byte units: ${bytes.detail}; word units: ${words.ok ? 'EXACT: this Dawn counts i8 offsets/strides in i32 words, matmul-int8.wgsl must divide them by 4' : words.detail}`);
  }
  return { ok: placements.length > 0, detail: lines.join('\n    '), placements };
}
