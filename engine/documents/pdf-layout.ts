/**
 * PDF text layout: turns pdf.js text items (strings with a position and a font size) into
 * reading-order paragraphs. Pure functions over plain data, so they are tested without pdf.js.
 *
 *   1. `pageLines`: items -> visual lines (same baseline), each split into segments at
 *      horizontal gaps wider than about one em (column gutters, table cells).
 *   2. `orderSegments`: finds a column gutter (a vertical stripe that almost no segment
 *      crosses, with text on both sides), then reads the page in bands: segments that cross
 *      the gutter (titles, full-width figures) cut the page into bands, and within a band the
 *      left column is read before the right one. Applied recursively for three columns.
 *   3. `edgeKeys` / running headers: the top and bottom lines of each page, with digits
 *      folded to '#', are counted across pages; a key found on enough pages is a running
 *      header or footer (or a page number) and its lines are dropped.
 *   4. `paragraphs`: consecutive lines of one column join into a paragraph until the vertical
 *      gap exceeds ~1.5x the usual line pitch, the font size changes, or the column changes;
 *      a hyphen at a line end followed by a lower-case letter is removed (dehyphenation).
 *
 * Hand-written: pdf.js gives positioned strings only; libraries that do layout analysis
 * (pdfminer, poppler) are not JavaScript. Extending: tune the constants below, each one named
 * after what it measures, in em of the line's font size.
 */

export interface PdfItem {
  str: string;
  x: number;
  /** Baseline, PDF user space (y grows upwards). */
  y: number;
  w: number;
  size: number;
}

export interface Segment {
  x0: number;
  x1: number;
  y: number;
  size: number;
  text: string;
}

export interface Line {
  y: number;
  size: number;
  segments: Segment[];
  text: string;
}

/** A line in reading order, tagged with the column (band + side) it was read from. */
export interface OrderedLine extends Segment {
  column: number;
}

export interface Paragraph {
  text: string;
  size: number;
}

const SAME_BASELINE_EM = 0.35;
const SEGMENT_GAP_EM = 1.0;
const GUTTER_MIN_EM = 0.6;
const PARAGRAPH_GAP = 1.45;

/** Items -> lines (top to bottom), each with its segments (left to right). */
export function pageLines(items: PdfItem[]): Line[] {
  const its = items.filter((i) => i.str.length > 0 && Number.isFinite(i.x) && Number.isFinite(i.y) && i.size > 0);
  its.sort((a, b) => b.y - a.y || a.x - b.x);
  const groups: PdfItem[][] = [];
  for (const it of its) {
    const g = groups[groups.length - 1];
    if (g && Math.abs(g[0]!.y - it.y) <= SAME_BASELINE_EM * Math.max(g[0]!.size, it.size)) g.push(it);
    else groups.push([it]);
  }
  return groups.map((g) => {
    g.sort((a, b) => a.x - b.x);
    const segs: Segment[] = [];
    let cur: PdfItem[] = [];
    const close = () => {
      if (cur.length === 0) return;
      segs.push(makeSegment(cur));
      cur = [];
    };
    for (const it of g) {
      const last = cur[cur.length - 1];
      if (last && it.x - (last.x + last.w) > SEGMENT_GAP_EM * Math.max(last.size, it.size)) close();
      cur.push(it);
    }
    close();
    const y = g.reduce((s, i) => s + i.y, 0) / g.length;
    const size = Math.max(...g.map((i) => i.size));
    return { y, size, segments: segs, text: segs.map((s) => s.text).join(' ') };
  });
}

function makeSegment(items: PdfItem[]): Segment {
  let text = '';
  let prevEnd = Number.NEGATIVE_INFINITY;
  for (const it of items) {
    // A visible gap between two runs is a space that the PDF drew as positioning.
    const gap = it.x - prevEnd;
    if (text && gap > 0.15 * it.size && !text.endsWith(' ') && !it.str.startsWith(' ')) text += ' ';
    text += it.str;
    prevEnd = it.x + it.w;
  }
  return {
    x0: items[0]!.x,
    x1: Math.max(...items.map((i) => i.x + i.w)),
    y: items.reduce((s, i) => s + i.y, 0) / items.length,
    size: Math.max(...items.map((i) => i.size)),
    text: text.replace(/\s+/g, ' ').trim(),
  };
}

function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
}

/** The x of a column gutter among `segs`, or null when they form one column. */
export function findGutter(segs: Segment[]): number | null {
  if (segs.length < 6) return null;
  const minX = Math.floor(Math.min(...segs.map((s) => s.x0)));
  const maxX = Math.ceil(Math.max(...segs.map((s) => s.x1)));
  const width = maxX - minX;
  if (width < 50) return null;
  const cover = new Int32Array(width + 2);
  for (const s of segs) {
    cover[Math.max(0, Math.floor(s.x0) - minX)]! += 1;
    cover[Math.min(width + 1, Math.ceil(s.x1) - minX)]! -= 1;
  }
  for (let i = 1; i < cover.length; i++) cover[i]! += cover[i - 1]!;
  const allowance = Math.max(1, Math.floor(segs.length * 0.08));
  const em = median(segs.map((s) => s.size));
  // The widest run of low coverage in the middle 80% of the text's width.
  let best: { a: number; b: number } | null = null;
  let runStart = -1;
  const lo = Math.floor(width * 0.1);
  const hi = Math.ceil(width * 0.9);
  for (let i = lo; i <= hi + 1; i++) {
    const low = i <= hi && cover[i]! <= allowance;
    if (low && runStart < 0) runStart = i;
    if (!low && runStart >= 0) {
      if (!best || i - runStart > best.b - best.a) best = { a: runStart, b: i };
      runStart = -1;
    }
  }
  if (!best || best.b - best.a < GUTTER_MIN_EM * em) return null;
  const gx = minX + (best.a + best.b) / 2;
  const left = segs.filter((s) => s.x1 <= gx).length;
  const right = segs.filter((s) => s.x0 >= gx).length;
  // Both sides must hold real columns, not a few labels or a right-aligned page number.
  if (left < 3 || right < 3 || Math.min(left, right) < 0.15 * segs.length) return null;
  return gx;
}

/** Segments of one page in reading order. */
export function orderSegments(lines: Line[], depth = 0, column = { next: 0 }): OrderedLine[] {
  const segs = lines.flatMap((l) => l.segments);
  const gx = depth < 2 ? findGutter(segs) : null;
  const byY = (a: Segment, b: Segment) => b.y - a.y || a.x0 - b.x0;
  if (gx === null) {
    const c = column.next++;
    return [...segs].sort(byY).map((s) => ({ ...s, column: c }));
  }
  const out: OrderedLine[] = [];
  let band: Segment[] = [];
  const flush = () => {
    if (band.length === 0) return;
    const left = band.filter((s) => (s.x0 + s.x1) / 2 < gx);
    const right = band.filter((s) => (s.x0 + s.x1) / 2 >= gx);
    for (const side of [left, right]) {
      if (side.length === 0) continue;
      out.push(...orderSegments(toLines(side), depth + 1, column));
    }
    band = [];
  };
  for (const s of [...segs].sort(byY)) {
    if (s.x0 < gx - 1 && s.x1 > gx + 1) {
      flush();
      out.push({ ...s, column: column.next++ });
    } else band.push(s);
  }
  flush();
  return out;
}

function toLines(segs: Segment[]): Line[] {
  return segs.map((s) => ({ y: s.y, size: s.size, segments: [s], text: s.text }));
}

/** The key under which a line counts as a potential running header/footer. */
export function edgeKey(text: string): string {
  return text.toLowerCase().replace(/\d+/g, '#').replace(/\s+/g, ' ').trim();
}

/** Indices of the top `n` and bottom `n` lines of a page (lines are top to bottom). */
export function edgeLineIndices(lines: Line[], n = 2): number[] {
  const idx = new Set<number>();
  for (let i = 0; i < Math.min(n, lines.length); i++) {
    idx.add(i);
    idx.add(lines.length - 1 - i);
  }
  return [...idx];
}

/** Keys that repeat at page edges often enough to be running headers, footers or page numbers. */
export function runningKeys(pages: Line[][]): Set<string> {
  const counts = new Map<string, number>();
  for (const lines of pages) {
    const seen = new Set<string>();
    for (const i of edgeLineIndices(lines)) seen.add(edgeKey(lines[i]!.text));
    for (const k of seen) if (k) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const need = Math.max(2, Math.ceil(pages.length * 0.3));
  const keys = new Set<string>();
  if (pages.length < 2) return keys;
  for (const [k, c] of counts) if (c >= need) keys.add(k);
  return keys;
}

/** Drops the edge lines of a page whose key is a running header/footer. Returns what is left. */
export function stripRunning(lines: Line[], keys: Set<string>): { kept: Line[]; removed: number } {
  if (keys.size === 0) return { kept: lines, removed: 0 };
  const drop = new Set(edgeLineIndices(lines).filter((i) => keys.has(edgeKey(lines[i]!.text))));
  return { kept: lines.filter((_, i) => !drop.has(i)), removed: drop.size };
}

/** Joins two lines of one paragraph, repairing a hyphenated word break. */
export function joinLines(a: string, b: string): string {
  if (a.endsWith('\u00AD')) return a.slice(0, -1) + b;
  if (/\p{L}-$/u.test(a) && /^\p{Ll}/u.test(b)) return a.slice(0, -1) + b;
  // A compound broken at its hyphen before a capital or digit keeps the hyphen ("Anglo-Saxon").
  if (/\p{L}-$/u.test(a) && /^[\p{Lu}\p{N}]/u.test(b)) return a + b;
  if (/[-\u2010\u2013\u2014/]$/u.test(a) && !/\p{L}-$/u.test(a)) return a + b;
  return `${a} ${b}`;
}

/** Ordered lines -> paragraphs (text joined, hyphenation repaired). */
export function paragraphs(ordered: OrderedLine[]): Paragraph[] {
  const out: Paragraph[] = [];
  const gaps: number[] = [];
  for (let i = 1; i < ordered.length; i++) {
    const a = ordered[i - 1]!;
    const b = ordered[i]!;
    if (a.column === b.column && a.y > b.y) gaps.push(a.y - b.y);
  }
  const pitch = median(gaps) || 12;
  let cur: { text: string; size: number; last: OrderedLine } | null = null;
  for (const l of ordered) {
    if (!l.text) continue;
    if (cur) {
      const gap = cur.last.y - l.y;
      const sameCol = cur.last.column === l.column;
      const sizeChange = Math.abs(cur.size - l.size) > 0.12 * Math.max(cur.size, l.size);
      const sameRow = Math.abs(gap) <= SAME_BASELINE_EM * l.size;
      const indented = l.x0 - cur.last.x0 > 0.9 * l.size && !sameRow;
      if (sameCol && sameRow) {
        cur.text += ` ${l.text}`;
        cur.last = l;
        continue;
      }
      // A sentence cut at the bottom of a column continues at the top of the next one.
      const continues = !sameCol && !sizeChange && /[\p{Ll},-]$/u.test(cur.text) && /^\p{Ll}/u.test(l.text);
      if ((sameCol && !sizeChange && gap > 0 && gap <= PARAGRAPH_GAP * pitch && !indented) || continues) {
        cur.text = joinLines(cur.text, l.text);
        cur.last = l;
        continue;
      }
      out.push({ text: cur.text, size: cur.size });
    }
    cur = { text: l.text, size: l.size, last: l };
  }
  if (cur) out.push({ text: cur.text, size: cur.size });
  return out;
}

/**
 * How the last paragraph of a page continues on the next one, or null when the next page
 * starts a new paragraph: a hyphenated word break (drop the hyphen, no separator) or a
 * sentence cut mid-way (a space). Only for text of the same font size.
 */
export function pageContinuation(prev: Paragraph, next: Paragraph): { dropTail: number; sep: string } | null {
  if (Math.abs(prev.size - next.size) > 0.12 * Math.max(prev.size, next.size)) return null;
  if (!/^\p{Ll}/u.test(next.text)) return null;
  if (/\p{L}-$/u.test(prev.text)) return { dropTail: 1, sep: '' };
  if (prev.text.endsWith('\u00AD')) return { dropTail: 1, sep: '' };
  if (/[\p{Ll},;]$/u.test(prev.text)) return { dropTail: 0, sep: ' ' };
  return null;
}

