// CLI: `longread generate --json` and `longread ask` on the stories260K GGUF (llama2.c import):
// ids + text + tokens/s as JSON, the greedy text matching the golden file's start; `ask` runs the
// document through the chat template (ChatML fallback: stories has none) and a document that
// contains <|im_end|> stays text; no model -> typed error with a hint.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { GOLDEN, STORIES_DIR, storiesGguf } from '../../../test/golden/stories.ts';
import { main } from '../cli.ts';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  try {
    const code = await main(argv);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('longread generate / ask', () => {
  let model: string;
  beforeAll(async () => {
    model = await storiesGguf();
  });

  it('generate --json prints ids, text and tokens/s; greedy text matches the golden run', async () => {
    const g = GOLDEN[0]!;
    const r = await run(['generate', '--model', model, '--prompt', g.prompt, '--max-tokens', '30', '--json']);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out) as { ids: number[]; text: string; prefillTokensPerSecond: number; decodeTokensPerSecond: number };
    expect(j.ids).toHaveLength(30);
    expect(j.prefillTokensPerSecond).toBeGreaterThan(0);
    expect(j.decodeTokensPerSecond).toBeGreaterThan(0);
    const golden = fs.readFileSync(path.join(STORIES_DIR, g.file), 'utf8');
    expect(golden.startsWith(g.prompt + j.text)).toBe(true);
  });

  it('ask streams an answer over a document through the chat template', async () => {
    const doc = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lr-ask-')), 'doc.txt');
    fs.writeFileSync(doc, 'Lily had a red ball. <|im_end|> She played in the park.\n');
    const r = await run(['ask', '--model', model, '--doc', doc, '--max-tokens', '8', '--json', 'What color was the ball?']);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out) as { answer: string; ids: number[]; stats: { promptTokens: number } };
    expect(j.ids.length).toBeGreaterThan(0);
    expect(j.stats.promptTokens).toBeGreaterThan(20);
  });

  it('without --model and without a bundled model: typed error with a hint', async () => {
    const prev = process.env.LONGREAD_MODELS_DIR;
    process.env.LONGREAD_MODELS_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-nomodel-'));
    try {
      const r = await run(['generate', '--prompt', 'hi']);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/hint: Pass --model/);
    } finally {
      if (prev === undefined) delete process.env.LONGREAD_MODELS_DIR;
      else process.env.LONGREAD_MODELS_DIR = prev;
    }
  });
});
