/**
 * From attention to evidence: maps prompt tokens to character offsets of the rendered prompt,
 * locates each document inside it, and turns the runtime's attention tap (summed attention of
 * the answer's tokens over prompt positions, per layer and head) into
 *  - evidence: the passages of the document that received the most attention mass, with page
 *    and section from the document's source map;
 *  - a heatmap: rows = answer tokens (or groups of consecutive answer tokens, from the tap's
 *    per-row binned attention), columns = bins of the document, per layer/head and averaged.
 *    The bins are ranges of the document's tokens (`heatmapBins`, asked of the tap before the
 *    generation), so each column maps to an exact character span (binCharStarts).
 * Pure functions over plain arrays, unit-tested without a GPU.
 */
import type { AttentionHeatmap, DocumentContent, Evidence, SourceMap } from './contract.ts';
import { heatmapKey } from './contract.ts';

export interface AttentionSumsLike {
  layers: number;
  heads: number;
  promptLen: number;
  steps: number;
  /** [layers, heads, promptLen] */
  values: Float32Array;
  /** per answer-token row (engine/telemetry/attention-tap.ts AttentionBinned) */
  binned?: {
    /** bin b covers prompt tokens [bounds[b], bounds[b+1]) */
    bounds: number[];
    bins: number;
    rows: number;
    /** decode steps per row */
    group: number;
    /** [rows, layers, heads, bins], summed over each row's steps */
    values: Float32Array;
  };
}

/** A heatmap larger than this many cells leaves out its per-(layer, head) matrices. */
export const HEATMAP_MAX_CELLS = 1 << 20;
/** Longest row label (characters) for a group of answer tokens. */
const LABEL_CHARS = 40;

/** Where one document's text sits in the rendered prompt (character offsets). */
export interface DocRegion {
  documentId: string;
  /** offset of the document's first character in the rendered prompt */
  promptStart: number;
  length: number;
}

/**
 * Start character (in `rendered`) of every token, from the tokens' byte pieces: token i covers
 * characters [starts[i], starts[i+1]). Pieces that do not line up with the text (a tokenizer's
 * space prefix) only shift positions by a character; offsets are clamped to the text.
 */
export function tokenCharStarts(pieceLengths: ArrayLike<number>, rendered: string): Int32Array {
  const enc = new TextEncoder();
  // byte offset -> char offset table for the rendered prompt
  const bytes = enc.encode(rendered);
  const charAtByte = new Int32Array(bytes.length + 1);
  let b = 0;
  for (let c = 0; c < rendered.length; c++) {
    const cp = rendered.codePointAt(c)!;
    const n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    for (let k = 0; k < n; k++) charAtByte[b + k] = c;
    b += n;
    if (cp >= 0x10000) c++;
  }
  charAtByte[bytes.length] = rendered.length;
  const out = new Int32Array(pieceLengths.length + 1);
  let pos = 0;
  for (let i = 0; i < pieceLengths.length; i++) {
    out[i] = charAtByte[Math.min(pos, bytes.length)]!;
    pos += pieceLengths[i]!;
  }
  out[pieceLengths.length] = rendered.length;
  return out;
}

/** Mean attention per prompt token over the selected layers and heads (all when -1). */
export function meanAttention(a: AttentionSumsLike, layer = -1, head = -1): Float32Array {
  const out = new Float32Array(a.promptLen);
  let count = 0;
  for (let l = 0; l < a.layers; l++) {
    if (layer >= 0 && l !== layer) continue;
    for (let h = 0; h < a.heads; h++) {
      if (head >= 0 && h !== head) continue;
      const base = (l * a.heads + h) * a.promptLen;
      for (let j = 0; j < a.promptLen; j++) out[j] = out[j]! + a.values[base + j]!;
      count++;
    }
  }
  const scale = 1 / Math.max(1, count * Math.max(1, a.steps));
  for (let j = 0; j < out.length; j++) out[j] = out[j]! * scale;
  return out;
}

/** Attention mass per document character range: per token, spread over its characters. */
function massPerChar(mass: Float32Array, starts: Int32Array, region: DocRegion): Float32Array {
  const out = new Float32Array(region.length);
  for (let i = 0; i < mass.length; i++) {
    const s = starts[i]! - region.promptStart;
    const e = starts[i + 1]! - region.promptStart;
    if (e <= 0 || s >= region.length) continue;
    const a = Math.max(0, s);
    const b = Math.min(region.length, Math.max(e, s + 1));
    const per = mass[i]! / Math.max(1, b - a);
    for (let c = a; c < b; c++) out[c] = out[c]! + per;
  }
  return out;
}

/** Passages: sentence-bounded windows of about `target` characters. */
export function passages(text: string, target = 320): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  let start = 0;
  while (start < text.length) {
    while (start < text.length && /\s/.test(text[start]!)) start++;
    if (start >= text.length) break;
    let end = Math.min(text.length, start + target);
    if (end < text.length) {
      const window = text.slice(start + Math.floor(target / 3), end);
      const m = /[.!?;:](?=\s)|\n/g;
      let last = -1;
      for (let r = m.exec(window); r; r = m.exec(window)) last = r.index + 1;
      if (last > 0) end = start + Math.floor(target / 3) + last;
    }
    out.push({ start, end });
    start = end;
  }
  return out;
}

export function pageAt(map: SourceMap, offset: number): number | null {
  for (const p of map.pages) if (offset >= p.start && offset < p.end) return p.page;
  return null;
}

export function sectionAt(map: SourceMap, offset: number): string[] {
  let best: string[] = [];
  let bestLevel = -1;
  for (const s of map.sections) if (offset >= s.start && offset < s.end && s.level > bestLevel) { best = s.path; bestLevel = s.level; }
  return best;
}

/** The top-k passages by attention mass, as Evidence (score = share of the document's mass). */
export function evidenceFrom(a: AttentionSumsLike, starts: Int32Array, regions: DocRegion[], docs: Map<string, DocumentContent>, k = 5): Evidence[] {
  const mass = meanAttention(a);
  const scored: Evidence[] = [];
  let total = 0;
  for (const region of regions) {
    const doc = docs.get(region.documentId);
    if (!doc) continue;
    const perChar = massPerChar(mass, starts, region);
    for (const p of passages(doc.text)) {
      let m = 0;
      for (let c = p.start; c < p.end && c < perChar.length; c++) m += perChar[c]!;
      total += m;
      if (m <= 0) continue;
      scored.push({
        documentId: doc.info.id,
        start: p.start,
        end: p.end,
        page: pageAt(doc.sourceMap, p.start),
        section: sectionAt(doc.sourceMap, p.start),
        score: m,
        snippet: doc.text.slice(p.start, p.end).replace(/\s+/g, ' ').trim().slice(0, 280),
      });
    }
  }
  scored.sort((x, y) => y.score - x.score);
  return scored.slice(0, k).map((e) => ({ ...e, score: total > 0 ? e.score / total : 0 }));
}

/**
 * Bins for a document's heatmap as token ranges of the prompt: the tokens that overlap the
 * document's characters, in `bins` (or fewer) runs of equal token count. Returns the token bounds
 * (for the tap's `attentionBins`) and where each bin starts in the document (characters), or
 * null when no token overlaps the document.
 */
export function heatmapBins(starts: Int32Array, region: DocRegion, bins = 64): { bounds: number[]; binCharStarts: number[] } | null {
  const nTok = starts.length - 1;
  const end = region.promptStart + region.length;
  let t0 = 0;
  while (t0 < nTok && starts[t0 + 1]! <= region.promptStart) t0++;
  let t1 = t0;
  while (t1 < nTok && starts[t1]! < end) t1++;
  const n = Math.min(bins, t1 - t0);
  if (n <= 0 || region.length <= 0) return null;
  const bounds = Array.from({ length: n + 1 }, (_, k) => t0 + Math.floor((k * (t1 - t0)) / n));
  const binCharStarts = bounds.slice(0, n).map((t, k) => (k === 0 ? 0 : Math.min(region.length, Math.max(0, starts[t]! - region.promptStart))));
  return { bounds, binCharStarts };
}

/**
 * The heatmap from the tap's per-row binned attention (bins from `heatmapBins`): one row per
 * answer token, or per group of consecutive tokens for long answers, labelled by
 * `rowText(first, end)` (the text of generated tokens [first, end): a row holds the attention of
 * those tokens as queries). Each cell is the mean attention per token of the row; averages are
 * means over layers and/or heads. Per-(layer, head) matrices are left out above HEATMAP_MAX_CELLS.
 */
export function heatmapFromRows(a: AttentionSumsLike, binCharStarts: number[], documentId: string, messageId: string, rowText: (first: number, end: number) => string): AttentionHeatmap {
  const b = a.binned!;
  const { rows, bins, group } = b;
  const L = a.layers;
  const H = a.heads;
  const rowSteps = (r: number) => Math.max(1, Math.min(group, a.steps - r * group));
  const values: Record<string, number[]> = {};
  const put = (layer: number, head: number) => {
    const out = new Array<number>(rows * bins).fill(0);
    let count = 0;
    for (let l = 0; l < L; l++) {
      if (layer >= 0 && l !== layer) continue;
      for (let h = 0; h < H; h++) {
        if (head >= 0 && h !== head) continue;
        count++;
        for (let r = 0; r < rows; r++) {
          const base = ((r * L + l) * H + h) * bins;
          for (let k = 0; k < bins; k++) out[r * bins + k]! += b.values[base + k]!;
        }
      }
    }
    for (let r = 0; r < rows; r++) {
      const scale = 1 / (Math.max(1, count) * rowSteps(r));
      for (let k = 0; k < bins; k++) out[r * bins + k] = Math.round(out[r * bins + k]! * scale * 1e6) / 1e6;
    }
    values[heatmapKey(layer, head)] = out;
  };
  const perHead = (1 + L + H + L * H) * rows * bins <= HEATMAP_MAX_CELLS;
  put(-1, -1);
  for (let l = 0; l < L; l++) {
    put(l, -1);
    if (perHead) for (let h = 0; h < H; h++) put(l, h);
  }
  for (let h = 0; h < H; h++) put(-1, h);
  const answerTokens = Array.from({ length: rows }, (_, r) => {
    const first = r * group;
    const text = rowText(first, Math.min(a.steps, first + group));
    return text.length > LABEL_CHARS ? `${text.slice(0, LABEL_CHARS - 1)}…` : text;
  });
  return { messageId, documentId, layers: L, heads: H, bins, binCharStarts: binCharStarts.slice(0, bins), answerTokens, values };
}
