// Kernel harness: decode attention's merge pass fused with the attn_output activation
// quantization (decodeAttentionPlan quantizeOut; cases in cases-attention-quant.ts), bitwise the
// plain merge followed by activationQuantizePlan.
import { kernelSuite } from './suite.ts';
import { ATTENTION_QUANT_CASES } from './cases-attention-quant.ts';

kernelSuite('decode attention merge+quantize', ATTENTION_QUANT_CASES);
