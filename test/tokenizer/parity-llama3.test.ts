/**
 * Llama 3 vocabulary (byte-level BPE, pre-tokenizer llama-bpe): parity with Hugging Face and
 * llama.cpp, then the places where the references disagree, pinned with concrete inputs (we
 * follow llama.cpp, which is what tokenizes GGUF models everywhere else):
 * - U+0085 (NEL) is whitespace to llama.cpp (and to HF's Rust regex, Unicode White_Space) but
 *   not to JavaScript's \s, which transformers.js / @lenml use.
 * - Code points assigned after llama.cpp's Unicode table (e.g. Garay U+10D40, Unicode 16) are
 *   letters to Node's ICU (Unicode 17) but unassigned to llama.cpp, so they split differently.
 * - llama.cpp's detokenize removes spaces before punctuation for this vocab (clean_spaces);
 *   our decode is lossless, so decode is checked by round trip only.
 */
import { describe, expect, it } from 'vitest';
import { paritySuite } from './parity-suite.ts';

describe('tokenizer parity: llama3', () => {
  const get = paritySuite('llama3', { peerCleansSpaces: true });

  it('llama3: known HF/llama.cpp differences follow llama.cpp', () => {
    const { f, peer } = get();
    const hf = f.hf('plain');
    for (const t of ['x \u0085y', ' \u{10D40}x', 'Hello \u{10D41}world']) {
      expect(f.tok.encode(t)).toEqual(peer.tokenize(t, false));
      expect(hf(t)).not.toEqual(peer.tokenize(t, false));
    }
    expect(f.tok.encode('x \u0085y')).toEqual([87, 220, 116360, 88]);
    const ids = f.tok.encode(' hello , world . it \'s');
    expect(f.tok.decode(ids)).toBe(' hello , world . it \'s');
    expect(peer.detokenize(ids, false)).toBe(' hello, world. it\'s');
  });
});
