import { describe, expect, it } from 'vitest';
import { AffineMatrix } from './pdf-globals.ts';

describe('AffineMatrix (DOMMatrix stand-in for pdf.js without @napi-rs/canvas)', () => {
  it('multiplies, translates, scales and inverts like DOMMatrix', () => {
    const m = new AffineMatrix([2, 0, 0, 3, 10, 20]).translate(1, 2).scale(4, 5);
    // Point (1,1): scale -> (4,5), translate -> (5,7), base -> (2*5+10, 3*7+20) = (20, 41).
    expect(m.a * 1 + m.c * 1 + m.e).toBe(20);
    expect(m.b * 1 + m.d * 1 + m.f).toBe(41);
    const inv = new AffineMatrix(m).invertSelf().multiplySelf(m);
    for (const [k, v] of Object.entries({ a: 1, b: 0, c: 0, d: 1, e: 0, f: 0 })) expect(inv[k as 'a']).toBeCloseTo(v, 12);
    const pre = new AffineMatrix([1, 0, 0, 1, 5, 0]).preMultiplySelf([2, 0, 0, 2, 0, 0]);
    expect([pre.a, pre.d, pre.e]).toEqual([2, 2, 10]);
  });
});
