/**
 * Llama 3 vocabulary (byte-level BPE, pre-tokenizer llama-bpe): parity with Hugging Face and
 * llama.cpp. llama.cpp's detokenize removes spaces before punctuation for this vocab
 * (clean_spaces), which our lossless decode does not, so decode is checked by round trip only.
 */
import { describe } from 'vitest';
import { paritySuite } from './parity-suite.ts';

describe('tokenizer parity: llama3', () => paritySuite('llama3', { peerCleansSpaces: true }));
