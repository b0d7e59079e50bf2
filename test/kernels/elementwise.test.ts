// Kernel harness: SwiGLU, bias add, residual add, softmax (cases in cases-elementwise.ts).
import { kernelSuite } from './suite.ts';
import { ELEMENTWISE_CASES } from './cases-elementwise.ts';

kernelSuite('element-wise ops', ELEMENTWISE_CASES);
