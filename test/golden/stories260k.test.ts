// Golden: the stories260K GGUF made by the llama2.c importer (engine/formats/llama2c.ts) must
// reproduce both golden greedy texts of ../shared/models/stories260K byte for byte, through the
// CPU reference forward (engine/reference/forward.ts). Protocol of the golden files (README
// there): BOS + prompt fed, then argmax each step until `n` positions; the text is the decoded
// sequence after BOS, as llama2.c's run.c prints it, ending with its final newline.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { refModelLoad, type RefLoaded } from '../../engine/models/reference-load.ts';
import { refGreedy } from '../../engine/reference/forward.ts';
import { GOLDEN, STORIES_DIR, storiesGguf } from './stories.ts';

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
