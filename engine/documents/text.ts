/**
 * Plain text: encoding detection and paragraphs. The decoder is chosen by BOM (UTF-8, UTF-16LE,
 * UTF-16BE), otherwise strict UTF-8 (`TextDecoder` with `fatal: true`), and when that fails the
 * text is decoded as windows-1252 (own table: Node's decoder treats that label as Latin-1) (every byte maps to a character, so it never fails) and the
 * fallback is reported in the result's `encoding` and `notes`, so the UI can say the text may
 * be garbled. `decodeText` is shared with the HTML and Markdown extractors.
 *
 * Paragraphs are separated by blank lines; single newlines inside a paragraph are kept as line
 * structure when the block looks like a list/verse (short lines), else joined.
 */

import type { ExtractInput, Extracted } from './types.ts';
import { TextBuilder } from './text-builder.ts';

export interface Decoded {
  text: string;
  encoding: 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';
  /** Set when the strict decode failed and the fallback was used. */
  fallback: boolean;
  /** Byte offset of the first invalid UTF-8 sequence, when `fallback`. */
  invalidAt?: number;
}

export function decodeText(data: Uint8Array): Decoded {
  if (data.length >= 3 && data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) {
    return { text: new TextDecoder('utf-8').decode(data.subarray(3)), encoding: 'utf-8', fallback: false };
  }
  if (data.length >= 2 && data[0] === 0xff && data[1] === 0xfe) {
    return { text: new TextDecoder('utf-16le').decode(data.subarray(2)), encoding: 'utf-16le', fallback: false };
  }
  if (data.length >= 2 && data[0] === 0xfe && data[1] === 0xff) {
    return { text: new TextDecoder('utf-16be').decode(data.subarray(2)), encoding: 'utf-16be', fallback: false };
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(data), encoding: 'utf-8', fallback: false };
  } catch {
    return { text: decodeWindows1252(data), encoding: 'windows-1252', fallback: true, invalidAt: firstInvalidUtf8(data) };
  }
}

// 0x80..0x9F of windows-1252 (WHATWG encoding standard index); the rest is Latin-1. Written out
// because Node's TextDecoder('windows-1252') decodes as ISO-8859-1 (0x80 -> U+0080, not '€').
const CP1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
];

export function decodeWindows1252(data: Uint8Array): string {
  const parts: string[] = [];
  const CHUNK = 8192;
  for (let o = 0; o < data.length; o += CHUNK) {
    const n = Math.min(CHUNK, data.length - o);
    const codes = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      const b = data[o + i]!;
      codes[i] = b >= 0x80 && b <= 0x9f ? CP1252_HIGH[b - 0x80]! : b;
    }
    parts.push(String.fromCharCode(...codes));
  }
  return parts.join('');
}

/** Offset of the first byte that starts an invalid UTF-8 sequence (for the note). */
export function firstInvalidUtf8(d: Uint8Array): number {
  let i = 0;
  while (i < d.length) {
    const b = d[i]!;
    const n = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (n < 0 || i + n >= d.length) return i;
    for (let k = 1; k <= n; k++) if ((d[i + k]! & 0xc0) !== 0x80) return i;
    i += n + 1;
  }
  return d.length;
}

export function fallbackNote(name: string, dec: Decoded): string {
  return `${name} is not valid UTF-8 (first invalid byte at offset ${dec.invalidAt ?? 0}); it was decoded as windows-1252, so some characters may be wrong.`;
}

export function extractText(input: ExtractInput): Extracted {
  const dec = decodeText(input.data);
  const b = new TextBuilder(input.limits.maxTextChars);
  const blocks = dec.text.replace(/\r\n?/g, '\n').split(/\n[ \t]*\n+/);
  let done = 0;
  for (const block of blocks) {
    const lines = block.split('\n').filter((l) => l.trim() !== '');
    const short = lines.length > 1 && lines.every((l) => l.trim().length < 60);
    if (short) {
      for (const l of lines) b.line(l);
      b.breakTight();
    } else {
      b.paragraph(block);
    }
    done += block.length;
    if (blocks.length > 1000 && done % 100_000 < block.length) input.progress(done, dec.text.length, 'bytes');
  }
  const { text, sourceMap } = b.finish();
  return {
    format: 'text',
    title: null,
    author: null,
    pages: null,
    text,
    sourceMap,
    notes: dec.fallback ? [fallbackNote(input.name, dec)] : [],
    encoding: dec.encoding,
  };
}
