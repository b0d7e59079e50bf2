/**
 * The vocabulary of a GGUF model, read from its `tokenizer.*` metadata exactly as llama.cpp's
 * llama_vocab::impl::load does: token texts, scores, token types -> attributes, BPE merge ranks,
 * special ids with llama.cpp's defaults and range checks, the add-BOS/EOS/space-prefix flags, the
 * end-of-generation set (including the by-text detection of <|im_end|>, <|eot_id|>, ...), and
 * the special-token cache used to split text at special tokens.
 *
 * Every malformed field is a `tokenizer-invalid` LongreadError naming the key. Extend: read the
 * new key in `vocabFromMetadata` and add a field to `Vocab`.
 */
import { LongreadError } from '../errors.ts';
import { preSpec, type PreSpec } from './pre-tokenize.ts';
import { utf8Length } from './unicode.ts';

/** Metadata values as the GGUF reader returns them (arrays may also be typed arrays). */
export type MetaValue = string | number | bigint | boolean | readonly MetaValue[] | ArrayLike<number>;
export type Metadata = Record<string, MetaValue | unknown>;

/** llama.cpp llama_token_attr bits. */
export const ATTR_UNDEFINED = 0;
export const ATTR_UNKNOWN = 1 << 0;
export const ATTR_UNUSED = 1 << 1;
export const ATTR_NORMAL = 1 << 2;
export const ATTR_CONTROL = 1 << 3;
export const ATTR_USER_DEFINED = 1 << 4;
export const ATTR_BYTE = 1 << 5;

/** GGUF token_type values (1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte). */
const TYPE_TO_ATTR = [ATTR_UNDEFINED, ATTR_NORMAL, ATTR_UNKNOWN, ATTR_CONTROL, ATTR_USER_DEFINED, ATTR_UNUSED, ATTR_BYTE];

export type VocabModel = 'llama' | 'gpt2';

export interface Vocab {
  model: VocabModel;
  /** Pre-tokenizer (gpt2 model only). */
  pre: PreSpec;
  preName: string;
  tokens: string[];
  scores: Float64Array;
  attrs: Uint16Array;
  tokenToId: Map<string, number>;
  /** `tokenizer.ggml.merges` in rank order ("left right"; gpt2 model only). */
  merges: string[];
  bosId: number;
  eosId: number;
  eotId: number;
  eomId: number;
  unkId: number;
  padId: number;
  sepId: number;
  eogIds: Set<number>;
  addBos: boolean;
  addEos: boolean;
  addSpacePrefix: boolean;
  ignoreMerges: boolean;
  /** Token ids split out of raw text before tokenizing, longest text first (bytes). */
  specialCache: number[];
  chatTemplate: string | null;
}

function invalid(field: string, message: string, details?: Record<string, unknown>): LongreadError {
  return new LongreadError('tokenizer-invalid', `Tokenizer metadata ${field}: ${message}`,
    'The model file has a broken vocabulary; re-download or re-convert it with a current llama.cpp converter.',
    { field, ...details });
}

function isArrayLike(v: unknown): v is ArrayLike<unknown> {
  return Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));
}

function readStrings(meta: Metadata, key: string, required: boolean): string[] | null {
  const v = meta[key];
  if (v === undefined) {
    if (required) throw invalid(key, 'missing');
    return null;
  }
  if (!Array.isArray(v)) throw invalid(key, 'expected an array of strings');
  for (let i = 0; i < v.length; i++) if (typeof v[i] !== 'string') throw invalid(key, `element ${i} is not a string`, { index: i });
  return v as string[];
}

function readNumbers(meta: Metadata, key: string, minLen: number): ArrayLike<number> | null {
  const v = meta[key];
  if (v === undefined) return null;
  if (!isArrayLike(v)) throw invalid(key, 'expected a numeric array');
  if (v.length < minLen) throw invalid(key, `has ${v.length} entries, fewer than the ${minLen} tokens`, { count: v.length, tokens: minLen });
  const arr = v as ArrayLike<unknown>;
  for (let i = 0; i < arr.length; i++) if (typeof arr[i] !== 'number') throw invalid(key, `element ${i} is not a number`, { index: i });
  return v as ArrayLike<number>;
}

function readInt(meta: Metadata, key: string): number | undefined {
  const v = meta[key];
  if (v === undefined) return undefined;
  if (typeof v === 'bigint') return v > BigInt(Number.MAX_SAFE_INTEGER) || v < 0n ? -1 : Number(v);
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  throw invalid(key, 'expected an integer');
}

function readBool(meta: Metadata, key: string): boolean | undefined {
  const v = meta[key];
  if (v === undefined) return undefined;
  if (typeof v === 'boolean') return v;
  throw invalid(key, 'expected a boolean');
}

/** Texts llama.cpp treats as end-of-generation (llama-vocab.cpp, "maintain a list of tokens that cause end-of-generation"). */
const EOG_TEXTS = new Set([
  '<|eot_id|>', '<|im_end|>', '<|end|>', '<|return|>', '<|call|>', '<|flush|>', '<|calls|>', '<end_of_turn>',
  '<|endoftext|>', '</s>', '<|eom_id|>', '<EOT>', '_<EOT>', '[EOT]', '[EOS]', '<|end_of_text|>', '<end_of_utterance>',
  '<eos>', '<turn|>', '<|tool_response>', '<｜end▁of▁sentence｜>', '[e~[',
]);
/** Auto-detected EOT candidates, in our (deterministic) preference order. */
const EOT_TEXTS = ['<|eot_id|>', '<|im_end|>', '<|end|>', '<end_of_turn>', '<|endoftext|>', '<|end_of_text|>', '<EOT>', '_<EOT>', '[EOT]', '<｜end▁of▁sentence｜>', '<end_of_utterance>'];
/** FIM markers llama.cpp detects by text when the metadata has no id (pad/rep/sep are also EOG). */
const FIM_TEXTS: Record<string, readonly string[]> = {
  pre: ['<|fim_prefix|>', '<fim-prefix>', '<fim_prefix>', '<｜fim▁begin｜>', '<PRE>', '▁<PRE>', '<|code_prefix|>', '<|prefix|>'],
  suf: ['<|fim_suffix|>', '<fim-suffix>', '<fim_suffix>', '<｜fim▁hole｜>', '<SUF>', '▁<SUF>', '<|code_suffix|>', '<|suffix|>'],
  mid: ['<|fim_middle|>', '<fim-middle>', '<fim_middle>', '<｜fim▁end｜>', '<MID>', '▁<MID>', '<|code_middle|>', '<|middle|>'],
  pad: ['<|fim_pad|>', '<fim-pad>', '<fim_pad>', '<PAD>', '[PAD]'],
  rep: ['<|fim_repo|>', '<|repo_name|>', '<fim-repo>', '<REPO>', '<reponame>'],
  sep: ['<|file_sep|>'],
};

export function vocabFromMetadata(meta: Metadata): Vocab {
  const modelRaw = meta['tokenizer.ggml.model'];
  if (typeof modelRaw !== 'string') throw invalid('tokenizer.ggml.model', 'missing or not a string');
  if (modelRaw !== 'llama' && modelRaw !== 'gpt2' && modelRaw !== 'gemma4') {
    throw new LongreadError('tokenizer-invalid', `Tokenizer model "${modelRaw}" (tokenizer.ggml.model) is not supported.`,
      'Longread reads SentencePiece ("llama") and BPE ("gpt2", "gemma4") vocabularies; use a model with one of those.',
      { field: 'tokenizer.ggml.model', value: modelRaw });
  }
  // gemma4 is llama.cpp's BPE on raw UTF-8 with the "gemma4" pre-tokenizer forced.
  const model: VocabModel = modelRaw === 'llama' ? 'llama' : 'gpt2';
  const isGemma4 = modelRaw === 'gemma4';
  const preRaw = meta['tokenizer.ggml.pre'];
  const preName = typeof preRaw === 'string' ? preRaw : '';
  let pre = preSpec(undefined)!;
  let ignoreMerges = false;
  let noBos = false;
  let addBos: boolean;
  let addEos = false;
  let addSpacePrefix = false;
  if (model === 'gpt2') {
    const k = preSpec(isGemma4 ? 'gemma4' : typeof preRaw === 'string' ? preRaw : undefined);
    if (k === null) {
      throw new LongreadError('tokenizer-invalid', `Pre-tokenizer "${preName}" (tokenizer.ggml.pre) is not supported.`,
        'Longread supports the common pre-tokenizers (llama-bpe, qwen2, qwen35, gpt-2, deepseek, tekken, gpt-4o, ...); report the model so this one can be added.',
        { field: 'tokenizer.ggml.pre', value: preName });
    }
    pre = k;
    ignoreMerges = k.ignoreMerges;
    addBos = k.addBos;
    noBos = k.noBos;
  } else {
    addSpacePrefix = true;
    addBos = true;
  }
  addSpacePrefix = readBool(meta, 'tokenizer.ggml.add_space_prefix') ?? addSpacePrefix;

  const tokens = readStrings(meta, 'tokenizer.ggml.tokens', true)!.slice();
  const n = tokens.length;
  if (n === 0) throw invalid('tokenizer.ggml.tokens', 'is empty');
  const scoresIn = readNumbers(meta, 'tokenizer.ggml.scores', n);
  const typesIn = readNumbers(meta, 'tokenizer.ggml.token_type', n);
  const scores = new Float64Array(n);
  const attrs = new Uint16Array(n);
  const tokenToId = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    if (tokens[i] === '') tokens[i] = `[EMPTY_${i}]`;
    const t = tokens[i]!;
    if (tokenToId.has(t)) throw invalid('tokenizer.ggml.tokens', `token ${i} duplicates token ${tokenToId.get(t)} (${JSON.stringify(t)})`, { index: i });
    tokenToId.set(t, i);
    if (scoresIn) scores[i] = scoresIn[i]!;
    attrs[i] = typesIn ? (TYPE_TO_ATTR[typesIn[i]!] ?? ATTR_UNDEFINED) : ATTR_NORMAL;
  }

  const merges = model === 'gpt2' ? readStrings(meta, 'tokenizer.ggml.merges', true)! : [];

  // Special ids: llama.cpp defaults, disabled when out of range, overridden by valid metadata.
  const def = (id: number): number => (id >= 0 && id < n ? id : -1);
  const ids = model === 'llama'
    ? { bos: def(1), eos: def(2), unk: def(0) }
    : isGemma4 ? { bos: -1, eos: -1, unk: -1 } : { bos: noBos ? -1 : def(11), eos: def(11), unk: -1 };
  const special = (key: string, fallback: number): number => {
    const v = readInt(meta, `tokenizer.ggml.${key}`);
    return v !== undefined && v >= 0 && v < n ? v : fallback;
  };
  const bosId = special('bos_token_id', ids.bos);
  const eosId = special('eos_token_id', ids.eos);
  let eotId = special('eot_token_id', -1);
  let eomId = special('eom_token_id', -1);
  const unkId = special('unknown_token_id', ids.unk);
  const sepId = special('seperator_token_id', -1);
  const padId = special('padding_token_id', -1);
  const fimIds: Record<string, number> = {};
  for (const k of ['pre', 'suf', 'mid', 'pad', 'rep', 'sep']) fimIds[k] = special(`fim_${k}_token_id`, -1);
  addBos = readBool(meta, 'tokenizer.ggml.add_bos_token') ?? addBos;
  addEos = readBool(meta, 'tokenizer.ggml.add_eos_token') ?? addEos;
  if (pre.type === 'GEMMA4') addBos = true; // llama.cpp's Gemma 4 workaround

  // By-text detection; llama.cpp marks each detected token CONTROL.
  const markControl = (id: number): void => { attrs[id]! |= ATTR_CONTROL; };
  const detect = (current: number, texts: readonly string[]): number => {
    if (current >= 0) return current;
    for (const t of texts) {
      const id = tokenToId.get(t);
      if (id !== undefined) { markControl(id); return id; }
    }
    return -1;
  };
  eotId = detect(eotId, EOT_TEXTS);
  eomId = detect(eomId, ['<|eom_id|>']);
  for (const [k, texts] of Object.entries(FIM_TEXTS)) fimIds[k] = detect(fimIds[k]!, texts);
  const eogIds = new Set<number>();
  for (const k of ['pad', 'rep', 'sep']) if (fimIds[k]! >= 0) eogIds.add(fimIds[k]!);
  for (const t of EOG_TEXTS) {
    const id = tokenToId.get(t);
    if (id !== undefined) { eogIds.add(id); markControl(id); }
  }
  for (const t of ['<|channel|>', '<|message|>', '<|start|>', '<|constrain|>']) {
    const id = tokenToId.get(t);
    if (id !== undefined) attrs[id] = ATTR_USER_DEFINED;
  }
  for (const id of [eosId, eotId, eomId]) if (id >= 0) eogIds.add(id);
  const eogText = (t: string): number => { for (const id of eogIds) if (tokens[id] === t) return id; return -1; };
  const endId = eogText('<|end|>');
  const hasCall = eogText('<|call|>') >= 0 || eogText('<|calls|>') >= 0;
  if (endId >= 0 && hasCall && (eogText('<|return|>') >= 0 || eogText('<|flush|>') >= 0)) {
    eogIds.delete(endId);
    attrs[endId] = ATTR_USER_DEFINED;
  }
  const sId = eogText('</s>');
  if (sId >= 0 && eogText('<|tool_response>') >= 0) { eogIds.delete(sId); attrs[sId] = ATTR_NORMAL; }

  // Special-token cache: control, user-defined and unknown tokens, longest (in bytes) first.
  const specialCache: number[] = [];
  for (let i = 0; i < n; i++) if (attrs[i]! & (ATTR_CONTROL | ATTR_USER_DEFINED | ATTR_UNKNOWN)) specialCache.push(i);
  const blen = new Map(specialCache.map((id) => [id, utf8Length(tokens[id]!)]));
  specialCache.sort((a, b) => blen.get(b)! - blen.get(a)! || a - b);

  const tmpl = meta['tokenizer.chat_template'];
  return {
    model, pre, preName, tokens, scores, attrs, tokenToId, merges,
    bosId, eosId, eotId, eomId, unkId, padId, sepId, eogIds,
    addBos, addEos, addSpacePrefix, ignoreMerges, specialCache,
    chatTemplate: typeof tmpl === 'string' ? tmpl : null,
  };
}
