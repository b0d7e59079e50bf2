// KV tiers on lavapipe with the real stories260K model: any mix of GPU / RAM / disk layers gives
// the greedy tokens of all-GPU generation (pages moved before, between and after prefills), pages
// keep their bytes through RAM <-> disk <-> GPU moves, and the page file is removed on dispose.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gpuAcquire, type Gpu } from '../gpu/device.ts';
import { modelLoad, sessionCreate, type LoadedModel } from '../decode/index.ts';
import { storiesGguf } from '../../test/golden/stories.ts';
import { kvPagesFetch, kvPagesOffload, kvTierCounts, kvTierOf, kvTiersEnable, type KvTiers } from './kv-tiers.ts';
import { KV_PAGE_TOKENS, kvTableIndex } from '../kernels/kv-layout.ts';
import { kvSnapshotRestore, kvSnapshotSave } from './snapshot.ts';

describe('KV tiers', () => {
  let gpu: Gpu;
  let file: string;
  let base: LoadedModel;
  const greedy = { maxTokens: 70, temperature: 0 };
  let doc: number[];
  let q1: number[];
  let q2: number[];
  let want1: number[];
  let want2: number[];
  beforeAll(async () => {
    gpu = await gpuAcquire();
    file = await storiesGguf();
    base = await modelLoad(gpu, file, { contextLength: 320, chunk: 32 });
    const enc = (t: string) => base.tokenizer.encode(t, { addSpecial: true });
    doc = enc('Once upon a time there was a little girl named Lily. She went to the park with her mom. They saw a big dog and a small cat. The dog was brown.');
    q1 = [...doc, ...base.tokenizer.encode(' One day')];
    q2 = [...doc, ...base.tokenizer.encode(' Then she saw')];
    const s = sessionCreate(base);
    want1 = (await s.generate({ promptTokens: q1, ...greedy })).tokens;
    s.reset();
    want2 = (await s.generate({ promptTokens: q2, ...greedy })).tokens;
  });
  afterAll(() => {
    base?.dispose();
    gpu?.dispose();
  });

  it('generates the all-GPU tokens with layers in RAM and on disk, moved before and between prompts', async () => {
    const m = await modelLoad(gpu, file, { contextLength: 320, chunk: 32 });
    try {
      const t = kvTiersEnable(m.kv);
      await kvPagesOffload(m.kv, 1, 'ram');
      await kvPagesOffload(m.kv, 3, 'disk');
      await kvPagesOffload(m.kv, 4, 'ram');
      const s = sessionCreate(m);
      const a = await s.generate({ promptTokens: q1, ...greedy });
      expect(a.tokens).toEqual(want1);
      // pages with content move: layer 0 to disk, 3 disk -> RAM, 4 back to the GPU
      await kvPagesOffload(m.kv, 0, 'disk');
      await kvPagesOffload(m.kv, 3, 'ram');
      await kvPagesFetch(m.kv, 4);
      expect([0, 1, 2, 3, 4].map((l) => kvTierOf(m.kv, l))).toEqual(['disk', 'ram', 'gpu', 'ram', 'gpu']);
      const b = await s.generate({ promptTokens: q2, ...greedy });
      expect(b.stats.reusedPrefix).toBeGreaterThanOrEqual(doc.length);
      expect(b.tokens).toEqual(want2);
      const c = kvTierCounts(m.kv);
      const perLayer = m.kv.nKvHeads * Math.ceil(m.kv.mappedTokens / 64);
      expect(c).toEqual({ gpuPages: 2 * perLayer, ramPages: 2 * perLayer, diskPages: perLayer });
      expect(t.stagedBytes).toBeGreaterThan(0);
      // everything back on the GPU: still the same answer (prefix reused from the moved pages)
      for (const l of [0, 1, 3]) await kvPagesFetch(m.kv, l);
      expect(kvTierCounts(m.kv)).toEqual({ gpuPages: 5 * perLayer, ramPages: 0, diskPages: 0 });
      const again = await s.generate({ promptTokens: q2, ...greedy });
      expect(again.stats.reusedPrefix).toBe(q2.length - 1);
      expect(again.tokens).toEqual(want2);
    } finally {
      m.dispose();
    }
  });

  it('runs every layer off the GPU with one staging slot, and removes the page file on dispose', async () => {
    const m = await modelLoad(gpu, file, { contextLength: 320, chunk: 32 });
    let t: KvTiers | undefined;
    try {
      t = kvTiersEnable(m.kv, { stagingSlots: 1 });
      for (let l = 0; l < m.hp.nLayers; l++) await kvPagesOffload(m.kv, l, l % 2 ? 'ram' : 'disk');
      const s = sessionCreate(m);
      expect((await s.generate({ promptTokens: q2, ...greedy })).tokens).toEqual(want2);
      expect(t.store.diskPath).not.toBeNull();
      expect(fs.existsSync(t.store.diskPath!)).toBe(true);
      expect(kvTierCounts(m.kv).gpuPages).toBe(0);
    } finally {
      m.dispose();
    }
    expect(fs.existsSync(t!.store.diskPath!)).toBe(false);
  });

  it('taps the same per-row attention with every layer off the GPU (one submit per layer, rows written per step)', async () => {
    const taps = { attention: true, attentionRows: 16 };
    const want = await sessionCreate(base).generate({ promptTokens: q2, ...greedy, taps });
    const m = await modelLoad(gpu, file, { contextLength: 320, chunk: 32 });
    try {
      kvTiersEnable(m.kv, { stagingSlots: 1 });
      for (let l = 0; l < m.hp.nLayers; l++) await kvPagesOffload(m.kv, l, l % 2 ? 'ram' : 'disk');
      const r = await sessionCreate(m).generate({ promptTokens: q2, ...greedy, taps });
      expect(r.tokens).toEqual(want.tokens);
      const a = r.attention!.binned!;
      const b = want.attention!.binned!;
      expect([a.rows, a.group, a.bins]).toEqual([b.rows, b.group, b.bins]);
      expect(a.rows).toBeGreaterThan(1);
      let worst = 0;
      for (let i = 0; i < b.values.length; i++) worst = Math.max(worst, Math.abs(a.values[i]! - b.values[i]!));
      expect(worst).toBeLessThan(1e-5);
    } finally {
      m.dispose();
    }
  });

  it('saves a snapshot from layers in RAM / on disk and restores it into any tier mix', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-kvt-'));
    const snap = path.join(dir, 'doc.kvsnap');
    const m = await modelLoad(gpu, file, { contextLength: 320, chunk: 32 });
    const m2 = await modelLoad(gpu, file, { contextLength: 320, chunk: 32 });
    try {
      kvTiersEnable(m.kv);
      await kvPagesOffload(m.kv, 1, 'ram');
      await kvPagesOffload(m.kv, 3, 'disk');
      expect((await sessionCreate(m).generate({ promptTokens: q1, ...greedy })).tokens).toEqual(want1);
      await kvSnapshotSave(m.kv, q1, snap, 'fp', 'test');
      kvTiersEnable(m2.kv);
      await kvPagesOffload(m2.kv, 0, 'disk');
      await kvPagesOffload(m2.kv, 4, 'ram');
      for (const [target, upload] of [[base, 'write'], [m2, 'write'], [m2, 'staged'], [base, 'direct'], [m2, 'direct']] as const) {
        const ids = await kvSnapshotRestore(target.kv, snap, 'fp', { upload });
        expect(ids).toEqual(q1);
        // a restore maps each GPU layer's pages as one ascending run (one upload per block)
        const kv = target.kv;
        const pages = Math.ceil(q1.length / KV_PAGE_TOKENS);
        for (let l = 0; l < kv.nLayers; l++) {
          if (kvTierOf(kv, l) !== 'gpu') continue;
          const phys = Array.from({ length: kv.nKvHeads * pages }, (_, i) => kv.table[kvTableIndex(kv.views[l]!.tableOffset, kv.maxPages, Math.floor(i / pages), i % pages)]!);
          expect(phys).toEqual(phys.map((_, i) => phys[0]! + i));
        }
        const s = sessionCreate(target);
        s.adoptCache(ids);
        const r = await s.generate({ promptTokens: q1, ...greedy });
        expect(r.stats.reusedPrefix).toBe(q1.length - 1);
        expect(r.tokens).toEqual(want1);
      }
      // a damaged block: every upload path throws snapshot-invalid and leaves the cache empty
      const bytes = fs.readFileSync(snap);
      bytes[bytes.length - 40 - 32 - 100]! ^= 0x40; // page data of the last block
      const bad = path.join(dir, 'bad.kvsnap');
      fs.writeFileSync(bad, bytes);
      for (const upload of ['write', 'staged', 'direct'] as const) {
        await expect(kvSnapshotRestore(base.kv, bad, 'fp', { upload })).rejects.toMatchObject({ code: 'snapshot-invalid' });
        expect(base.kv.mappedTokens).toBe(0);
      }
    } finally {
      m.dispose();
      m2.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
