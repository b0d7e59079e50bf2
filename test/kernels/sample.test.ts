// Kernel harness: argmax and GPU sampling (cases in cases-sample.ts).
import { kernelSuite } from './suite.ts';
import { SAMPLE_CASES } from './cases-sample.ts';

kernelSuite('token selection', SAMPLE_CASES);
