// Kernel harness: KV append, decode attention (split-K, probabilities tap), prefill flash
// attention over the paged cache (cases in cases-attention.ts).
import { kernelSuite } from './suite.ts';
import { ATTENTION_CASES } from './cases-attention.ts';

kernelSuite('attention', ATTENTION_CASES, { fallback: false }); // no subgroup code in these shaders
