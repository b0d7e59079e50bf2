/**
 * Host (CPU) cost of one decode step: the time decodeSubmit takes to record and submit a
 * token's command buffer, with the previous token read first (so no wait for a free read slot
 * is counted), on a random-weight model of the given shape and layer count. The GPU time is not
 * in it, so lavapipe measures it too; it says how many tokens/s the host alone allows.
 *
 *   node --import ./bin/register.mjs bench/e2e/host-cost.ts [--shape tiny-qwen2] [--layers 24] [--type Q4_0] [--steps 64] [--safe]
 *   (on the GPU machine: pack.sh bench/e2e/host-cost.ts, then node .devpack/host-cost.mjs)
 *
 * The default is the Qwen2.5-0.5B shape's 24 layers at a tiny width: the host's work per step
 * follows the dispatches, not the tensor sizes. --safe: the device without Dawn's unsafe APIs.
 * A second line gives Dawn's own host cost per dispatch (a trivial kernel) and per small writeBuffer.
 */

import os from 'node:os';
import path from 'node:path';
import { APP_GPU, gpuAcquire } from '../../engine/gpu/device.ts';
import { modelLoad } from '../../engine/models/index.ts';
import { ggufGenerate, type GenType } from '../../tools/gen-gguf/gen-gguf.ts';

const argv = process.argv.slice(2);
const arg = (k: string, d: string) => { const i = argv.indexOf(k); return i >= 0 ? argv[i + 1]! : d; };
const shape = arg('--shape', 'tiny-qwen2');
const layers = Number(arg('--layers', '24'));
const type = arg('--type', 'Q4_0') as GenType;
const steps = Number(arg('--steps', '64'));

/** What Dawn costs the host per dispatch and per small writeBuffer, apart from any kernel's work. */
function dawnCosts(d: GPUDevice): { dispatchUs: number; writeUs: number } {
  const module = d.createShaderModule({ code: '@group(0) @binding(0) var<storage, read_write> a: array<u32>; @group(0) @binding(1) var<uniform> u: vec4<u32>; @compute @workgroup_size(1) fn main() { a[0] = u.x; }' });
  const pipes = Array.from({ length: 8 }, () => d.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } }));
  const u = d.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  const bufs = Array.from({ length: 16 }, () => d.createBuffer({ size: 256, usage: GPUBufferUsage.STORAGE }));
  const groups = Array.from({ length: 240 }, (_, i) => d.createBindGroup({ layout: pipes[i % 8]!.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: bufs[i % 16]! } }, { binding: 1, resource: { buffer: u } }] }));
  const ts: number[] = [];
  for (let r = 0; r < 200; r++) {
    const t = performance.now();
    const enc = d.createCommandEncoder();
    const pass = enc.beginComputePass();
    for (let i = 0; i < 240; i++) {
      pass.setPipeline(pipes[i % 8]!);
      pass.setBindGroup(0, groups[i]!);
      pass.dispatchWorkgroups(1);
    }
    pass.end();
    const cb = enc.finish();
    ts.push(performance.now() - t);
    if (r % 20 === 0) d.queue.submit([cb]);
  }
  ts.sort((a, b) => a - b);
  const w = new Uint32Array(4);
  const t = performance.now();
  for (let i = 0; i < 1000; i++) d.queue.writeBuffer(u, 0, w);
  const writeUs = performance.now() - t; // ms for 1000 = us each
  for (const b of [u, ...bufs]) b.destroy();
  return { dispatchUs: (ts[100]! / 240) * 1000, writeUs };
}

async function main(): Promise<void> {
  const out = path.join(os.tmpdir(), `host-cost-${shape}-${layers}-${type}.gguf`);
  ggufGenerate({ shape, type, out, seed: 1, layers });
  const gpu = await gpuAcquire(argv.includes('--safe') ? {} : APP_GPU);
  const m = await modelLoad(gpu, out, { contextLength: steps + 64 });
  const greedy = { config: { temperature: 0 } } as Parameters<typeof m.forward.decode>[1];
  let id = await m.forward.prefill([1, 2, 3, 4, 5, 6, 7, 8], 0, greedy);
  const host: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    const r = await m.forward.decodeSubmit(8 + i, greedy);
    host.push(performance.now() - t0);
    id = await r.id;
  }
  host.sort((a, b) => a - b);
  const dawn = dawnCosts(gpu.device);
  const med = host[host.length >> 1]!;
  console.log(`${shape} x ${layers} layers ${type}: decodeSubmit host time median ${med.toFixed(3)} ms, min ${host[0]!.toFixed(3)} ms over ${steps} steps (last id ${id}); ${(1000 / med).toFixed(0)} tok/s host-bound`);
  console.log(`Dawn on this host: ${dawn.dispatchUs.toFixed(2)} us per dispatch of a trivial kernel (setPipeline + setBindGroup + dispatchWorkgroups, 240 in one pass, recorded and finished, median of 200), ${dawn.writeUs.toFixed(2)} us per 16-byte queue.writeBuffer`);
  m.dispose();
  gpu.device.destroy();
}

await main();
