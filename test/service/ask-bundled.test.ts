// `longread ask --doc FILE "question"` with no --model, as a person runs it (a child process of
// bin/longread.mjs): the bundled model reads a real document and answers with the fact.
//
// The documents are real prose the model never trained on: paragraphs of the held-out Brown
// Corpus files (bench/longqa/data/brown-heldout.txt.gz, one paragraph per line; model card,
// "Training data"). The questions are not in the sentence's words ("take effect" for "became
// effective", "founded" for "created"), and the first sentence holds a second year, so an
// answer by position or by habit fails. What this does not say: that the model reads any document. On the 99 held-out realqa
// questions it answers 12% (BENCHMARKS.md, long-document QA): years and names heading their
// sentence, not questions about who did what. These two are of the kind it answers.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const HELDOUT = path.join(ROOT, 'bench/longqa/data/brown-heldout.txt.gz');

/** Lines [from, to) of the held-out corpus (0-based), as a plain-text document of paragraphs. */
function heldOutDocument(from: number, to: number): string {
  const lines = zlib.gunzipSync(fs.readFileSync(HELDOUT)).toString('utf8').split('\n');
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lr-ask-bundled-')), 'document.txt');
  fs.writeFileSync(file, lines.slice(from, to).join('\n\n') + '\n');
  return file;
}

function ask(doc: string, question: string): { answer: string; promptTokens: number } {
  const env = { ...process.env };
  delete env.LONGREAD_MODELS_DIR; // the bundled model, as on a fresh install
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/longread.mjs'), 'ask', '--doc', doc, '--max-tokens', '8', '--json', question], { cwd: ROOT, env, encoding: 'utf8', timeout: 240_000 });
  expect(r.status, r.stderr).toBe(0);
  const j = JSON.parse(r.stdout) as { answer: string; stats: { promptTokens: number } };
  return { answer: j.answer, promptTokens: j.stats.promptTokens };
}

describe('longread ask on the bundled model', () => {
  it('answers a question about a real document in other words: the cross-licensing agreement (1914 drawn up, effective 1915)', () => {
    const doc = heldOutDocument(560, 563); // the automobile makers' patent pool, three paragraphs
    expect(fs.readFileSync(doc, 'utf8')).toContain('Drawn up in 1914, the cross-licensing agreement became effective in 1915.');
    const r = ask(doc, 'When did the cross-licensing agreement take effect?');
    expect(r.promptTokens).toBeGreaterThan(300);
    expect(r.answer).toMatch(/\b1915\b/);
    expect(r.answer).not.toMatch(/1914/);
  });

  it('answers from the middle of a longer passage: the year Pakistan was created', () => {
    const doc = heldOutDocument(319, 322); // religion and the state, three paragraphs
    const text = fs.readFileSync(doc, 'utf8');
    expect(text).toContain('Pakistan was created in 1947 expressly as a Muslim state');
    expect(text).toMatch(/eleven years later/);
    const r = ask(doc, 'In what year was Pakistan founded?');
    expect(r.promptTokens).toBeGreaterThan(500);
    expect(r.answer).toMatch(/\b1947\b/);
  });
});
