import { describe, expect, it } from 'vitest';
import type { DocumentContent } from './contract.ts';
import { evidenceFrom, heatmapFrom, meanAttention, passages, tokenCharStarts } from './evidence.ts';

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
    const hm = heatmapFrom(a, starts, region, 'm1', 16);
    const avg = hm.values['-1:-1']!;
    const hot = avg.indexOf(Math.max(...avg));
    expect(hm.binCharStarts[hot]! <= keyAt - 7 && (hm.binCharStarts[hot + 1] ?? docText.length) > keyAt - 7).toBe(true);
    expect(Object.keys(hm.values)).toContain('1:0');
  });
});
