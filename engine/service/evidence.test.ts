import { describe, expect, it } from 'vitest';
import type { DocumentContent } from './contract.ts';
import { evidenceFrom, heatmapBins, heatmapFromRows, HEATMAP_MAX_CELLS, meanAttention, passages, tokenCharStarts, type AttentionSumsLike } from './evidence.ts';

describe('evidence', () => {
  it('maps token byte pieces to character offsets, multi-byte text included', () => {
    const text = 'ab€d🙂e';
    const enc = new TextEncoder();
    const pieces = ['a', 'b€', 'd', '🙂', 'e'].map((p) => enc.encode(p).length);
    expect(Array.from(tokenCharStarts(pieces, text))).toEqual([0, 1, 3, 4, 6, 7]);
  });

  it('splits passages at sentence ends and covers the text', () => {
    const text = 'One sentence here. '.repeat(60);
    const ps = passages(text, 200);
    expect(ps.length).toBeGreaterThan(3);
    for (const p of ps) expect(text.slice(p.start, p.end).trim().endsWith('.')).toBe(true);
    expect(ps[ps.length - 1]!.end).toBe(text.length);
  });

  it('ranks the passage holding the attended tokens first, with its page', () => {
    const docText = 'Alpha beta gamma. '.repeat(30) + 'The key is 7421. ' + 'Delta epsilon. '.repeat(30);
    const prompt = 'PREFIX ' + docText + ' Q?';
    // one "token" per character, attention concentrated on the key sentence
    const pieces = Array.from({ length: prompt.length }, () => 1);
    const starts = tokenCharStarts(pieces, prompt);
    const keyAt = prompt.indexOf('7421');
    const values = new Float32Array(2 * 2 * prompt.length).fill(0.0001);
    for (let l = 0; l < 2; l++) for (let h = 0; h < 2; h++) for (let j = keyAt; j < keyAt + 4; j++) values[(l * 2 + h) * prompt.length + j] = 1;
    const a = { layers: 2, heads: 2, promptLen: prompt.length, steps: 3, values };
    expect(meanAttention(a)[keyAt]).toBeCloseTo(1 / 3);
    const doc: DocumentContent = {
      info: { id: 'd1', name: 'd', format: 'text', title: 'd', author: null, pages: 2, words: 0, characters: docText.length, bytes: 0, addedAt: 0 },
      text: docText,
      sourceMap: { pages: [{ page: 1, start: 0, end: 300 }, { page: 2, start: 300, end: docText.length }], sections: [{ path: ['Body'], level: 1, start: 0, end: docText.length }] },
    };
    const region = { documentId: 'd1', promptStart: 7, length: docText.length };
    const ev = evidenceFrom(a, starts, [region], new Map([['d1', doc]]));
    expect(ev[0]!.snippet).toContain('7421');
    expect(ev[0]!.page).toBe(2);
    expect(ev[0]!.section).toEqual(['Body']);
    expect(ev[0]!.score).toBeGreaterThan(0.5);
  });

  it('bins a document by its tokens and builds one heatmap row per answer token (or group), labelled', () => {
    const docText = 'Alpha beta gamma. '.repeat(30) + 'The key is 7421. ' + 'Delta epsilon. '.repeat(30);
    const prompt = 'PREFIX ' + docText + ' Q?';
    // tokens of two characters, the first one straddling the document's start
    const pieces = Array.from({ length: Math.ceil(prompt.length / 2) }, (_, i) => Math.min(2, prompt.length - 2 * i));
    const starts = tokenCharStarts(pieces, prompt);
    const region = { documentId: 'd1', promptStart: 7, length: docText.length };
    const hb = heatmapBins(starts, region, 16)!;
    expect(hb.bounds.length).toBe(17);
    expect(hb.bounds[0]).toBe(3); // token 3 covers characters 6..7: it overlaps the document
    expect(hb.bounds[16]).toBe(Math.ceil((7 + docText.length) / 2));
    expect(hb.binCharStarts[0]).toBe(0);
    for (let k = 1; k < 16; k++) {
      expect(hb.binCharStarts[k]!).toBeGreaterThan(hb.binCharStarts[k - 1]!);
      expect(hb.binCharStarts[k]).toBe(starts[hb.bounds[k]!]! - 7);
    }
    expect(heatmapBins(starts, { documentId: 'x', promptStart: prompt.length, length: 0 }, 16)).toBeNull();

    // 5 decode steps in rows of 2: rows 0 and 1 hold 2 steps, row 2 one; each row looks at one bin
    const L = 2;
    const H = 2;
    const bins = 16;
    const rows = 3;
    const hot = [3, 9, 14];
    const values = new Float32Array(rows * L * H * bins);
    for (let r = 0; r < rows; r++) for (let lh = 0; lh < L * H; lh++) values[(r * L * H + lh) * bins + hot[r]!] = (r < 2 ? 2 : 1) * (lh + 1) * 0.1;
    const a: AttentionSumsLike = { layers: L, heads: H, promptLen: starts.length - 1, steps: 5, values: new Float32Array(L * H * (starts.length - 1)), binned: { bounds: hb.bounds, bins, rows, group: 2, values } };
    const answer = ['The', ' key', ' is', ' 7421', ' and a very long tail that goes on and on and on'];
    const hm = heatmapFromRows(a, hb.binCharStarts, 'd1', 'm1', (i, j) => answer.slice(i, j).join(''));
    expect(hm.answerTokens).toEqual(['The key', ' is 7421', ` and a very long tail that goes on and …`]);
    expect(hm.answerTokens[2]!.length).toBe(40);
    expect([hm.bins, hm.binCharStarts.length, hm.layers, hm.heads]).toEqual([16, 16, 2, 2]);
    const avg = hm.values['-1:-1']!;
    expect(avg.length).toBe(rows * bins);
    for (let r = 0; r < rows; r++) {
      const row = avg.slice(r * bins, (r + 1) * bins);
      expect(row.indexOf(Math.max(...row))).toBe(hot[r]);
      // mean per token of the row, averaged over the 4 (layer, head) pairs: (0.1 + 0.2 + 0.3 + 0.4) / 4
      expect(row[hot[r]!]).toBeCloseTo(0.25, 6);
    }
    expect(hm.values['1:1']![2 * bins + 14]).toBeCloseTo(0.4, 6);
    expect(hm.values['0:-1']![14]).toBe(0);
    expect(Object.keys(hm.values).sort()).toEqual(['-1:-1', '-1:0', '-1:1', '0:-1', '0:0', '0:1', '1:-1', '1:0', '1:1']);

    // over the size cap, the per-(layer, head) matrices are left out; the averages stay
    const bigBins = Math.ceil(HEATMAP_MAX_CELLS / (9 * 128)) + 1;
    const big: AttentionSumsLike = { ...a, steps: 128, binned: { bounds: Array.from({ length: bigBins + 1 }, (_, i) => i), bins: bigBins, rows: 128, group: 1, values: new Float32Array(128 * L * H * bigBins) } };
    const hb2 = heatmapFromRows(big, Array.from({ length: bigBins }, (_, i) => i), 'd1', 'm2', (i) => `t${i}`);
    expect(Object.keys(hb2.values).sort()).toEqual(['-1:-1', '-1:0', '-1:1', '0:-1', '1:-1']);
    expect(hb2.answerTokens.length).toBe(128);
  });
});
