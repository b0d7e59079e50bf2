// Kernel harness: quantized matvec and matmul for every weight format (cases in cases-matrix.ts).
import { kernelSuite } from './suite.ts';
import { MATMUL_CASES, MATVEC_CASES } from './cases-matrix.ts';

kernelSuite('matrix ops', [...MATVEC_CASES, ...MATMUL_CASES]);
