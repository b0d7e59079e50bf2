// Kernel harness: RMSNorm, fused residual RMSNorm, q/k norm (cases in cases-norm.ts).
import { kernelSuite } from './suite.ts';
import { NORM_CASES } from './cases-norm.ts';

kernelSuite('norm ops', NORM_CASES);
