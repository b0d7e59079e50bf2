/**
 * In-process extraction: bytes -> `Extracted`, dispatching on the detected format. This runs
 * INSIDE the ingest worker (worker.ts); the host calls `ingestDocument` (ingest.ts) instead,
 * which isolates it. Tests of single extractors may call `extractBytes` directly.
 *
 * Extending: a new format gets a module exporting `extractX(input)` and a branch here; zip
 * based formats branch in `extractZip` on an entry that identifies them.
 */

import { LongreadError } from '../errors.ts';
import { detectFormat } from './detect.ts';
import { extractDocx } from './docx.ts';
import { extractEpub } from './epub.ts';
import { extractHtml } from './html.ts';
import { extractMarkdown } from './markdown.ts';
import { extractPdf } from './pdf.ts';
import { extractText } from './text.ts';
import type { ExtractInput, Extracted } from './types.ts';
import { openZip } from './zip.ts';

async function extractZip(input: ExtractInput): Promise<Extracted> {
  const zip = openZip(input.name, input.data, input.limits);
  if (zip.has('mimetype') && zip.readText('mimetype').trim() === 'application/epub+zip') return extractEpub(input, zip);
  if (zip.has('META-INF/container.xml') && !zip.has('word/document.xml')) return extractEpub(input, zip);
  if (zip.has('word/document.xml')) return extractDocx(input, zip);
  const kind = zip.has('xl/workbook.xml') ? 'an Excel workbook' : zip.has('ppt/presentation.xml') ? 'a PowerPoint deck' : zip.has('content.xml') ? 'an OpenDocument file' : 'a zip archive';
  throw new LongreadError('document-unsupported', `${input.name} is ${kind}, not a DOCX or EPUB.`, 'Export it as PDF or DOCX and open that.', { file: input.name, detected: kind });
}

export async function extractBytes(input: ExtractInput): Promise<Extracted> {
  if (input.data.length > input.limits.maxFileBytes) {
    throw new LongreadError('document-too-large', `${input.name} is ${input.data.length} bytes, more than the limit of ${input.limits.maxFileBytes}.`, 'Split the document, or raise the file-size limit in the ingest settings.', { file: input.name, limit: 'maxFileBytes', value: input.data.length });
  }
  switch (detectFormat(input.name, input.data)) {
    case 'pdf':
      return extractPdf(input);
    case 'zip':
      return extractZip(input);
    case 'html':
      return extractHtml(input);
    case 'markdown':
      return extractMarkdown(input);
    case 'text':
      return extractText(input);
  }
}
