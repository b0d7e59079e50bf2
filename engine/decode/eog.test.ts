// End-of-generation: a tied-embedding random model (tiny qwen3 shape, tied) repeats its last input token,
// so a prompt ending in </s> or <|im_end|> makes it emit that token first: the session must
// stop there with stopReason 'eos', keep the id in `tokens` and show no text for it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gpuAcquire, type Gpu } from '../gpu/device.ts';
import { ggufGenerate, SHAPES } from '../../tools/gen-gguf/gen-gguf.ts';
import { TINY_IDS } from '../../tools/gen-gguf/tiny-vocab.ts';
import { modelLoad, sessionCreate, type LoadedModel } from './index.ts';

describe('end-of-generation tokens', () => {
  let gpu: Gpu;
  let model: LoadedModel;
  beforeAll(async () => {
    gpu = await gpuAcquire();
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lr-eog-')), 'q3.gguf');
    ggufGenerate({ shape: { ...SHAPES['tiny-qwen3']!, tied: true }, type: 'F16', out: file, seed: 4 });
    model = await modelLoad(gpu, file, { contextLength: 128, chunk: 8 });
  });
  afterAll(() => {
    model?.dispose();
    gpu?.dispose();
  });

  for (const [name, id] of [['</s>', TINY_IDS.eos], ['<|im_end|>', TINY_IDS.imEnd]] as const) {
    it(`stops on ${name}`, async () => {
      expect(model.tokenizer.isEog(id)).toBe(true);
      let streamed = '';
      const r = await sessionCreate(model).generate({ promptTokens: [1, 300, 301, id, id, id], maxTokens: 8, temperature: 0, onToken: (t) => (streamed += t) });
      expect(r.stats.stopReason).toBe('eos');
      expect(r.tokens).toEqual([id]);
      expect(r.text).toBe('');
      expect(streamed).toBe('');
    });
  }
});
