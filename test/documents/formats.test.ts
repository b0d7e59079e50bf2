/**
 * Real documents of every supported format, ingested through `ingestDocument` (the worker):
 * known sentences come out intact, in order, and map to the right page or section.
 * Fixtures and their provenance: test/documents/fixtures/README.md.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ingestDocument } from '../../engine/documents/ingest.ts';
import { locateOffset } from '../../engine/documents/token-spans.ts';
import type { DocumentContent } from '../../engine/service/contract.ts';

const FX = 'test/documents/fixtures/';
const ingest = (name: string) => ingestDocument({ kind: 'path', path: FX + name });

function where(doc: DocumentContent, sentence: string) {
  const at = doc.text.indexOf(sentence);
  expect(at, `"${sentence}" not found intact`).toBeGreaterThanOrEqual(0);
  return { at, ...locateOffset(doc.sourceMap, at) };
}

function checkMapInvariants(doc: DocumentContent) {
  let prev = 0;
  for (const p of doc.sourceMap.pages) {
    expect(p.start).toBeGreaterThanOrEqual(prev);
    expect(p.end).toBeGreaterThanOrEqual(p.start);
    expect(p.end).toBeLessThanOrEqual(doc.text.length);
    prev = p.end;
  }
  for (const s of doc.sourceMap.sections) {
    expect(s.end).toBeGreaterThanOrEqual(s.start);
    expect(s.end).toBeLessThanOrEqual(doc.text.length);
    expect(s.path.length).toBe(s.level > 0 ? s.path.length : 0);
    // A section starts at its heading's text (or at the first block after an unprinted bookmark).
    expect(doc.text.slice(s.start, s.start + 1)).not.toMatch(/\s/);
  }
  expect(doc.info.characters).toBe(doc.text.length);
}

describe('PDF', () => {
  it('two columns, running header/footer, hyphenation, outline (groff ms)', async () => {
    const doc = await ingest('two-column.pdf');
    checkMapInvariants(doc);
    expect(doc.info).toMatchObject({ format: 'pdf', title: 'On the Migration of Reading Lamps', author: 'Ada Fixture', pages: 5 });
    // Marker i: page from pdftotext, section = the i/2-th section; order strictly increasing.
    const pages = [1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5];
    const sections = ['1. Introduction', '2. Field Methods', '3. Observations', '4. Results and Tables', '5. Discussion', '6. Conclusion'];
    let last = -1;
    for (let i = 1; i <= 12; i++) {
      const w = where(doc, `Marker sentence number ${i} says the keeper counted ${i * 3} herons beside the weathered lighthouse.`);
      expect(w.page, `marker ${i}`).toBe(pages[i - 1]);
      expect(w.section, `marker ${i}`).toEqual([sections[Math.floor((i - 1) / 2)]]);
      expect(w.at).toBeGreaterThan(last);
      last = w.at;
    }
    expect(doc.sourceMap.sections.map((s) => s.path.join(' > '))).toEqual(sections);
    // Every word of the body text is a word of the source: no hyphenation fragments
    // ("incompre" + "hensibility"), no running header ("Longread Fixture Journal") or footer
    // ("Page 3") left in, no words glued across columns.
    const src = readFileSync(FX + 'two-column.ms', 'utf8').split('\n').filter((l) => !l.startsWith('.')).join(' ');
    const vocab = new Set(src.toLowerCase().match(/[a-z0-9]+/g));
    const unknown = (doc.text.toLowerCase().match(/[a-z0-9]+/g) ?? []).filter((w) => !vocab.has(w) && !/^[1-6]$/.test(w));
    expect(unknown).toEqual([]);
    expect(doc.text).not.toMatch(/Longread Fixture Journal|Volume Seven|Printed for testing|Page \d/);
    expect(doc.info.notes?.join(' ')).toMatch(/Removed \d+ running header\/footer lines/);
  });

  it('words hyphenated across a page break are rejoined, the page boundary falls inside the word', async () => {
    const doc = await ingest('two-column-page-hyphens.pdf');
    checkMapInvariants(doc);
    const src = readFileSync(FX + 'two-column.ms', 'utf8').split('\n').filter((l) => !l.startsWith('.')).join(' ');
    const vocab = new Set(src.toLowerCase().match(/[a-z0-9]+/g));
    expect((doc.text.toLowerCase().match(/[a-z0-9]+/g) ?? []).filter((w) => !vocab.has(w) && !/^[1-6]$/.test(w))).toEqual([]);
    const p2 = doc.sourceMap.pages[1]!;
    expect(doc.text.slice(p2.start - 4, p2.start + 5)).toBe('carefully');
  });

  it('LibreOffice export: nested bookmarks give the heading hierarchy, sentences map to pages', async () => {
    const doc = await ingest('report.pdf');
    checkMapInvariants(doc);
    expect(doc.info).toMatchObject({ format: 'pdf', title: 'Annual Report of the Lamp Society', author: 'Cora Fixture', pages: 9 });
    const expected: Array<[string, number]> = [['1.1', 2], ['1.2', 3], ['2.1', 5], ['2.2', 6], ['3.1', 7], ['3.2', 9]];
    for (const [id, page] of expected) {
      const [ch, sec] = id.split('.').map(Number) as [number, number];
      const w = where(doc, `Report marker ${id}: the society audited ${ch * 100 + sec} lamps in region ${ch}.`);
      expect(w.page).toBe(page);
      expect(w.section).toEqual([`Chapter ${ch}: Lamps of Region ${ch}`, `Section ${id} Survey Notes`]);
    }
  });
});

describe('PDF without an outline', () => {
  it('headings come from font sizes (LibreOffice export without bookmarks)', async () => {
    const doc = await ingest('report-no-bookmarks.pdf');
    checkMapInvariants(doc);
    const w = where(doc, 'Report marker 2.2: the society audited 202 lamps in region 2.');
    expect(w.page).toBe(6);
    expect(w.section).toEqual(['Annual Report of the Lamp Society', 'Chapter 2: Lamps of Region 2', 'Section 2.2 Survey Notes']);
    expect(doc.sourceMap.sections.filter((s) => s.level === 3)).toHaveLength(6);
  });
});

describe('DOCX, EPUB, Markdown: headings, lists, tables', () => {
  const handbook = (doc: DocumentContent) => {
    checkMapInvariants(doc);
    expect(doc.info.title).toBe('The Orchard Handbook');
    expect(doc.info.author).toBe('Bram Fixture');
    expect(where(doc, 'The handbook recommends three apple varieties for cold northern valleys.').section).toEqual(['Planting', 'Choosing Trees']);
    expect(doc.text).toContain('- Bramley keeps well through winter\n- Cox needs a sheltered wall\n  - prune it in late summer\n- Egremont russet tolerates wind');
    expect(doc.text).toContain('Tree | Spacing | Yield\nApple | 8 m | 150 kg\nPear | 6 m | 90 kg');
    expect(where(doc, 'Apple | 8 m | 150 kg').section).toEqual(['Planting', 'Spacing']);
    expect(doc.text).toContain('1. Lift the fruit gently\n2. Twist it a quarter turn\n3. Place it in a padded basket');
    expect(where(doc, 'Store apples in a cool dark cellar wrapped in newspaper.').section).toEqual(['Harvest', 'Storage']);
    expect(where(doc, 'Winter pruning shapes the tree while summer pruning controls its vigour.').section).toEqual(['Pruning']);
  };

  it('DOCX written by pandoc', async () => {
    const doc = await ingest('handbook.docx');
    expect(doc.info.format).toBe('docx');
    handbook(doc);
  });

  it('DOCX re-saved by LibreOffice Writer', async () => {
    const doc = await ingest('handbook-libreoffice.docx');
    expect(doc.info.format).toBe('docx');
    handbook(doc);
  });

  it('EPUB 3 (spine order across chapter files)', async () => {
    const doc = await ingest('handbook.epub');
    expect(doc.info.format).toBe('epub');
    handbook(doc);
  });

  it('Markdown with front matter', async () => {
    const doc = await ingest('handbook.md');
    expect(doc.info.format).toBe('markdown');
    handbook(doc);
    expect(doc.text).not.toContain('title:');
  });
});

describe('HTML documentation pages shipped by Debian', () => {
  it('libffi manual page: texinfo navigation stripped', async () => {
    const doc = await ingest('libffi-closure-api.html');
    checkMapInvariants(doc);
    expect(doc.info.title).toBe('The Closure API (libffi: the portable foreign function interface library)');
    const w = where(doc, 'This facility is called the closure API.');
    expect(w.section).toEqual(['2.5 The Closure API']);
    expect(doc.text).not.toMatch(/Next: Closure Example|Previous: Multiple ABIs|Up: Using libffi/);
  });

  it('groff mom manual page: navigation tables stripped, heading hierarchy kept', async () => {
    const doc = await ingest('groff-mom-headfootpage.html');
    checkMapInvariants(doc);
    expect(doc.text.startsWith('Page headers/footers, pagination')).toBe(true);
    expect(doc.text).not.toMatch(/Back to Table of Contents|Next: Recto\/verso printing/);
    const w = where(doc, 'By default, mom prints page headers.');
    expect(w.section.slice(0, 2)).toEqual(['Page headers/footers, pagination', 'Managing headers/footers']);
    expect(doc.sourceMap.sections.some((s) => s.level === 3)).toBe(true);
  });
});

describe('Plain text encodings', () => {
  const expected = 'Café crème brûlée, naïve façade.\n\nSecond paragraph with € and “quotes”.';
  it.each([
    ['utf8.txt', 'utf-8'],
    ['utf8-bom.txt', 'utf-8'],
    ['utf16le.txt', 'utf-16le'],
    ['utf16be.txt', 'utf-16be'],
  ])('%s decodes as %s', async (file, enc) => {
    const doc = await ingest(file);
    expect(doc.text).toBe(expected);
    expect(doc.info.encoding).toBe(enc);
    expect(doc.info.notes ?? []).toEqual([]);
  });

  it('windows-1252 is the reported fallback', async () => {
    const doc = await ingest('cp1252.txt');
    expect(doc.text).toBe(expected);
    expect(doc.info.encoding).toBe('windows-1252');
    expect(doc.info.notes?.[0]).toMatch(/not valid UTF-8 \(first invalid byte at offset 3\)/);
  });
});
