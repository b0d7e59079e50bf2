/**
 * Splits raw text at special tokens before tokenizing, with the result of llama.cpp's
 * tokenizer_st_partition: special tokens are taken longest first (in UTF-8 bytes), each one at
 * every non-overlapping occurrence left to right inside the text that earlier (longer) tokens
 * left over. With `parseSpecial` false only user-defined tokens are split out: control and
 * unknown tokens stay plain text, which is what keeps untrusted document text from ever becoming
 * <|im_end|> or <|eot_id|>.
 *
 * Instead of llama.cpp's pass over the text per special token, all occurrences are found in one
 * scan (a first-character index; special tokens start with rare characters like '<') and then
 * accepted in llama.cpp's order; the outcome is identical. Extend: LSTRIP/RSTRIP attributes
 * (phi-3, jina) would trim the neighbouring text fragments here.
 */
import { ATTR_CONTROL, ATTR_UNKNOWN, type Vocab } from './vocab.ts';

/** A piece of input: a special token id, or text[start, end) to tokenize normally. */
export type Fragment = { token: number } | { start: number; end: number };

export class SpecialSplitter {
  /** First UTF-16 unit -> candidate token ids, for each mode. */
  private readonly byFirst: [Map<number, number[]>, Map<number, number[]>];
  /** Token id -> rank in the special cache (processing order). */
  private readonly order = new Map<number, number>();

  constructor(private readonly vocab: Vocab) {
    const all = new Map<number, number[]>();
    const userOnly = new Map<number, number[]>();
    vocab.specialCache.forEach((id, rank) => {
      this.order.set(id, rank);
      const text = vocab.tokens[id]!;
      const c = text.charCodeAt(0);
      const put = (m: Map<number, number[]>): void => { const l = m.get(c); if (l) l.push(id); else m.set(c, [id]); };
      put(all);
      if (!(vocab.attrs[id]! & (ATTR_CONTROL | ATTR_UNKNOWN))) put(userOnly);
    });
    this.byFirst = [userOnly, all];
  }

  split(text: string, parseSpecial: boolean): Fragment[] {
    if (text.length === 0) return [];
    const index = this.byFirst[parseSpecial ? 1 : 0];
    if (index.size === 0) return [{ start: 0, end: text.length }];
    // All occurrences of all candidate tokens: [rank, start, end].
    const occ: [number, number, number][] = [];
    for (let i = 0; i < text.length; i++) {
      const cands = index.get(text.charCodeAt(i));
      if (cands === undefined) continue;
      for (const id of cands) {
        const t = this.vocab.tokens[id]!;
        if (text.startsWith(t, i)) occ.push([this.order.get(id)!, i, i + t.length]);
      }
    }
    if (occ.length === 0) return [{ start: 0, end: text.length }];
    occ.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    // Accept in llama.cpp order: token by token, left to right, skipping overlaps with taken spans
    // and with this token's previous match (its search resumes after the match).
    const taken: [number, number, number][] = []; // [start, end, id]
    let lastRank = -1;
    let lastEnd = 0;
    for (const [rank, s, e] of occ) {
      if (rank !== lastRank) { lastRank = rank; lastEnd = 0; }
      if (s < lastEnd) continue;
      if (overlaps(taken, s, e)) continue;
      insertSorted(taken, [s, e, this.vocab.specialCache[rank]!]);
      lastEnd = e;
    }
    const out: Fragment[] = [];
    let pos = 0;
    for (const [s, e, id] of taken) {
      if (s > pos) out.push({ start: pos, end: s });
      out.push({ token: id });
      pos = e;
    }
    if (pos < text.length) out.push({ start: pos, end: text.length });
    return out;
  }
}

function lowerBound(spans: [number, number, number][], s: number): number {
  let lo = 0;
  let hi = spans.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (spans[mid]![0] < s) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function overlaps(spans: [number, number, number][], s: number, e: number): boolean {
  const i = lowerBound(spans, s);
  if (i < spans.length && spans[i]![0] < e) return true;
  return i > 0 && spans[i - 1]![1] > s;
}

function insertSorted(spans: [number, number, number][], span: [number, number, number]): void {
  spans.splice(lowerBound(spans, span[0]), 0, span);
}
