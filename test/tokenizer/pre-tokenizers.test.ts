/**
 * Every supported `tokenizer.ggml.pre` against llama.cpp: a byte-level BPE vocabulary cut from
 * Llama 3's (the 256 byte tokens + the first 20,000 merges, so word boundaries change ids) is
 * written once per pre-tokenizer name; llama.cpp loads each GGUF and must produce the same ids
 * as ours on 400 generated texts (plus texts aimed at each splitter's rules), and every type
 * must differ from plain GPT-2 splitting somewhere (so the check cannot pass vacuously).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tokenizerFromGguf } from '../../engine/tokenizer/tokenizer.ts';
import { BYTE_TO_CHAR } from '../../engine/tokenizer/unicode.ts';
import { ggufVocabWrite, plainMetadata, type VocabMetaValue } from './gguf-vocab-file.ts';
import { hfLoad } from './hf-to-gguf.ts';
import { mismatches, peerLlama } from './parity-harness.ts';
import { parityTexts } from './texts.ts';

const PRE_NAMES = ['default', 'gpt-2', 'llama-bpe', 'qwen2', 'qwen35', 'glm4', 'dbrx', 'smollm', 'falcon', 'deepseek-llm', 'deepseek-coder',
  'deepseek-v3', 'tekken', 'gpt-4o', 'bloom', 'viking', 'seed-coder', 'bailingmoe', 'ufakzeka', 'exaone-moe', 'minicpm5', 'youtu',
  'spark2_5', 'granite-embed-multi-97m', 'chameleon'];

const EXTRA = ["I'M FINE, you'RE not. Don'T", 'ÀÉÎõü ÑAndo CamelCaseWord iPhone HTTPServer', '12345678 1,234.5 ٣٤٥٦ ½', '中文字符和日本語のかなカナ 한국어',
  '！？「」…—，、。 ‘quotes’', 'a\r\n\r\n  b\t\t c   \n', '<sentinel:12> IMGIMGABCZ x', 'x\u0301\u0302 ñ e\u0301', 'abc$+<=>^`|~def', 'Ⅻ ² ³ 𝟘𝟙'];

function subVocab(merges: string[], pre: string): Record<string, VocabMetaValue> {
  const tokens = [...BYTE_TO_CHAR];
  const seen = new Set(tokens);
  for (const m of merges) {
    const t = m.replace(' ', '');
    if (!seen.has(t)) { seen.add(t); tokens.push(t); }
  }
  return {
    'general.architecture': 'llama', 'llama.context_length': { u32: 4096 }, 'llama.embedding_length': { u32: 64 },
    'llama.block_count': { u32: 1 }, 'llama.feed_forward_length': { u32: 128 }, 'llama.attention.head_count': { u32: 1 },
    'llama.attention.head_count_kv': { u32: 1 }, 'llama.attention.layer_norm_rms_epsilon': { f32: 1e-5 }, 'llama.rope.dimension_count': { u32: 64 },
    'tokenizer.ggml.model': 'gpt2', 'tokenizer.ggml.pre': pre, 'tokenizer.ggml.tokens': { strings: tokens },
    'tokenizer.ggml.token_type': { i32s: tokens.map(() => 1) }, 'tokenizer.ggml.merges': { strings: merges },
  };
}

describe('pre-tokenizers vs llama.cpp', () => {
  let merges: string[] = [];
  let dir = '';
  const texts = [...parityTexts(400, 99), ...EXTRA];
  let gpt2: (t: string) => number[] = () => [];
  beforeAll(() => {
    const m = hfLoad('llama3').json.model.merges.slice(0, 20_000);
    merges = m.map((x) => (typeof x === 'string' ? x : x.join(' ')));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'longread-pre-'));
    const g = tokenizerFromGguf(plainMetadata(subVocab(merges, 'gpt-2')));
    gpt2 = (t) => g.encode(t);
  }, 60_000);

  for (const pre of PRE_NAMES) {
    it(`${pre}: same ids as llama.cpp`, async () => {
      const meta = subVocab(merges, pre);
      const file = path.join(dir, `${pre}.gguf`);
      ggufVocabWrite(file, meta);
      const tok = tokenizerFromGguf(plainMetadata(meta));
      const m = (await (await peerLlama()).loadModel({ modelPath: file, vocabOnly: true })) as {
        tokenize(t: string, s: boolean): ArrayLike<number>; tokens: { bos: number | null }; dispose(): Promise<void>;
      };
      try {
        expect(mismatches(texts, (t) => tok.encode(t), (t) => Array.from(m.tokenize(t, false)))).toEqual([]);
        if (pre !== 'gpt-2') expect(mismatches(texts, (t) => tok.encode(t), gpt2, 1)).not.toEqual([]);
      } finally {
        await m.dispose();
      }
    }, 60_000);
  }
});

/**
 * `tokenizer.ggml.model = gemma4`: BPE over raw UTF-8 characters with U+2581 for spaces and
 * <0xXX> byte fallback (llama.cpp's byte_encode=false path). The Llama 2 tokenizer.json is
 * exactly such a BPE (SentencePiece-style merges, byte fallback), so its tokens and merges make
 * the fixture.
 */
describe('gemma4 vocabulary vs llama.cpp', () => {
  it('same ids as llama.cpp on generated texts, special parsing off and on; BOS forced on', async () => {
    const hf = hfLoad('llama2');
    const ids = Object.entries(hf.json.model.vocab).sort((a, b) => a[1] - b[1]);
    const tokens = ids.map(([t]) => t);
    const types = tokens.map((t, i) => (i === 0 ? 2 : i < 3 ? 3 : /^<0x[0-9A-F]{2}>$/.test(t) ? 6 : 1));
    const merges = hf.json.model.merges.map((x) => (typeof x === 'string' ? x : x.join(' ')));
    const meta: Record<string, VocabMetaValue> = {
      ...subVocab([], 'gemma4'),
      'tokenizer.ggml.model': 'gemma4', 'tokenizer.ggml.tokens': { strings: tokens }, 'tokenizer.ggml.token_type': { i32s: types },
      'tokenizer.ggml.merges': { strings: merges }, 'tokenizer.ggml.bos_token_id': { u32: 1 }, 'tokenizer.ggml.eos_token_id': { u32: 2 },
      'tokenizer.ggml.add_bos_token': false,
    };
    delete meta['tokenizer.ggml.pre'];
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'longread-g4-')), 'gemma4-vocab.gguf');
    ggufVocabWrite(file, meta);
    const tok = tokenizerFromGguf(plainMetadata(meta));
    expect(tok.addBos).toBe(true);
    const m = (await (await peerLlama()).loadModel({ modelPath: file, vocabOnly: true })) as {
      tokenize(t: string, s: boolean): ArrayLike<number>; detokenize(ids: number[], s: boolean): string; dispose(): Promise<void>;
    };
    try {
      const texts = [...parityTexts(800, 4), ...EXTRA, '\n\n\nx\n', '  two  spaces ', '日本語 😀 \u0001'];
      expect(mismatches(texts, (t) => tok.encode(t), (t) => Array.from(m.tokenize(t, false)))).toEqual([]);
      expect(mismatches(texts, (t) => tok.encode(t, { parseSpecial: true }), (t) => Array.from(m.tokenize(t, true)))).toEqual([]);
      for (const t of texts.slice(0, 300)) expect(tok.decode(tok.encode(t))).toBe(t);
    } finally {
      await m.dispose();
    }
  }, 120_000);
});
