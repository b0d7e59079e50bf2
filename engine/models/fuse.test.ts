// Decode with stacked weights (q|k|v and gate|up uploaded into one buffer each, one matvec per
// group: gpu-weights.ts, gpu-forward.ts) computes exactly what the separate matvecs compute:
// identical greedy tokens and bitwise-identical logits, for a plain llama block and a qwen2 block
// with q/k/v biases and a qwen3 block with q/k norms; RoPE of q and k as one dispatch; and a
// profile that shows the fused ops.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gpuAcquire, type Gpu } from '../gpu/device.ts';
import { ggufGenerate, type GenType } from '../../tools/gen-gguf/gen-gguf.ts';
import { sessionCreate } from '../decode/session.ts';
import { modelLoad } from './index.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-fuse-'));

describe('stacked decode weights', () => {
  let gpu: Gpu;
  beforeAll(async () => {
    gpu = await gpuAcquire();
  });
  afterAll(() => gpu?.dispose());

  for (const [shape, type] of [['tiny-llama', 'Q8_0'], ['tiny-qwen2', 'Q4_K'], ['tiny-qwen3', 'Q6_K']] as [string, GenType][]) {
    it(`${shape} ${type}: fused and separate decode agree exactly`, async () => {
      const file = path.join(dir, `${shape}-${type}.gguf`);
      ggufGenerate({ shape, type, out: file, seed: 7 });
      const run = async (fuseWeights: boolean) => {
        const m = await modelLoad(gpu, file, { contextLength: 512, chunk: 64, fuseWeights });
        try {
          const s = sessionCreate(m);
          const prompt = Array.from({ length: 70 }, (_, i) => 100 + ((i * 37) % 400));
          const r = await s.generate({ promptTokens: prompt, maxTokens: 24, temperature: 0 });
          const logits = await m.forward.readLogits();
          const ops = gpu.info.features.includes('timestamp-query') ? (await m.forward.profile('decode', 200)).map((o) => o.op) : null;
          return { tokens: r.tokens, logits, ops };
        } finally {
          m.dispose();
        }
      };
      const fused = await run(true);
      const separate = await run(false);
      expect(fused.tokens).toEqual(separate.tokens);
      expect(Buffer.from(fused.logits.buffer).equals(Buffer.from(separate.logits.buffer))).toBe(true);
      if (fused.ops && separate.ops) {
        expect(fused.ops).toContain('matvec attn_qkv');
        expect(fused.ops).toContain('matvec ffn_gate+up');
        expect(fused.ops).toContain('rope q+k');
        expect(separate.ops).toContain('matvec attn_q');
        expect(separate.ops).not.toContain('matvec attn_qkv');
        expect(separate.ops).toContain('rope k');
      }
    });
  }
});
