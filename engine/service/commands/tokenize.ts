/**
 * `longread tokenize --model FILE.gguf [--text T | stdin] [--decode] [--special] [--add-special]`:
 * text -> token ids as a JSON array with the model's own tokenizer (engine/tokenizer/), or with
 * --decode a JSON array of ids -> text. Special-token text is parsed only with --special
 * (untrusted text is never special by default); --add-special adds BOS/EOS as the model's flags say.
 */
import { parseArgs } from 'node:util';
import { LongreadError } from '../../errors.ts';
import { ggufOpen } from '../../formats/gguf-read.ts';
import { tokenizerFromGguf } from '../../tokenizer/tokenizer.ts';
import type { Command } from './command.ts';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseIds(s: string): number[] {
  let v: unknown;
  try {
    v = JSON.parse(s);
  } catch {
    throw new LongreadError('bad-request', 'The input to --decode is not JSON.', 'Pass a JSON array of token ids, e.g. [1, 15043].');
  }
  if (!Array.isArray(v) || !v.every((x) => Number.isInteger(x))) {
    throw new LongreadError('bad-request', 'The input to --decode is not an array of integer ids.', 'Pass a JSON array of token ids, e.g. [1, 15043].');
  }
  return v as number[];
}

export const tokenizeCommand: Command = {
  name: 'tokenize',
  summary: 'Text -> token ids (JSON) with a GGUF model\'s tokenizer, or ids -> text with --decode',
  usage: '--model FILE.gguf [--text T | stdin] [--decode] [--special] [--add-special]',
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        model: { type: 'string' },
        text: { type: 'string' },
        decode: { type: 'boolean', default: false },
        special: { type: 'boolean', default: false },
        'add-special': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      },
      strict: true,
    });
    if (!values.model) throw new LongreadError('bad-request', 'No model file given.', `Usage: longread tokenize ${tokenizeCommand.usage}`);
    const f = await ggufOpen(values.model);
    let tok;
    try {
      tok = tokenizerFromGguf(f.metadata);
    } finally {
      await f.close();
    }
    const input = values.text ?? (await readStdin());
    if (values.decode) {
      process.stdout.write(tok.decode(parseIds(input), { skipSpecial: !values.special }));
      if (process.stdout.isTTY) process.stdout.write('\n');
    } else {
      const ids = tok.encode(input, { parseSpecial: values.special, addSpecial: values['add-special'] });
      process.stdout.write(JSON.stringify(ids) + '\n');
    }
    return 0;
  },
};
