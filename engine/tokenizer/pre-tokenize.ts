/**
 * BPE pre-tokenizers: split text into words before merging, chosen by `tokenizer.ggml.pre`.
 * Each splitter is a faithful port of llama.cpp's hand-written matcher in src/unicode.cpp
 * (`unicode_regex_split_custom_*`), which is what GGUF models are actually tokenized with; the
 * regex each one implements is quoted above it. Splitters work like llama.cpp's: they refine a
 * list of chunk lengths (in code points), and a chunk boundary is never crossed.
 *
 * Types llama.cpp runs through std::regex use pre-regex.ts with the regexes in pre-regex-data.ts.
 * Extend: add the type's regexes (copied from llama.cpp) to pre-regex-data.ts, or a hand-written
 * matcher to CUSTOM_STEPS, and map its `tokenizer.ggml.pre` names in NAMES (plus its flags).
 */
import {
  asciiLower, cptFlagsTable, CPT_LETTER, CPT_MARK, CPT_NUMBER, CPT_PUNCTUATION, CPT_WHITESPACE,
} from './unicode.ts';
import { PRE_REGEXES } from './pre-regex-data.ts';
import { regexSplitter } from './pre-regex.ts';

/** A pre-tokenizer: its llama.cpp type name, splitting steps, and the flags llama.cpp ties to it. */
export interface PreSpec {
  type: string;
  steps: Splitter[];
  /** A whole word that is a token is taken as is (Llama 3, Tekken, ...). */
  ignoreMerges: boolean;
  /** Default add_bos (the metadata flag still wins). */
  addBos: boolean;
  /** llama.cpp clears the default BOS id for this type (GLM-4). */
  noBos: boolean;
  /** GPT-2 byte-to-unicode aliasing of words (false: raw UTF-8 chars and <0xXX> byte tokens, Gemma 4). */
  byteEncode: boolean;
  /** Spaces become U+2581 before splitting (Gemma 4). */
  escapeSpaces: boolean;
}

/** `tokenizer.ggml.pre` names -> llama.cpp pre-tokenizer type (llama_vocab::impl::load). */
const NAMES: Record<string, string> = {
  default: 'DEFAULT',
  ...Object.fromEntries(['llama3', 'llama-v3', 'llama-bpe', 'falcon3', 'falcon-h1', 'pixtral', 'midm-2.0', 'lfm2', 'jina-v5-nano'].map((n) => [n, 'LLAMA3'])),
  dbrx: 'DBRX', 'smaug-bpe': 'SMAUG', glm4: 'CHATGLM4', 'chatglm-bpe': 'CHATGLM4',
  ...Object.fromEntries(['gpt-2', 'phi-2', 'jina-es', 'jina-de', 'gigachat', 'jina-v2-es', 'jina-v2-de', 'a.x-4.0', 'mellum', 'modern-bert',
    'mpt', 'olmo', 'jais', 'trillion', 'granite-docling', 'exaone4'].map((n) => [n, 'GPT2'])),
  ...Object.fromEntries(['qwen2', 'deepseek-r1-qwen', 'kormo', 'f2llmv2', 'stablelm2', 'hunyuan', 'solar-open', 'grok-2', 'megrez'].map((n) => [n, 'QWEN2'])),
  qwen35: 'QWEN35',
  ...Object.fromEntries(['starcoder', 'refact', 'command-r', 'smollm', 'codeshell', 'exaone', 'minerva-7b', 'mellum2'].map((n) => [n, 'STARCODER'])),
  falcon: 'FALCON', 'deepseek-llm': 'DEEPSEEK_LLM', 'deepseek-coder': 'DEEPSEEK_CODER',
  ...Object.fromEntries(['deepseek-v3', 'hunyuan-dense', 'hy_v4', 'joyai-llm'].map((n) => [n, 'DEEPSEEK3_LLM'])),
  tekken: 'TEKKEN',
  ...Object.fromEntries(['gpt-4o', 'llama4', 'kanana2', 'talkie', 'minimax-m2'].map((n) => [n, 'GPT4O'])),
  bloom: 'BLOOM', 'poro-chat': 'BLOOM', 'gpt3-finnish': 'BLOOM', viking: 'VIKING', 'seed-coder': 'SEED_CODER',
  bailingmoe: 'BAILINGMOE', bailingmoe2: 'BAILINGMOE', 'llada-moe': 'BAILINGMOE', ufakzeka: 'UFAKZEKA', 'exaone-moe': 'EXAONE_MOE',
  gemma4: 'GEMMA4', 'granite-embed-multi-311m': 'GEMMA4',
  minicpm5: 'MINICPM5', youtu: 'YOUTU', spark2_5: 'SPARK2_5', 'granite-embed-multi-97m': 'GRANITE_EMB_MULTI', chameleon: 'CHAMELEON',
};
const IGNORE_MERGES = new Set(['LLAMA3', 'TEKKEN', 'MINICPM5', 'YOUTU', 'GRANITE_EMB_MULTI']);
const ADD_BOS = new Set(['LLAMA3', 'TEKKEN', 'CHAMELEON', 'GEMMA4']);

/** The pre-tokenizer for a `tokenizer.ggml.pre` value (missing = llama.cpp's default); null if unknown. */
export function preSpec(pre: string | undefined): PreSpec | null {
  const type = pre === undefined || pre === '' ? 'DEFAULT' : NAMES[pre];
  if (type === undefined) return null;
  const exprs = CUSTOM_STEPS[type] ?? PRE_REGEXES[type];
  if (exprs === undefined) return null;
  const steps = exprs.map((e) => (typeof e === 'string' ? CUSTOM_BY_REGEX[e] ?? regexSplitter(e) : e));
  const gemma = type === 'GEMMA4';
  return { type, steps, ignoreMerges: IGNORE_MERGES.has(type), addBos: ADD_BOS.has(type), noBos: type === 'CHATGLM4', byteEncode: !gemma, escapeSpaces: gemma };
}

type Splitter = (cps: Uint32Array, spans: number[]) => number[];

/** GPT-2: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ */
export const splitGpt2: Splitter = (cps, spans) => {
  const F = cptFlagsTable();
  const out: number[] = [];
  let start = 0;
  for (const len of spans) {
    const end = start + len;
    for (let pos = start; pos < end; ) {
      const next = gpt2Word(cps, F, pos, end);
      out.push(next - pos);
      pos = next;
    }
    start = end;
  }
  return out;
};

/** End of the GPT-2 word starting at pos; code points at or past `end` read as out of range. */
function gpt2Word(cps: Uint32Array, F: Uint16Array, pos: number, end: number): number {
  const c = cps[pos]!;
  if (c === 0x27 && pos + 1 < end) {
    const n1 = cps[pos + 1]!;
    if (n1 === 0x73 || n1 === 0x74 || n1 === 0x6d || n1 === 0x64) return pos + 2;
    if (pos + 2 < end) {
      const n2 = cps[pos + 2]!;
      if ((n1 === 0x72 && n2 === 0x65) || (n1 === 0x76 && n2 === 0x65) || (n1 === 0x6c && n2 === 0x6c)) return pos + 3;
    }
  }
  let p = pos;
  let f2 = c === 0x20 ? (p + 1 < end ? F[cps[p + 1]!]! : 0) : F[c]!;
  if (f2 & CPT_LETTER) {
    if (c === 0x20) p++;
    while (f2 & CPT_LETTER) { p++; f2 = p < end ? F[cps[p]!]! : 0; }
    return p;
  }
  if (f2 & CPT_NUMBER) {
    if (c === 0x20) p++;
    while (f2 & CPT_NUMBER) { p++; f2 = p < end ? F[cps[p]!]! : 0; }
    return p;
  }
  if (!(f2 & (CPT_WHITESPACE | CPT_LETTER | CPT_NUMBER)) && f2) {
    if (c === 0x20) p++;
    while (!(f2 & (CPT_WHITESPACE | CPT_LETTER | CPT_NUMBER)) && f2) { p++; f2 = p < end ? F[cps[p]!]! : 0; }
    return p;
  }
  let q = pos;
  while (q < end && F[cps[q]!]! & CPT_WHITESPACE) q++;
  const nws = q - pos;
  if (nws > 1 && q < end) return q - 1;
  if (nws > 0) return q;
  return pos + 1;
}

/**
 * Llama 3 (digits: \p{N}{1,3}) and Qwen2 (digits: \p{N}):
 * (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 */
function splitLlama3Like(maxDigits: number, letters = CPT_LETTER): Splitter {
  return (cps, spans) => {
    const F = cptFlagsTable();
    const out: number[] = [];
    let start = 0;
    for (const len of spans) {
      const end = start + len;
      for (let pos = start; pos < end; ) {
        const next = llama3Word(cps, F, pos, end, maxDigits, letters);
        out.push(next - pos);
        pos = next;
      }
      start = end;
    }
    return out;
  };
}

/** `L` is the letter class: \\p{L}, or [\\p{L}\\p{M}] for Qwen3.5. */
function llama3Word(cps: Uint32Array, F: Uint16Array, pos: number, end: number, maxDigits: number, L: number): number {
  const c = cps[pos]!;
  const f = F[c]!;
  if (c === 0x27 && pos + 1 < end) {
    const n1 = asciiLower(cps[pos + 1]!);
    if (n1 === 0x73 || n1 === 0x74 || n1 === 0x6d || n1 === 0x64) return pos + 2;
    if (pos + 2 < end) {
      const n2 = asciiLower(cps[pos + 2]!);
      if ((n1 === 0x72 && n2 === 0x65) || (n1 === 0x76 && n2 === 0x65) || (n1 === 0x6c && n2 === 0x6c)) return pos + 3;
    }
  }
  let p = pos;
  if (!(c === 0x0d || c === 0x0a || f & CPT_NUMBER)) {
    if (f & L || (p + 1 < end && F[cps[p + 1]!]! & L)) {
      p++;
      while (p < end && F[cps[p]!]! & L) p++;
      return p;
    }
  }
  if (f & CPT_NUMBER) {
    // llama.cpp emits all groups of maxDigits in one step; one group per call is the same split.
    while (p < end && F[cps[p]!]! & CPT_NUMBER && p - pos < maxDigits) p++;
    return p;
  }
  let f2 = c === 0x20 ? (p + 1 < end ? F[cps[p + 1]!]! : 0) : f;
  if (!(f2 & (CPT_WHITESPACE | L | CPT_NUMBER)) && f) {
    if (c === 0x20) p++;
    while (!(f2 & (CPT_WHITESPACE | L | CPT_NUMBER)) && f2) { p++; f2 = p < end ? F[cps[p]!]! : 0; }
    while (p < end && (cps[p] === 0x0d || cps[p] === 0x0a)) p++;
    return p;
  }
  let q = pos;
  let lastRN = 0;
  while (q < end && F[cps[q]!]! & CPT_WHITESPACE) {
    const c2 = cps[q]!;
    if (c2 === 0x0d || c2 === 0x0a) lastRN = q + 1;
    q++;
  }
  if (lastRN > 0) return lastRN;
  const nws = q - pos;
  if (nws > 1 && q < end) return q - 1;
  if (nws > 0) return q;
  return pos + 1;
}

export const splitLlama3 = splitLlama3Like(3);
export const splitQwen2 = splitLlama3Like(1);
/** Qwen3.5: as Qwen2 with combining marks joining letter runs: [^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+ and ?[^\s\p{L}\p{M}\p{N}]+[\r\n]* */
export const splitQwen35 = splitLlama3Like(1, CPT_LETTER | CPT_MARK);

/**
 * Splits every chunk at the runs matched by `match` (llama.cpp's std::regex fallback keeps the
 * matches and the gaps between them as separate chunks).
 */
function splitRuns(isMember: (cp: number) => boolean, maxRun = Infinity, exactRun = false): Splitter {
  return (cps, spans) => {
    const out: number[] = [];
    let start = 0;
    for (const len of spans) {
      const end = start + len;
      let gap = start;
      for (let p = start; p < end; ) {
        if (!isMember(cps[p]!)) { p++; continue; }
        let q = p;
        while (q < end && q - p < maxRun && isMember(cps[q]!)) q++;
        if (exactRun && q - p < maxRun) { p = q; continue; }
        if (p > gap) out.push(p - gap);
        out.push(q - p);
        gap = p = q;
      }
      if (end > gap) out.push(end - gap);
      start = end;
    }
    return out;
  };
}

/** ASCII members of llama.cpp's collapsed `[\p{P}\$\+<=>\^~\|]` class: all ASCII punctuation and symbols but '`'. */
const isDefaultPunct = (cp: number): boolean => {
  if (cp < 128) return cp !== 0x60 && ((cp >= 0x21 && cp <= 0x2f) || (cp >= 0x3a && cp <= 0x40) || (cp >= 0x5b && cp <= 0x5e) || cp === 0x5f || (cp >= 0x7b && cp <= 0x7e));
  const f = cptFlagsTable()[cp]!;
  return !(f & CPT_WHITESPACE) && (f & 0xff) === CPT_PUNCTUATION;
};
const isNumberCat = (cp: number): boolean => (cp < 128 ? cp >= 0x30 && cp <= 0x39 : !(cptFlagsTable()[cp]! & CPT_WHITESPACE) && (cptFlagsTable()[cp]! & 0xff) === CPT_NUMBER);
const isAsciiDigit = (cp: number): boolean => cp >= 0x30 && cp <= 0x39;

const GPT2_RE = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
const LLAMA3_RE = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const QWEN2_RE = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
/** Regexes llama.cpp recognises by their exact text and runs through a hand-written matcher. */
const CUSTOM_BY_REGEX: Record<string, Splitter> = { [GPT2_RE]: splitGpt2, [LLAMA3_RE]: splitLlama3, [QWEN2_RE]: splitQwen2 };

/**
 * Types whose regexes all have a hand-written matcher. DEFAULT (missing or "default"
 * `tokenizer.ggml.pre`) is four regexes applied in turn: [\p{P}\$\+<=>\^~\|]+, the GPT-2
 * regex, \p{N}+, [0-9][0-9][0-9]; the first, third and fourth run through llama.cpp's
 * collapsed std::regex path, ported here as run splitters.
 */
const CUSTOM_STEPS: Record<string, (Splitter | string)[]> = {
  DEFAULT: [splitRuns(isDefaultPunct), splitGpt2, splitRuns(isNumberCat), splitRuns(isAsciiDigit, 3, true)],
  GPT2: [splitGpt2],
  LLAMA3: [splitLlama3], DBRX: [splitLlama3], SMAUG: [splitLlama3], CHATGLM4: [splitLlama3],
  QWEN2: [splitQwen2],
  QWEN35: [splitQwen35],
  GEMMA4: [splitNewlines],
};

/** [^\n]+|[\n]+ : runs of newlines and runs of everything else (llama.cpp's custom_newlines). */
function splitNewlines(cps: Uint32Array, spans: number[]): number[] {
  const out: number[] = [];
  let start = 0;
  for (const len of spans) {
    const end = start + len;
    for (let p = start; p < end; ) {
      const nl = cps[p] === 0x0a;
      let q = p + 1;
      while (q < end && (cps[q] === 0x0a) === nl) q++;
      out.push(q - p);
      p = q;
    }
    start = end;
  }
  return out;
}

/** Word lengths (in code points) covering cps[0..n). */
export function preTokenize(spec: PreSpec, cps: Uint32Array, n: number): number[] {
  let spans = n > 0 ? [n] : [];
  for (const step of spec.steps) spans = step(cps, spans);
  return spans;
}
