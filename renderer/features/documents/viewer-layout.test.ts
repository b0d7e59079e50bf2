import { describe, expect, it } from 'vitest';
import { sectionAt, visibleBlock, blockAt, blockOfChar, buildBlocks, CHUNK_CHARS, estimateHeight, prefixOffsets, segmentBlock, visibleRange } from './viewer-layout.ts';

describe('buildBlocks', () => {
  it('makes one block per page and keeps text between pages', () => {
    const text = 'a'.repeat(30);
    const blocks = buildBlocks(text, {
      pages: [
        { page: 2, start: 12, end: 20 },
        { page: 1, start: 0, end: 10 },
        { page: 3, start: 20, end: 28 },
      ],
      sections: [],
    });
    expect(blocks.map((b) => [b.page, b.start, b.end])).toEqual([
      [1, 0, 10],
      [2, 10, 20],
      [3, 20, 30],
    ]);
  });

  it('chunks page-less text at paragraph breaks, covering every character once', () => {
    const para = 'word '.repeat(300) + '\n\n';
    const text = para.repeat(10);
    const blocks = buildBlocks(text, { pages: [], sections: [] });
    expect(blocks.length).toBeGreaterThan(2);
    expect(blocks[0]!.start).toBe(0);
    expect(blocks[blocks.length - 1]!.end).toBe(text.length);
    for (let i = 1; i < blocks.length; i++) expect(blocks[i]!.start).toBe(blocks[i - 1]!.end);
    for (const b of blocks.slice(0, -1)) {
      expect(b.end - b.start).toBeLessThanOrEqual(CHUNK_CHARS + 2);
      expect(text.slice(b.end - 2, b.end)).toBe('\n\n');
    }
  });

  it('gives an empty document one empty block', () => {
    expect(buildBlocks('', { pages: [], sections: [] })).toEqual([{ index: 0, page: null, start: 0, end: 0 }]);
  });
});

describe('offsets and ranges', () => {
  const offsets = prefixOffsets([100, 200, 50, 300]);
  it('prefix sums', () => expect(offsets).toEqual([0, 100, 300, 350, 650]));
  it('finds the block at a pixel', () => {
    expect(blockAt(offsets, 0)).toBe(0);
    expect(blockAt(offsets, 99)).toBe(0);
    expect(blockAt(offsets, 100)).toBe(1);
    expect(blockAt(offsets, 349)).toBe(2);
    expect(blockAt(offsets, 10_000)).toBe(3);
  });
  it('visible range with overscan', () => {
    expect(visibleRange(offsets, 120, 100, 0)).toEqual([1, 1]);
    expect(visibleRange(offsets, 120, 200, 1)).toEqual([0, 3]);
  });
  it('estimates taller blocks for longer text and narrower columns', () => {
    const t = 'x'.repeat(1000);
    expect(estimateHeight(t, 50, 20, 0)).toBe(400);
    expect(estimateHeight(t, 100, 20, 10)).toBe(210);
    expect(estimateHeight('a\nb\n', 100, 20, 0)).toBe(60);
  });
  it('finds the block of a character', () => {
    const blocks = [
      { index: 0, page: 1, start: 0, end: 10 },
      { index: 1, page: 2, start: 10, end: 20 },
    ];
    expect(blockOfChar(blocks, 0)).toBe(0);
    expect(blockOfChar(blocks, 10)).toBe(1);
    expect(blockOfChar(blocks, 25)).toBe(1);
  });
});

describe('segmentBlock', () => {
  const text = '0123456789abcdefghij';
  const block = { index: 0, page: 1, start: 5, end: 15 };
  it('cuts marks and the focus, clipped to the block', () => {
    const segs = segmentBlock(text, block, [{ start: 0, end: 7 }, { start: 9, end: 12 }], { start: 10, end: 11 });
    expect(segs.map((s) => [s.kind, s.text])).toEqual([
      ['mark', '56'],
      ['plain', '78'],
      ['mark', '9'],
      ['focus', 'a'],
      ['mark', 'b'],
      ['plain', 'cde'],
    ]);
    expect(segs.map((s) => s.text).join('')).toBe(text.slice(5, 15));
  });
  it('merges overlapping marks', () => {
    const segs = segmentBlock(text, block, [{ start: 6, end: 9 }, { start: 8, end: 12 }], null);
    expect(segs.map((s) => [s.kind, s.text])).toEqual([
      ['plain', '5'],
      ['mark', '6789ab'],
      ['plain', 'cde'],
    ]);
  });
});

describe('visibleBlock', () => {
  it('trims page-break whitespace but keeps inner text positions', () => {
    const text = 'end of p1\n\n\fStart of p2 text\n\n';
    const b = visibleBlock(text, { index: 1, page: 2, start: 9, end: text.length });
    expect(text.slice(b.start, b.end)).toBe('Start of p2 text');
    expect(b.start).toBe(12);
    expect(visibleBlock('   ', { index: 0, page: 1, start: 0, end: 3 })).toMatchObject({ start: 3, end: 3 });
  });
});

describe('sectionAt', () => {
  const sections = [
    { path: ['Chapter 1'], level: 1, start: 0, end: 100 },
    { path: ['Chapter 1', '1.1 Methods'], level: 2, start: 40, end: 100 },
    { path: ['Chapter 2'], level: 1, start: 100, end: 200 },
  ];
  it('finds the deepest section at a position', () => {
    expect(sectionAt(sections, 10)?.path).toEqual(['Chapter 1']);
    expect(sectionAt(sections, 50)?.path).toEqual(['Chapter 1', '1.1 Methods']);
    expect(sectionAt(sections, 150)?.path).toEqual(['Chapter 2']);
    expect(sectionAt(sections, 250)).toBeNull();
  });
});
