/**
 * PDF through pdfjs-dist (legacy build for Node, v5.6.205). Hardened settings:
 *   - `isEvalSupported: false` (CVE-2024-4367: a crafted FontMatrix reached `new Function`);
 *   - no network, no range/stream fetching: the bytes are passed in;
 *   - `disableFontFace`, no system fonts, no wasm decoders, no XFA;
 *   - standard fonts and CMaps only from the pdfjs-dist package directory, through a factory
 *     that refuses any file name with a path in it.
 * pdf.js runs its parser on this (worker) thread through its "fake worker": the worker module
 * is imported statically and set as `globalThis.pdfjsWorker`, which also lets esbuild bundle it.
 *
 * Two passes: first every page's text items become lines (pdf-layout.ts), then running headers
 * and footers are found across pages, the body font size is measured, and each page's lines
 * are put in reading order and joined into paragraphs. Sections come from the PDF outline
 * (bookmarks) when it has one, else from lines set in a larger font than the body.
 *
 * Locating package data in a bundle: set LONGREAD_PDFJS_DIR to a folder holding pdfjs-dist's
 * `standard_fonts/` and `cmaps/` (the Electron build copies them next to the bundle); without
 * them text still comes out, but PDFs using predefined CJK CMaps may lose characters.
 */

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
// Must come before pdf.js: it provides DOMMatrix, which pdf.js constructs at load time.
import './pdf-globals.ts';
import * as pdfjs from 'pdfjs-dist/legacy/build/pdf.mjs';
// @ts-expect-error -- pdf.js ships no type declarations for its worker module.
import * as pdfjsWorker from 'pdfjs-dist/legacy/build/pdf.worker.mjs';
import { LongreadError } from '../errors.ts';
import { normaliseInline, TextBuilder } from './text-builder.ts';
import { orderSegments, pageContinuation, pageLines, paragraphs, runningKeys, stripRunning, type Line, type Paragraph, type PdfItem } from './pdf-layout.ts';
import type { ExtractInput, Extracted } from './types.ts';

(globalThis as { pdfjsWorker?: unknown }).pdfjsWorker = pdfjsWorker;

function packageDir(): string | null {
  const env = process.env.LONGREAD_PDFJS_DIR;
  if (env && existsSync(path.join(env, 'standard_fonts'))) return env;
  try {
    const req = createRequire(import.meta.url);
    return path.dirname(req.resolve('pdfjs-dist/package.json'));
  } catch {
    return null;
  }
}

/** Serves pdf.js's font and CMap requests from the package folders only. */
class PackageDataFactory {
  private readonly dirs: Record<string, string | null>;
  constructor(opts: { cMapUrl: string | null; standardFontDataUrl: string | null }) {
    this.dirs = { cMapUrl: opts.cMapUrl, standardFontDataUrl: opts.standardFontDataUrl };
  }
  async fetch({ kind, filename }: { kind: string; filename: string }): Promise<Uint8Array> {
    const dir = this.dirs[kind];
    if (!dir || !/^[A-Za-z0-9_.+-]+$/.test(filename) || filename.includes('..')) throw new Error(`refused ${kind} ${filename}`);
    return new Uint8Array(await readFile(path.join(dir, filename)));
  }
}

function mapPdfError(file: string, e: unknown): LongreadError {
  if (e instanceof LongreadError) return e;
  const name = (e as { name?: string })?.name ?? '';
  const msg = e instanceof Error ? e.message : String(e);
  if (name === 'PasswordException') {
    return new LongreadError('document-unsupported', `${file} is protected by a password.`, 'Remove the password (print to PDF, or qpdf --decrypt) and open it again.', { file });
  }
  return new LongreadError('document-invalid', `${file} could not be read as a PDF: ${msg.replace(/\.$/, '')}.`, 'The PDF is damaged or truncated; re-download it or re-export it.', { file, cause: name || 'Error' });
}

interface OutlineEntry {
  level: number;
  title: string;
  page: number;
}

type PdfDoc = Awaited<ReturnType<typeof pdfjs.getDocument>['promise']>;

async function flattenOutline(doc: PdfDoc): Promise<OutlineEntry[]> {
  const out: OutlineEntry[] = [];
  let outline: Awaited<ReturnType<PdfDoc['getOutline']>> = [];
  try {
    outline = (await doc.getOutline()) ?? [];
  } catch {
    return out;
  }
  const walk = async (items: typeof outline, level: number) => {
    for (const it of items) {
      if (out.length > 5000) return;
      let page = -1;
      try {
        const dest = typeof it.dest === 'string' ? await doc.getDestination(it.dest) : it.dest;
        const ref = Array.isArray(dest) ? dest[0] : null;
        if (typeof ref === 'number') page = ref;
        else if (ref && typeof ref === 'object') page = await doc.getPageIndex(ref as Parameters<PdfDoc['getPageIndex']>[0]);
      } catch {
        page = -1;
      }
      if (page >= 0 && it.title.trim()) out.push({ level: Math.min(6, level), title: it.title, page: page + 1 });
      if (it.items?.length) await walk(it.items, level + 1);
    }
  };
  await walk(outline, 1);
  return out;
}

const fold = (s: string) => s.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');

/** Does a paragraph start with an outline title (folded), ignoring a leading section number? */
function startsWithTitle(text: string, foldedTitle: string): boolean {
  const f = fold(text);
  if (f.startsWith(foldedTitle)) return true;
  const unnumbered = fold(text.replace(/^\s*(?:(?:chapter|section|part)\s+)?(?:\d+(?:\.\d+)*|[ivxlc]+|[A-Z])[.):]?\s+/i, ''));
  return unnumbered.startsWith(foldedTitle);
}

/** Body font size (the size carrying most characters) and the larger sizes used for headings. */
function headingSizes(pages: Line[][]): { body: number; levels: Map<number, number> } {
  const chars = new Map<number, number>();
  for (const lines of pages) for (const l of lines) chars.set(Math.round(l.size * 2) / 2, (chars.get(Math.round(l.size * 2) / 2) ?? 0) + l.text.length);
  let body = 0;
  let most = -1;
  for (const [s, c] of chars) if (c > most) [body, most] = [s, c];
  const bigger = [...chars.keys()].filter((s) => s >= body * 1.15).sort((a, b) => b - a).slice(0, 4);
  return { body, levels: new Map(bigger.map((s, i) => [s, i + 1])) };
}

export async function extractPdf(input: ExtractInput): Promise<Extracted> {
  const file = input.name;
  const dir = packageDir();
  const fontsUrl = dir ? path.join(dir, 'standard_fonts') + path.sep : null;
  const cmapsUrl = dir ? path.join(dir, 'cmaps') + path.sep : null;
  const task = pdfjs.getDocument({
    // pdf.js transfers (detaches) the buffer it is given: hand it a copy.
    data: input.data.slice(),
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    useWasm: false,
    useWorkerFetch: false,
    isOffscreenCanvasSupported: false,
    isImageDecoderSupported: false,
    enableXfa: false,
    disableRange: true,
    disableStream: true,
    disableAutoFetch: true,
    stopAtErrors: false,
    maxImageSize: 0,
    verbosity: 0,
    cMapPacked: true,
    ...(cmapsUrl ? { cMapUrl: cmapsUrl } : {}),
    ...(fontsUrl ? { standardFontDataUrl: fontsUrl } : {}),
    BinaryDataFactory: PackageDataFactory,
  });
  let doc: PdfDoc;
  try {
    doc = await task.promise;
  } catch (e) {
    await task.destroy().catch(() => undefined);
    throw mapPdfError(file, e);
  }
  try {
    const n = doc.numPages;
    if (n > input.limits.maxPages) {
      throw new LongreadError('document-limit', `${file} has ${n} pages, more than the limit of ${input.limits.maxPages}.`, 'Split the PDF, or raise the page limit in the ingest settings.', { file, limit: 'maxPages', value: n });
    }
    let title: string | null = null;
    let author: string | null = null;
    try {
      const meta = await doc.getMetadata();
      const info = (meta.info ?? {}) as Record<string, unknown>;
      title = (typeof info.Title === 'string' && normaliseInline(info.Title)) || meta.metadata?.get('dc:title') || null;
      author = (typeof info.Author === 'string' && normaliseInline(info.Author)) || meta.metadata?.get('dc:creator') || null;
    } catch {
      // Metadata is optional; a broken Info dictionary does not stop the text.
    }
    const outline = await flattenOutline(doc);

    // Pass 1: lines of every page (the part that costs time: progress per page).
    const pages: Line[][] = [];
    const notes: string[] = [];
    let failedPages = 0;
    for (let p = 1; p <= n; p++) {
      try {
        const page = await doc.getPage(p);
        const tc = await page.getTextContent();
        const items: PdfItem[] = [];
        for (const it of tc.items) {
          if (!('str' in it) || !it.str) continue;
          const t = it.transform as number[];
          items.push({ str: it.str, x: t[4]!, y: t[5]!, w: it.width, size: Math.hypot(t[2]!, t[3]!) || it.height || 1 });
        }
        pages.push(pageLines(items));
        page.cleanup();
      } catch (e) {
        failedPages++;
        pages.push([]);
        if (failedPages <= 3) notes.push(`Page ${p} could not be read (${e instanceof Error ? e.message : String(e)}).`);
      }
      input.progress(p, n, 'pages');
    }
    if (failedPages === n && n > 0) throw new LongreadError('document-invalid', `${file}: none of its ${n} pages could be read.`, 'The PDF is damaged; re-export it.', { file });

    // Pass 2: running headers/footers, headings, reading order, paragraphs.
    const keys = runningKeys(pages);
    const { body, levels } = headingSizes(pages);
    const b = new TextBuilder(input.limits.maxTextChars);
    let removed = 0;
    let lastBody: Paragraph | null = null;
    for (let p = 1; p <= n; p++) {
      const { kept, removed: r } = stripRunning(pages[p - 1]!, keys);
      removed += r;
      const paras: Paragraph[] = paragraphs(orderSegments(kept));
      b.startPage(p);
      // Outline entries of this page: each is matched to the first later paragraph that starts
      // with its title (section numbers ignored); an unmatched one opens where the previous
      // one did (or at the page start), without adding its title to the text.
      const marks = outline.filter((o) => o.page === p);
      const at: number[] = [];
      const matched = new Set<number>();
      let from = 0;
      for (const m of marks) {
        const t = fold(m.title);
        const i = paras.findIndex((para, k) => k >= from && t !== '' && startsWithTitle(para.text, t));
        if (i >= 0) {
          at.push(i);
          matched.add(at.length - 1);
          from = i + 1;
        } else at.push(from);
      }
      for (let k = 0; k < paras.length; k++) {
        const para = paras[k]!;
        // A paragraph (or word) cut by the page break continues the last one of the previous page.
        if (k === 0 && lastBody && !at.includes(0)) {
          const cont = pageContinuation(lastBody, para);
          if (cont && b.extendLast(para.text, cont.dropTail, cont.sep)) {
            lastBody = { text: lastBody.text.slice(0, lastBody.text.length - cont.dropTail) + cont.sep + para.text, size: para.size };
            continue;
          }
        }
        lastBody = null;
        let isHeading = false;
        for (let j = 0; j < marks.length; j++) {
          if (at[j] !== k) continue;
          const m = marks[j]!;
          if (matched.has(j) && para.text.length <= m.title.length + 24) {
            b.heading(m.level, para.text);
            isHeading = true;
          } else b.heading(m.level, m.title, false);
        }
        if (isHeading) continue;
        if (outline.length === 0 && para.size >= body * 1.15 && para.text.length <= 150) {
          const lvl = levels.get(Math.round(para.size * 2) / 2) ?? Math.min(6, levels.size + 1);
          b.heading(lvl, para.text);
          continue;
        }
        if (b.paragraph(para.text)) lastBody = para;
      }
      for (let j = 0; j < marks.length; j++) if (at[j]! >= paras.length) b.heading(marks[j]!.level, marks[j]!.title, false);
      b.endPage();
    }
    if (removed > 0) notes.push(`Removed ${removed} running header/footer lines (${keys.size} distinct).`);
    const { text, sourceMap } = b.finish();
    return { format: 'pdf', title, author, pages: n, text, sourceMap, notes };
  } catch (e) {
    throw mapPdfError(file, e);
  } finally {
    await doc.destroy().catch(() => undefined);
  }
}
