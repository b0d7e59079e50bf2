/**
 * Prefill / decode breakdown of the bundled model on whatever adapter this machine has (written
 * for lavapipe, where timestamp-query may be missing: GpuForward.profile then times each op by
 * submitting it alone and waiting for the queue). Host-side costs are timed too: model load
 * (pipeline creation), the first prefill of each piece size (plan sets), repeated prefills.
 *
 *   node --import ./bin/register.mjs bench/e2e/cpu-profile.ts [--model path] [--pieces 512] [--at 0,2048] [--reps 2]
 *   (or: npx tsx with the wgsl hook, see bin/longread.mjs)
 */

import { gpuAcquire } from '../../engine/gpu/device.ts';
import { modelLoad } from '../../engine/models/index.ts';

const argv = process.argv.slice(2);
const arg = (k: string) => {
  const i = argv.indexOf(k);
  return i >= 0 ? argv[i + 1] : undefined;
};
const model = arg('--model') ?? 'assets/models/longread-lr28m.gguf';
const pieces = (arg('--pieces') ?? '512').split(',').map(Number);
const at = (arg('--at') ?? '0,2048').split(',').map(Number);
const reps = Number(arg('--reps') ?? 2);
const chunk = arg('--chunk') ? Number(arg('--chunk')) : undefined;

const gpu = await gpuAcquire();
console.log(`adapter: ${gpu.info.description ?? ''} fallback=${gpu.info.isFallbackAdapter} timestamps=${gpu.hasTimestamps}`);
let t0 = performance.now();
const m = await modelLoad(gpu, model, { contextLength: 4096, ...(chunk ? { chunk } : {}) });
console.log(`load: ${(performance.now() - t0).toFixed(0)} ms, chunk ${m.chunk}`);
const greedy = { config: { temperature: 0 } } as Parameters<typeof m.forward.prefill>[2];
const toks = (n: number) => Array.from({ length: n }, (_, i) => (i * 7919 + 13) % m.hp.vocab);
for (const n of [m.chunk, 2 * m.chunk]) {
  for (let r = 0; r < reps; r++) {
    t0 = performance.now();
    await m.forward.prefill(toks(n), 0, greedy);
    const ms = performance.now() - t0;
    console.log(`prefill ${n} tokens at 0 (rep ${r}): ${ms.toFixed(0)} ms = ${((n / ms) * 1000).toFixed(1)} tok/s`);
  }
}
for (let r = 0; r < reps; r++) {
  t0 = performance.now();
  let pos = 2 * m.chunk;
  for (let i = 0; i < 16; i++) await m.forward.decode(pos++, greedy);
  const ms = performance.now() - t0;
  console.log(`decode 16 steps at ${2 * m.chunk}: ${(ms / 16).toFixed(1)} ms/step = ${((16 / ms) * 1000).toFixed(1)} tok/s`);
}
for (const n of pieces) {
  for (const pos of at) {
    const rows = await m.forward.profile('prefill', pos, n);
    const total = rows.reduce((s, r) => s + r.ms, 0);
    console.log(`\nprefill piece ${n} at ${pos}: ${total.toFixed(0)} ms summed over ops (${((n / total) * 1000).toFixed(1)} tok/s)`);
    for (const r of rows.sort((a, b) => b.ms - a.ms)) console.log(`  ${r.op.padEnd(32)} ${r.ms.toFixed(1).padStart(8)} ms  ${r.calls} calls  ${((100 * r.ms) / total).toFixed(1)}%`);
  }
}
{
  const rows = await m.forward.profile('decode', 2048);
  const total = rows.reduce((s, r) => s + r.ms, 0);
  console.log(`\ndecode step at 2048: ${total.toFixed(1)} ms summed over ops`);
  for (const r of rows.sort((a, b) => b.ms - a.ms)) console.log(`  ${r.op.padEnd(32)} ${r.ms.toFixed(2).padStart(8)} ms  ${r.calls} calls`);
}
m.dispose();
process.exit(0);
