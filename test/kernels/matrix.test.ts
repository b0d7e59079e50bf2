// Kernel harness: activation quantization, quantized matvec and matmul for every weight format
// (cases in cases-matrix.ts).
import { kernelSuite } from './suite.ts';
import { ACT_QUANT_CASES, MATMUL_CASES, MATVEC_CASES } from './cases-matrix.ts';

kernelSuite('matrix ops', [...ACT_QUANT_CASES, ...MATVEC_CASES, ...MATMUL_CASES]);
