/** `longread tokenize` end to end on a vocab-only GGUF (Llama 2 vocabulary): encode, special, decode. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { ggufVocabWrite } from './gguf-vocab-file.ts';
import { hfToGguf } from './hf-to-gguf.ts';

let file = '';
beforeAll(() => {
  file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'longread-cli-')), 'llama2-vocab.gguf');
  ggufVocabWrite(file, hfToGguf('llama2'));
});

const cli = (args: string[], input?: string): string =>
  execFileSync('node', ['bin/longread.mjs', 'tokenize', '--model', file, ...args], { input, encoding: 'utf8' });

it('encodes text (argument or stdin), parses special tokens only with --special, decodes ids', () => {
  expect(JSON.parse(cli(['--add-special', '--text', 'Once upon a time']))).toEqual([1, 5713, 3714, 264, 727]);
  expect(JSON.parse(cli([], 'Hi</s>'))).not.toContain(2);
  expect(JSON.parse(cli(['--special'], 'Hi</s>'))).toContain(2);
  expect(cli(['--decode'], '[5713, 3714, 264, 727]')).toBe('Once upon a time');
}, 60_000);
