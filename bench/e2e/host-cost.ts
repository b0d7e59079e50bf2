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
  const med = host[host.length >> 1]!;
  console.log(`${shape} x ${layers} layers ${type}: decodeSubmit host time median ${med.toFixed(3)} ms, min ${host[0]!.toFixed(3)} ms over ${steps} steps (last id ${id}); ${(1000 / med).toFixed(0)} tok/s host-bound`);
  m.dispose();
  gpu.device.destroy();
}

await main();
