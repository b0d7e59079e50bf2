// gen-gguf: files parse with engine/formats' reader, carry the architecture's metadata and
// tensors, follow llama.cpp's Q4_K_M type mix and fallbacks, and have the requested scales
// (checked by dequantizing with engine/formats, not with the generator's own arithmetic).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ggufOpen } from '../../engine/formats/gguf-read.ts';
import { ggmlTypeName } from '../../engine/formats/ggml-types.ts';
import { dequantize } from '../../engine/formats/quant.ts';
import { ggufGenerate } from './gen-gguf.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-gen-'));

function std(x: Float32Array): { mean: number; std: number } {
  let s = 0;
  for (const v of x) s += v;
  const mean = s / x.length;
  let q = 0;
  for (const v of x) q += (v - mean) ** 2;
  return { mean, std: Math.sqrt(q / x.length) };
}

describe('gen-gguf', () => {
  for (const type of ['F16', 'Q8_0', 'Q4_0', 'Q4_K', 'Q6_K'] as const) {
    it(`${type}: weights dequantize to the requested scale`, async () => {
      const out = path.join(dir, `t-${type}.gguf`);
      ggufGenerate({ shape: 'tiny-llama', type, out, seed: 2 });
      const f = await ggufOpen(out);
      try {
        // ffn_down's small std (0.5 / sqrt(512) = 0.022) puts the Q6_K and Q4_K block scales
        // in f16's subnormal range: flushed to zero they made the whole tensor zero
        for (const [name, want] of [['blk.0.ffn_up.weight', 1 / Math.sqrt(256)], ['blk.0.ffn_down.weight', 0.5 / Math.sqrt(512)]] as const) {
          const t = f.tensors.find((x) => x.name === name)!;
          expect(ggmlTypeName(t.type)).toBe(type);
          const s = std(dequantize(t.type, await f.readTensor(t), t.nElements));
          expect(Math.abs(s.mean), name).toBeLessThan(0.1 * want);
          expect(s.std, name).toBeGreaterThan(0.8 * want);
          expect(s.std, name).toBeLessThan(1.25 * want);
        }
      } finally {
        await f.close();
      }
    });
  }

  it('Q4_K_M mixes types like llama.cpp; qwen2.5 shapes fall back where rows are not 256-aligned', async () => {
    const out = path.join(dir, 'mix.gguf');
    ggufGenerate({ shape: 'qwen2.5-0.5b', type: 'Q4_K_M', out, layers: 8, context: 4096 });
    const f = await ggufOpen(out);
    try {
      const type = (n: string) => ggmlTypeName(f.tensors.find((t) => t.name === n)!.type);
      expect(f.metadata['general.architecture']).toBe('qwen2');
      expect(f.metadata['qwen2.block_count']).toBe(8);
      expect(type('token_embd.weight')).toBe('Q8_0'); // tied classifier: Q6_K, 896 % 256 -> Q8_0
      expect(type('blk.0.attn_q.weight')).toBe('Q5_0'); // Q4_K, 896 % 256 -> Q5_0
      expect(type('blk.0.ffn_down.weight')).toBe('Q6_K'); // use_more_bits layer, 4864 = 19 * 256
      expect(type('blk.1.ffn_down.weight')).toBe('Q4_K');
      expect(type('blk.0.attn_q.bias')).toBe('F32');
      expect((f.metadata['tokenizer.ggml.tokens'] as unknown[]).length).toBe(151936);
    } finally {
      await f.close();
    }
  });
});
