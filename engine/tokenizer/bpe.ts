/**
 * BPE (`tokenizer.ggml.model = gpt2` / `gemma4`), llama.cpp's llm_tokenizer_bpe_session: each
 * pre-token word is UTF-8 encoded, every byte becomes its GPT-2 alias character (one symbol per
 * byte; Gemma 4: one symbol per raw character), then the adjacent pair with the lowest merge
 * rank is merged (leftmost first) until no ranked pair is left. Llama 3 style vocabularies
 * (`ignoreMerges`) take a whole word that is already a token as is.
 *
 * Symbols are small integers: token ids, plus extra ids for merge parts that are not tokens
 * (a malformed vocab can have those; llama.cpp compares strings, we compare ids, same result).
 * Words are cached. Extend: non-byte-level BPE variants would get their own initial-symbol step.
 */
import { MergeHeap } from './heap.ts';
import { BYTE_TO_CHAR, utf8Encode } from './unicode.ts';
import type { Vocab } from './vocab.ts';

const CACHE_MAX = 1 << 16;
/** Longer words (base64 blobs, long digit-free runs) are not worth keeping. */
const CACHE_WORD_MAX = 256;

export class BpeModel {
  /** Symbols that are not tokens (ids from nTokens up); tokens use vocab.tokenToId directly. */
  private readonly extraId = new Map<string, number>();
  private readonly extraText: string[] = [];
  /** pair key (a * nSym + b) -> rank */
  private readonly pairRank = new Map<number, number>();
  private readonly rankResult: Int32Array;
  private readonly byteSym = new Int32Array(256);
  private readonly nTokens: number;
  private nSym = 0;
  private readonly cache = new Map<string, number[]>();
  private readonly heap = new MergeHeap();
  private readonly top = new Float64Array(4);
  private sym = new Int32Array(256);
  private next = new Int32Array(256);
  private prev = new Int32Array(256);

  constructor(private readonly vocab: Vocab) {
    this.nTokens = vocab.tokens.length;
    this.nSym = this.nTokens;
    for (let b = 0; b < 256; b++) this.byteSym[b] = this.intern(BYTE_TO_CHAR[b]!);
    const merges = vocab.merges;
    const parsed: [number, number, number][] = [];
    for (let i = 0; i < merges.length; i++) {
      const w = merges[i]!;
      const pos = w.indexOf(' ', 1);
      const first = pos >= 0 ? w.slice(0, pos) : '';
      const second = pos >= 0 ? w.slice(pos + 1) : '';
      parsed.push([this.intern(first), this.intern(second), this.intern(first + second)]);
    }
    // Keys use the final symbol count, so intern everything before building the pair map.
    this.rankResult = new Int32Array(merges.length);
    const n = this.nSymbols();
    for (let i = 0; i < parsed.length; i++) {
      const [a, b, r] = parsed[i]!;
      const key = a * n + b;
      if (!this.pairRank.has(key)) this.pairRank.set(key, i);
      this.rankResult[i] = r;
    }
  }

  private nSymbols(): number {
    return this.nSym;
  }

  private intern(s: string): number {
    let id = this.vocab.tokenToId.get(s) ?? this.extraId.get(s);
    if (id === undefined) {
      id = this.nSym++;
      this.extraId.set(s, id);
      this.extraText.push(s);
    }
    return id;
  }

  /** Token ids of one pre-token word (raw text, before byte aliasing). */
  encodeWord(word: string, out: number[]): void {
    const cached = this.cache.get(word);
    if (cached !== undefined) {
      for (const t of cached) out.push(t);
      return;
    }
    const res = this.encodeUncached(word);
    if (word.length <= CACHE_WORD_MAX) {
      if (this.cache.size >= CACHE_MAX) this.cache.clear();
      this.cache.set(word, res);
    }
    for (const t of res) out.push(t);
  }

  private encodeUncached(word: string): number[] {
    const vocab = this.vocab;
    let len: number;
    let chars: string[] | null = null;
    if (vocab.pre.byteEncode) {
      const bytes = utf8Encode(word);
      len = bytes.length;
      if (len === 0) return [];
      if (vocab.ignoreMerges) {
        let s = '';
        for (let i = 0; i < len; i++) s += BYTE_TO_CHAR[bytes[i]!];
        const id = vocab.tokenToId.get(s);
        if (id !== undefined) return [id];
      }
      this.ensure(len);
      for (let i = 0; i < len; i++) this.sym[i] = this.byteSym[bytes[i]!]!;
    } else {
      // Raw UTF-8 characters as symbols (Gemma 4 style); a newline-only word that is a token stays whole.
      if (word.length === 0) return [];
      if (/^\n+$/.test(word) || vocab.ignoreMerges) {
        const id = vocab.tokenToId.get(word);
        if (id !== undefined) return [id];
      }
      chars = Array.from(word);
      len = chars.length;
      this.ensure(len);
      for (let i = 0; i < len; i++) {
        const ch = chars[i]!;
        // Characters that are neither tokens nor merge parts never merge: a unique negative id.
        this.sym[i] = vocab.tokenToId.get(ch) ?? this.extraId.get(ch) ?? -2 - i;
      }
    }
    const { sym, next, prev } = this;
    for (let i = 0; i < len; i++) {
      prev[i] = i - 1;
      next[i] = i + 1 < len ? i + 1 : -1;
    }
    const n = this.nSym;
    const heap = this.heap;
    heap.clear();
    for (let i = 1; i < len; i++) this.addPair(i - 1, i, n);
    const top = this.top;
    while (heap.pop(top)) {
      const l = top[1]!;
      const r = next[l]!;
      // Stale: either side merged away or grown since the pair was queued.
      if (sym[l] === -1 || r < 0 || sym[l] !== top[2] || sym[r] !== top[3]) continue;
      sym[l] = this.rankResult[top[0]!]!;
      sym[r] = -1;
      next[l] = next[r]!;
      if (next[r]! >= 0) prev[next[r]!] = l;
      this.addPair(prev[l]!, l, n);
      this.addPair(l, next[l]!, n);
    }
    const out: number[] = [];
    for (let i = 0; i !== -1; i = next[i]!) {
      const s = sym[i]!;
      if (s >= 0 && s < this.nTokens) out.push(s);
      else this.fallback(s >= 0 ? this.extraText[s - this.nTokens]! : chars![-2 - s]!, out);
    }
    return out;
  }

  private ensure(len: number): void {
    if (this.sym.length < len) {
      const cap = Math.max(len, this.sym.length * 2);
      this.sym = new Int32Array(cap);
      this.next = new Int32Array(cap);
      this.prev = new Int32Array(cap);
    }
  }

  private addPair(l: number, r: number, n: number): void {
    if (l < 0 || r < 0) return;
    const a = this.sym[l]!;
    const b = this.sym[r]!;
    if (a < 0 || b < 0) return; // a character that is in no merge
    const rank = this.pairRank.get(a * n + b);
    if (rank !== undefined) this.heap.push(rank, l, a, b);
  }

  /**
   * A final symbol that is not a token, as llama.cpp resolves it: byte-level vocabularies look up
   * each byte of the aliased text as a one-byte string (only ASCII can hit); raw-UTF-8 ones use
   * the <0xXX> byte tokens.
   */
  private fallback(text: string, out: number[]): void {
    if (this.vocab.pre.byteEncode) {
      for (let i = 0; i < text.length; i++) {
        if (text.charCodeAt(i) < 0x80) {
          const id = this.vocab.tokenToId.get(text[i]!);
          if (id !== undefined) out.push(id);
        }
      }
      return;
    }
    for (const b of utf8Encode(text)) {
      const id = this.vocab.tokenToId.get(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
      if (id !== undefined) out.push(id);
    }
  }
}
