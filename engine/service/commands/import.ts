/** `longread import llama2c --checkpoint X.bin --tokenizer T.bin --out Y.gguf` (engine/formats/llama2c.ts). */
import { parseArgs } from 'node:util';
import type { Command } from './command.ts';
import { importLlama2c } from '../../formats/llama2c.ts';
import { LongreadError } from '../../errors.ts';

export const importCommand: Command = {
  name: 'import',
  summary: 'Convert a model to GGUF (llama2c: a llama2.c checkpoint + tokenizer.bin)',
  usage: 'llama2c --checkpoint X.bin --tokenizer T.bin --out Y.gguf',
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { checkpoint: { type: 'string' }, tokenizer: { type: 'string' }, out: { type: 'string' } },
    });
    if (positionals[0] !== 'llama2c') {
      throw new LongreadError('bad-request', `Unknown import source "${positionals[0] ?? ''}".`, 'Supported: longread import llama2c --checkpoint X.bin --tokenizer T.bin --out Y.gguf');
    }
    if (!values.checkpoint || !values.tokenizer || !values.out) {
      throw new LongreadError('bad-request', 'Missing --checkpoint, --tokenizer or --out.', 'Usage: longread import llama2c --checkpoint X.bin --tokenizer T.bin --out Y.gguf');
    }
    const r = await importLlama2c(values.checkpoint, values.tokenizer, values.out);
    process.stdout.write(`wrote ${values.out}: ${r.tensors} tensors, dim ${r.config.dim}, ${r.config.nLayers} layers, vocab ${r.config.vocabSize}\n`);
    return 0;
  },
};
