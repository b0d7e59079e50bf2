// Kernel harness: attention binning of the telemetry tap (cases in cases-telemetry.ts).
import { kernelSuite } from './suite.ts';
import { TELEMETRY_CASES } from './cases-telemetry.ts';

kernelSuite('telemetry ops', TELEMETRY_CASES);
