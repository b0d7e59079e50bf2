/**
 * Llama 2 vocabulary (SentencePiece, scores derived from the merge order, see hf-to-gguf.ts):
 * parity with Hugging Face and llama.cpp.
 */
import { describe } from 'vitest';
import { paritySuite } from './parity-suite.ts';

describe('tokenizer parity: llama2', () => { paritySuite('llama2'); });
