import { describe, expect, it } from 'vitest';
import { f16BitsToF32, f16Pack, f16Round, f16Unpack, f32ToF16Bits } from './ops-f16.ts';

describe('f16 helpers', () => {
  it('round to nearest even, with subnormals, overflow and NaN', () => {
    expect(f32ToF16Bits(1)).toBe(0x3c00);
    expect(f32ToF16Bits(-2)).toBe(0xc000);
    expect(f32ToF16Bits(65504)).toBe(0x7bff);
    expect(f32ToF16Bits(65520)).toBe(0x7c00); // rounds up to inf
    expect(f32ToF16Bits(2 ** -24)).toBe(1); // smallest subnormal
    expect(f32ToF16Bits(2 ** -26)).toBe(0); // below half of it
    expect(f32ToF16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie -> even
    expect(f32ToF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie -> even (up)
    expect(Number.isNaN(f16BitsToF32(f32ToF16Bits(NaN)))).toBe(true);
    expect(f16Round(0.1)).toBeCloseTo(0.0999755859375, 12);
  });
  it('packs the even element in the low half', () => {
    const w = f16Pack([1, -2, 0.5]);
    expect([...w]).toEqual([0x3c00 | (0xc000 << 16), 0x3800].map((x) => x >>> 0));
    expect([...f16Unpack(w, 3)]).toEqual([1, -2, 0.5]);
  });
});
