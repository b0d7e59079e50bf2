// Kernel harness: fused decode kernels (cases in cases-fused.ts): the matvec with in-kernel
// activation quantization, RMSNorm prologue and bias / residual / SwiGLU epilogues, and RoPE
// (+ q/k norm) + KV append in one dispatch.
import { kernelSuite } from './suite.ts';
import { FUSED_MATVEC_CASES, ROPE_KV_CASES } from './cases-fused.ts';

kernelSuite('fused decode ops', [...FUSED_MATVEC_CASES, ...ROPE_KV_CASES]);
