/**
 * The tokenizer on random, malformed-but-accepted vocabularies (merge parts that are not tokens,
 * empty tokens, odd token types, NaN scores, special tokens inside other tokens) and on
 * pathological text (one 200k-character word, long runs): every call ends with ids in range or
 * a typed error, decode never throws, and nothing takes long.
 */
import { describe, expect, it } from 'vitest';
import { LongreadError } from '../errors.ts';
import { tokenizerFromGguf } from './tokenizer.ts';
import { BYTE_TO_CHAR } from './unicode.ts';

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = ['a', 'b', 'Ġ', ' ', '▁', '<', '|', '>', 'é', '日', '😀', '\n', '<0x41>', ''];

function randomMeta(r: () => number, model: 'gpt2' | 'llama'): Record<string, unknown> {
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  const word = (): string => Array.from({ length: 1 + Math.floor(r() * 4) }, () => pick(ALPHABET)).join('');
  const tokens = model === 'gpt2' ? [...BYTE_TO_CHAR] : ['<unk>', '<s>', '</s>'];
  const seen = new Set(tokens);
  for (let i = 0; i < 200; i++) { const w = word(); if (!seen.has(w) && w !== '') { seen.add(w); tokens.push(w); } }
  const types = tokens.map(() => Math.floor(r() * 8));
  const meta: Record<string, unknown> = {
    'tokenizer.ggml.model': model, 'tokenizer.ggml.tokens': tokens, 'tokenizer.ggml.token_type': types,
    'tokenizer.ggml.pre': pick(['default', 'llama-bpe', 'qwen2', 'tekken', 'deepseek-v3', 'gpt-4o']),
    'tokenizer.ggml.eos_token_id': Math.floor(r() * tokens.length * 1.2),
  };
  if (model === 'gpt2') meta['tokenizer.ggml.merges'] = Array.from({ length: 300 }, () => `${word()} ${word()}`);
  else meta['tokenizer.ggml.scores'] = tokens.map(() => (r() < 0.05 ? NaN : -r() * 100));
  return meta;
}

describe('tokenizer robustness', () => {
  it('random vocabularies and texts: ids in range, decode total, no hang', () => {
    const r = rng(42);
    const t0 = performance.now();
    for (let v = 0; v < 40; v++) {
      const tok = tokenizerFromGguf(randomMeta(r, v % 2 ? 'gpt2' : 'llama'));
      for (let k = 0; k < 30; k++) {
        const text = Array.from({ length: Math.floor(r() * 60) }, () => ALPHABET[Math.floor(r() * ALPHABET.length)]).join('');
        for (const parseSpecial of [false, true]) {
          let ids: number[];
          try {
            ids = tok.encode(text, { parseSpecial, addSpecial: r() < 0.5 });
          } catch (e) {
            expect(e).toBeInstanceOf(LongreadError);
            continue;
          }
          if (!ids.every((id) => Number.isInteger(id) && id >= 0 && id < tok.vocabSize)) expect.fail(`id out of range for ${JSON.stringify(text)}: ${ids}`);
          tok.decode(ids, { skipSpecial: r() < 0.5 }); // must not throw
        }
      }
    }
    expect(performance.now() - t0).toBeLessThan(20_000);
  });

  it('one 200k-character word and long whitespace runs stay fast', () => {
    const tok = tokenizerFromGguf({
      'tokenizer.ggml.model': 'gpt2', 'tokenizer.ggml.pre': 'llama-bpe',
      'tokenizer.ggml.tokens': [...BYTE_TO_CHAR, 'ab', 'abab', 'ĠĠ'], 'tokenizer.ggml.merges': ['a b', 'ab ab', 'Ġ Ġ'],
    });
    const t0 = performance.now();
    const ids = tok.encode('ab'.repeat(100_000) + ' '.repeat(100_000) + 'x');
    expect(ids.length).toBeGreaterThan(0);
    expect(tok.decode(ids)).toBe('ab'.repeat(100_000) + ' '.repeat(100_000) + 'x');
    expect(performance.now() - t0).toBeLessThan(10_000);
  });
});
