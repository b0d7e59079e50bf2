/**
 * GGUF block formats on the CPU: a dequantizer per format (the reference the GPU kernels are
 * checked against; transcribed from ggml's dequantize_row_* in ggml-quants.c, byte layouts from
 * ggml-common.h) and quantizers for F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 here and Q2_K..Q6_K
 * in quant-k.ts, all reproducing ggml's quantize_row_*_ref byte for byte (float32 arithmetic
 * emulated with Math.fround), i.e. what llama-quantize writes without an imatrix. Both directions
 * are checked against ggml's own output (test/gguf/quant-golden.test.ts); f16/bf16 live in f16.ts,
 * random valid blocks of every type in quant-random.ts.
 *
 * Block layouts (bytes): Q4_0 18 = d f16 + 16 nibble bytes; Q4_1 20 = d, m + 16; Q5_0 22 = d +
 * qh u32 + 16; Q5_1 24 = d, m + qh + 16; Q8_0 34 = d + 32 i8; Q2_K 84 = scales[16] qs[64] d dmin;
 * Q3_K 110 = hmask[32] qs[64] scales[12] d; Q4_K 144 = d dmin scales[12] qs[128]; Q5_K 176 =
 * d dmin scales[12] qh[32] qs[128]; Q6_K 210 = ql[128] qh[64] scales[16] d.
 *
 * Extend: a new format = a case in `dequantBlock` (and `quantizeBlock`, or K_QUANTIZERS, if
 * writable).
 */

import { GgmlType, ggmlTypeInfo, ggmlTypeName } from './ggml-types.ts';
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from './f16.ts';
import { K_QUANTIZERS } from './quant-k.ts';
import { EXTRA_DEQUANT } from './quant-extra.ts';

export { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 };

const rdF16 = (b: Uint8Array, p: number) => f16ToF32(b[p]! | (b[p + 1]! << 8));
const rdI8 = (b: Uint8Array, p: number) => (b[p]! << 24) >> 24;

function dequantBlock(t: GgmlType, b: Uint8Array, o: number, out: Float32Array, y: number): void {
  switch (t) {
    case GgmlType.Q4_0: {
      const d = rdF16(b, o + 0);
      for (let j = 0; j < 16; j++) {
        out[y + j] = ((b[o + 2 + j]! & 15) - 8) * d;
        out[y + j + 16] = ((b[o + 2 + j]! >> 4) - 8) * d;
      }
      return;
    }
    case GgmlType.Q4_1: {
      const d = rdF16(b, o + 0);
      const m = rdF16(b, o + 2);
      for (let j = 0; j < 16; j++) {
        out[y + j] = (b[o + 4 + j]! & 15) * d + m;
        out[y + j + 16] = (b[o + 4 + j]! >> 4) * d + m;
      }
      return;
    }
    case GgmlType.Q5_0:
    case GgmlType.Q5_1: {
      const one = t === GgmlType.Q5_1;
      const d = rdF16(b, o + 0);
      const m = one ? rdF16(b, o + 2) : 0;
      const hp = one ? 4 : 2;
      const qh = (b[o + hp]! | (b[o + hp + 1]! << 8) | (b[o + hp + 2]! << 16) | (b[o + hp + 3]! << 24)) >>> 0;
      for (let j = 0; j < 16; j++) {
        const x0 = (b[o + hp + 4 + j]! & 15) | (((qh >>> j) & 1) << 4);
        const x1 = (b[o + hp + 4 + j]! >> 4) | (((qh >>> (j + 16)) & 1) << 4);
        out[y + j] = one ? x0 * d + m : (x0 - 16) * d;
        out[y + j + 16] = one ? x1 * d + m : (x1 - 16) * d;
      }
      return;
    }
    case GgmlType.Q8_0: {
      const d = rdF16(b, o + 0);
      for (let j = 0; j < 32; j++) out[y + j] = rdI8(b, o + 2 + j) * d;
      return;
    }
    case GgmlType.Q2_K: {
      const d = rdF16(b, o + 80);
      const dmin = rdF16(b, o + 82);
      let is = 0;
      let yy = y;
      for (let n = 0; n < 2; n++) {
        const q = 16 + 32 * n;
        for (let shift = 0; shift < 8; shift += 2) {
          for (let half = 0; half < 2; half++) {
            const sc = b[o + is++]!;
            const dl = d * (sc & 15);
            const ml = dmin * (sc >> 4);
            for (let l = 0; l < 16; l++) out[yy++] = dl * ((b[o + q + 16 * half + l]! >> shift) & 3) - ml;
          }
        }
      }
      return;
    }
    case GgmlType.Q3_K: {
      const d = rdF16(b, o + 108);
      const s = (i: number) => b[o + 96 + i]!;
      const scales = new Int32Array(16);
      for (let i = 0; i < 16; i++) {
        const lo = i < 8 ? s(i) & 15 : s(i - 8) >> 4;
        const hi = (s(8 + (i % 4)) >> (2 * Math.floor(i / 4))) & 3;
        scales[i] = (lo | (hi << 4)) - 32;
      }
      let is = 0;
      let yy = y;
      let m = 1;
      for (let n = 0; n < 2; n++) {
        const q = 32 + 32 * n;
        for (let shift = 0; shift < 8; shift += 2) {
          for (let half = 0; half < 2; half++) {
            const dl = d * scales[is++]!;
            for (let l = 0; l < 16; l++) {
              const L = 16 * half + l;
              out[yy++] = dl * (((b[o + q + L]! >> shift) & 3) - (b[o + L]! & m ? 0 : 4));
            }
          }
          m <<= 1;
        }
      }
      return;
    }
    case GgmlType.Q4_K:
    case GgmlType.Q5_K: {
      const five = t === GgmlType.Q5_K;
      const d = rdF16(b, o + 0);
      const dmin = rdF16(b, o + 2);
      const qs = five ? 48 : 16;
      let yy = y;
      for (let c = 0; c < 4; c++) {
        const [s1, m1] = scaleMinK4(b, o + 4, 2 * c);
        const [s2, m2] = scaleMinK4(b, o + 4, 2 * c + 1);
        for (let l = 0; l < 32; l++) {
          const h = five ? ((b[o + 16 + l]! >> (2 * c)) & 1) * 16 : 0;
          out[yy + l] = d * s1 * ((b[o + qs + 32 * c + l]! & 15) + h) - dmin * m1;
        }
        for (let l = 0; l < 32; l++) {
          const h = five ? ((b[o + 16 + l]! >> (2 * c + 1)) & 1) * 16 : 0;
          out[yy + 32 + l] = d * s2 * ((b[o + qs + 32 * c + l]! >> 4) + h) - dmin * m2;
        }
        yy += 64;
      }
      return;
    }
    case GgmlType.Q6_K: {
      const d = rdF16(b, o + 208);
      let yy = y;
      for (let n = 0; n < 2; n++) {
        const ql = 64 * n;
        const qh = 128 + 32 * n;
        const sc = 192 + 8 * n;
        for (let l = 0; l < 32; l++) {
          const is = l >> 4;
          const h = b[o + qh + l]!;
          out[yy + l] = d * rdI8(b, o + sc + is) * (((b[o + ql + l]! & 15) | ((h & 3) << 4)) - 32);
          out[yy + l + 32] = d * rdI8(b, o + sc + is + 2) * (((b[o + ql + l + 32]! & 15) | (((h >> 2) & 3) << 4)) - 32);
          out[yy + l + 64] = d * rdI8(b, o + sc + is + 4) * (((b[o + ql + l]! >> 4) | (((h >> 4) & 3) << 4)) - 32);
          out[yy + l + 96] = d * rdI8(b, o + sc + is + 6) * (((b[o + ql + l + 32]! >> 4) | (((h >> 6) & 3) << 4)) - 32);
        }
        yy += 128;
      }
      return;
    }
    default: {
      const extra = EXTRA_DEQUANT[t];
      if (!extra) throw new Error(`no dequantizer for ${ggmlTypeName(t)}`);
      extra(b, o, out, y);
    }
  }
}

/** ggml's get_scale_min_k4: 6-bit scale and min of sub-block j from the 12 packed bytes at p. */
function scaleMinK4(b: Uint8Array, p: number, j: number): [number, number] {
  if (j < 4) return [b[p + j]! & 63, b[p + j + 4]! & 63];
  return [(b[p + j + 4]! & 15) | ((b[p + j - 4]! >> 6) << 4), (b[p + j + 4]! >> 4) | ((b[p + j]! >> 6) << 4)];
}

export const DEQUANTIZABLE: readonly GgmlType[] = [
  GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q8_0,
  GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K,
  GgmlType.IQ4_NL, GgmlType.IQ4_XS, GgmlType.MXFP4, GgmlType.NVFP4, GgmlType.TQ1_0, GgmlType.TQ2_0, GgmlType.Q1_0, GgmlType.Q2_0,
  GgmlType.Q8_K,
];

/** Dequantizes `n` elements stored in `bytes` (GGUF layout) to f32. */
export function dequantize(t: GgmlType, bytes: Uint8Array, n: number): Float32Array {
  const out = new Float32Array(n);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (t === GgmlType.F32) {
    for (let i = 0; i < n; i++) out[i] = dv.getFloat32(4 * i, true);
    return out;
  }
  if (t === GgmlType.F16) {
    for (let i = 0; i < n; i++) out[i] = f16ToF32(dv.getUint16(2 * i, true));
    return out;
  }
  if (t === GgmlType.BF16) {
    for (let i = 0; i < n; i++) out[i] = bf16ToF32(dv.getUint16(2 * i, true));
    return out;
  }
  const { blockSize, typeSize } = ggmlTypeInfo(t);
  if (n % blockSize !== 0) throw new Error(`${n} elements is not a multiple of ${ggmlTypeName(t)}'s block size`);
  if (bytes.length < (n / blockSize) * typeSize) throw new Error(`${ggmlTypeName(t)}: ${bytes.length} bytes cannot hold ${n} elements`);
  for (let i = 0; i < n / blockSize; i++) dequantBlock(t, bytes, i * typeSize, out, i * blockSize);
  return out;
}

// Quantizers -------------------------------------------------------------------------------

export const QUANTIZABLE: readonly GgmlType[] = [
  GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1,
  GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K,
];

const roundAway = (x: number) => (x < 0 ? -Math.round(-x) : Math.round(x)); // C roundf
const fr = Math.fround; // C float arithmetic

function putF16(b: Uint8Array, p: number, v: number) {
  const h = f32ToF16(v);
  b[p] = h & 255;
  b[p + 1] = h >> 8;
}

function quantizeBlock(t: GgmlType, x: Float32Array, xo: number, b: Uint8Array, o: number): void {
  switch (t) {
    case GgmlType.Q8_0: {
      let amax = 0;
      for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[xo + j]!));
      const d = fr(amax / 127);
      const id = d ? fr(1 / d) : 0;
      putF16(b, o, d);
      for (let j = 0; j < 32; j++) b[o + 2 + j] = roundAway(fr(x[xo + j]! * id)) & 255;
      return;
    }
    case GgmlType.Q4_0:
    case GgmlType.Q5_0: {
      const five = t === GgmlType.Q5_0;
      let amax = 0;
      let max = 0;
      for (let j = 0; j < 32; j++) {
        const v = x[xo + j]!;
        if (amax < Math.abs(v)) { amax = Math.abs(v); max = v; }
      }
      const d = fr(max / (five ? -16 : -8));
      const id = d ? fr(1 / d) : 0;
      putF16(b, o, d);
      const off = five ? 16.5 : 8.5;
      const top = five ? 31 : 15;
      let qh = 0;
      for (let j = 0; j < 16; j++) {
        const x0 = Math.min(top, Math.trunc(fr(fr(x[xo + j]! * id) + off)));
        const x1 = Math.min(top, Math.trunc(fr(fr(x[xo + 16 + j]! * id) + off)));
        b[o + (five ? 6 : 2) + j] = (x0 & 15) | ((x1 & 15) << 4);
        qh |= ((x0 & 0x10) >> 4) << j;
        qh |= ((x1 & 0x10) >> 4) << (j + 16);
      }
      if (five) new DataView(b.buffer, b.byteOffset).setUint32(o + 2, qh >>> 0, true);
      return;
    }
    case GgmlType.Q4_1:
    case GgmlType.Q5_1: {
      const five = t === GgmlType.Q5_1;
      let min = Infinity;
      let max = -Infinity;
      for (let j = 0; j < 32; j++) { min = Math.min(min, x[xo + j]!); max = Math.max(max, x[xo + j]!); }
      const d = fr(fr(max - min) / (five ? 31 : 15));
      const id = d ? fr(1 / d) : 0;
      putF16(b, o, d);
      putF16(b, o + 2, min);
      let qh = 0;
      for (let j = 0; j < 16; j++) {
        const x0 = Math.trunc(fr(fr(fr(x[xo + j]! - min) * id) + 0.5));
        const x1 = Math.trunc(fr(fr(fr(x[xo + 16 + j]! - min) * id) + 0.5));
        b[o + (five ? 8 : 4) + j] = (x0 & 15) | ((x1 & 15) << 4);
        qh |= ((x0 & 0x10) >> 4) << j;
        qh |= ((x1 & 0x10) >> 4) << (j + 16);
      }
      if (five) new DataView(b.buffer, b.byteOffset).setUint32(o + 4, qh >>> 0, true);
      return;
    }
    default: {
      const k = K_QUANTIZERS[t];
      if (!k) throw new Error(`no quantizer for ${ggmlTypeName(t)}`);
      k(x, xo, b, o);
    }
  }
}

/** Quantizes f32 values into GGUF blocks of type `t` (length must be a multiple of the block). */
export function quantize(t: GgmlType, x: Float32Array): Uint8Array {
  const n = x.length;
  if (t === GgmlType.F32) return new Uint8Array(x.slice().buffer);
  if (t === GgmlType.F16 || t === GgmlType.BF16) {
    const out = new Uint8Array(2 * n);
    const dv = new DataView(out.buffer);
    for (let i = 0; i < n; i++) dv.setUint16(2 * i, t === GgmlType.F16 ? f32ToF16(x[i]!) : f32ToBf16(x[i]!), true);
    return out;
  }
  const { blockSize, typeSize } = ggmlTypeInfo(t);
  if (n % blockSize !== 0) throw new Error(`${n} values is not a multiple of ${ggmlTypeName(t)}'s block size ${blockSize}`);
  const out = new Uint8Array((n / blockSize) * typeSize);
  for (let i = 0; i < n / blockSize; i++) quantizeBlock(t, x, i * blockSize, out, i * typeSize);
  return out;
}
