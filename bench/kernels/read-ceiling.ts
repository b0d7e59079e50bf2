/**
 * The device's read ceiling through Dawn: a kernel that only streams a large buffer in
 * (vec4<u32> loads, XOR-folded so nothing is eliminated), in a few grid shapes; the best is
 * the number the bandwidth percentages of run.ts / ops.ts mean. ARCHITECTURE.md's 2.95 TB/s
 * is this measurement on the H100; other cards (the H200 the device tool also lends) need
 * their own.
 */
import type { GpuTimer } from '../../engine/gpu/timing.ts';
import type { KernelContext } from '../../engine/kernels/context.ts';
import { STORAGE } from '../../engine/gpu/buffer-pool.ts';
import { timeUs } from './time.ts';

/** The read kernel: WG lanes, `unroll` vec4 loads a lane per grid stride, XOR-folded. */
export const readKernelCode = (wg: number, unroll: number) => `
@group(0) @binding(0) var<storage, read> A: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read_write> O: array<u32>;
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let n = arrayLength(&A);
  let stride = nw.x * ${wg}u;
  var acc = vec4<u32>(0u);
  var i = g.x;
  loop {
    if (i + ${unroll - 1}u * stride >= n) { break; }
${Array.from({ length: unroll }, (_, u) => `    acc ^= A[i + ${u}u * stride];`).join('\n')}
    i += ${unroll}u * stride;
  }
  for (; i < n; i += stride) { acc ^= A[i]; }
  let s = acc.x ^ acc.y ^ acc.z ^ acc.w;
  if (s == 0x9e3779b9u) { O[g.x] = s; }
}`;

export interface ReadCeiling {
  gbps: number;
  bytes: number;
  best: string;
  rows: { shape: string; us: number; gbps: number }[];
}

/** Best read rate over a few grid shapes of a buffer of up to 1 GiB (the binding limit permitting). */
export async function readCeiling(ctx: KernelContext, timer: GpuTimer): Promise<ReadCeiling> {
  const bytes = Math.min(1 << 30, Math.floor(ctx.maxStorageBufferBindingSize / 16) * 16);
  const a = ctx.device.createBuffer({ size: bytes, usage: STORAGE, label: 'read-ceiling' });
  const o = ctx.device.createBuffer({ size: 4 << 20, usage: STORAGE, label: 'read-ceiling-out' });
  const rows: ReadCeiling['rows'] = [];
  try {
    for (const [wg, unroll, groups] of [[256, 4, 1056], [256, 4, 4224], [256, 8, 2112], [512, 4, 1056], [128, 4, 8448]] as const) {
      const pipeline = await ctx.device.createComputePipelineAsync({ layout: 'auto', compute: { module: ctx.device.createShaderModule({ code: readKernelCode(wg, unroll) }), entryPoint: 'main' } });
      const bg = ctx.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: a } }, { binding: 1, resource: { buffer: o } }] });
      const us = await timeUs(ctx, timer, (pass) => {
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, bg);
        pass.dispatchWorkgroups(groups);
      }, 10);
      rows.push({ shape: `wg ${wg}, unroll ${unroll}, ${groups} workgroups`, us, gbps: bytes / us / 1e3 });
    }
  } finally {
    a.destroy();
    o.destroy();
  }
  const best = rows.reduce((x, y) => (y.gbps > x.gbps ? y : x));
  return { gbps: best.gbps, bytes, best: best.shape, rows };
}
