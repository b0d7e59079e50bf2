// Kernel harness: KV append, decode attention (split-K, probabilities tap; subgroup and fallback
// paths), prefill flash attention over the paged cache (subgroup and fallback paths; cases in
// cases-attention.ts).
import { kernelSuite } from './suite.ts';
import { DECODE_CASES, DECODE_STREAM_R_CASES, KV_APPEND_CASES, PREFILL_CASES } from './cases-attention.ts';

kernelSuite('decode attention', DECODE_CASES);
kernelSuite('decode attention stream-r', DECODE_STREAM_R_CASES);
kernelSuite('kv append', KV_APPEND_CASES, { fallback: false }); // no subgroup code
kernelSuite('prefill attention', PREFILL_CASES);
