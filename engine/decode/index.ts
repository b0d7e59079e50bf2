/**
 * The runtime API the service layer and the CLI call (one import):
 *
 *   modelInspect(path): Promise<ModelInfo>
 *   modelLoad(gpu, path, { contextLength?, onProgress?(done, total), signal? }): Promise<LoadedModel>
 *     LoadedModel { info, tokenizer, chatTemplate, dispose(), ... }
 *   sessionCreate(model): Session { generate(req): Promise<{ tokens, text, stats, attention? }>, reset() }
 *
 * Errors: `context-too-large` (requested context beyond the model's or the GPU's binding limit,
 * or a prompt longer than the loaded context), `model-too-large` (weights out of GPU memory),
 * `gguf-invalid` / `model-unsupported` (file problems), all LongreadErrors with a hint.
 */
export { modelInspect, modelLoad, DEFAULT_CONTEXT, type LoadedModel, type ModelLoadOptions } from '../models/index.ts';
export { sessionCreate, type GenerateRequest, type GenerateResult, type Session } from './session.ts';
export type { AttentionBinned, AttentionSums, TapRequest } from '../telemetry/attention-tap.ts';
