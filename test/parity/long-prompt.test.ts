// A prompt of 8,192 tokens on lavapipe (CI): a 1-layer llama of width 128 with 2 query heads over
// one KV head (random weights, F16; small so that lavapipe's attention stays in seconds), 16K context, prefilled in 512-token chunks over 128 KV pages per head, then decoded. Checked
// against the CPU reference, which affords 8K tokens with `lastOnly` (K/V for every token,
// attention for the last one only): same next token, distributions within KL 1e-3.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelLoad, sessionCreate, type LoadedModel } from '../../engine/decode/index.ts';
import { gpuAcquire, type Gpu } from '../../engine/gpu/device.ts';
import { refModelLoad } from '../../engine/models/reference-load.ts';
import { refForward } from '../../engine/reference/forward.ts';
import { ggufGenerate } from '../../tools/gen-gguf/gen-gguf.ts';
import { klDivergence, top2 } from './compare.ts';

const N = 8192;

describe('long prompt (8K tokens)', () => {
  let gpu: Gpu;
  let model: LoadedModel;
  let file: string;
  beforeAll(async () => {
    gpu = await gpuAcquire();
    file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lr-long-')), 'tiny-llama-1l.gguf');
    ggufGenerate({ shape: { arch: 'llama', dim: 128, layers: 1, heads: 2, kvHeads: 1, headDim: 64, ffn: 256, context: 16384, ropeBase: 10000, tied: false, vocab: 'tiny' }, type: 'F16', out: file, seed: 21 });
    model = await modelLoad(gpu, file, { contextLength: N + 64, chunk: 512 });
  });
  afterAll(() => {
    model?.dispose();
    gpu?.dispose();
  });

  it(`prefills ${N} tokens and decodes, matching the reference`, async () => {
    let x = 12345;
    const prompt = [1, ...Array.from({ length: N - 1 }, () => 5 + ((x = (x * 1103515245 + 12345) >>> 0) % (model.hp.vocab - 5)))];
    const chunks: number[] = [];
    const r = await sessionCreate(model).generate({ promptTokens: prompt, maxTokens: 1, temperature: 0, onPrefillProgress: (d) => chunks.push(d) });
    expect(chunks).toEqual(Array.from({ length: N / 512 }, (_, i) => (i + 1) * 512));
    const gpuLogits = await model.forward.readLogits();
    const ref = await refModelLoad(file);
    const refLogits = refForward(ref.create(), prompt, 0, { lastOnly: true });
    const { top, margin } = top2(refLogits);
    expect(r.tokens[0], `ref margin ${margin}`).toBe(top);
    expect(klDivergence(refLogits, gpuLogits)).toBeLessThan(1e-3);
    // decode past the prompt: 4 more steps over the 8K cache
    const more = await sessionCreate(model).generate({ promptTokens: prompt, maxTokens: 5, temperature: 0 });
    expect(more.tokens.slice(0, 1)).toEqual(r.tokens);
    expect(more.tokens).toHaveLength(5);
    expect(more.stats.decodeTokensPerSecond).toBeGreaterThan(0);
  }, 400_000);
});
