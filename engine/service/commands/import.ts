/** `longread import llama2c --checkpoint X.bin --tokenizer T.bin --out Y.gguf` (engine/formats/llama2c.ts). */
import { parseArgs } from 'node:util';
import type { Command } from './command.ts';
import { importLlama2c } from '../../formats/llama2c.ts';
import { ggmlTypeFromName } from '../../formats/ggml-types.ts';
import { LongreadError } from '../../errors.ts';

export const importCommand: Command = {
  name: 'import',
  summary: 'Convert a model to GGUF (llama2c: a llama2.c checkpoint + tokenizer.bin)',
  usage: 'llama2c --checkpoint X.bin --tokenizer T.bin --out Y.gguf [--type f32|f16|bf16|q8_0|q4_0|q4_k|q6_k|...]',
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { checkpoint: { type: 'string' }, tokenizer: { type: 'string' }, out: { type: 'string' }, type: { type: 'string' } },
    });
    if (positionals[0] !== 'llama2c') {
      throw new LongreadError('bad-request', `Unknown import source "${positionals[0] ?? ''}".`, 'Supported: longread import llama2c --checkpoint X.bin --tokenizer T.bin --out Y.gguf');
    }
    if (!values.checkpoint || !values.tokenizer || !values.out) {
      throw new LongreadError('bad-request', 'Missing --checkpoint, --tokenizer or --out.', 'Usage: longread import llama2c --checkpoint X.bin --tokenizer T.bin --out Y.gguf');
    }
    const type = values.type === undefined ? undefined : ggmlTypeFromName(values.type);
    if (values.type !== undefined && type === undefined) {
      throw new LongreadError('bad-request', `Unknown tensor type "${values.type}".`, 'Use a ggml type name such as f16, q8_0, q4_0, q4_k or q6_k.');
    }
    const r = await importLlama2c(values.checkpoint, values.tokenizer, values.out, type === undefined ? {} : { type });
    const mix = Object.entries(r.types).map(([k, v]) => `${v} ${k}`).join(', ');
    process.stdout.write(`wrote ${values.out}: ${r.tensors} tensors (${mix}), dim ${r.config.dim}, ${r.config.nLayers} layers, vocab ${r.config.vocabSize}\n`);
    return 0;
  },
};
