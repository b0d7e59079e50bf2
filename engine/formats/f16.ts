/**
 * Half-precision conversions exactly as ggml does them: f16 <-> f32 (round to nearest even,
 * subnormals, overflow to inf, NaN kept) and bf16 <-> f32 (GGML_FP32_TO_BF16: round to nearest
 * even, NaN made quiet). Checked bit for bit against ggml's row converters in
 * test/gguf/quant-golden.test.ts. Pure module; quant.ts re-exports it.
 */

const f32b = new Float32Array(1);
const u32b = new Uint32Array(f32b.buffer);

function f16ToF32Slow(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 31;
  const m = h & 1023;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

let F16_TABLE: Float32Array | null = null;

/** f16 bits -> value (every f16 is exact in f32; a 256 KiB table built on first use). */
export function f16ToF32(h: number): number {
  if (!F16_TABLE) {
    F16_TABLE = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) F16_TABLE[i] = f16ToF32Slow(i);
  }
  return F16_TABLE[h & 0xffff]!;
}

/** f32 -> f16 bits, round to nearest even, with subnormals, overflow to inf, NaN kept. */
export function f32ToF16(x: number): number {
  f32b[0] = x;
  const b = u32b[0]!;
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
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
  return sign | h;
}

export function bf16ToF32(h: number): number {
  u32b[0] = h << 16;
  return f32b[0]!;
}

/** ggml's GGML_FP32_TO_BF16: round to nearest even, quiet NaN. */
export function f32ToBf16(x: number): number {
  f32b[0] = x;
  const u = u32b[0]!;
  if ((u & 0x7fffffff) > 0x7f800000) return ((u >>> 16) | 64) & 0xffff;
  return ((u + (0x7fff + ((u >>> 16) & 1))) >>> 16) & 0xffff;
}
