// Lavapipe timing of one decode attention (split-K pass + merge) over a paged cache of shuffled
// pages (a CPU proxy only; the H100 numbers come from bench/kernels/ops.ts). Skipped unless
// DECODE_LAB is set to kvLen,nHeads,nKvHeads,headDim[,targetWorkgroups]:
//   DECODE_LAB=8192,32,8,128 npx vitest run bench/kernels/decode-lab.test.ts
// DECODE_LAB_STREAM=tokensPerStep,invocations times the 'stream-r' pass 1 with those knobs
// instead (e.g. 4,128); without it the adapter's default variant (on lavapipe 'page').
import { describe, it } from 'vitest';
import { gpuAcquire } from '../../engine/gpu/device.ts';
import { gpuBufferFrom, STORAGE } from '../../engine/gpu/buffer-pool.ts';
import { kernelContextCreate } from '../../engine/kernels/context.ts';
import { decodeAttentionPlan, decodeLanes, type DecodeVariant } from '../../engine/kernels/attention-decode.ts';
import { kvPagesFor, kvPageWords } from '../../engine/kernels/kv-layout.ts';

const spec = process.env.DECODE_LAB;
const streamSpec = process.env.DECODE_LAB_STREAM;
const streamVariant: DecodeVariant = 'stream-r';

describe.skipIf(!spec)('decode attention timing (lavapipe proxy)', () => {
  it('one decode step', async () => {
    const [kvLen, nHeads, nKv, hd, target] = (spec ?? '').split(',').map(Number) as [number, number, number, number, number | undefined];
    const gpu = await gpuAcquire();
    const ctx = kernelContextCreate(gpu);
    console.log(gpu.info.adapterName, 'subgroups', gpu.hasSubgroups, gpu.info.subgroupMinSize);
    const maxPages = kvPagesFor(kvLen);
    const total = maxPages * nKv;
    let s = 0x12345678;
    const next = () => ((s ^= s << 13), (s ^= s >>> 17), (s ^= s << 5), s >>> 0);
    const perm = new Uint32Array(total).map((_, i) => i);
    for (let i = total - 1; i > 0; i--) {
      const j = next() % (i + 1);
      [perm[i], perm[j]] = [perm[j]!, perm[i]!];
    }
    const words = new Uint32Array(total * kvPageWords(hd));
    for (let i = 0; i < words.length; i++) words[i] = next() & 0x3bff3bff; // |x| < 1, finite
    const pages = gpuBufferFrom(ctx.device, words, STORAGE);
    const table = gpuBufferFrom(ctx.device, perm, STORAGE);
    const q = gpuBufferFrom(ctx.device, new Float32Array(nHeads * hd).map(() => Math.random() * 2 - 1), STORAGE);
    const out = ctx.device.createBuffer({ size: nHeads * hd * 4, usage: STORAGE });
    const t0 = performance.now();
    const kv = { pages, pageTable: table, tableOffset: 0, maxPages, nKvHeads: nKv, headDim: hd };
    const [tokens, invocations] = (streamSpec ?? '').split(',').map(Number);
    const lanes = decodeLanes(hd, nHeads / nKv);
    const stream = streamSpec ? { variant: streamVariant, tokensPerStep: tokens!, rowGroups: Math.max(1, invocations! / lanes) } : {};
    const p = await decodeAttentionPlan(ctx, { q, out, kv, nHeads, maxKvLen: kvLen, ...(target ? { targetWorkgroups: target } : {}), ...stream });
    p.update(kvLen);
    console.log(`compile ${(performance.now() - t0).toFixed(0)} ms, ${p.chunks} chunks`);
    const times: number[] = [];
    for (let r = 0; r < 6; r++) {
      const enc = ctx.device.createCommandEncoder();
      const pass = enc.beginComputePass();
      p.encode(pass);
      pass.end();
      const t = performance.now();
      ctx.device.queue.submit([enc.finish()]);
      await ctx.device.queue.onSubmittedWorkDone();
      times.push(performance.now() - t);
    }
    const best = Math.min(...times.slice(1));
    const bytes = kvLen * nKv * hd * 4; // K + V, f16, once
    console.log(`decode attention${streamSpec ? ` ${streamVariant} ${streamSpec}` : ''} ${kvLen} tok, ${nHeads}/${nKv} heads, hd ${hd}: ${times.map((x) => x.toFixed(1)).join(' ')} ms, best ${best.toFixed(1)} ms = ${(bytes / best / 1e6).toFixed(2)} GB/s`);
    p.dispose();
    for (const b of [pages, table, q, out]) b.destroy();
    gpu.dispose();
  }, 600_000);
});
