import { describe, expect, it } from 'vitest';
import type { AttentionHeatmap } from '../../../engine/service/contract.ts';
import { binSpan, heatColor, heatmapMatrix, hotBins, normaliseRows, pageTicks, rowHeight, rowLabel } from './heatmap-data.ts';

const h: AttentionHeatmap = {
  messageId: 'm1',
  documentId: 'd1',
  layers: 2,
  heads: 2,
  bins: 3,
  binCharStarts: [0, 100, 250],
  answerTokens: ['The', ' answer'],
  values: {
    '-1:-1': [0.1, 0.7, 0.2, 0.0, 0.5, 0.5],
    '0:1': [1, 0, 0, 0, 0, 1],
  },
};

describe('heatmap data', () => {
  it('picks the matrix of a selection, null when absent', () => {
    expect(heatmapMatrix(h, -1, -1)).toEqual({ rows: 2, cols: 3, values: h.values['-1:-1'] });
    expect(heatmapMatrix(h, 1, 0)).toBeNull();
  });
  it('normalises each row by its max', () => {
    const n = normaliseRows(heatmapMatrix(h, -1, -1)!);
    expect(Array.from(n).map((x) => Number(x.toFixed(3)))).toEqual([0.143, 1, 0.286, 0, 1, 1]);
  });
  it('maps bins to character spans, the last to the end of the text', () => {
    expect(binSpan(h, 0)).toEqual({ start: 0, end: 100 });
    expect(binSpan(h, 1)).toEqual({ start: 100, end: 250 });
    expect(binSpan(h, 2, 900)).toEqual({ start: 250, end: 900 });
  });
  it('ranks the hottest bins by total attention', () => {
    const hot = hotBins(heatmapMatrix(h, -1, -1)!, 2);
    expect(hot.map((x) => x.col)).toEqual([1, 2]);
    expect(hot[0]!.row).toBe(0);
    expect(hot[0]!.value).toBeCloseTo(1.2 / 2.0);
  });
  it('colour ramp is monotone in brightness at the ends', () => {
    expect(heatColor(0)).toEqual([13, 8, 135]);
    expect(heatColor(1)).toEqual([240, 249, 33]);
    expect(heatColor(2)).toEqual([240, 249, 33]);
  });
});

describe('heatmap rows', () => {
  it('shows labels with whitespace made visible', () => {
    expect(rowLabel(' the')).toBe('the');
    expect(rowLabel('.\n\n')).toBe('.⏎⏎');
    expect(rowLabel('\tx')).toBe('⇥x');
    expect(rowLabel('  ')).toBe('␣');
    expect(rowLabel('')).toBe('∅');
  });
  it('keeps rows at least a label line tall', () => {
    expect(rowHeight(1)).toBe(20);
    expect(rowHeight(20)).toBe(14);
    expect(rowHeight(128)).toBe(12);
  });
});

describe('pageTicks', () => {
  it('places page starts on the binned axis and thins them', () => {
    const starts = [0, 100, 200, 300];
    expect(pageTicks(starts, [{ page: 1, start: 0 }, { page: 2, start: 150 }, { page: 3, start: 310 }])).toEqual([
      { page: 1, x: 0 },
      { page: 2, x: 0.25 },
      { page: 3, x: 0.75 },
    ]);
    const many = Array.from({ length: 40 }, (_, i) => ({ page: i + 1, start: i * 10 }));
    const bins = Array.from({ length: 400 }, (_, i) => i);
    expect(pageTicks(bins, many, 8).length).toBeLessThanOrEqual(8);
    expect(pageTicks([], many)).toEqual([]);
  });
});
