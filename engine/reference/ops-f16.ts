/**
 * IEEE half-precision helpers for the CPU references and tests: f32 <-> f16 bits (round to
 * nearest even, like WGSL's pack2x16float on the GPUs we target), and packing two halves per
 * u32 (low half = even element), which is how every f16 tensor lives on the GPU.
 *
 * Extend: bf16 or other small floats go here too.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** f32 -> f16 bits, round to nearest even; overflow -> inf; NaN kept. */
export function f32ToF16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0]!;
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
  return sign | h; // a carry into the exponent is the correct rounding (up to inf)
}

/** f16 bits -> number */
export function f16BitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** Rounds to the nearest f16 value. */
export function f16Round(x: number): number {
  return f16BitsToF32(f32ToF16Bits(x));
}

/** Packs floats as f16 pairs into u32 words (odd length: the last high half is 0). */
export function f16Pack(x: ArrayLike<number>): Uint32Array {
  const out = new Uint32Array(Math.ceil(x.length / 2));
  for (let i = 0; i < x.length; i++) out[i >> 1]! |= f32ToF16Bits(x[i]!) << (i & 1 ? 16 : 0);
  return out;
}

/** Unpacks `n` halves from u32 words. */
export function f16Unpack(words: Uint32Array, n = words.length * 2): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = f16BitsToF32((words[i >> 1]! >>> (i & 1 ? 16 : 0)) & 0xffff);
  return out;
}
