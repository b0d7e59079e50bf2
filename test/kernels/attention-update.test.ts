// Plans are created once and re-targeted each step: decode attention's update(kvLen) must
// re-chunk correctly as the cache grows (page boundaries included), and prefill attention's
// update({ tokens, qStart }) must switch between the direct and split-K paths. One plan per
// kernel, several steps, each checked against the CPU reference.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gpuAcquire, type Gpu } from '../../engine/gpu/device.ts';
import { gpuBufferFrom, gpuReadback, STORAGE } from '../../engine/gpu/buffer-pool.ts';
import { kernelContextCreate, plansSubmit, type KernelContext } from '../../engine/kernels/context.ts';
import { decodeAttentionPlan, decodeLayout } from '../../engine/kernels/attention-decode.ts';
import { prefillAttentionPlan } from '../../engine/kernels/attention-prefill.ts';
import { kvPagesFor, type KvLayerView } from '../../engine/kernels/kv-layout.ts';
import { attention, kvArenaPoisoned, kvPagesRead, kvPagesWrite } from '../../engine/reference/ops-attention.ts';
import { harnessSeed, nmse, Rng } from './harness.ts';

describe('attention plans across steps', () => {
  let gpu: Gpu;
  let ctx: KernelContext;
  beforeAll(async () => {
    gpu = await gpuAcquire();
    ctx = kernelContextCreate(gpu);
  });
  afterAll(() => gpu?.dispose());

  const nHeads = 4;
  const nKv = 2;
  const hd = 64;
  const maxLen = 300;

  function setup(seed: number) {
    const rng = new Rng(seed);
    const maxPages = kvPagesFor(maxLen);
    const table = new Uint32Array(nKv * maxPages).map((_, i) => (i * 7 + 3) % (nKv * maxPages)); // a fixed shuffle
    const map = (h: number, p: number) => table[h * maxPages + p]!;
    const arena = kvArenaPoisoned(nKv * maxPages, hd);
    kvPagesWrite(arena, rng.normal(maxLen * nKv * hd), rng.normal(maxLen * nKv * hd), maxLen, nKv, hd, map);
    const k = kvPagesRead(arena, 'k', maxLen, nKv, hd, map);
    const v = kvPagesRead(arena, 'v', maxLen, nKv, hd, map);
    const kv: KvLayerView = { pages: gpuBufferFrom(ctx.device, arena), pageTable: gpuBufferFrom(ctx.device, table), tableOffset: 0, maxPages, nKvHeads: nKv, headDim: hd };
    return { rng, k, v, kv };
  }

  it('decode: shapes beyond the workgroup memory limit fail with model-unsupported', async () => {
    const kv = { pages: ctx.device.createBuffer({ size: 1 << 16, usage: STORAGE }), pageTable: ctx.device.createBuffer({ size: 256, usage: STORAGE }), tableOffset: 0, maxPages: 1, nKvHeads: 1, headDim: 128 };
    // 128 query heads on one KV head at hd 128: q alone is 64 KiB of workgroup memory
    const need = decodeLayout(128, 128, ctx.subgroups, 0).sharedBytes;
    const small = Number(ctx.device.limits.maxComputeWorkgroupStorageSize) < need;
    const p = decodeAttentionPlan(ctx, { q: kv.pageTable, out: kv.pageTable, kv, nHeads: 128, maxKvLen: 64 });
    if (small) await expect(p).rejects.toMatchObject({ code: 'model-unsupported' });
    else (await p).dispose();
    await expect(decodeAttentionPlan(ctx, { q: kv.pageTable, out: kv.pageTable, kv: { ...kv, headDim: 100 }, nHeads: 2, maxKvLen: 64 })).rejects.toMatchObject({ code: 'model-unsupported' });
  });

  it('decode stream-r: invalid knobs are rejected', async () => {
    const { kv } = setup(1);
    const args = { q: kv.pageTable, out: kv.pageTable, kv, nHeads, maxKvLen: 64, variant: 'stream-r' as const };
    await expect(decodeAttentionPlan(ctx, { ...args, rowGroups: 3 })).rejects.toMatchObject({ code: 'internal' });
    await expect(decodeAttentionPlan(ctx, { ...args, tokensPerStep: 3 })).rejects.toMatchObject({ code: 'internal' });
    await expect(decodeAttentionPlan(ctx, { ...args, rowGroups: 64 })).rejects.toMatchObject({ code: 'internal' }); // 512 invocations
    await expect(decodeAttentionPlan(ctx, { ...args, rowGroups: 2 })).rejects.toMatchObject({ code: 'internal' }); // 16 invocations
  });

  it.each(['page', 'stream-r'] as const)('decode (%s): update(kvLen) over page boundaries and chunk-count changes', async (variant) => {
    const seed = harnessSeed();
    const { rng, k, v, kv } = setup(seed);
    const q = rng.normal(nHeads * hd, 2);
    const qb = gpuBufferFrom(ctx.device, q);
    const out = ctx.device.createBuffer({ size: nHeads * hd * 4, usage: STORAGE });
    const plan = await decodeAttentionPlan(ctx, { q: qb, out, kv, nHeads, maxKvLen: maxLen, targetWorkgroups: 8, variant });
    const chunks: number[] = [];
    for (const n of [1, 64, 65, 129, 300, 2]) {
      plan.update(n);
      chunks.push(plan.chunks);
      plansSubmit(ctx, [plan]);
      const got = new Float32Array(await gpuReadback(ctx.device, out));
      const ref = attention(q, k, v, n, { tokens: 1, nHeads, nKvHeads: nKv, headDim: hd, qStart: n - 1, scale: 1 / Math.sqrt(hd) });
      const [e, err] = nmse(got, ref.out);
      expect(err, `seed ${seed} kvLen ${n}`).toBeNull();
      expect(e, `seed ${seed} kvLen ${n}`).toBeLessThan(1e-9);
    }
    expect(new Set(chunks).size).toBeGreaterThan(1);
    plan.dispose();
  });

  it('prefill: update({ tokens, qStart }) switching between direct and split-K', async () => {
    const seed = harnessSeed();
    const { rng, k, v, kv } = setup(seed);
    const maxT = 64;
    const qAll = rng.normal(maxT * nHeads * hd, 2);
    const qb = gpuBufferFrom(ctx.device, qAll);
    const out = ctx.device.createBuffer({ size: maxT * nHeads * hd * 4, usage: STORAGE });
    const plan = await prefillAttentionPlan(ctx, { q: qb, out, kv, nHeads, tokens: maxT, qStart: 0, targetWorkgroups: 6 });
    const splits: number[] = [];
    for (const [tokens, qStart] of [[64, 0], [2, 200], [40, 100], [1, 299]] as const) {
      plan.update({ tokens, qStart });
      splits.push(plan.splits);
      plansSubmit(ctx, [plan]);
      const got = new Float32Array(await gpuReadback(ctx.device, out, 0, tokens * nHeads * hd * 4));
      const ref = attention(qAll.subarray(0, tokens * nHeads * hd), k, v, qStart + tokens, { tokens, nHeads, nKvHeads: nKv, headDim: hd, qStart, scale: 1 / Math.sqrt(hd) });
      const [e, err] = nmse(got, ref.out);
      expect(err, `seed ${seed} tokens ${tokens} qStart ${qStart}`).toBeNull();
      expect(e, `seed ${seed} tokens ${tokens} qStart ${qStart}`).toBeLessThan(1e-9);
    }
    expect(splits[0]).toBe(1);
    expect(Math.max(...splits)).toBeGreaterThan(1);
    plan.dispose();
  });
});

describe('decode attention defaults', () => {
  it("picks 'stream-r' on GPUs whose subgroups hold a row's lanes, 'page' on CPU adapters", async () => {
    const { decodeVariantDefault, streamDefaults } = await import('../../engine/kernels/attention-decode.ts');
    expect(decodeVariantDefault({ software: false, subgroups: true, subgroupMinSize: 32, lanes: 16 })).toBe('stream-r');
    expect(decodeVariantDefault({ software: true, subgroups: true, subgroupMinSize: 8, lanes: 8 })).toBe('page');
    expect(decodeVariantDefault({ software: false, subgroups: true, subgroupMinSize: 8, lanes: 16 })).toBe('page');
    expect(decodeVariantDefault({ software: false, subgroups: false, subgroupMinSize: 0, lanes: 8 })).toBe('page');
    // the H200 sweep's winners (2026-12-06): 4 tokens per step; 128 invocations (hd 128: 8 x 16
    // lanes, hd 64: 16 x 8), 64 at G >= 7 with 8 lanes (14/2 heads, hd 64)
    expect(streamDefaults(16, 4)).toEqual({ tokensPerStep: 4, rowGroups: 8 });
    expect(streamDefaults(8, 4)).toEqual({ tokensPerStep: 4, rowGroups: 16 });
    expect(streamDefaults(8, 7)).toEqual({ tokensPerStep: 4, rowGroups: 8 });
    expect(streamDefaults(16, 7)).toEqual({ tokensPerStep: 4, rowGroups: 8 });
  });
});
