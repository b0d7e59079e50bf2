// Lavapipe timing of one prefill attention dispatch (a CPU proxy only; the H100 numbers come from
// bench/kernels/ops.ts). Skipped unless PREFILL_LAB is set:
//   PREFILL_LAB=2048,0,32,8,64 npx vitest run bench/kernels/prefill-lab.test.ts
import { describe, it } from 'vitest';
import { gpuAcquire } from '../../engine/gpu/device.ts';
import { gpuBufferFrom, STORAGE } from '../../engine/gpu/buffer-pool.ts';
import { kernelContextCreate } from '../../engine/kernels/context.ts';
import { prefillAttentionPlan } from '../../engine/kernels/attention-prefill.ts';
import { kvPagesFor, kvPageWords } from '../../engine/kernels/kv-layout.ts';

const spec = process.env.PREFILL_LAB;

describe.skipIf(!spec)('prefill attention timing (lavapipe proxy)', () => {
  it('one dispatch', async () => {
    const [tokens, qStart, nHeads, nKv, hd] = (spec ?? '').split(',').map(Number) as [number, number, number, number, number];
    const gpu = await gpuAcquire();
    const ctx = kernelContextCreate(gpu);
    console.log(gpu.info.adapterName, 'workgroup memory', gpu.info.limits.maxComputeWorkgroupStorageSize, 'subgroups', gpu.hasSubgroups);
    const maxPages = kvPagesFor(qStart + tokens);
    const words = new Uint32Array(maxPages * nKv * kvPageWords(hd));
    let s = 0x12345678;
    const next = () => ((s ^= s << 13), (s ^= s >>> 17), (s ^= s << 5), s >>> 0);
    for (let i = 0; i < words.length; i++) words[i] = next() & 0x3bff3bff;
    const pages = gpuBufferFrom(ctx.device, words, STORAGE);
    const table = gpuBufferFrom(ctx.device, new Uint32Array(maxPages * nKv).map((_, i) => i), STORAGE);
    const q = gpuBufferFrom(ctx.device, new Float32Array(tokens * nHeads * hd).map(() => Math.random() * 2 - 1), STORAGE);
    const out = ctx.device.createBuffer({ size: tokens * nHeads * hd * 4, usage: STORAGE });
    const t0 = performance.now();
    const p = await prefillAttentionPlan(ctx, { q, out, kv: { pages, pageTable: table, tableOffset: 0, maxPages, nKvHeads: nKv, headDim: hd }, nHeads, tokens, qStart });
    console.log(`compile ${(performance.now() - t0).toFixed(0)} ms, splits ${p.splits}`);
    const times: number[] = [];
    for (let r = 0; r < 4; r++) {
      const enc = ctx.device.createCommandEncoder();
      const pass = enc.beginComputePass();
      p.encode(pass);
      pass.end();
      const t = performance.now();
      ctx.device.queue.submit([enc.finish()]);
      await ctx.device.queue.onSubmittedWorkDone();
      times.push(performance.now() - t);
    }
    const pairs = tokens * qStart + (tokens * (tokens + 1)) / 2;
    const best = Math.min(...times.slice(1));
    console.log(`prefill attention ${tokens} tok after ${qStart}, ${nHeads}/${nKv} heads, hd ${hd}: ${times.map((x) => x.toFixed(0)).join(' ')} ms, best ${best.toFixed(0)} ms = ${((4 * pairs * nHeads * hd) / best / 1e6).toFixed(2)} GFLOP/s`);
    p.dispose();
    gpu.dispose();
  }, 600_000);
});
