/**
 * Token offsets <-> character spans of a document's normalised text, and character offsets ->
 * page and section. Tokenizer-agnostic: give it what any tokenizer can produce for the ids it
 * emitted for the text:
 *   - the per-token BYTES (exact: `Tokenizer.pieceBytes`, or a byte-level BPE's decoded bytes);
 *   - the per-token decoded STRINGS (tolerant: a piece holding half a UTF-8 character decodes
 *     to U+FFFD; such pieces are resynchronised on the next piece that matches);
 *   - or the ids plus a `(ids) => pieces` function returning either of the above.
 * A space-prefix tokenizer (SPM's dummy prefix) adds a leading space to the first word; a
 * leading space that is not in the text is skipped. A piece that matches nothing (a special
 * token, an <unk>) gets an empty span at the current position.
 *
 * Spans are half-open UTF-16 [start, end) (JavaScript string offsets, as in SourceMap); a
 * token that covers part of a character covers the whole character.
 */

import type { SourceMap, TextSpan } from '../service/contract.ts';

export type TokenPieces = readonly Uint8Array[] | readonly string[];
export type TokenPiecesInput = TokenPieces | { ids: readonly number[]; pieces: (ids: readonly number[]) => TokenPieces };

const enc = new TextEncoder();

/** byteToChar[b] = UTF-16 offset of the character containing UTF-8 byte b; [len] = text.length. */
function byteToCharMap(text: string): { bytes: Uint8Array; charAt: Uint32Array; charEnd: Uint32Array } {
  const bytes = enc.encode(text);
  const charAt = new Uint32Array(bytes.length + 1);
  const charEnd = new Uint32Array(bytes.length + 1);
  let b = 0;
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i)!;
    const u16 = cp > 0xffff ? 2 : 1;
    const nb = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    for (let k = 0; k < nb; k++) {
      charAt[b + k] = i;
      charEnd[b + k] = i + u16;
    }
    b += nb;
    i += u16;
  }
  charAt[bytes.length] = text.length;
  charEnd[bytes.length] = text.length;
  return { bytes, charAt, charEnd };
}

function matchAt(hay: Uint8Array, at: number, needle: Uint8Array): boolean {
  if (at + needle.length > hay.length) return false;
  for (let i = 0; i < needle.length; i++) if (hay[at + i] !== needle[i]) return false;
  return true;
}

function findFrom(hay: Uint8Array, from: number, needle: Uint8Array, window: number): number {
  for (let at = from; at <= Math.min(hay.length - needle.length, from + window); at++) if (matchAt(hay, at, needle)) return at;
  return -1;
}

/** Character span of every token, in order. */
export function tokenCharSpans(text: string, input: TokenPiecesInput): TextSpan[] {
  const pieces: TokenPieces = Array.isArray(input) ? (input as TokenPieces) : (input as { ids: readonly number[]; pieces: (ids: readonly number[]) => TokenPieces }).pieces((input as { ids: readonly number[] }).ids);
  const { bytes, charAt, charEnd } = byteToCharMap(text);
  const spans: TextSpan[] = [];
  const span = (b0: number, b1: number): TextSpan => (b1 <= b0 ? { start: charAt[b0]!, end: charAt[b0]! } : { start: charAt[b0]!, end: charEnd[b1 - 1]! });
  let pos = 0;
  let pending: number[] = []; // indices of undecodable (U+FFFD) string pieces awaiting resync
  const settle = (to: number) => {
    for (const i of pending) spans[i] = span(pos, to);
    pending = [];
  };
  for (let i = 0; i < pieces.length; i++) {
    const raw = pieces[i]!;
    const isString = typeof raw === 'string';
    let p = isString ? enc.encode(raw) : raw;
    if (p.length === 0) {
      spans.push(span(pos, pos));
      continue;
    }
    if (p[0] === 0x20 && bytes[pos] !== 0x20 && !matchAt(bytes, pos, p)) p = p.subarray(1);
    if (matchAt(bytes, pos, p)) {
      settle(pos);
      spans.push(span(pos, pos + p.length));
      pos += p.length;
      continue;
    }
    if (isString && raw.includes('\uFFFD')) {
      spans.push(span(pos, pos));
      pending.push(i);
      continue;
    }
    if (pending.length > 0) {
      // Resync after partial-character pieces: this piece starts a little further on.
      const at = findFrom(bytes, pos, p, 8);
      if (at >= 0) {
        settle(at);
        pos = at;
        spans.push(span(pos, pos + p.length));
        pos += p.length;
        continue;
      }
    }
    spans.push(span(pos, pos)); // special / unknown token: no text of its own
  }
  if (pending.length > 0) settle(Math.min(bytes.length, pos + 4));
  return spans;
}

/** Index of the token whose span contains character `offset` (the first one ending after it). */
export function tokenAtChar(spans: readonly TextSpan[], offset: number): number {
  let lo = 0;
  let hi = spans.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (spans[mid]!.end <= offset) lo = mid + 1;
    else hi = mid;
  }
  return Math.min(lo, spans.length - 1);
}

/** Tokens [first, last) overlapping the character range [start, end). */
export function tokensInRange(spans: readonly TextSpan[], start: number, end: number): { first: number; last: number } {
  const first = tokenAtChar(spans, start);
  let last = first;
  while (last < spans.length && spans[last]!.start < end) last++;
  return { first, last: Math.max(first, last) };
}

/** Character span covered by tokens [first, last). */
export function charSpanOfTokens(spans: readonly TextSpan[], first: number, last: number): TextSpan {
  if (last <= first || first >= spans.length) return { start: 0, end: 0 };
  return { start: spans[first]!.start, end: spans[Math.min(last, spans.length) - 1]!.end };
}

/** Page (PDF, else null) and innermost section path at a character offset. */
export function locateOffset(map: SourceMap, offset: number): { page: number | null; section: string[] } {
  // Pages are in text order: binary search for the last one starting at or before `offset`.
  let lo = 0;
  let hi = map.pages.length - 1;
  let page: number | null = null;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const p = map.pages[mid]!;
    if (p.start > offset) hi = mid - 1;
    else if (offset >= p.end) lo = mid + 1;
    else {
      page = p.page;
      break;
    }
  }
  let section: string[] = [];
  for (const s of map.sections) if (offset >= s.start && offset < s.end && s.path.length >= section.length) section = s.path;
  return { page, section };
}
