// Sessions on the GPU runtime with the real stories260K model (imported from llama2.c): KV prefix
// reuse, stop strings, cancellation within one token, seeded sampling, typed context errors,
// the attention tap, and streaming text that adds up to the result.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LongreadError } from '../errors.ts';
import { gpuAcquire, type Gpu } from '../gpu/device.ts';
import { storiesGguf } from '../../test/golden/stories.ts';
import { kvCacheStats } from '../kv/kv-cache.ts';
import { modelInspect, modelLoad, sessionCreate, type AttentionSums, type LoadedModel } from './index.ts';

/** Sum over rows of binned[row, l, h, b] == sum over the bin's positions of the summed tap. */
function expectRowsMatchSums(a: AttentionSums): void {
  const b = a.binned!;
  let worst = 0;
  for (let lh = 0; lh < a.layers * a.heads; lh++) {
    for (let k = 0; k < b.bins; k++) {
      let fromRows = 0;
      for (let r = 0; r < b.rows; r++) fromRows += b.values[(r * a.layers * a.heads + lh) * b.bins + k]!;
      let fromSums = 0;
      for (let j = b.bounds[k]!; j < b.bounds[k + 1]!; j++) fromSums += a.values[lh * a.promptLen + j]!;
      worst = Math.max(worst, Math.abs(fromRows - fromSums) / Math.max(1e-3, Math.abs(fromSums)));
    }
  }
  expect(worst).toBeLessThan(1e-4);
}

describe('generation sessions', () => {
  let gpu: Gpu;
  let model: LoadedModel;
  let file: string;
  const greedy = { maxTokens: 40, temperature: 0 };
  beforeAll(async () => {
    gpu = await gpuAcquire();
    file = await storiesGguf();
    model = await modelLoad(gpu, file, { contextLength: 256, chunk: 16 });
  });
  afterAll(() => {
    model?.dispose();
    gpu?.dispose();
  });
  const enc = (t: string) => model.tokenizer.encode(t, { addSpecial: true });

  it('reuses the cached prefix and gives the same tokens as a fresh prefill', async () => {
    const doc = enc('Once upon a time there was a little girl named Lily. She went to the park with her mom.');
    const q1 = [...doc, ...model.tokenizer.encode(' One day')];
    const q2 = [...doc, ...model.tokenizer.encode(' Then she saw')];
    const s = sessionCreate(model);
    const a = await s.generate({ promptTokens: q1, ...greedy });
    expect(a.stats.reusedPrefix).toBe(0);
    const b = await s.generate({ promptTokens: q2, ...greedy });
    expect(b.stats.reusedPrefix).toBeGreaterThanOrEqual(doc.length);
    s.reset();
    const fresh = await s.generate({ promptTokens: q2, ...greedy });
    expect(fresh.stats.reusedPrefix).toBe(0);
    expect(b.tokens).toEqual(fresh.tokens);
    // the same prompt again reuses all but its last token
    const again = await s.generate({ promptTokens: q2, ...greedy });
    expect(again.stats.reusedPrefix).toBe(q2.length - 1);
    expect(again.tokens).toEqual(fresh.tokens);
    // pages mapped for prompt + fed tokens, in every layer and KV head
    const st = kvCacheStats(model.kv);
    expect(st.tokens).toBe(q2.length + again.tokens.length - 1);
    expect(st.pagesUsed).toBe(model.hp.nLayers * model.hp.nKvHeads * Math.ceil(st.tokens / 64));
    s.reset();
    expect(kvCacheStats(model.kv).pagesUsed).toBe(0);
  });

  it('stops before a stop string and streams exactly the result text', async () => {
    const s = sessionCreate(model);
    const prompt = enc('Once upon a time');
    const full = await s.generate({ promptTokens: prompt, ...greedy, maxTokens: 80 });
    const stop = full.text.slice(20, 24); // a string the greedy text is known to contain
    let streamed = '';
    const r = await s.generate({ promptTokens: prompt, ...greedy, maxTokens: 80, stop: [stop], onToken: (t) => (streamed += t) });
    expect(r.stats.stopReason).toBe('stop-string');
    expect(r.text).toBe(full.text.slice(0, full.text.indexOf(stop)));
    expect(streamed).toBe(r.text);
  });

  it('cancels within one token', async () => {
    const s = sessionCreate(model);
    const ac = new AbortController();
    const r = await s.generate({ promptTokens: enc('Lily and Ben'), ...greedy, signal: ac.signal, onToken: (_t, _id, i) => i === 3 && ac.abort() });
    expect(r.stats.stopReason).toBe('cancelled');
    expect(r.tokens.length).toBe(4);
    const pre = new AbortController();
    pre.abort();
    const r0 = await s.generate({ promptTokens: enc('Lily and Ben'), ...greedy, signal: pre.signal });
    expect(r0.stats.stopReason).toBe('cancelled');
    expect(r0.tokens.length).toBe(0);
  });

  it('pipelined decode (next step submitted before the id is read) gives what one step at a time gives', async () => {
    const s = sessionCreate(model);
    const prompt = enc('Once upon a time');
    const full = await s.generate({ promptTokens: prompt, ...greedy, maxTokens: 200, pipeline: false });
    const stop = full.text.slice(30, 36);
    const cases = [
      { ...greedy, maxTokens: 200 }, // ends at the end-of-text token or at 200
      { ...greedy, maxTokens: 7 },
      { ...greedy, maxTokens: 80, stop: [stop] },
      { maxTokens: 48, temperature: 0.9, topK: 40, seed: 11 },
    ];
    for (const c of cases) {
      s.reset();
      const one = await s.generate({ promptTokens: prompt, ...c, pipeline: false });
      const kvOne = kvCacheStats(model.kv).tokens;
      s.reset();
      const piped = await s.generate({ promptTokens: prompt, ...c });
      expect(piped.tokens, JSON.stringify(c)).toEqual(one.tokens);
      expect(piped.text).toBe(one.text);
      expect(piped.stats.stopReason).toBe(one.stats.stopReason);
      // a step submitted for a token that ended the generation leaves no K/V behind
      expect(kvCacheStats(model.kv).tokens).toBe(kvOne);
      // and the cache is reused by the next question exactly as after a one-step run
      const next = await s.generate({ promptTokens: [...prompt, ...piped.tokens.slice(0, 3)], ...greedy, maxTokens: 5 });
      expect(next.stats.reusedPrefix).toBe(prompt.length + 2);
    }
    expect(full.stats.stopReason === 'eos' || full.tokens.length === 200).toBe(true);
  });

  it('samples reproducibly from a seed; top-k 1 is greedy', async () => {
    const s = sessionCreate(model);
    const prompt = enc('Once upon a time');
    const opts = { promptTokens: prompt, maxTokens: 24, temperature: 1.0, topK: 40, topP: 0.95, minP: 0.05 };
    const a = await s.generate({ ...opts, seed: 7 });
    const b = await s.generate({ ...opts, seed: 7 });
    const c = await s.generate({ ...opts, seed: 8 });
    expect(b.tokens).toEqual(a.tokens);
    expect(c.tokens).not.toEqual(a.tokens);
    const g = await s.generate({ promptTokens: prompt, ...greedy, maxTokens: 24 });
    const k1 = await s.generate({ ...opts, topK: 1, seed: 3 });
    expect(k1.tokens).toEqual(g.tokens);
  });

  it('fails with context-too-large, typed, for an over-large context or prompt', async () => {
    const info = await modelInspect(file);
    expect(info.contextLength).toBe(512);
    const err = await modelLoad(gpu, file, { contextLength: 4096 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LongreadError);
    expect((err as LongreadError).code).toBe('context-too-large');
    expect((err as LongreadError).hint).toMatch(/at most 512/);
    const long = Array.from({ length: 300 }, (_, i) => 3 + (i % 200));
    const e2 = await sessionCreate(model).generate({ promptTokens: long, ...greedy }).catch((e: unknown) => e);
    expect((e2 as LongreadError).code).toBe('context-too-large');
  });

  it('taps the attention of generated tokens over the prompt, per layer and head', async () => {
    const s = sessionCreate(model);
    const prompt = enc('Lily and Ben went to the park.');
    const plain = await s.generate({ promptTokens: prompt, ...greedy, maxTokens: 10 });
    s.reset();
    const r = await s.generate({ promptTokens: prompt, ...greedy, maxTokens: 10, taps: { attention: true } });
    expect(r.tokens).toEqual(plain.tokens); // the tap does not change the computation
    const a = r.attention!;
    expect([a.layers, a.heads, a.promptLen, a.steps]).toEqual([model.hp.nLayers, model.hp.nHeads, prompt.length, 9]);
    for (let lh = 0; lh < a.layers * a.heads; lh++) {
      let sum = 0;
      for (let j = 0; j < a.promptLen; j++) {
        const v = a.values[lh * a.promptLen + j]!;
        expect(v).toBeGreaterThanOrEqual(0);
        sum += v;
      }
      // each step's probabilities sum to 1 over prompt + generated positions
      expect(sum).toBeGreaterThan(0);
      expect(sum).toBeLessThanOrEqual(a.steps + 1e-3);
    }
    // per answer-token rows (default bins: uniform over the whole prompt): one row per step, and
    // each row's bins, summed over rows, equal the summed tap binned the same way
    const b = a.binned!;
    expect([b.rows, b.group, b.bins]).toEqual([9, 1, prompt.length]);
    expect(b.values.length).toBe(b.rows * a.layers * a.heads * b.bins);
    expectRowsMatchSums(a);
    // every row holds exactly one step: its bins' mass is that step's attention on the prompt, in (0, 1]
    for (let i = 0; i < b.rows * a.layers * a.heads; i++) {
      const m = b.values.subarray(i * b.bins, (i + 1) * b.bins).reduce((x, y) => x + y, 0);
      expect(m).toBeGreaterThan(0);
      expect(m).toBeLessThanOrEqual(1 + 1e-4);
    }
  });

  it('groups the binned attention rows of long answers and bins over given token ranges', async () => {
    const s = sessionCreate(model);
    const prompt = enc('Lily and Ben went to the park. They saw a big dog and a little cat.');
    const bounds = [2, 5, 5, 9, prompt.length - 1];
    const r = await s.generate({ promptTokens: prompt, ...greedy, maxTokens: 30, taps: { attention: true, attentionBins: bounds, attentionRows: 4 } });
    const a = r.attention!;
    const b = a.binned!;
    // 29 steps at most in 4 rows: 8 steps per row
    expect(b.group).toBe(8);
    expect(b.rows).toBe(Math.ceil(a.steps / 8));
    expect(b.bounds).toEqual(bounds);
    expect(b.bins).toBe(4);
    expectRowsMatchSums(a);
    const bad = await s.generate({ promptTokens: prompt, ...greedy, maxTokens: 4, taps: { attention: true, attentionBins: [0, prompt.length + 1] } }).catch((e: unknown) => e);
    expect((bad as LongreadError).code).toBe('bad-request');
  });

  it('profiles one decode step and one prefill piece per op (timestamp queries), then generates as before', async () => {
    const s = sessionCreate(model);
    const prompt = enc('Lily and Ben went to the park.');
    const before = await s.generate({ promptTokens: prompt, ...greedy, maxTokens: 10 });
    if (!gpu.info.features.includes('timestamp-query')) return;
    const L = model.hp.nLayers;
    const dec = await model.forward.profile('decode', 100);
    const ops = new Map(dec.map((r) => [r.op, r]));
    for (const op of ['embedding', 'attn_norm', 'matvec attn_q', 'attention (decode)', 'matvec ffn_down (+residual)', 'matvec classifier', 'argmax']) expect(ops.has(op), op).toBe(true);
    expect(ops.get('attention (decode)')!.calls).toBe(L);
    expect(ops.get('matvec classifier')!.calls).toBe(1);
    for (const r of dec) expect(Number.isFinite(r.ms) && r.ms >= 0, r.op).toBe(true);
    const pre = await model.forward.profile('prefill', 64, 16);
    const pops = new Map(pre.map((r) => [r.op, r]));
    expect(pops.get('attention (prefill)')!.calls).toBe(L);
    expect(pops.get('matmul ffn_up')!.calls).toBe(L);
    expect(pre.reduce((a, r) => a + r.ms, 0)).toBeGreaterThan(0);
    s.reset();
    const after = await s.generate({ promptTokens: prompt, ...greedy, maxTokens: 10 });
    expect(after.tokens).toEqual(before.tokens);
  });
});
