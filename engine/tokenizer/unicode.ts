/**
 * Code point classes exactly as llama.cpp sees them (its generated Unicode table, see
 * unicode-data.ts), plus UTF-8 and the GPT-2 byte-to-unicode alias map.
 *
 * Why not JS `\p{L}`: Node's ICU is a newer Unicode than llama.cpp's table, so about 10,000 code
 * points would split differently; GGUF models are tokenized by llama.cpp, so we follow it.
 * Extend by adding a flag constant (and regenerating unicode-data.ts if llama.cpp's table moves).
 */
import { FLAG_RANGES, WHITESPACE } from './unicode-data.ts';

export const CPT_UNDEFINED = 0x01;
export const CPT_NUMBER = 0x02;
export const CPT_LETTER = 0x04;
export const CPT_SEPARATOR = 0x08;
export const CPT_MARK = 0x10;
export const CPT_PUNCTUATION = 0x20;
export const CPT_SYMBOL = 0x40;
export const CPT_CONTROL = 0x80;
export const CPT_WHITESPACE = 0x100;

const MAX_CODEPOINTS = 0x110000;

/** flags[cp]: category bits (low byte) | CPT_WHITESPACE. Built once, ~2.2 MB. */
let table: Uint16Array | null = null;

function buildTable(): Uint16Array {
  const t = new Uint16Array(MAX_CODEPOINTS);
  const parts = FLAG_RANGES.split(',');
  let start = 0;
  let flags = 0;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    const dot = p.indexOf('.');
    const next = start + parseInt(p.slice(0, dot), 36);
    if (i > 0) t.fill(flags, start, Math.min(next, MAX_CODEPOINTS));
    start = next;
    flags = parseInt(p.slice(dot + 1), 36);
  }
  for (const cp of WHITESPACE) t[cp]! |= CPT_WHITESPACE;
  return t;
}

export function cptFlagsTable(): Uint16Array {
  if (table === null) table = buildTable();
  return table;
}

export function cptFlags(cp: number): number {
  return cp < MAX_CODEPOINTS ? cptFlagsTable()[cp]! : CPT_UNDEFINED;
}

/** ASCII-only lowercase, all llama.cpp's contraction matcher ever needs ('S' -> 's'). */
export function asciiLower(cp: number): number {
  return cp >= 0x41 && cp <= 0x5a ? cp + 32 : cp;
}

/**
 * Code points of a JS string plus the UTF-16 offset of each one (offsets has length n + 1),
 * so pre-tokenizer spans can be sliced from the original string without re-encoding.
 * Lone surrogates become U+FFFD (what llama.cpp sees after Node's UTF-8 conversion).
 */
export function codePoints(text: string): { cps: Uint32Array; offsets: Uint32Array; n: number } {
  const len = text.length;
  const cps = new Uint32Array(len);
  const offsets = new Uint32Array(len + 1);
  let n = 0;
  for (let i = 0; i < len; ) {
    let c = text.charCodeAt(i);
    offsets[n] = i;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < len) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        cps[n++] = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i += 2;
        continue;
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
    cps[n++] = c;
    i += 1;
  }
  offsets[n] = len;
  return { cps, offsets, n };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });

export function utf8Encode(s: string): Uint8Array {
  return encoder.encode(s);
}

export function utf8Decode(b: Uint8Array): string {
  return decoder.decode(b);
}

export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** GPT-2 bytes_to_unicode: byte -> printable char (llama.cpp unicode_byte_to_utf8_map). */
export const BYTE_TO_CHAR: readonly string[] = (() => {
  const map = new Array<string>(256);
  const direct = (b: number): boolean => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let n = 0;
  for (let b = 0; b < 256; b++) map[b] = direct(b) ? String.fromCharCode(b) : String.fromCharCode(256 + n++);
  return map;
})();

/** Inverse of BYTE_TO_CHAR, keyed by UTF-16 code unit (all aliases are in the BMP). */
export const CHAR_TO_BYTE: ReadonlyMap<number, number> = new Map(BYTE_TO_CHAR.map((c, b) => [c.charCodeAt(0), b]));
