// Golden on the GPU: the same stories260K GGUF (llama2.c importer) through the GPU runtime
// (modelLoad + session: chunked prefill, one-submit decode, GPU argmax) must reproduce both
// golden texts byte for byte, like the CPU reference does (stories260k.test.ts).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gpuAcquire, type Gpu } from '../../engine/gpu/device.ts';
import { modelLoad, sessionCreate, type LoadedModel } from '../../engine/decode/index.ts';
import { GOLDEN, STORIES_DIR, storiesGguf } from './stories.ts';

describe('stories260K golden (GPU runtime)', () => {
  let gpu: Gpu;
  let model: LoadedModel;
  beforeAll(async () => {
    gpu = await gpuAcquire();
    // small prefill chunks so the prompt spans several chunks and the cache several pages
    model = await modelLoad(gpu, await storiesGguf(), { contextLength: 512, chunk: 4 });
  });
  afterAll(() => {
    model?.dispose();
    gpu?.dispose();
  });

  for (const g of GOLDEN) {
    it(`reproduces ${g.file}`, async () => {
      const tok = model.tokenizer;
      const prompt = tok.encode(g.prompt, { addSpecial: true });
      let streamed = '';
      const r = await sessionCreate(model).generate({
        promptTokens: prompt, maxTokens: g.n + 1 - prompt.length, temperature: 0,
        onToken: (t) => (streamed += t),
      });
      expect(r.stats.stopReason).toBe('max-tokens');
      const text = tok.decode([...prompt.slice(1), ...r.tokens]) + '\n';
      expect(text).toBe(fs.readFileSync(path.join(STORIES_DIR, g.file), 'utf8'));
      expect(streamed).toBe(r.text);
      expect(tok.decode([...prompt.slice(1), ...r.tokens])).toBe(tok.decode(prompt.slice(1)) + r.text);
    });
  }
});
