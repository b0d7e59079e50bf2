import { describe, expect, it } from 'vitest';
import { joinLines, orderSegments, pageLines, paragraphs, runningKeys, stripRunning, type PdfItem } from './pdf-layout.ts';

/** Items for a line of words starting at x (0.5 em per char, one item per word). */
function words(text: string, x: number, y: number, size = 10): PdfItem[] {
  const out: PdfItem[] = [];
  let cx = x;
  for (const w of text.split(' ')) {
    out.push({ str: w, x: cx, y, w: w.length * size * 0.5, size });
    cx += (w.length + 1) * size * 0.5;
  }
  return out;
}

describe('pdf layout', () => {
  it('reads a spanning title, then the left column, then the right one', () => {
    const items: PdfItem[] = [...words('A Title Spanning Both Columns Of The Page Here', 60, 800, 14)];
    for (let i = 0; i < 8; i++) {
      items.push(...words(`left line ${i} of column one text`, 50, 760 - i * 12));
      items.push(...words(`right line ${i} of column two text`, 320, 760 - i * 12));
    }
    const order = orderSegments(pageLines(items)).map((s) => s.text);
    expect(order[0]).toBe('A Title Spanning Both Columns Of The Page Here');
    expect(order.slice(1, 9)).toEqual([...Array(8).keys()].map((i) => `left line ${i} of column one text`));
    expect(order.slice(9)).toEqual([...Array(8).keys()].map((i) => `right line ${i} of column two text`));
  });

  it('keeps a single column with a right-aligned page number as one column', () => {
    const items: PdfItem[] = [];
    for (let i = 0; i < 10; i++) items.push(...words(`body line ${i} with several words in it`, 50, 700 - i * 12));
    items.push(...words('17', 540, 60));
    const order = orderSegments(pageLines(items)).map((s) => s.text);
    expect(order.slice(0, 10)).toEqual([...Array(10).keys()].map((i) => `body line ${i} with several words in it`));
  });

  it('joins lines into paragraphs, repairs hyphenation and splits at larger gaps', () => {
    const items = [
      ...words('The cartographer measured the inter-', 50, 700),
      ...words('national border carefully.', 50, 688),
      ...words('A new paragraph starts here.', 50, 660),
    ];
    const paras = paragraphs(orderSegments(pageLines(items))).map((p) => p.text);
    expect(paras).toEqual(['The cartographer measured the international border carefully.', 'A new paragraph starts here.']);
  });

  it('repairs only real word breaks', () => {
    expect(joinLines('a well-', 'Known')).toBe('a well-Known');
    expect(joinLines('photo\u00AD', 'synthesis')).toBe('photosynthesis');
    expect(joinLines('end of line', 'next')).toBe('end of line next');
    expect(joinLines('pages 10\u2013', '12')).toBe('pages 10\u201312');
  });

  it('finds running headers and page numbers and strips only edge lines', () => {
    const pages = [1, 2, 3, 4].map((p) =>
      pageLines([
        ...words('Journal of Fixtures', 50, 800),
        ...words(`Body text ${['alpha', 'beta', 'gamma', 'delta'][p - 1]} mentions Journal of Fixtures too`, 50, 700),
        ...words(`more body ${['one', 'two', 'three', 'four'][p - 1]}`, 50, 688),
        ...words(`Page ${p}`, 280, 40),
      ]),
    );
    const keys = runningKeys(pages);
    expect(keys.has('journal of fixtures')).toBe(true);
    expect(keys.has('page #')).toBe(true);
    const { kept, removed } = stripRunning(pages[2]!, keys);
    expect(removed).toBe(2);
    expect(kept.map((l) => l.text)).toEqual(['Body text gamma mentions Journal of Fixtures too', 'more body three']);
  });
});
