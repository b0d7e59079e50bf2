/**
 * EPUB 2/3: META-INF/container.xml names the package (OPF) file; its manifest maps ids to
 * files and its spine gives the reading order. Each XHTML spine item is converted with the
 * shared DOM writer (headings open sections, lists and tables keep their plain form);
 * non-XHTML spine items (images, SVG) are skipped. Title and author come from the OPF's
 * Dublin Core metadata. Progress is reported per spine item (unit `pages`).
 *
 * Safety: the zip goes through zip.ts (bomb limits before inflating, unsafe names rejected);
 * hrefs are resolved against the OPF's folder and must stay inside the container; scripts in
 * chapters are never run (linkedom does not execute them).
 *
 * Extending: EPUB 3 nav labels or NCX titles for chapters without headings would go into
 * `extractEpub` as synthetic level-1 headings.
 */

import { DOMParser } from 'linkedom';
import { LongreadError } from '../errors.ts';
import { domToBuilder, parseHtmlDocument } from './html.ts';
import { TextBuilder } from './text-builder.ts';
import type { ExtractInput, Extracted } from './types.ts';
import type { ZipArchive } from './zip.ts';

function invalid(file: string, message: string, details: Record<string, unknown> = {}): LongreadError {
  return new LongreadError('document-invalid', `${file}: ${message}`, 'The EPUB is damaged; re-export it or convert it with Calibre.', { file, ...details });
}

/** Resolves `href` against the folder `base` ('' or ending in '/'); null when it escapes. */
export function resolveHref(base: string, href: string): string | null {
  let h: string;
  try {
    h = decodeURIComponent(href.split('#')[0]!.split('?')[0]!);
  } catch {
    return null;
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(h) || h.startsWith('/')) return null;
  const out: string[] = base.split('/').filter(Boolean);
  for (const seg of h.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length === 0) return null;
      out.pop();
    } else out.push(seg);
  }
  return out.join('/');
}

function xmlDoc(text: string) {
  // linkedom's XML parser keeps prefixed names as the local name ("dc:title"); no DTDs, no entities beyond XML's five.
  return new DOMParser().parseFromString(text.replace(/<!DOCTYPE[^>[]*(\[[^\]]*\])?[^>]*>/i, ''), 'text/xml');
}

function firstText(doc: ReturnType<typeof xmlDoc>, tags: string[]): string | null {
  for (const el of doc.querySelectorAll('*')) {
    const n = (el.localName ?? el.tagName ?? '').toLowerCase();
    if (tags.includes(n)) {
      const t = el.textContent?.trim();
      if (t) return t;
    }
  }
  return null;
}

export function extractEpub(input: ExtractInput, zip: ZipArchive): Extracted {
  const file = input.name;
  if (!zip.has('META-INF/container.xml')) throw invalid(file, 'META-INF/container.xml is missing.');
  const container = xmlDoc(zip.readText('META-INF/container.xml'));
  const rootfile = [...container.querySelectorAll('*')].find((e) => (e.localName ?? '').toLowerCase() === 'rootfile');
  const opfPath = rootfile?.getAttribute('full-path');
  if (!opfPath) throw invalid(file, 'container.xml names no rootfile.', { entry: 'META-INF/container.xml' });
  const opfName = resolveHref('', opfPath);
  if (!opfName || !zip.has(opfName)) throw invalid(file, `the package file "${opfPath}" is missing or outside the container.`, { entry: opfPath });
  const opfDir = opfName.includes('/') ? opfName.slice(0, opfName.lastIndexOf('/') + 1) : '';
  const opf = xmlDoc(zip.readText(opfName));

  const title = firstText(opf, ['dc:title', 'title']);
  const author = firstText(opf, ['dc:creator', 'creator']);
  const manifest = new Map<string, { href: string; type: string }>();
  const spineIds: string[] = [];
  for (const el of opf.querySelectorAll('*')) {
    const n = (el.localName ?? '').toLowerCase();
    if (n === 'item') {
      const id = el.getAttribute('id');
      const href = el.getAttribute('href');
      if (id && href) manifest.set(id, { href, type: (el.getAttribute('media-type') ?? '').toLowerCase() });
    } else if (n === 'itemref') {
      const idref = el.getAttribute('idref');
      if (idref && el.getAttribute('linear') !== 'no') spineIds.push(idref);
    }
  }
  if (spineIds.length === 0) throw invalid(file, 'the spine lists no chapters.', { entry: opfName });

  const b = new TextBuilder(input.limits.maxTextChars);
  const notes: string[] = [];
  let done = 0;
  for (const id of spineIds) {
    const item = manifest.get(id);
    done++;
    if (!item) {
      notes.push(`Spine item "${id}" is not in the manifest; skipped.`);
      continue;
    }
    if (!/html|xml/.test(item.type)) continue;
    const path = resolveHref(opfDir, item.href);
    if (!path) throw new LongreadError('document-invalid', `${file}: spine item "${item.href}" points outside the container (path traversal).`, 'Do not trust this file; it was crafted to read outside its folder.', { file, entry: item.href });
    if (!zip.has(path)) {
      notes.push(`Chapter "${path}" is missing; skipped.`);
      continue;
    }
    const doc = parseHtmlDocument(zip.readText(path));
    const body = doc.body ?? doc.documentElement;
    // Chapters are siblings: each one's top heading is level 1 in the book's outline.
    domToBuilder(body as unknown as Parameters<typeof domToBuilder>[0], b, 1);
    b.breakTight();
    input.progress(done, spineIds.length, 'pages');
  }
  const { text, sourceMap } = b.finish();
  return { format: 'epub', title, author, pages: null, text, sourceMap, notes };
}
