// Kernel harness: embedding row lookup over every GGUF weight format (cases in cases-embedding.ts).
import { kernelSuite } from './suite.ts';
import { EMBEDDING_CASES } from './cases-embedding.ts';

kernelSuite('embedding', EMBEDDING_CASES, { fallback: false }); // no subgroup code in embedding.wgsl
