/**
 * Pure layout maths of the virtualised document viewer: split the text into blocks (one per
 * page when the source map has pages, else ~4,000-character chunks cut at paragraph breaks),
 * estimate block heights from the text and the column width, prefix offsets, find the blocks in
 * view, and cut a block's text into plain / highlighted segments. No DOM; tested directly.
 */

import type { SectionSpan, SourceMap, TextSpan } from '../../../engine/service/contract.ts';

export interface Block {
  index: number;
  page: number | null;
  start: number;
  end: number;
}

export const CHUNK_CHARS = 4000;

export function buildBlocks(text: string, sourceMap: SourceMap): Block[] {
  const pages = [...sourceMap.pages].filter((p) => p.end > p.start).sort((a, b) => a.start - b.start);
  if (pages.length > 0) {
    const blocks: Block[] = [];
    let cursor = 0;
    for (const p of pages) {
      if (p.end <= cursor) continue;
      // Any text before or between pages belongs to the next page, so nothing is dropped.
      blocks.push({ index: blocks.length, page: p.page, start: cursor, end: p.end });
      cursor = p.end;
    }
    if (cursor < text.length && blocks.length > 0) blocks[blocks.length - 1]!.end = text.length;
    return blocks;
  }
  const blocks: Block[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + CHUNK_CHARS);
    if (end < text.length) {
      const para = text.lastIndexOf('\n\n', end);
      const line = text.lastIndexOf('\n', end);
      const space = text.lastIndexOf(' ', end);
      const cut = para > start + CHUNK_CHARS / 2 ? para + 2 : line > start + CHUNK_CHARS / 2 ? line + 1 : space > start ? space + 1 : end;
      end = cut;
    }
    blocks.push({ index: blocks.length, page: null, start, end });
    start = end;
  }
  if (blocks.length === 0) blocks.push({ index: 0, page: null, start: 0, end: 0 });
  return blocks;
}

/** Estimated pixel height of a block of text laid out at `charsPerLine`. */
export function estimateHeight(text: string, charsPerLine: number, lineHeight: number, chrome: number): number {
  let lines = 0;
  for (const para of text.split('\n')) lines += Math.max(1, Math.ceil(para.length / Math.max(10, charsPerLine)));
  return Math.ceil(lines * lineHeight + chrome);
}

/** offsets[i] = top of block i; offsets[n] = total height. */
export function prefixOffsets(heights: number[]): number[] {
  const out = new Array<number>(heights.length + 1);
  out[0] = 0;
  for (let i = 0; i < heights.length; i++) out[i + 1] = out[i]! + heights[i]!;
  return out;
}

/** Index of the block containing pixel y (binary search over offsets). */
export function blockAt(offsets: number[], y: number): number {
  let lo = 0;
  let hi = offsets.length - 2;
  if (hi < 0) return 0;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (offsets[mid]! <= y) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export function visibleRange(offsets: number[], scrollTop: number, viewport: number, overscan = 1): [number, number] {
  const n = offsets.length - 1;
  if (n <= 0) return [0, -1];
  const first = Math.max(0, blockAt(offsets, scrollTop) - overscan);
  const last = Math.min(n - 1, blockAt(offsets, scrollTop + viewport) + overscan);
  return [first, last];
}

/** Block containing character `pos` (the last block for positions at the very end). */
export function blockOfChar(blocks: Block[], pos: number): number {
  let lo = 0;
  let hi = blocks.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (blocks[mid]!.start <= pos) lo = mid;
    else hi = mid - 1;
  }
  return Math.max(0, lo);
}

/** The block without its leading / trailing whitespace (page breaks), for display. */
export function visibleBlock(text: string, block: Block): Block {
  let start = block.start;
  let end = block.end;
  while (start < end && /\s/.test(text[start]!)) start++;
  while (end > start && /\s/.test(text[end - 1]!)) end--;
  return { ...block, start, end };
}

export interface Segment {
  text: string;
  start: number;
  kind: 'plain' | 'mark' | 'focus';
}

/** Cuts [block.start, block.end) into segments; spans are clipped, merged, focus wins. */
export function segmentBlock(text: string, block: Block, spans: TextSpan[], focus: TextSpan | null): Segment[] {
  const cuts = new Set<number>([block.start, block.end]);
  const clipped: { s: number; e: number; k: 'mark' | 'focus' }[] = [];
  for (const sp of spans) {
    const s = Math.max(block.start, sp.start);
    const e = Math.min(block.end, sp.end);
    if (e > s) clipped.push({ s, e, k: 'mark' });
  }
  if (focus) {
    const s = Math.max(block.start, focus.start);
    const e = Math.min(block.end, focus.end);
    if (e > s) clipped.push({ s, e, k: 'focus' });
  }
  for (const c of clipped) {
    cuts.add(c.s);
    cuts.add(c.e);
  }
  const points = [...cuts].sort((a, b) => a - b);
  const out: Segment[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const s = points[i]!;
    const e = points[i + 1]!;
    let kind: Segment['kind'] = 'plain';
    for (const c of clipped) {
      if (c.s > s || c.e < e) continue;
      if (c.k === 'focus') kind = 'focus';
      else if (kind !== 'focus') kind = 'mark';
    }
    const prev = out[out.length - 1];
    if (prev && prev.kind === kind) prev.text += text.slice(s, e);
    else out.push({ text: text.slice(s, e), start: s, kind });
  }
  return out;
}

/** The deepest section containing `pos` (its heading path), or null. */
export function sectionAt(sections: SectionSpan[], pos: number): SectionSpan | null {
  let best: SectionSpan | null = null;
  for (const s of sections) {
    if (s.start <= pos && pos < s.end && (!best || s.level >= best.level)) best = s;
  }
  return best;
}
