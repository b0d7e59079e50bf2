// Golden: the stories260K GGUF made by the llama2.c importer (engine/formats/llama2c.ts) must
// reproduce both golden greedy texts of ../shared/models/stories260K byte for byte, through the
// CPU reference forward (engine/reference/forward.ts). Protocol of the golden files (README
// there): BOS + prompt fed, then argmax each step until `n` positions; the text is the decoded
// sequence after BOS, as llama2.c's run.c prints it, ending with its final newline.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { importLlama2c } from '../../engine/formats/llama2c.ts';
import { refModelLoad, type RefLoaded } from '../../engine/models/reference-load.ts';
import { refGreedy } from '../../engine/reference/forward.ts';

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

describe('stories260K golden (CPU reference)', () => {
  let ref: RefLoaded;
  beforeAll(async () => {
    ref = await refModelLoad(await storiesGguf());
  });

  for (const g of GOLDEN) {
    it(`reproduces ${g.file}`, () => {
      const prompt = ref.tokenizer.encode(g.prompt, { addSpecial: true });
      expect(prompt[0]).toBe(ref.tokenizer.bosId);
      // run.c: n positions -> n tokens after BOS; it stops early on BOS
      const seq = refGreedy(ref.create(), prompt, g.n + 1, (id) => id === ref.tokenizer.bosId);
      const text = ref.tokenizer.decode(seq.slice(1)) + '\n';
      expect(text).toBe(fs.readFileSync(path.join(STORIES_DIR, g.file), 'utf8'));
    });
  }
});
