/** `longread info FILE.gguf [--tensors]`: the model file's facts as JSON (engine/formats/gguf-summary.ts). */
import type { Command } from './command.ts';
import { ggufOpenModel } from '../../formats/gguf-split.ts';
import { ggmlTypeName } from '../../formats/ggml-types.ts';
import { ggufSummary } from '../../formats/gguf-summary.ts';
import { LongreadError } from '../../errors.ts';

export const infoCommand: Command = {
  name: 'info',
  summary: 'Describe a GGUF model file as JSON (architecture, parameters, types, tokenizer)',
  usage: 'FILE.gguf [--tensors]',
  async run(argv) {
    const file = argv.find((a) => !a.startsWith('--'));
    if (!file) throw new LongreadError('bad-request', 'No model file given.', 'Usage: longread info FILE.gguf [--tensors]');
    const f = await ggufOpenModel(file); // split models: all parts
    try {
      const out: Record<string, unknown> = { ...ggufSummary(f) };
      if (f.parts > 1) out.parts = f.paths;
      if (argv.includes('--tensors')) {
        out.tensors = f.tensors.map((t) => ({ name: t.name, type: ggmlTypeName(t.type), dims: t.dims, offset: t.offset, bytes: t.nbytes, ...(f.parts > 1 ? { part: t.part } : {}) }));
      }
      process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    } finally {
      await f.close();
    }
    return 0;
  },
};
