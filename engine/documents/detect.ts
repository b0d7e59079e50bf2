/**
 * Format detection by content (magic bytes), never by the file extension alone: a PDF named
 * `notes.txt` is read as a PDF, and a PNG named `book.epub` is refused as unsupported. The
 * extension only decides between formats that look alike (Markdown and plain text).
 *
 * Zip containers are reported as `zip`; the zip-based extractors (DOCX, EPUB) tell them apart
 * by their entries (see extract.ts).
 *
 * Extending: add a magic to `BINARY_MAGICS` (refused with a named kind) or a branch to
 * `detectFormat` returning a new `Detected` kind plus an extractor in extract.ts.
 */

import { LongreadError } from '../errors.ts';

export type Detected = 'pdf' | 'zip' | 'html' | 'markdown' | 'text';

const BINARY_MAGICS: Array<[string, number[]]> = [
  ['a legacy Word/Office (OLE) file', [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]],
  ['a PNG image', [0x89, 0x50, 0x4e, 0x47]],
  ['a JPEG image', [0xff, 0xd8, 0xff]],
  ['a GIF image', [0x47, 0x49, 0x46, 0x38]],
  ['a gzip archive', [0x1f, 0x8b]],
  ['a 7-Zip archive', [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]],
  ['a RAR archive', [0x52, 0x61, 0x72, 0x21]],
  ['an ELF executable', [0x7f, 0x45, 0x4c, 0x46]],
  ['a GGUF model file', [0x47, 0x47, 0x55, 0x46]],
  ['an RTF file', [0x7b, 0x5c, 0x72, 0x74, 0x66]],
];

function startsWith(data: Uint8Array, magic: number[], at = 0): boolean {
  if (data.length < at + magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (data[at + i] !== magic[i]) return false;
  return true;
}

function extension(name: string): string {
  const m = /\.([A-Za-z0-9]+)$/.exec(name);
  return m ? m[1]!.toLowerCase() : '';
}

export function detectFormat(name: string, data: Uint8Array): Detected {
  if (data.length === 0) {
    throw new LongreadError('document-invalid', `${name} is empty (0 bytes).`, 'Choose a file that has content.', { file: name, bytes: 0 });
  }
  // %PDF- may follow up to 1 KiB of junk (as Acrobat tolerates).
  const head = data.subarray(0, 1024);
  for (let i = 0; i + 5 <= head.length; i++) {
    if (head[i] === 0x25 && startsWith(head, [0x25, 0x50, 0x44, 0x46, 0x2d], i)) return 'pdf';
  }
  if (startsWith(data, [0x50, 0x4b, 0x03, 0x04]) || startsWith(data, [0x50, 0x4b, 0x05, 0x06])) return 'zip';
  for (const [kind, magic] of BINARY_MAGICS) {
    if (startsWith(data, magic)) {
      throw new LongreadError(
        'document-unsupported',
        `${name} is ${kind}, not a document Longread can read.`,
        kind.includes('Word') ? 'Save it as DOCX or PDF and open that.' : 'Open a PDF, DOCX, EPUB, HTML, Markdown or text file.',
        { file: name, detected: kind },
      );
    }
  }
  const utf16 = startsWith(data, [0xff, 0xfe]) || startsWith(data, [0xfe, 0xff]);
  if (!utf16 && looksBinary(data)) {
    throw new LongreadError(
      'document-unsupported',
      `${name} looks like a binary file (NUL bytes in its first 8 KiB) of an unknown kind.`,
      'Open a PDF, DOCX, EPUB, HTML, Markdown or text file.',
      { file: name },
    );
  }
  const ext = extension(name);
  if (ext === 'html' || ext === 'htm' || ext === 'xhtml' || looksHtml(data)) return 'html';
  if (ext === 'md' || ext === 'markdown' || ext === 'mdown' || ext === 'mkd') return 'markdown';
  return 'text';
}

function looksBinary(data: Uint8Array): boolean {
  const n = Math.min(data.length, 8192);
  let nul = 0;
  for (let i = 0; i < n; i++) if (data[i] === 0) nul++;
  return nul > 0;
}

function looksHtml(data: Uint8Array): boolean {
  const head = new TextDecoder('latin1').decode(data.subarray(0, 2048)).replace(/^\uFEFF/, '').trimStart().toLowerCase();
  return head.startsWith('<!doctype html') || head.startsWith('<html') || (head.startsWith('<?xml') && head.includes('<html'));
}
