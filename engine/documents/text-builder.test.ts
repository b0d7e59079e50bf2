import { describe, expect, it } from 'vitest';
import { pageContinuation } from './pdf-layout.ts';
import { countWords, TextBuilder } from './text-builder.ts';

describe('TextBuilder', () => {
  it('records sections by heading level and pages by block, with exact offsets', () => {
    const b = new TextBuilder();
    b.startPage(1);
    b.heading(1, 'Part  One');
    b.paragraph('Alpha\u0000 text\r\n here.');
    b.heading(2, 'Detail');
    b.line('- a');
    b.line('- b');
    b.breakTight();
    b.startPage(2);
    b.heading(1, 'Part Two');
    b.paragraph('Omega.');
    const { text, sourceMap } = b.finish();
    expect(text).toBe('Part One\n\nAlpha text here.\n\nDetail\n\n- a\n- b\n\nPart Two\n\nOmega.');
    const slice = (s: { start: number; end: number }) => text.slice(s.start, s.end);
    expect(sourceMap.sections.map((s) => [s.path.join('/'), s.level, slice(s)])).toEqual([
      ['Part One', 1, 'Part One\n\nAlpha text here.\n\nDetail\n\n- a\n- b'],
      ['Part One/Detail', 2, 'Detail\n\n- a\n- b'],
      ['Part Two', 1, 'Part Two\n\nOmega.'],
    ]);
    expect(sourceMap.pages.map((p) => [p.page, slice(p)])).toEqual([
      [1, 'Part One\n\nAlpha text here.\n\nDetail\n\n- a\n- b'],
      [2, 'Part Two\n\nOmega.'],
    ]);
  });

  it('continues a paragraph across a page break, repairing a hyphenated word', () => {
    const prev = { text: 'The cartographer measured the inter-', size: 10 };
    const next = { text: 'national border.', size: 10 };
    const cont = pageContinuation(prev, next)!;
    expect(cont).toEqual({ dropTail: 1, sep: '' });
    expect(pageContinuation({ text: 'A full sentence.', size: 10 }, next)).toBeNull();
    expect(pageContinuation({ text: 'cut mid', size: 10 }, { text: 'Heading', size: 14 })).toBeNull();
    const b = new TextBuilder();
    b.startPage(1);
    b.paragraph(prev.text);
    b.startPage(2);
    b.extendLast(next.text, cont.dropTail, cont.sep);
    const { text, sourceMap } = b.finish();
    expect(text).toBe('The cartographer measured the international border.');
    expect(sourceMap.pages).toEqual([
      { page: 1, start: 0, end: 35 },
      { page: 2, start: 35, end: text.length },
    ]);
    expect(text.slice(35)).toBe('national border.');
  });

  it('stops at the text limit with a typed error', () => {
    const b = new TextBuilder(10);
    expect(() => b.paragraph('more than ten characters')).toThrow(/exceeds the limit of 10 characters/);
  });

  it('counts words', () => {
    expect(countWords("It's a well-known café, 42 times.")).toBe(6);
  });
});
