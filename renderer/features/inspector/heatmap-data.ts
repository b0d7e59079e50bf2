/**
 * Pure maths of the attention heatmap: pick the matrix for a layer/head selection, scale it to
 * 0..1 (per answer token, so each row shows where that token looked), map a cell back to a
 * document span, list the hottest cells (the keyboard-accessible way to jump), and lay out the
 * rows (height per row, readable row labels).
 */

import type { AttentionHeatmap, TextSpan } from '../../../engine/service/contract.ts';
import { heatmapKey } from '../../store/inspector-slice.ts';

export interface Matrix {
  rows: number;
  cols: number;
  values: ArrayLike<number>;
}

export function heatmapMatrix(h: AttentionHeatmap, layer: number, head: number): Matrix | null {
  const values = h.values[heatmapKey(layer, head)];
  if (!values) return null;
  const rows = h.answerTokens.length;
  const cols = h.bins;
  if (rows === 0 || cols === 0 || values.length < rows * cols) return null;
  return { rows, cols, values };
}

/** Row-normalised copy: each row divided by its max (rows of zeros stay zero). */
export function normaliseRows(m: Matrix): Float32Array {
  const out = new Float32Array(m.rows * m.cols);
  for (let r = 0; r < m.rows; r++) {
    let max = 0;
    for (let c = 0; c < m.cols; c++) max = Math.max(max, m.values[r * m.cols + c]!);
    if (max <= 0) continue;
    for (let c = 0; c < m.cols; c++) out[r * m.cols + c] = m.values[r * m.cols + c]! / max;
  }
  return out;
}

/** Character span of bin `col`: [binCharStarts[col], binCharStarts[col+1]). */
export function binSpan(h: AttentionHeatmap, col: number, textLength?: number): TextSpan {
  const start = h.binCharStarts[col] ?? 0;
  const next = h.binCharStarts[col + 1];
  const end = next !== undefined ? next : Math.max(start + 1, textLength ?? start + 400);
  return { start, end: Math.max(start + 1, end) };
}

export interface HotSpot {
  row: number;
  col: number;
  value: number;
}

/** The `n` hottest bins by total attention over all answer tokens. */
export function hotBins(m: Matrix, n: number): HotSpot[] {
  const totals = new Float64Array(m.cols);
  const best = new Int32Array(m.cols);
  const bestVal = new Float64Array(m.cols);
  for (let r = 0; r < m.rows; r++) {
    for (let c = 0; c < m.cols; c++) {
      const v = m.values[r * m.cols + c]!;
      totals[c]! += v;
      if (v > bestVal[c]!) {
        bestVal[c] = v;
        best[c] = r;
      }
    }
  }
  const sum = totals.reduce((a, b) => a + b, 0) || 1;
  return Array.from(totals, (t, c) => ({ row: best[c]!, col: c, value: t / sum }))
    .filter((h) => h.value > 0)
    .sort((a, b) => b.value - a.value)
    .slice(0, n);
}

/** Colour ramp for 0..1 (perceptually ordered, readable on light and dark). */
export function heatColor(v: number): [number, number, number] {
  const stops: [number, number, number][] = [
    [13, 8, 135],
    [126, 3, 168],
    [204, 71, 120],
    [248, 149, 64],
    [240, 249, 33],
  ];
  const x = Math.min(1, Math.max(0, v)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const a = stops[i]!;
  const b = stops[i + 1]!;
  return [Math.round(a[0] + (b[0] - a[0]) * f), Math.round(a[1] + (b[1] - a[1]) * f), Math.round(a[2] + (b[2] - a[2]) * f)];
}

export interface PageTick {
  page: number;
  /** 0..1 across the heatmap's width. */
  x: number;
}

/** Where pages begin along the binned axis; at most `max` ticks, evenly thinned. */
export function pageTicks(binCharStarts: number[], pages: { page: number; start: number }[], max = 8): PageTick[] {
  const bins = binCharStarts.length;
  if (bins === 0 || pages.length === 0) return [];
  const ticks: PageTick[] = [];
  for (const p of pages) {
    let lo = 0;
    let hi = bins - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (binCharStarts[mid]! <= p.start) lo = mid;
      else hi = mid - 1;
    }
    const x = lo / bins;
    if (!ticks.length || x > ticks[ticks.length - 1]!.x) ticks.push({ page: p.page, x });
  }
  if (ticks.length <= max) return ticks;
  const step = Math.ceil(ticks.length / max);
  return ticks.filter((_, i) => i % step === 0);
}

/** Pixel height of one row: tall rows for short answers, at least 12 px (a label's line) for long ones. */
export function rowHeight(rows: number): number {
  return rows <= 8 ? 20 : rows <= 32 ? 14 : 12;
}

/** A row label as shown: whitespace made visible (line breaks, tabs, blank tokens), trimmed ends. */
export function rowLabel(text: string): string {
  const shown = text.replace(/\r?\n/g, '⏎').replace(/\t/g, '⇥').trim();
  if (shown) return shown;
  return text.length ? '␣' : '∅';
}
