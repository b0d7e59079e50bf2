/**
 * SentencePiece-style tokenizer (`tokenizer.ggml.model = llama`), llama.cpp's
 * llm_tokenizer_spm_session: start from single code points, repeatedly merge the adjacent pair
 * whose concatenation is a vocabulary token with the highest score (leftmost on ties); symbols
 * that are not tokens at the end become byte tokens (<0xXX>), or <unk> if the vocab has none
 * (llama.cpp would abort there).
 *
 * Speed: a merge can only join two symbols if some token contains the code point pair at their
 * boundary, so the text is cut at every boundary no token spans and each piece is merged (and
 * cached) on its own: same result as one pass over the whole text, since merges in different
 * pieces never interact.
 */
import { MergeHeap } from './heap.ts';
import { codePoints, utf8Encode } from './unicode.ts';
import type { Vocab } from './vocab.ts';

const CACHE_MAX = 1 << 16;
const PAIR_BASE = 0x110000;

export class SpmModel {
  /** Adjacent code point pairs occurring inside some token: a * PAIR_BASE + b. */
  private readonly joinable_ = new Set<number>();
  private readonly byteTok = new Int32Array(256).fill(-1);
  private readonly cache = new Map<string, number[]>();
  private readonly heap = new MergeHeap();
  private readonly top = new Float64Array(4);

  constructor(private readonly vocab: Vocab) {
    for (const t of vocab.tokens) {
      let prev = -1;
      for (const ch of t) {
        const cp = ch.codePointAt(0)!;
        if (prev >= 0) this.joinable_.add(prev * PAIR_BASE + cp);
        prev = cp;
      }
    }
    for (let b = 0; b < 256; b++) {
      const hex = `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
      const id = vocab.tokenToId.get(hex) ?? (b < 0x80 ? vocab.tokenToId.get(String.fromCharCode(b)) : undefined);
      if (id !== undefined) this.byteTok[b] = id;
    }
  }

  /** True if some token contains code point a immediately followed by b. */
  joinable(a: number, b: number): boolean {
    return this.joinable_.has(a * PAIR_BASE + b);
  }

  /** Tokenizes text that already has spaces escaped to U+2581 (and the prefix space added). */
  encode(text: string, out: number[]): void {
    const { cps, offsets, n } = codePoints(text);
    let start = 0;
    for (let i = 1; i <= n; i++) {
      if (i === n || !this.joinable_.has(cps[i - 1]! * PAIR_BASE + cps[i]!)) {
        this.encodePiece(text.slice(offsets[start]!, offsets[i]!), out);
        start = i;
      }
    }
  }

  private encodePiece(piece: string, out: number[]): void {
    let res = this.cache.get(piece);
    if (res === undefined) {
      res = this.encodeUncached(piece);
      if (piece.length <= 256) {
        if (this.cache.size >= CACHE_MAX) this.cache.clear();
        this.cache.set(piece, res);
      }
    }
    for (const t of res) out.push(t);
  }

  private encodeUncached(piece: string): number[] {
    const { n, offsets } = codePoints(piece);
    const tokenToId = this.vocab.tokenToId;
    const scores = this.vocab.scores;
    // Symbol i covers piece[start[i], start[i] + size[i]) in UTF-16 units; size 0 = merged away.
    const start = new Int32Array(n);
    const size = new Int32Array(n);
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      start[i] = offsets[i]!;
      size[i] = offsets[i + 1]! - offsets[i]!;
      prev[i] = i - 1;
      next[i] = i + 1 < n ? i + 1 : -1;
    }
    const heap = this.heap;
    heap.clear();
    const add = (l: number, r: number): void => {
      if (l < 0 || r < 0) return;
      const len = size[l]! + size[r]!;
      const id = tokenToId.get(piece.substr(start[l]!, len));
      if (id !== undefined) heap.push(-scores[id]!, l, r, len);
    };
    for (let i = 1; i < n; i++) add(i - 1, i);
    const top = this.top;
    while (heap.pop(top)) {
      const l = top[1]!;
      const r = top[2]!;
      if (size[l] === 0 || size[r] === 0 || size[l]! + size[r]! !== top[3]) continue;
      size[l] = size[l]! + size[r]!;
      size[r] = 0;
      next[l] = next[r]!;
      if (next[r]! >= 0) prev[next[r]!] = l;
      add(prev[l]!, l);
      add(l, next[l]!);
    }
    const res: number[] = [];
    for (let i = 0; i !== -1 && n > 0; i = next[i]!) {
      const text = piece.substr(start[i]!, size[i]!);
      const id = tokenToId.get(text);
      if (id !== undefined) {
        res.push(id);
        continue;
      }
      for (const b of utf8Encode(text)) {
        const t = this.byteTok[b]!;
        if (t >= 0) res.push(t);
        else if (this.vocab.unkId >= 0) res.push(this.vocab.unkId);
      }
    }
    return res;
  }
}
