// Kernel harness: KV append, decode attention (split-K, probabilities tap; subgroup and fallback
// paths), prefill flash attention over the paged cache (cases in cases-attention.ts).
import { kernelSuite } from './suite.ts';
import { DECODE_CASES, KV_APPEND_CASES, PREFILL_CASES } from './cases-attention.ts';

kernelSuite('decode attention', DECODE_CASES);
kernelSuite('kv append + prefill attention', [...KV_APPEND_CASES, ...PREFILL_CASES], { fallback: false }); // no subgroup code
