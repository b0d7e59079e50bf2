// The memory planner: thresholds against a brute-force count of pool pages, and on lavapipe with
// stories260K under a small VRAM budget: layers leave the GPU from the last one backwards at
// exactly the precomputed sequence lengths (in decode and mid-prefill), come back for a shorter
// prompt, spill to disk past a RAM budget, and the greedy tokens equal all-GPU generation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gpuAcquire, type Gpu } from '../gpu/device.ts';
import { modelLoad, sessionCreate, type LoadedModel } from '../decode/index.ts';
import { storiesGguf } from '../../test/golden/stories.ts';
import { kvPageBytes, kvPagesFor } from '../kernels/kv-layout.ts';
import { kvCacheBytes } from './kv-cache.ts';
import { kvPlan, kvPolicy, vramProbe } from './kv-planner.ts';
import { KvTiers, kvOffloadCount, kvTierCounts, kvTierOf } from './kv-tiers.ts';
import { ModelHost } from '../service/model-host.ts';
import { prefillPieces } from '../models/gpu-forward.ts';

describe('KV memory planner', () => {
  it('computes thresholds that match the pool arithmetic at every sequence length', () => {
    for (const shape of [{ nLayers: 5, nKvHeads: 4, headDim: 8, maxTokens: 320 }, { nLayers: 16, nKvHeads: 8, headDim: 64, maxTokens: 4096 }]) {
      const all = kvCacheBytes(shape);
      expect(kvPlan({ ...shape, budgetBytes: all, maxBindingBytes: 1 << 30 }).mode).toBe('gpu');
      for (const frac of [0.3, 0.5, 0.8]) {
        const plan = kvPlan({ ...shape, budgetBytes: Math.floor(all * frac), maxBindingBytes: 1 << 30 });
        expect(plan.mode).toBe('tiered');
        expect(plan.poolBytes + plan.stagingBytes + shape.nLayers * shape.nKvHeads * kvPagesFor(shape.maxTokens) * 4).toBeLessThanOrEqual(plan.budgetBytes);
        for (let S = 1; S <= shape.maxTokens; S++) {
          // fewest layers off the GPU such that the rest fit the pool
          let i = 0;
          while (i < shape.nLayers && (shape.nLayers - i) * shape.nKvHeads * kvPagesFor(S) > plan.poolPages) i++;
          expect(kvOffloadCount(plan.thresholds, S)).toBe(i);
        }
      }
    }
    expect(() => kvPlan({ nLayers: 5, nKvHeads: 4, headDim: 8, maxTokens: 320, budgetBytes: 1000, maxBindingBytes: 1 << 30 })).toThrow(/staging slot/);
  });

  describe('on the GPU with stories260K', () => {
    let gpu: Gpu;
    let file: string;
    let base: LoadedModel;
    const ctx = 320;
    beforeAll(async () => {
      gpu = await gpuAcquire();
      file = await storiesGguf();
      base = await modelLoad(gpu, file, { contextLength: ctx, chunk: 32 });
    });
    afterAll(() => {
      base?.dispose();
      gpu?.dispose();
    });

    it('probes allocatable memory with out-of-memory scopes', async () => {
      expect(await vramProbe(gpu.device, 3 << 20, 1 << 20)).toBe(3 << 20);
    });

    it('moves layers off the GPU from the last backwards exactly at the thresholds; tokens equal all-GPU', async () => {
      const hp = base.hp;
      const pageBytes = kvPageBytes(hp.headDim);
      const maxPages = kvPagesFor(ctx);
      // tables + 2 staging slots + a pool of 24 pages
      const budget = hp.nLayers * hp.nKvHeads * maxPages * 4 + 2 * hp.nKvHeads * maxPages * pageBytes + hp.nKvHeads * maxPages * 4 + 24 * pageBytes;
      const m = await modelLoad(gpu, file, { contextLength: ctx, chunk: 32, vramBudgetBytes: budget });
      try {
        const t = m.kv.tiers as KvTiers;
        expect(m.kv.pooled).toBe(true);
        const th = t.policy!.thresholds;
        expect(th).toEqual([65, 65, 129, 193, 385]);
        const prompt = m.tokenizer.encode('Once upon a time there was a little girl named Lily.', { addSpecial: true });
        const req = { promptTokens: prompt, maxTokens: 140 - prompt.length, temperature: 0 };
        const want = await sessionCreate(base).generate(req);
        const s = sessionCreate(m);
        const got = await s.generate(req);
        expect(got.tokens).toEqual(want.tokens);
        // decode crosses 65 (two layers: 4 then 3) and 129 (layer 2), one token at a time
        expect(t.events).toEqual([{ tokens: 65, layer: 4, to: 'ram' }, { tokens: 65, layer: 3, to: 'ram' }, { tokens: 129, layer: 2, to: 'ram' }]);
        expect([0, 1, 2, 3, 4].map((l) => kvTierOf(m.kv, l))).toEqual(['gpu', 'gpu', 'ram', 'ram', 'ram']);
        const perLayer = hp.nKvHeads * kvPagesFor(m.kv.mappedTokens);
        expect(kvTierCounts(m.kv)).toEqual({ gpuPages: 2 * perLayer, ramPages: 3 * perLayer, diskPages: 0 });
        // a new, short prompt: all layers come back to the GPU (first one first)
        t.events.length = 0;
        const short = m.tokenizer.encode('Lily and Ben', { addSpecial: true });
        const again = await s.generate({ promptTokens: short, maxTokens: 20, temperature: 0 });
        expect(again.tokens).toEqual((await sessionCreate(base).generate({ promptTokens: short, maxTokens: 20, temperature: 0 })).tokens);
        expect(t.events.map((e) => [e.layer, e.to])).toEqual([[2, 'gpu'], [3, 'gpu'], [4, 'gpu']]);
        expect(kvTierCounts(m.kv).ramPages).toBe(0);
      } finally {
        m.dispose();
      }
    });

    it('crosses thresholds inside a chunked prefill, spilling past the RAM budget to disk', async () => {
      const hp = base.hp;
      const pageBytes = kvPageBytes(hp.headDim);
      const maxPages = kvPagesFor(ctx);
      const budget = hp.nLayers * hp.nKvHeads * maxPages * 4 + 2 * hp.nKvHeads * maxPages * pageBytes + hp.nKvHeads * maxPages * 4 + 40 * pageBytes;
      const m = await modelLoad(gpu, file, { contextLength: ctx, chunk: 32, vramBudgetBytes: budget });
      try {
        const t = m.kv.tiers as KvTiers;
        const layerBytes = hp.nKvHeads * maxPages * pageBytes;
        // a RAM budget of one layer: the next layers go to disk
        t.policy = kvPolicy(kvPlan({ ...m.kv, budgetBytes: budget, maxBindingBytes: 1 << 30 }), layerBytes);
        expect(t.policy.thresholds).toEqual([129, 129, 193, 321, 641]);
        const text = 'Once upon a time there was a little girl named Lily. She loved to play outside in the sun. One day she saw a big red ball in the park. '.repeat(8);
        const prompt = m.tokenizer.encode(text, { addSpecial: true }).slice(0, 210);
        expect(prompt.length).toBe(210);
        const req = { promptTokens: prompt, maxTokens: 12, temperature: 0 };
        const want = await sessionCreate(base).generate(req);
        const got = await sessionCreate(m).generate(req);
        expect(got.tokens).toEqual(want.tokens);
        // a threshold is met at the end of the first prefill piece that reaches it (32, 64, ..., 160, ...)
        const ends = prefillPieces(prompt.length, 32).map(([c, n]) => c + n);
        const at = (th: number) => ends.find((e) => e >= th)!;
        expect(at(129)).toBe(160);
        expect(t.events).toEqual([{ tokens: 160, layer: 4, to: 'ram' }, { tokens: 160, layer: 3, to: 'disk' }, { tokens: at(193), layer: 2, to: 'disk' }]);
        const c = kvTierCounts(m.kv);
        expect(c.ramPages).toBeGreaterThan(0);
        expect(c.diskPages).toBe(2 * c.ramPages);
      } finally {
        m.dispose();
      }
    });
    it('ModelHost records pages per tier for the inspector (the budget setting passed through)', async () => {
      const hp = base.hp;
      const pageBytes = kvPageBytes(hp.headDim);
      const maxPages = kvPagesFor(ctx);
      const budget = hp.nLayers * hp.nKvHeads * maxPages * 4 + 2 * hp.nKvHeads * maxPages * pageBytes + hp.nKvHeads * maxPages * 4 + 40 * pageBytes;
      const host = new ModelHost(() => gpu, () => undefined);
      try {
        await host.load(file, ctx, undefined, budget);
        const prompt = host.loaded.tokenizer.encode('Once upon a time there was a little girl named Lily. She loved to play outside in the sun. One day she saw a big red ball in the park. '.repeat(8), { addSpecial: true }).slice(0, 140);
        await host.generate({ promptTokens: prompt, maxTokens: 4, temperature: 0 });
        const last = host.kvHistory().at(-1)!;
        const perLayer = hp.nKvHeads * kvPagesFor(host.loaded.kv.mappedTokens);
        expect(last).toMatchObject({ gpuPages: 3 * perLayer, ramPages: 2 * perLayer, diskPages: 0, pageTokens: 64, bytesPerPage: pageBytes });
      } finally {
        host.unload();
      }
    });
  });
});
