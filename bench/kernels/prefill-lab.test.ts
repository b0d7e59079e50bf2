// Lavapipe timing of one prefill attention dispatch (a CPU proxy only; the H100 numbers come from
// bench/kernels/ops.ts). Skipped unless PREFILL_LAB is set:
//   PREFILL_LAB=2048,0,32,8,64 npx vitest run bench/kernels/prefill-lab.test.ts
// (tokens, q_start, heads, KV heads, head dim). PREFILL_OLD=<module path relative to this file>
// also times another implementation of the same API (for example an old version of
// attention-prefill.ts copied aside), interleaved with this one so both see the same CPU load.
import { describe, it } from 'vitest';
import { gpuAcquire } from '../../engine/gpu/device.ts';
import { gpuBufferFrom, STORAGE } from '../../engine/gpu/buffer-pool.ts';
import { kernelContextCreate } from '../../engine/kernels/context.ts';
import { prefillAttentionPlan } from '../../engine/kernels/attention-prefill.ts';
import { kvPagesFor, kvPageWords } from '../../engine/kernels/kv-layout.ts';

const spec = process.env.PREFILL_LAB;
const old = process.env.PREFILL_OLD;

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
    const args = { q, out, kv: { pages, pageTable: table, tableOffset: 0, maxPages, nKvHeads: nKv, headDim: hd }, nHeads, tokens, qStart };
    const impls = [{ name: 'this', plan: await prefillAttentionPlan(ctx, args) }];
    if (old) impls.push({ name: old, plan: await ((await import(old)) as { prefillAttentionPlan: typeof prefillAttentionPlan }).prefillAttentionPlan(ctx, args) });
    const times = impls.map(() => [] as number[]);
    for (let r = 0; r < 4; r++) {
      for (const [k, { plan }] of impls.entries()) {
        const enc = ctx.device.createCommandEncoder();
        const pass = enc.beginComputePass();
        plan.encode(pass);
        pass.end();
        const t = performance.now();
        ctx.device.queue.submit([enc.finish()]);
        await ctx.device.queue.onSubmittedWorkDone();
        times[k]!.push(performance.now() - t);
      }
    }
    const pairs = tokens * qStart + (tokens * (tokens + 1)) / 2;
    for (const [k, { name, plan }] of impls.entries()) {
      const best = Math.min(...times[k]!.slice(1)); // the first run includes the pipeline's compile
      console.log(`${name}: prefill attention ${tokens} tok after ${qStart}, ${nHeads}/${nKv} heads, hd ${hd}: ${times[k]!.map((x) => x.toFixed(0)).join(' ')} ms, best ${best.toFixed(0)} ms = ${((4 * pairs * nHeads * hd) / best / 1e6).toFixed(2)} GFLOP/s`);
      plan.dispose();
    }
    gpu.dispose();
  }, 900_000);
});
