/**
 * Qwen3 vocabulary (byte-level BPE, pre-tokenizer qwen2): parity with Hugging Face and llama.cpp.
 * Two documented HF/llama.cpp differences, both following llama.cpp here:
 * - tokenizer.json has an NFC normalizer that the GGUF cannot express and llama.cpp does not
 *   apply, so non-NFC text (decomposed accents, Hangul jamo, CJK compatibility ideographs)
 *   tokenizes differently; HF is compared on NFC(text).
 * - llama.cpp marks the ordinary vocabulary token "</s>" (id 128247) as end-of-generation and
 *   control by its text, so with special parsing on, "</s>" becomes that one token in llama.cpp
 *   but three pieces in HF: texts containing it are left out of the HF special comparison.
 */
import { describe } from 'vitest';
import { paritySuite } from './parity-suite.ts';

describe('tokenizer parity: qwen3', () => paritySuite('qwen3', {
  hfNormalize: (t) => t.normalize('NFC'),
  hfSpecialSkip: (t) => t.includes('</s>'),
}));
