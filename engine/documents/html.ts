/**
 * HTML: main-content extraction with @mozilla/readability (Firefox Reader View's algorithm,
 * maintained by Mozilla) over linkedom (a DOM without a browser), then DOM-to-text with the
 * shared writer in dom-text.ts. Navigation, sidebars and footers are what Readability strips;
 * when it finds no article (short or unusual pages), the whole body is used minus `nav`,
 * `header`, `footer`, `aside` and ARIA navigation/banner/contentinfo landmarks.
 *
 * Scripts never run: linkedom does not execute them and the writer skips their text.
 * Encoding: BOM, then strict UTF-8, then the page's `<meta charset>`, then windows-1252
 * (reported in notes). Heading levels are shifted so the top level present becomes 1.
 *
 * `htmlToBuilder` is also used by the EPUB (XHTML chapters) and DOCX (mammoth output) paths.
 */

import { Readability } from '@mozilla/readability';
import { parseHTML } from 'linkedom';
import { DomTextWriter } from './dom-text.ts';
import { decodeText, decodeWindows1252, fallbackNote } from './text.ts';
import { TextBuilder } from './text-builder.ts';
import type { ExtractInput, Extracted } from './types.ts';

type Doc = ReturnType<typeof parseHTML>['document'];

const CHROME = 'nav, header, footer, aside, [role="navigation"], [role="banner"], [role="contentinfo"], [role="search"], [aria-hidden="true"]';

export function parseHtmlDocument(html: string): Doc {
  return parseHTML(html).document;
}

/** Smallest heading level under `root` (1..6), or 1 when there is none. */
function topHeadingLevel(root: { querySelector(sel: string): unknown }): number {
  for (let l = 1; l <= 6; l++) if (root.querySelector(`h${l}`)) return l;
  return 1;
}

/** Writes `root`'s text into `b`, shifting headings so the top level present becomes `base`. */
export function domToBuilder(root: Parameters<DomTextWriter['write']>[0] & { querySelector(sel: string): unknown }, b: TextBuilder, base = 1): void {
  new DomTextWriter(b, base - topHeadingLevel(root)).write(root);
}

function decodeHtml(data: Uint8Array): { html: string; encoding: string; note: string | null; name?: string } {
  const dec = decodeText(data);
  if (!dec.fallback) return { html: dec.text, encoding: dec.encoding, note: null };
  const head = new TextDecoder('latin1').decode(data.subarray(0, 4096));
  const m = /<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)/i.exec(head);
  if (m) {
    try {
      const label = m[1]!.toLowerCase();
      // WHATWG maps all of these to windows-1252, which Node's TextDecoder gets wrong (Latin-1).
      if (/^(windows-1252|cp1252|iso-8859-1|iso8859-1|latin1|l1|us-ascii|ascii|x-cp1252)$/.test(label)) {
        return { html: decodeWindows1252(data), encoding: 'windows-1252', note: null };
      }
      const text = new TextDecoder(label, { fatal: true }).decode(data);
      return { html: text, encoding: label, note: null };
    } catch {
      // Unknown label or invalid for it: fall through to the windows-1252 result.
    }
  }
  return { html: dec.text, encoding: dec.encoding, note: 'fallback' };
}

export function extractHtml(input: ExtractInput): Extracted {
  const { html, encoding, note } = decodeHtml(input.data);
  input.progress(0, input.data.length, 'bytes');
  const doc = parseHtmlDocument(html);
  const metaAuthor = doc.querySelector('meta[name="author"]')?.getAttribute('content') ?? null;
  const pageTitle = doc.querySelector('title')?.textContent?.trim() || null;

  // Readability mutates the document: keep a copy for the fallback.
  const fallbackDoc = parseHtmlDocument(html);
  let article: ReturnType<Readability<unknown>['parse']>;
  try {
    article = new Readability<unknown>(doc, { serializer: (n) => n, charThreshold: 200 }).parse();
  } catch {
    article = null;
  }
  const b = new TextBuilder(input.limits.maxTextChars);
  const content = article?.content as (Parameters<typeof domToBuilder>[0] | null | undefined);
  const articleChars = (article?.textContent ?? '').trim().length;
  const notes: string[] = [];
  if (content && articleChars >= 200) {
    // Readability drops the heading that repeats the page title; put it back as the top level.
    const h1 = fallbackDoc.querySelector('h1')?.textContent?.replace(/\s+/g, ' ').trim() ?? '';
    const articleText = (article?.textContent ?? '').replace(/\s+/g, ' ');
    if (h1 && !articleText.includes(h1)) {
      b.heading(1, h1);
      domToBuilder(content, b, 2);
    } else domToBuilder(content, b);
  } else {
    const body = fallbackDoc.body ?? fallbackDoc.documentElement;
    for (const el of [...body.querySelectorAll(CHROME)]) el.remove();
    domToBuilder(body as unknown as Parameters<typeof domToBuilder>[0], b);
    notes.push('No main article was found; the whole page minus navigation was used.');
  }
  if (note) notes.push(fallbackNote(input.name, decodeText(input.data)));
  const { text, sourceMap } = b.finish();
  input.progress(input.data.length, input.data.length, 'bytes');
  return {
    format: 'html',
    // <title> is what the author wrote; Readability's title guess can cut it at a ':' or '-'.
    title: (pageTitle || article?.title?.trim()) ?? null,
    author: article?.byline?.trim() || metaAuthor,
    pages: null,
    text,
    sourceMap,
    notes,
    encoding,
  };
}
