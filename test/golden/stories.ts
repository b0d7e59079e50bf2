/**
 * stories260K golden fixtures: the model directory, the two golden runs, and the GGUF made by
 * the llama2.c importer (engine/formats/llama2c.ts) in a temp dir.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { importLlama2c } from '../../engine/formats/llama2c.ts';

export const STORIES_DIR = path.resolve('../shared/models/stories260K');
export const GOLDEN = [
  { file: 'greedy-once-upon-a-time-n256.txt', prompt: 'Once upon a time', n: 256 },
  { file: 'greedy-lily-and-ben-n200.txt', prompt: 'Lily and Ben went to the park. They saw', n: 200 },
];

/** Imports stories260K into a GGUF under a temp dir (once per test file). */
export async function storiesGguf(): Promise<string> {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lr-stories-')), 'stories260K.gguf');
  await importLlama2c(path.join(STORIES_DIR, 'stories260K.bin'), path.join(STORIES_DIR, 'tok512.bin'), out);
  return out;
}

