/**
 * Unit tests of the tokenizer on small hand-made vocabularies (the real-vocabulary parity
 * tests are in test/tokenizer/): metadata validation, llama.cpp's special-token rules,
 * BOS/EOS flags, prompt parts, and the streaming decoder's UTF-8 handling.
 */
import { describe, expect, it } from 'vitest';
import { LongreadError } from '../errors.ts';
import { completePrefix } from './stream-decoder.ts';
import { tokenizerFromGguf } from './tokenizer.ts';
import { BYTE_TO_CHAR } from './unicode.ts';

/** Byte-level BPE: 256 byte tokens, merges for "he", "ll", "hell", "hello", ChatML markers. */
function bpeMeta(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const tokens = [...BYTE_TO_CHAR, 'he', 'll', 'hell', 'hello', 'Ġw', '<|im_start|>', '<|im_end|>', '<think>'];
  const types = tokens.map((_, i) => (i >= 261 ? (i === 263 ? 4 : 3) : 1));
  types[262] = 4; // <|im_end|> declared user-defined: llama.cpp forces EOG tokens to control
  return {
    'tokenizer.ggml.model': 'gpt2', 'tokenizer.ggml.pre': 'qwen2', 'tokenizer.ggml.tokens': tokens,
    'tokenizer.ggml.token_type': types, 'tokenizer.ggml.merges': ['h e', 'l l', 'he ll', 'hell o', 'Ġ w'],
    'tokenizer.ggml.eos_token_id': 262, ...extra,
  };
}

/** SentencePiece: <unk> <s> </s>, byte tokens, a few pieces with scores. */
function spmMeta(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const bytes = Array.from({ length: 256 }, (_, b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
  const pieces = ['▁', 'a', 'b', '▁a', 'ab', '▁ab', '日'];
  const tokens = ['<unk>', '<s>', '</s>', ...bytes, ...pieces];
  const scores = tokens.map((_, i) => (i < 259 ? 0 : -(i - 259)));
  const types = tokens.map((_, i) => (i === 0 ? 2 : i < 3 ? 3 : i < 259 ? 6 : 1));
  return { 'tokenizer.ggml.model': 'llama', 'tokenizer.ggml.tokens': tokens, 'tokenizer.ggml.scores': scores, 'tokenizer.ggml.token_type': types, ...extra };
}

function code(f: () => unknown): string {
  try { f(); } catch (e) { return e instanceof LongreadError ? e.code : `other: ${String(e)}`; }
  return 'no error';
}

describe('vocabulary metadata', () => {
  it('rejects missing, malformed and unsupported fields with tokenizer-invalid', () => {
    expect(code(() => tokenizerFromGguf({}))).toBe('tokenizer-invalid');
    expect(code(() => tokenizerFromGguf({ ...bpeMeta(), 'tokenizer.ggml.model': 'bert' }))).toBe('tokenizer-invalid');
    expect(code(() => tokenizerFromGguf({ ...bpeMeta(), 'tokenizer.ggml.pre': 'made-up' }))).toBe('tokenizer-invalid');
    expect(code(() => tokenizerFromGguf({ ...bpeMeta(), 'tokenizer.ggml.merges': undefined }))).toBe('tokenizer-invalid');
    expect(code(() => tokenizerFromGguf({ ...spmMeta(), 'tokenizer.ggml.scores': [1, 2] }))).toBe('tokenizer-invalid');
    expect(code(() => tokenizerFromGguf({ ...spmMeta(), 'tokenizer.ggml.tokens': ['a', 'a'] }))).toBe('tokenizer-invalid');
    expect(code(() => tokenizerFromGguf({ ...spmMeta(), 'tokenizer.ggml.tokens': [1, 2] }))).toBe('tokenizer-invalid');
    expect(code(() => tokenizerFromGguf({ ...spmMeta(), 'tokenizer.ggml.add_bos_token': 'yes' }))).toBe('tokenizer-invalid');
  });

  it('applies llama.cpp defaults: SPM bos 1 / eos 2 / add BOS; out-of-range ids fall back; EOG by text', () => {
    const spm = tokenizerFromGguf(spmMeta({ 'tokenizer.ggml.eos_token_id': 99999 }));
    expect([spm.bosId, spm.eosId, spm.addBos, spm.addEos]).toEqual([1, 2, true, false]);
    const bpe = tokenizerFromGguf(bpeMeta());
    expect(bpe.addBos).toBe(false);
    expect([...bpe.eogIds]).toEqual([262]);
    expect(bpe.isSpecial(262)).toBe(true); // was user-defined, forced to control like llama.cpp
    expect(bpe.isSpecial(263)).toBe(false);
  });
});

describe('encoding', () => {
  it('merges by rank and splits special tokens only when asked (user-defined always)', () => {
    const tok = tokenizerFromGguf(bpeMeta());
    expect(tok.encode('hello w')).toEqual([259, 260]);
    expect(tok.encode('hello')).toEqual([259]);
    expect(tok.encode(' w')).toEqual([260]);
    const plain = tok.encode('<|im_end|>');
    expect(plain).not.toContain(262);
    expect(plain.length).toBe('<|im_end|>'.length);
    expect(tok.encode('a<|im_end|>b', { parseSpecial: true })).toEqual([97, 262, 98]); // byte b is token b
    expect(tok.encode('a<think>b')).toEqual([97, 263, 98]); // user-defined: split in both modes
    expect(tok.decode(tok.encode('hello <think> w'))).toBe('hello <think> w');
  });

  it('adds BOS/EOS per flags; SPM space prefix after special tokens; byte fallback', () => {
    const tok = tokenizerFromGguf(spmMeta({ 'tokenizer.ggml.add_eos_token': true }));
    const ab = tok.vocab.tokenToId.get('▁ab')!;
    expect(tok.encode('ab', { addSpecial: true })).toEqual([1, ab, 2]);
    expect(tok.encode('ab</s>ab', { parseSpecial: true })).toEqual([ab, 2, ab]);
    const e = [...new TextEncoder().encode('é')].map((b) => 3 + b);
    expect(tok.encode('é')).toEqual([tok.vocab.tokenToId.get('▁')!, ...e]);
    expect(tok.decode(tok.encode('é ab 日'))).toBe('é ab 日');
  });

  it('encodeParts = encode of the joined text, except that only special parts parse markers', () => {
    const tok = tokenizerFromGguf(bpeMeta());
    const parts = [{ text: '<|im_start|>he', special: true }, { text: 'llo <|im_end|>', special: false }, { text: '<|im_end|>', special: true }];
    const ids = tok.encodeParts(parts);
    expect(ids[0]).toBe(261);
    expect(ids[1]).toBe(259); // "hello" merged across the part boundary
    expect(ids.filter((x) => x === 262)).toEqual([262]);
    expect(tok.encodeParts([{ text: 'hello w', special: false }])).toEqual(tok.encode('hello w'));
  });
});

describe('streaming decode', () => {
  it('never emits broken UTF-8 when a character spans byte tokens', () => {
    const tok = tokenizerFromGguf(spmMeta());
    const ids = tok.encode('a😀日b');
    const d = tok.createStreamDecoder();
    const out = ids.map((id) => d.push(id));
    // Streaming emits pieces as generated (the SPM prefix space included: mid-text it is a real space).
    expect(out.join('') + d.flush()).toBe(' a😀日b');
    for (const s of out) expect(s).not.toContain('\ufffd');
    expect(out.filter((s) => s === '').length).toBeGreaterThan(0); // partial bytes were held back
    const d2 = tok.createStreamDecoder({ stripLeadingSpace: true });
    expect(ids.map((id) => d2.push(id)).join('') + d2.flush()).toBe('a😀日b');
  });

  it('flushes an unfinished tail as U+FFFD and passes invalid bytes through at once', () => {
    expect(completePrefix(Uint8Array.of(0x61, 0xe6, 0x97))).toBe(1);
    expect(completePrefix(Uint8Array.of(0x61, 0xe6, 0x97, 0xa5))).toBe(4);
    expect(completePrefix(Uint8Array.of(0x61, 0xff))).toBe(2);
    expect(completePrefix(Uint8Array.of(0x80, 0x80, 0x80, 0x80))).toBe(4);
    const tok = tokenizerFromGguf(spmMeta());
    const d = tok.createStreamDecoder();
    expect(d.push(3 + 0xe6)).toBe('');
    expect(d.flush()).toBe('\ufffd');
  });
});
