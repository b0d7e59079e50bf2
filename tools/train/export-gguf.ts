/**
 * Converts the training run's export (config.json + f16 weight shards + HF tokenizer.json, as
 * written by tools/train/train.py into $OUT) into a standard `llama` GGUF with our GGUF writer:
 * byte-level BPE vocabulary (`tokenizer.ggml.model = gpt2`, `pre = qwen2`, the exact pattern the
 * tokenizer was trained with), ChatML chat template, tied output (no output.weight: llama.cpp and
 * our engine use token_embd). 2-D weights are quantized (Q8_0 by default), norms stay F32.
 *
 *   node --import tsx tools/train/export-gguf.ts --in DIR --out assets/models/longread-lr28m.gguf [--type q8_0|f16]
 *
 * It also copies DIR/train-log.txt (train.py's log) next to the GGUF as <name>.train.txt, so the
 * log is committed with the model.
 *
 * Extend: new hyper-parameters go into train.py's Config, config.json and the metadata below.
 */
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { GgmlType } from '../../engine/formats/ggml-types.ts';
import { ggufWrite, type GgufTensorSpec } from '../../engine/formats/gguf-write.ts';
import { GgufValueType } from '../../engine/formats/gguf-read.ts';
import { f16ToF32, quantize } from '../../engine/formats/quant.ts';

export const CHATML_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

interface ExportConfig {
  config: { vocab: number; dim: number; n_layers: number; n_heads: number; n_kv_heads: number; ffn: number; rope_base: number; norm_eps: number };
  dtype: 'f16';
  tensors: { name: string; shape: number[]; shard: number; offset: number; bytes: number }[];
}

interface HfTokenizer {
  model: { type: string; vocab: Record<string, number>; merges: (string | [string, string])[] };
  added_tokens: { id: number; content: string; special: boolean }[];
}

export function tokenizerMetadata(tok: HfTokenizer): Record<string, string | number | boolean | string[] | number[]> {
  if (tok.model.type !== 'BPE') throw new Error(`tokenizer.json model ${tok.model.type}, expected BPE`);
  const n = Math.max(...Object.values(tok.model.vocab), ...tok.added_tokens.map((t) => t.id)) + 1;
  const tokens: string[] = new Array(n);
  const types: number[] = new Array(n).fill(1);
  for (const [s, id] of Object.entries(tok.model.vocab)) tokens[id] = s;
  for (const t of tok.added_tokens) {
    tokens[t.id] = t.content;
    types[t.id] = t.special ? 3 : 4;
  }
  for (let i = 0; i < n; i++) if (tokens[i] === undefined) throw new Error(`tokenizer.json has no token ${i}`);
  const merges = tok.model.merges.map((m) => (Array.isArray(m) ? m.join(' ') : m));
  const id = (s: string) => {
    const t = tok.added_tokens.find((x) => x.content === s);
    if (!t) throw new Error(`tokenizer.json lacks ${s}`);
    return t.id;
  };
  return {
    'tokenizer.ggml.model': 'gpt2',
    'tokenizer.ggml.pre': 'qwen2',
    'tokenizer.ggml.tokens': tokens,
    'tokenizer.ggml.token_type': types,
    'tokenizer.ggml.merges': merges,
    'tokenizer.ggml.bos_token_id': id('<|endoftext|>'),
    'tokenizer.ggml.eos_token_id': id('<|im_end|>'),
    'tokenizer.ggml.padding_token_id': id('<|endoftext|>'),
    'tokenizer.ggml.add_bos_token': false,
    'tokenizer.ggml.add_eos_token': false,
    'tokenizer.chat_template': CHATML_TEMPLATE,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { in: { type: 'string' }, out: { type: 'string' }, type: { type: 'string', default: 'q8_0' }, name: { type: 'string', default: 'Longread LR-28M' } } });
  if (!values.in || !values.out) throw new Error('usage: export-gguf.ts --in DIR --out FILE.gguf [--type q8_0|f16]');
  const dir = values.in;
  const cfgFile = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as ExportConfig;
  const c = cfgFile.config;
  const tok = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as HfTokenizer;
  const wtype = values.type === 'f16' ? GgmlType.F16 : GgmlType.Q8_0;
  const shards = new Map<number, Buffer>();
  const shard = (i: number) => {
    if (!shards.has(i)) shards.set(i, readFileSync(join(dir, `weights-${i}.bin`)));
    return shards.get(i)!;
  };
  const tensors: GgufTensorSpec[] = cfgFile.tensors.map((t) => {
    const dims = [...t.shape].reverse(); // torch row-major [out, in] -> ggml [in, out]
    const n = t.shape.reduce((a, b) => a * b, 1);
    const type = t.shape.length === 2 ? wtype : GgmlType.F32;
    return {
      name: t.name, dims, type,
      data: () => {
        const b = shard(t.shard);
        const h = new Uint16Array(b.buffer.slice(b.byteOffset + t.offset, b.byteOffset + t.offset + t.bytes));
        if (type === GgmlType.F16) return new Uint8Array(h.buffer);
        const f = new Float32Array(n);
        for (let i = 0; i < n; i++) f[i] = f16ToF32(h[i]!);
        return type === GgmlType.F32 ? new Uint8Array(f.buffer) : quantize(type, f);
      },
    };
  });
  const hd = c.dim / c.n_heads;
  const metadata = {
    'general.architecture': 'llama',
    'general.name': values.name!,
    'general.license': 'MIT',
    'general.file_type': wtype === GgmlType.F16 ? 1 : 7,
    'general.quantization_version': 2,
    'llama.vocab_size': c.vocab,
    'llama.context_length': 32768,
    'llama.embedding_length': c.dim,
    'llama.block_count': c.n_layers,
    'llama.feed_forward_length': c.ffn,
    'llama.attention.head_count': c.n_heads,
    'llama.attention.head_count_kv': c.n_kv_heads,
    'llama.attention.layer_norm_rms_epsilon': c.norm_eps,
    'llama.rope.freq_base': c.rope_base,
    'llama.rope.dimension_count': hd,
    ...tokenizerMetadata(tok),
  };
  const types = {
    'llama.rope.freq_base': GgufValueType.FLOAT32,
    'llama.attention.layer_norm_rms_epsilon': GgufValueType.FLOAT32,
    'tokenizer.ggml.token_type': { array: GgufValueType.INT32 },
  };
  await ggufWrite(values.out, { metadata, types, tensors });
  console.log(`wrote ${values.out}: ${tensors.length} tensors, vocab ${c.vocab}, ${values.type}`);
  // The training log travels with the model (committed; *.log is git-ignored).
  const log = join(dir, 'train-log.txt');
  const logOut = values.out.replace(/\.gguf$/, '') + '.train.txt';
  if (existsSync(log)) {
    copyFileSync(log, logOut);
    console.log(`wrote ${logOut} (training log)`);
  } else {
    console.warn(`no ${log}: the model ships without its training log`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e) => { console.error(e); process.exit(1); });
}
