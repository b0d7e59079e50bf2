// Kernel harness: act-quant.wgsl's fused inputs (cases in cases-fused-quant.ts): RMSNorm +
// quantize and SwiGLU + quantize in one dispatch, bitwise the separate plans' and checked
// against the CPU reference.
import { kernelSuite } from './suite.ts';
import { FUSED_QUANT_CASES } from './cases-fused-quant.ts';

kernelSuite('fused quantize inputs', FUSED_QUANT_CASES);
