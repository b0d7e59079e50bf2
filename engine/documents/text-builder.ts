/**
 * Builds the normalised text of a document together with its source map. Every extractor
 * (PDF, DOCX, EPUB, HTML, Markdown, text) emits blocks, headings and page boundaries into one
 * `TextBuilder`, so offsets in the source map are right by construction: they are taken from
 * the builder's running length, never recomputed by searching the text.
 *
 * Text shape: blocks (paragraphs, headings, code) are separated by a blank line; "tight"
 * blocks (list items, table rows) that follow each other are separated by a single newline.
 * Inside a block whitespace is collapsed (except `pre` blocks), the text is NFC-normalised and
 * control characters other than newline and tab are dropped.
 *
 * Sections: a heading of level L closes every open section of level >= L and opens a new one
 * whose path is the titles of the still-open ancestors plus its own title. A section spans from
 * its heading to the next heading of the same or a higher level (or the end of the text).
 *
 * Extending: a new kind of block is a new method that ends in `push`; keep offsets flowing only
 * through `push`.
 */

import { LongreadError } from '../errors.ts';
import type { PageSpan, SectionSpan, SourceMap } from '../service/contract.ts';

// C0/C1 controls except \t \n, plus U+FFFE/U+FFFF and lone surrogates are not text.
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFFFE\uFFFF]/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Collapses whitespace runs to one space, trims, NFC-normalises, drops control characters. */
export function normaliseInline(s: string): string {
  return s
    .replace(CONTROL, ' ')
    .replace(LONE_SURROGATE, '\uFFFD')
    .replace(/[\s\u00A0\u2000-\u200B\u2028\u2029\u3000]+/g, ' ')
    .trim()
    .normalize('NFC');
}

/** For preformatted text: keeps newlines and indentation, drops controls and trailing spaces. */
export function normalisePre(s: string): string {
  return s
    .replace(/\r\n?/g, '\n')
    .replace(CONTROL, '')
    .replace(LONE_SURROGATE, '\uFFFD')
    .replace(/[ \t]+$/gm, '')
    .replace(/^\n+|\n+$/g, '')
    .normalize('NFC');
}

interface OpenSection {
  title: string;
  level: number;
  start: number;
  index: number;
}

export class TextBuilder {
  private parts: string[] = [];
  private length = 0;
  private lastTight = false;
  private readonly stack: OpenSection[] = [];
  private readonly sections: SectionSpan[] = [];
  private readonly pages: PageSpan[] = [];
  private pageOpen: { page: number; start: number } | null = null;
  /** Sections opened without text: their start moves to the next block actually pushed. */
  private pendingSections: number[] = [];

  constructor(private readonly maxChars = Number.POSITIVE_INFINITY) {}

  get size(): number {
    return this.length;
  }

  /** A paragraph (whitespace collapsed). Returns the [start, end) of the text added, or null. */
  paragraph(text: string): { start: number; end: number } | null {
    return this.push(normaliseInline(text), false);
  }

  /** A list item or table row: consecutive tight blocks are separated by one newline. */
  line(text: string, indent = ''): { start: number; end: number } | null {
    const t = normaliseInline(text);
    return t ? this.push(indent + t, true) : null;
  }

  /** Preformatted text (code): newlines kept. */
  pre(text: string): { start: number; end: number } | null {
    return this.push(normalisePre(text), false);
  }

  /**
   * A heading at level 1..6: opens a section and emits its title as its own block. With
   * `emit = false` the section opens at the next block without adding the title to the text
   * (a PDF outline entry whose title is not printed on the page).
   */
  heading(level: number, text: string, emit = true): void {
    const title = normaliseInline(text);
    if (!title) return;
    const lvl = Math.min(6, Math.max(1, Math.round(level)));
    const start = this.sepStart(false);
    this.closeSections(lvl, start);
    const path = [...this.stack.map((s) => s.title), title];
    const index = this.sections.length;
    this.sections.push({ path, level: lvl, start, end: start });
    this.stack.push({ title, level: lvl, start, index });
    if (emit) this.push(title, false);
    else this.pendingSections.push(index);
  }

  /** Marks the start of a page (PDF); the previous page, if open, ends here. */
  startPage(page: number): void {
    this.endPage();
    this.pageOpen = { page, start: -1 };
  }

  endPage(): void {
    if (!this.pageOpen) return;
    const { page, start } = this.pageOpen;
    // A page that produced no text is an empty span at the current end.
    this.pages.push({ page, start: start < 0 ? this.length : start, end: this.length });
    this.pageOpen = null;
  }

  /**
   * Continues the last block with text from the next page (a paragraph split by a page break):
   * drops `dropTail` characters from its end (a line-end hyphen), appends `sep` + `text`, and
   * the page opened since then starts where `text` starts. Only valid when nothing else was
   * pushed since that block and no section is waiting to open.
   */
  extendLast(text: string, dropTail: number, sep: string): { start: number; end: number } | null {
    const t = normaliseInline(text);
    if (!t || this.parts.length === 0 || this.pendingSections.length > 0) return null;
    const last = this.parts.length - 1;
    this.parts[last] = this.parts[last]!.slice(0, this.parts[last]!.length - dropTail) + sep;
    this.length += sep.length - dropTail;
    const prevPage = this.pages[this.pages.length - 1];
    if (prevPage && prevPage.end > this.length - sep.length) prevPage.end = this.length - sep.length;
    const start = this.length;
    if (this.pageOpen && this.pageOpen.start < 0) this.pageOpen.start = start;
    this.parts.push(t);
    this.length += t.length;
    return { start, end: this.length };
  }

  /** Ends a run of tight blocks so the next block starts after a blank line. */
  breakTight(): void {
    this.lastTight = false;
  }

  finish(): { text: string; sourceMap: SourceMap } {
    this.endPage();
    this.closeSections(0, this.length);
    return { text: this.parts.join(''), sourceMap: { pages: this.pages, sections: this.sections } };
  }

  /** Where the next block's text will start (after its separator). */
  private sepStart(tight: boolean): number {
    if (this.length === 0) return 0;
    return this.length + (tight && this.lastTight ? 1 : 2);
  }

  private closeSections(level: number, at: number): void {
    while (this.stack.length > 0 && this.stack[this.stack.length - 1]!.level >= level) {
      const s = this.stack.pop()!;
      this.sections[s.index]!.end = Math.max(s.start, Math.min(at, this.length));
    }
  }

  private push(text: string, tight: boolean): { start: number; end: number } | null {
    if (!text) return null;
    if (this.length > 0) {
      const sep = tight && this.lastTight ? '\n' : '\n\n';
      this.parts.push(sep);
      this.length += sep.length;
    }
    const start = this.length;
    if (this.pageOpen && this.pageOpen.start < 0) this.pageOpen.start = start;
    for (const i of this.pendingSections) {
      this.sections[i]!.start = start;
      for (const s of this.stack) if (s.index === i) s.start = start;
    }
    this.pendingSections = [];
    this.parts.push(text);
    this.length += text.length;
    this.lastTight = tight;
    if (this.length > this.maxChars) {
      throw new LongreadError(
        'document-limit',
        `The document's text exceeds the limit of ${this.maxChars} characters.`,
        'Split the document into smaller parts, or raise the text limit in the ingest settings.',
        { limit: 'maxTextChars', value: this.maxChars },
      );
    }
    return { start, end: this.length };
  }
}

/** Words as the UI counts them: runs of letters/digits (with inner apostrophes or hyphens). */
export function countWords(text: string): number {
  const m = text.match(/[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu);
  return m ? m.length : 0;
}
