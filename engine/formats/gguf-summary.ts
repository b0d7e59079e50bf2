/**
 * A GGUF file's facts for people and for the app: architecture, parameter count, tensor type mix,
 * context length, tokenizer model and pre-tokenizer, special tokens, chat template presence.
 * Used by `longread info` and the service's model inspection.
 */
import { ggmlTypeName } from './ggml-types.ts';
import { metaArray, metaBool, metaNumber, metaString, type GgufFile } from './gguf-read.ts';

export interface GgufSummary {
  file: string | null;
  fileBytes: number;
  ggufVersion: number;
  architecture: string | null;
  name: string | null;
  parameterCount: number;
  tensorCount: number;
  typeMix: Record<string, number>;
  /** The type holding most parameters (what users call the quantization). */
  dominantType: string;
  contextLength: number | null;
  embeddingLength: number | null;
  blockCount: number | null;
  headCount: number | null;
  headCountKv: number | null;
  tokenizer: { model: string | null; pre: string | null; vocabSize: number; addBos: boolean | null; addEos: boolean | null };
  specialTokens: Record<string, { id: number; text: string | null }>;
  chatTemplate: boolean;
}

const SPECIAL_KEYS = ['bos', 'eos', 'eot', 'eom', 'unknown', 'padding', 'sep', 'cls', 'mask'];

export function ggufSummary(f: GgufFile): GgufSummary {
  const arch = metaString(f, 'general.architecture') ?? null;
  const a = (k: string) => (arch ? metaNumber(f, `${arch}.${k}`) ?? null : null);
  const typeMix: Record<string, number> = {};
  const paramsByType: Record<string, number> = {};
  let params = 0;
  for (const t of f.tensors) {
    const n = ggmlTypeName(t.type);
    typeMix[n] = (typeMix[n] ?? 0) + 1;
    paramsByType[n] = (paramsByType[n] ?? 0) + t.nElements;
    params += t.nElements;
  }
  const dominantType = Object.entries(paramsByType).sort((x, y) => y[1] - x[1])[0]?.[0] ?? 'none';
  const tokens = metaArray(f, 'tokenizer.ggml.tokens');
  const specialTokens: GgufSummary['specialTokens'] = {};
  for (const k of SPECIAL_KEYS) {
    const id = metaNumber(f, `tokenizer.ggml.${k}_token_id`);
    if (id !== undefined) specialTokens[k] = { id, text: typeof tokens?.[id] === 'string' ? (tokens[id] as string) : null };
  }
  return {
    file: f.path ?? null,
    fileBytes: f.fileSize,
    ggufVersion: f.version,
    architecture: arch,
    name: metaString(f, 'general.name') ?? null,
    parameterCount: params,
    tensorCount: f.tensors.length,
    typeMix,
    dominantType,
    contextLength: a('context_length'),
    embeddingLength: a('embedding_length'),
    blockCount: a('block_count'),
    headCount: a('attention.head_count'),
    headCountKv: a('attention.head_count_kv'),
    tokenizer: {
      model: metaString(f, 'tokenizer.ggml.model') ?? null,
      pre: metaString(f, 'tokenizer.ggml.pre') ?? null,
      vocabSize: tokens?.length ?? 0,
      addBos: metaBool(f, 'tokenizer.ggml.add_bos_token') ?? null,
      addEos: metaBool(f, 'tokenizer.ggml.add_eos_token') ?? null,
    },
    specialTokens,
    chatTemplate: typeof f.metadata['tokenizer.chat_template'] === 'string',
  };
}
