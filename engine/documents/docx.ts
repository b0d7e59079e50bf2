/**
 * DOCX through mammoth (semantic HTML: Heading 1..6 styles become h1..h6, numbered and bulleted
 * paragraphs become lists, tables stay tables), then the shared DOM writer. Title and author
 * come from docProps/core.xml.
 *
 * Safety: mammoth unzips with JSZip, which has no size limits. So the container is first read
 * with zip.ts (bomb limits checked from the central directory, enforced while inflating, unsafe
 * names rejected) and only its XML parts are handed to mammoth, re-packed uncompressed: JSZip
 * never inflates a byte we did not check. Images are never read (`convertImage` returns an
 * empty element) and external file access stays off (mammoth's default since 1.11).
 *
 * Extending: custom style mappings (e.g. a "Title" style to h1) go into `STYLE_MAP`.
 */

import { zipSync } from 'fflate';
import mammoth from 'mammoth';
import { LongreadError } from '../errors.ts';
import { domToBuilder, parseHtmlDocument } from './html.ts';
import { TextBuilder } from './text-builder.ts';
import type { ExtractInput, Extracted } from './types.ts';
import type { ZipArchive } from './zip.ts';

const STYLE_MAP = ["p[style-name='Title'] => h1.doc-title:fresh", "p[style-name='Subtitle'] => p.subtitle:fresh"];

function coreProp(xml: string, tag: string): string | null {
  const m = new RegExp(`<${tag}[^>]*>([\\s\\S]*?)</${tag}>`).exec(xml);
  if (!m) return null;
  const t = m[1]!
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&')
    .trim();
  return t || null;
}

export async function extractDocx(input: ExtractInput, zip: ZipArchive): Promise<Extracted> {
  const file = input.name;
  if (!zip.has('word/document.xml')) {
    throw new LongreadError('document-invalid', `${file}: word/document.xml is missing.`, 'The DOCX is damaged; re-save it from Word or LibreOffice.', { file });
  }
  const parts: Record<string, Uint8Array> = {};
  for (const name of zip.entries.keys()) {
    if (/\.(xml|rels)$/i.test(name)) parts[name] = zip.read(name);
  }
  input.progress(1, 3, 'pages');
  const repacked = zipSync(parts, { level: 0 });
  let html: string;
  try {
    const res = await mammoth.convertToHtml(
      { buffer: Buffer.from(repacked.buffer, repacked.byteOffset, repacked.byteLength) },
      { styleMap: STYLE_MAP, convertImage: mammoth.images.imgElement(async () => ({ src: '' })), externalFileAccess: false },
    );
    html = res.value;
  } catch (e) {
    throw new LongreadError('document-invalid', `${file}: mammoth could not read it (${e instanceof Error ? e.message : String(e)}).`, 'The DOCX is damaged; re-save it from Word or LibreOffice.', { file });
  }
  input.progress(2, 3, 'pages');
  const doc = parseHtmlDocument(`<!doctype html><html><body>${html}</body></html>`);
  const b = new TextBuilder(input.limits.maxTextChars);
  domToBuilder(doc.body as unknown as Parameters<typeof domToBuilder>[0], b);
  const { text, sourceMap } = b.finish();
  const core = zip.has('docProps/core.xml') ? new TextDecoder().decode(parts['docProps/core.xml']) : '';
  input.progress(3, 3, 'pages');
  return {
    format: 'docx',
    title: coreProp(core, 'dc:title') ?? doc.querySelector('h1')?.textContent?.trim() ?? null,
    author: coreProp(core, 'dc:creator'),
    pages: null,
    text,
    sourceMap,
    notes: [],
  };
}
