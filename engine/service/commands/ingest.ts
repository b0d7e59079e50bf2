/**
 * `longread ingest FILE [--json] [--chars N]`: ingests one document through the same worker the
 * engine host uses (engine/documents/ingest.ts) and prints its metadata, its text (or the first
 * N characters) and a summary of its source map (page spans, section tree). With --json it
 * prints one object { info, text, sourceMap } (text cut to N characters when --chars is given).
 * Progress goes to stderr when stderr is a terminal. Limits can be raised with
 * --max-pages / --timeout-s for very large files.
 */
import { parseArgs } from 'node:util';
import { ingestDocument } from '../../documents/ingest.ts';
import { LongreadError } from '../../errors.ts';
import type { DocumentContent } from '../contract.ts';
import type { Command } from './command.ts';

function summary(doc: DocumentContent, chars: number | null): string {
  const i = doc.info;
  const out: string[] = [];
  out.push(`file:       ${i.name} (${i.bytes} bytes, ${i.format})`);
  out.push(`title:      ${i.title}`);
  out.push(`author:     ${i.author ?? '-'}`);
  out.push(`pages:      ${i.pages ?? '-'}    words: ${i.words}    characters: ${i.characters}`);
  if (i.encoding) out.push(`encoding:   ${i.encoding}`);
  for (const n of i.notes ?? []) out.push(`note:       ${n}`);
  const shown = chars === null ? doc.text : doc.text.slice(0, chars);
  out.push('', `--- text (${shown.length} of ${doc.text.length} characters) ---`, shown, '--- end of text ---', '');
  const pages = doc.sourceMap.pages;
  out.push(`source map: ${pages.length} page spans, ${doc.sourceMap.sections.length} sections`);
  for (const p of pages.slice(0, 8)) out.push(`  page ${p.page}: [${p.start}, ${p.end})`);
  if (pages.length > 8) out.push(`  ... ${pages.length - 8} more pages, last: page ${pages[pages.length - 1]!.page} [${pages[pages.length - 1]!.start}, ${pages[pages.length - 1]!.end})`);
  for (const s of doc.sourceMap.sections.slice(0, 40)) out.push(`  ${'  '.repeat(s.level - 1)}${s.path[s.path.length - 1]}  [${s.start}, ${s.end})`);
  if (doc.sourceMap.sections.length > 40) out.push(`  ... ${doc.sourceMap.sections.length - 40} more sections`);
  return out.join('\n') + '\n';
}

export const ingestCommand: Command = {
  name: 'ingest',
  summary: 'Extract a document (PDF, DOCX, EPUB, HTML, Markdown, text): metadata, text and source map',
  usage: 'FILE [--json] [--chars N] [--max-pages N] [--timeout-s S]',
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        chars: { type: 'string' },
        'max-pages': { type: 'string' },
        'timeout-s': { type: 'string' },
      },
    });
    const file = positionals[0];
    if (!file || positionals.length > 1) throw new LongreadError('bad-request', 'ingest takes exactly one FILE.', 'Usage: longread ingest FILE [--json] [--chars N]');
    const num = (v: string | undefined, name: string): number | null => {
      if (v === undefined) return null;
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) throw new LongreadError('bad-request', `--${name} must be a non-negative number, got "${v}".`, `Example: --${name} 500`);
      return n;
    };
    const chars = num(values.chars, 'chars');
    const maxPages = num(values['max-pages'], 'max-pages');
    const timeoutS = num(values['timeout-s'], 'timeout-s');
    const tty = process.stderr.isTTY && !values.json;
    const doc = await ingestDocument(
      { kind: 'path', path: file },
      {
        limits: { ...(maxPages !== null ? { maxPages } : {}), ...(timeoutS !== null ? { timeoutMs: timeoutS * 1000 } : {}) },
        ...(tty ? { onProgress: (d: number, t: number, u: string, eta: number | undefined) => process.stderr.write(`\r${d}/${t} ${u}${eta !== undefined ? `, ${Math.ceil(eta / 1000)} s left` : ''}   `) } : {}),
      },
    );
    if (tty) process.stderr.write('\r\x1b[K');
    if (values.json) {
      process.stdout.write(JSON.stringify({ info: doc.info, text: chars === null ? doc.text : doc.text.slice(0, chars), sourceMap: doc.sourceMap }) + '\n');
    } else {
      process.stdout.write(summary(doc, chars));
    }
    return 0;
  },
};
