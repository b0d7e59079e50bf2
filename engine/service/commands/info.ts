/** `longread info FILE.gguf`: the model file's facts as JSON (engine/formats/gguf-summary.ts). */
import type { Command } from './command.ts';
import { ggufOpen } from '../../formats/gguf-read.ts';
import { ggufSummary } from '../../formats/gguf-summary.ts';
import { LongreadError } from '../../errors.ts';

export const infoCommand: Command = {
  name: 'info',
  summary: 'Describe a GGUF model file as JSON (architecture, parameters, types, tokenizer)',
  usage: 'FILE.gguf',
  async run(argv) {
    const file = argv.find((a) => !a.startsWith('--'));
    if (!file) throw new LongreadError('bad-request', 'No model file given.', 'Usage: longread info FILE.gguf');
    const f = await ggufOpen(file);
    try {
      process.stdout.write(JSON.stringify(ggufSummary(f), null, 2) + '\n');
    } finally {
      await f.close();
    }
    return 0;
  },
};
