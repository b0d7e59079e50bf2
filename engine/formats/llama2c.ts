/**
 * llama2.c import: a legacy (v0) llama2.c checkpoint + its tokenizer.bin -> a `llama` GGUF that
 * both our engine and llama.cpp load. Layout of the inputs: ../shared/models/stories260K/README.md.
 *
 * Conversion is straightforward: llama2.c rotates adjacent pairs (2i, 2i+1), which is
 * llama.cpp's convention for `llama`, so no weight permutation is needed. Weights stay F32;
 * the classifier is tied to the embedding (no `output.weight`, llama.cpp falls back to
 * `token_embd.weight`). Tokenizer pieces: llama2.c stores SentencePiece's '▁' as ' ' and BOS/EOS
 * as "\n<s>\n"/"\n</s>\n"; GGUF wants the original pieces, token types and scores.
 *
 * `type` quantizes the 2-D weights (token embedding included; norms stay F32) with our
 * ggml-exact quantizers; a matrix whose rows do not divide into that type's blocks falls back as
 * llama-quantize does (K-quants to Q4_0/Q5_0/Q5_1/Q8_0 when rows are multiples of 32, else F16).
 *
 * Every size is checked against the file sizes first; a bad file is `checkpoint-invalid`.
 */

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { LongreadError } from '../errors.ts';
import { GgmlType, ggmlTypeInfo, ggmlTypeName } from './ggml-types.ts';
import { QUANTIZABLE, quantize } from './quant.ts';
import { GgufValueType, type GgufValue } from './gguf-read.ts';
import { ggufWrite, type GgufTensorSpec } from './gguf-write.ts';

export interface Llama2cConfig {
  dim: number;
  hiddenDim: number;
  nLayers: number;
  nHeads: number;
  nKvHeads: number;
  vocabSize: number;
  seqLen: number;
  sharedClassifier: boolean;
}

function bad(file: string, msg: string): LongreadError {
  return new LongreadError('checkpoint-invalid', `${file}: ${msg}`, 'Pass a llama2.c v0 checkpoint (run.c format) and its tokenizer.bin.', { file });
}

export function parseLlama2cHeader(buf: Uint8Array, file = 'checkpoint'): Llama2cConfig {
  if (buf.length < 28) throw bad(file, 'shorter than the 28-byte header');
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const h = Array.from({ length: 7 }, (_, i) => dv.getInt32(4 * i, true));
  if (h[0] === 0x616b3432) throw bad(file, 'is a llama2.c v1+ export ("ak42"); only the legacy v0 format is supported');
  const [dim, hiddenDim, nLayers, nHeads, nKvHeads, vocab, seqLen] = h as [number, number, number, number, number, number, number];
  const cfg = { dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize: Math.abs(vocab), seqLen, sharedClassifier: vocab > 0 };
  const limits: [string, number, number][] = [
    ['dim', dim, 1 << 16], ['hidden_dim', hiddenDim, 1 << 18], ['n_layers', nLayers, 1024], ['n_heads', nHeads, 1024],
    ['n_kv_heads', nKvHeads, 1024], ['vocab_size', cfg.vocabSize, 1 << 20], ['seq_len', seqLen, 1 << 22],
  ];
  for (const [k, v, max] of limits) if (!(v > 0 && v <= max)) throw bad(file, `header field ${k} = ${v} is out of range`);
  if (dim % nHeads !== 0 || nHeads % nKvHeads !== 0) throw bad(file, `dim ${dim}, n_heads ${nHeads}, n_kv_heads ${nKvHeads} are inconsistent`);
  return cfg;
}

/** Float counts of each weight array, in file order. */
function weightLayout(c: Llama2cConfig): [string, number][] {
  const hs = c.dim / c.nHeads;
  const kv = c.nKvHeads * hs;
  const L = c.nLayers;
  const arrays: [string, number][] = [
    ['token_embedding', c.vocabSize * c.dim],
    ['rms_att', L * c.dim],
    ['wq', L * c.dim * c.dim],
    ['wk', L * kv * c.dim],
    ['wv', L * kv * c.dim],
    ['wo', L * c.dim * c.dim],
    ['rms_ffn', L * c.dim],
    ['w1', L * c.hiddenDim * c.dim],
    ['w2', L * c.dim * c.hiddenDim],
    ['w3', L * c.hiddenDim * c.dim],
    ['rms_final', c.dim],
    ['freq_cis_real', c.seqLen * (hs / 2)],
    ['freq_cis_imag', c.seqLen * (hs / 2)],
  ];
  if (!c.sharedClassifier) arrays.push(['wcls', c.vocabSize * c.dim]);
  return arrays;
}

export interface Llama2cVocab {
  tokens: string[];
  scores: number[];
  types: number[];
}

/** Reads tokenizer.bin: int32 max_token_length, then per token f32 score, i32 len, bytes. */
export function parseLlama2cTokenizer(buf: Uint8Array, vocabSize: number, file = 'tokenizer'): Llama2cVocab {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.length < 4) throw bad(file, 'is empty');
  let p = 4;
  const dec = new TextDecoder('utf-8', { fatal: false });
  const tokens: string[] = [];
  const scores: number[] = [];
  const types: number[] = [];
  for (let i = 0; i < vocabSize; i++) {
    if (p + 8 > buf.length) throw bad(file, `ends after ${i} of ${vocabSize} tokens`);
    const score = dv.getFloat32(p, true);
    const len = dv.getInt32(p + 4, true);
    p += 8;
    if (len < 0 || p + len > buf.length) throw bad(file, `token ${i} has an impossible length ${len}`);
    let text = dec.decode(buf.subarray(p, p + len));
    p += len;
    // Undo llama2.c's export: BOS/EOS were written as "\n<s>\n" / "\n</s>\n", '▁' as ' '.
    let type = 1; // normal
    if (i === 0) type = 2; // unknown
    else if (i === 1 || i === 2) {
      type = 3; // control
      text = i === 1 ? '<s>' : '</s>';
    } else if (/^<0x[0-9A-F]{2}>$/.test(text)) type = 6; // byte
    else text = text.replace(/ /g, '\u2581');
    tokens.push(text);
    scores.push(score);
    types.push(type);
  }
  return { tokens, scores, types };
}

/** llama.cpp's general.file_type (LLAMA_FTYPE_*) for a file whose matrices are mostly `t`. */
const FILE_TYPE: Partial<Record<GgmlType, number>> = {
  [GgmlType.F32]: 0, [GgmlType.F16]: 1, [GgmlType.Q4_0]: 2, [GgmlType.Q4_1]: 3, [GgmlType.Q8_0]: 7, [GgmlType.Q5_0]: 8,
  [GgmlType.Q5_1]: 9, [GgmlType.Q2_K]: 10, [GgmlType.Q3_K]: 11, [GgmlType.Q4_K]: 14, [GgmlType.Q5_K]: 16, [GgmlType.Q6_K]: 18,
  [GgmlType.BF16]: 32,
};
const K_FALLBACK: Partial<Record<GgmlType, GgmlType>> = {
  [GgmlType.Q2_K]: GgmlType.Q4_0, [GgmlType.Q3_K]: GgmlType.Q4_0, [GgmlType.Q4_K]: GgmlType.Q5_0,
  [GgmlType.Q5_K]: GgmlType.Q5_1, [GgmlType.Q6_K]: GgmlType.Q8_0,
};

/** The type a matrix with rows of `ne0` values gets when the file asks for `want`. */
export function matrixType(want: GgmlType, ne0: number): GgmlType {
  if (ne0 % ggmlTypeInfo(want).blockSize === 0) return want;
  const fb = K_FALLBACK[want];
  if (fb !== undefined && ne0 % ggmlTypeInfo(fb).blockSize === 0) return fb;
  return GgmlType.F16;
}

export interface Llama2cImportOptions {
  /** Weight type of the matrices (default F32, i.e. the checkpoint's own values). */
  type?: GgmlType;
}

export async function importLlama2c(
  checkpoint: string, tokenizer: string, out: string, opts: Llama2cImportOptions = {},
): Promise<{ config: Llama2cConfig; tensors: number; types: Record<string, number> }> {
  const want = opts.type ?? GgmlType.F32;
  if (!QUANTIZABLE.includes(want) || FILE_TYPE[want] === undefined) {
    throw new LongreadError('bad-request', `Cannot write llama2.c weights as ${ggmlTypeName(want)}.`, `Choose one of: ${QUANTIZABLE.filter((t) => FILE_TYPE[t] !== undefined).map(ggmlTypeName).join(', ')}.`);
  }
  const [ck, tk] = await Promise.all([fs.readFile(checkpoint), fs.readFile(tokenizer)]).catch((e: Error) => {
    throw new LongreadError('io-error', `Cannot read the llama2.c files: ${e.message}`, 'Check both paths.');
  });
  const cfg = parseLlama2cHeader(ck, checkpoint);
  const layout = weightLayout(cfg);
  const floats = layout.reduce((a, [, n]) => a + n, 0);
  if (28 + 4 * floats !== ck.length) {
    throw bad(checkpoint, `holds ${ck.length} bytes but the header implies ${28 + 4 * floats}`);
  }
  const arrays: Record<string, Float32Array> = {};
  const aligned = new Uint8Array(ck.length - 28);
  aligned.set(ck.subarray(28));
  const all = new Float32Array(aligned.buffer);
  let off = 0;
  for (const [name, n] of layout) {
    arrays[name] = all.subarray(off, off + n);
    off += n;
  }
  const vocab = parseLlama2cTokenizer(tk, cfg.vocabSize, tokenizer);
  const hs = cfg.dim / cfg.nHeads;
  const kv = cfg.nKvHeads * hs;
  const bytes = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const layer = (name: string, l: number, size: number) => arrays[name]!.subarray(l * size, (l + 1) * size);
  /** A tensor spec: 1-D stays F32, matrices get `want` (or its fallback), quantized when written. */
  const spec = (name: string, dims: number[], values: Float32Array): GgufTensorSpec => {
    const type = dims.length === 1 || want === GgmlType.F32 ? GgmlType.F32 : matrixType(want, dims[0]!);
    return { name, dims, type, data: type === GgmlType.F32 ? bytes(values) : () => quantize(type, values) };
  };
  const tensors: GgufTensorSpec[] = [spec('token_embd.weight', [cfg.dim, cfg.vocabSize], arrays.token_embedding!)];
  for (let l = 0; l < cfg.nLayers; l++) {
    const t = (n: string, dims: number[], src: string, size: number) => tensors.push(spec(`blk.${l}.${n}.weight`, dims, layer(src, l, size)));
    t('attn_norm', [cfg.dim], 'rms_att', cfg.dim);
    t('attn_q', [cfg.dim, cfg.dim], 'wq', cfg.dim * cfg.dim);
    t('attn_k', [cfg.dim, kv], 'wk', kv * cfg.dim);
    t('attn_v', [cfg.dim, kv], 'wv', kv * cfg.dim);
    t('attn_output', [cfg.dim, cfg.dim], 'wo', cfg.dim * cfg.dim);
    t('ffn_norm', [cfg.dim], 'rms_ffn', cfg.dim);
    t('ffn_gate', [cfg.dim, cfg.hiddenDim], 'w1', cfg.hiddenDim * cfg.dim);
    t('ffn_down', [cfg.hiddenDim, cfg.dim], 'w2', cfg.dim * cfg.hiddenDim);
    t('ffn_up', [cfg.dim, cfg.hiddenDim], 'w3', cfg.hiddenDim * cfg.dim);
  }
  tensors.push(spec('output_norm.weight', [cfg.dim], arrays.rms_final!));
  if (!cfg.sharedClassifier) tensors.push(spec('output.weight', [cfg.dim, cfg.vocabSize], arrays.wcls!));

  const metadata: Record<string, GgufValue> = {
    'general.architecture': 'llama',
    'general.name': path.basename(checkpoint).replace(/\.bin$/, ''),
    'general.file_type': FILE_TYPE[want]!,
    'llama.context_length': cfg.seqLen,
    'llama.embedding_length': cfg.dim,
    'llama.block_count': cfg.nLayers,
    'llama.feed_forward_length': cfg.hiddenDim,
    'llama.rope.dimension_count': hs,
    'llama.attention.head_count': cfg.nHeads,
    'llama.attention.head_count_kv': cfg.nKvHeads,
    'llama.attention.layer_norm_rms_epsilon': 1e-5,
    'llama.rope.freq_base': 10000,
    'llama.vocab_size': cfg.vocabSize,
    'tokenizer.ggml.model': 'llama',
    'tokenizer.ggml.tokens': vocab.tokens,
    'tokenizer.ggml.scores': vocab.scores,
    'tokenizer.ggml.token_type': vocab.types,
    'tokenizer.ggml.unknown_token_id': 0,
    'tokenizer.ggml.bos_token_id': 1,
    'tokenizer.ggml.eos_token_id': 2,
    'tokenizer.ggml.add_bos_token': true,
    'tokenizer.ggml.add_eos_token': false,
  };
  const types = {
    'llama.attention.layer_norm_rms_epsilon': GgufValueType.FLOAT32,
    'llama.rope.freq_base': GgufValueType.FLOAT32,
    'tokenizer.ggml.scores': { array: GgufValueType.FLOAT32 },
    'tokenizer.ggml.token_type': { array: GgufValueType.INT32 },
  };
  await ggufWrite(out, { metadata, types, tensors });
  const mix: Record<string, number> = {};
  for (const t of tensors) mix[ggmlTypeName(t.type)] = (mix[ggmlTypeName(t.type)] ?? 0) + 1;
  return { config: cfg, tensors: tensors.length, types: mix };
}
