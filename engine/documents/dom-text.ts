/**
 * DOM to readable plain text, shared by the HTML, EPUB and DOCX extractors (DOCX goes through
 * mammoth's semantic HTML). Headings open sections in the `TextBuilder`; lists become one line
 * per item with a bullet (`- `) or number (`3. `) and two spaces of indent per nesting level;
 * tables become one line per row with cells joined by ` | `; `pre` keeps its line breaks;
 * everything else becomes whitespace-collapsed paragraphs.
 *
 * Works on any DOM implementation with `childNodes`, `nodeType`, `localName`, `textContent`
 * (linkedom in the engine). Hand-written rather than a library (html-to-text, turndown): those
 * produce Markdown or wrapped text without the callbacks we need to record section offsets.
 *
 * Extending: a new block element goes into `BLOCK`; a new structured element gets a branch in
 * `walk` that flushes the inline buffer first and ends with `b.breakTight()` when it emitted
 * tight lines.
 */

import { TextBuilder } from './text-builder.ts';

interface DomNode {
  nodeType: number;
  localName?: string;
  textContent: string | null;
  childNodes: ArrayLike<DomNode>;
  getAttribute?(name: string): string | null;
}

const SKIP = new Set(['script', 'style', 'noscript', 'template', 'svg', 'math', 'iframe', 'object', 'embed', 'button', 'select', 'input', 'textarea', 'nav', 'head', 'title', 'meta', 'link']);
const BLOCK = new Set([
  'p', 'div', 'section', 'article', 'main', 'header', 'footer', 'aside', 'blockquote', 'figure', 'figcaption',
  'address', 'dl', 'dt', 'dd', 'details', 'summary', 'center', 'body', 'html', 'form', 'fieldset', 'legend', 'caption', 'hgroup',
]);
const HEADING = /^h([1-6])$/;

const tagOf = (n: DomNode): string => (n.localName ?? '').toLowerCase();

/** Text of a subtree with spaces where block boundaries and line breaks were. */
export function inlineText(n: DomNode): string {
  if (n.nodeType === 3) return n.textContent ?? '';
  if (n.nodeType !== 1 && n.nodeType !== 9 && n.nodeType !== 11) return '';
  const tag = tagOf(n);
  if (SKIP.has(tag)) return '';
  if (tag === 'br') return ' ';
  const out: string[] = [];
  const kids = n.childNodes;
  for (let i = 0; i < kids.length; i++) out.push(inlineText(kids[i]!));
  const s = out.join('');
  return BLOCK.has(tag) || tag === 'li' || tag === 'td' || tag === 'th' || tag === 'tr' || HEADING.test(tag) ? ` ${s} ` : s;
}

export class DomTextWriter {
  private buf: string[] = [];

  constructor(private readonly b: TextBuilder, private readonly headingShift = 0) {}

  write(root: DomNode): void {
    this.walk(root);
    this.flush();
  }

  private flush(): void {
    if (this.buf.length === 0) return;
    this.b.paragraph(this.buf.join(''));
    this.buf = [];
  }

  private walk(n: DomNode): void {
    if (n.nodeType === 3) {
      this.buf.push(n.textContent ?? '');
      return;
    }
    if (n.nodeType !== 1 && n.nodeType !== 9 && n.nodeType !== 11) return;
    const tag = tagOf(n);
    if (SKIP.has(tag)) return;
    const h = HEADING.exec(tag);
    if (h) {
      this.flush();
      this.b.heading(Number(h[1]) + this.headingShift, inlineText(n));
      return;
    }
    if (tag === 'ul' || tag === 'ol') {
      this.flush();
      this.list(n, 0);
      this.b.breakTight();
      return;
    }
    if (tag === 'table') {
      this.flush();
      this.table(n);
      this.b.breakTight();
      return;
    }
    if (tag === 'pre') {
      this.flush();
      this.b.pre(n.textContent ?? '');
      return;
    }
    if (tag === 'hr') {
      this.flush();
      return;
    }
    if (tag === 'br') {
      this.buf.push(' ');
      return;
    }
    const block = BLOCK.has(tag) || tag === 'li';
    if (block) this.flush();
    const kids = n.childNodes;
    for (let i = 0; i < kids.length; i++) this.walk(kids[i]!);
    if (block) this.flush();
  }

  private list(n: DomNode, depth: number): void {
    const ordered = tagOf(n) === 'ol';
    let num = Number.parseInt(n.getAttribute?.('start') ?? '1', 10);
    if (!Number.isFinite(num)) num = 1;
    const indent = '  '.repeat(depth);
    const kids = n.childNodes;
    for (let i = 0; i < kids.length; i++) {
      const li = kids[i]!;
      const tag = tagOf(li);
      if (tag === 'ul' || tag === 'ol') {
        this.list(li, depth + 1);
        continue;
      }
      if (tag !== 'li') continue;
      const marker = ordered ? `${num++}. ` : '- ';
      let text: string[] = [];
      let first = true;
      const emit = () => {
        const t = text.join('');
        text = [];
        if (!t.trim()) return;
        // Text after a nested list continues the item, aligned under its first line.
        this.b.line(first ? marker + t : t, first ? indent : indent + ' '.repeat(marker.length));
        first = false;
      };
      const parts = li.childNodes;
      for (let k = 0; k < parts.length; k++) {
        const p = parts[k]!;
        const pt = tagOf(p);
        if (pt === 'ul' || pt === 'ol') {
          emit();
          this.list(p, depth + 1);
        } else if (pt === 'table') {
          emit();
          this.table(p);
        } else {
          text.push(inlineText(p));
        }
      }
      emit();
    }
  }

  private table(n: DomNode): void {
    const rows: DomNode[] = [];
    let caption = '';
    const collect = (x: DomNode) => {
      const kids = x.childNodes;
      for (let i = 0; i < kids.length; i++) {
        const c = kids[i]!;
        const t = tagOf(c);
        if (t === 'tr') rows.push(c);
        else if (t === 'caption') caption = inlineText(c);
        else if (t === 'thead' || t === 'tbody' || t === 'tfoot') collect(c);
      }
    };
    collect(n);
    if (caption.trim()) this.b.paragraph(caption);
    for (const r of rows) {
      const cells: string[] = [];
      const kids = r.childNodes;
      for (let i = 0; i < kids.length; i++) {
        const t = tagOf(kids[i]!);
        if (t === 'td' || t === 'th') cells.push(inlineText(kids[i]!).replace(/\s+/g, ' ').trim());
      }
      if (cells.some((c) => c !== '')) this.b.line(cells.join(' | '));
    }
  }
}
