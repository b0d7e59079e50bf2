/**
 * Random GGUF weight tensors for the matrix-kernel cases: random block bytes with sane scale
 * fields, and their dequantized values from a plain CPU transcription of ggml's
 * dequantize_row_* (ggml-quants.c), written independently of the shaders.
 *
 * Extend: a new format = a branch in `dequantBlock` and its scale-field offsets in SCALES.
 */

import type { WeightFormat } from '../../engine/kernels/weight-layout.ts';
import { weightFormatLayout, weightRowBytes } from '../../engine/kernels/weight-layout.ts';
import type { Rng } from './harness.ts';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 31;
  const m = h & 1023;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

export function f32ToF16(x: number): number {
  // Round to nearest even through the exponent/mantissa; inputs here are normal and small.
  f32[0] = x;
  const b = u32[0]!;
  const s = (b >>> 16) & 0x8000;
  const e = ((b >>> 23) & 255) - 127 + 15;
  let m = b & 0x7fffff;
  if (e <= 0) return s; // flush tiny values (never produced by the generators)
  if (e >= 31) return s | 0x7c00;
  let h = s | (e << 10) | (m >>> 13);
  m &= 0x1fff;
  if (m > 0x1000 || (m === 0x1000 && h & 1)) h++;
  return h;
}

/** f16 field offsets (within a block) that must hold sane positive scales. */
export const SCALES: Partial<Record<WeightFormat, number[]>> = {
  Q4_0: [0],
  Q4_1: [0, 2],
  Q5_0: [0],
  Q5_1: [0, 2],
  Q8_0: [0],
  Q2_K: [80, 82],
  Q3_K: [108],
  Q4_K: [0, 2],
  Q5_K: [0, 2],
  Q6_K: [208],
};

function dequantBlock(fmt: WeightFormat, b: Uint8Array, o: number, out: Float32Array, y: number): void {
  const f16 = (p: number) => f16ToF32(b[o + p]! | (b[o + p + 1]! << 8));
  const i8 = (p: number) => (b[o + p]! << 24) >> 24;
  switch (fmt) {
    case 'Q4_0':
    case 'Q4_1': {
      const d = f16(0);
      const m = fmt === 'Q4_1' ? f16(2) : 0;
      const qs = fmt === 'Q4_1' ? 4 : 2;
      for (let j = 0; j < 16; j++) {
        const q = b[o + qs + j]!;
        out[y + j] = fmt === 'Q4_1' ? (q & 15) * d + m : ((q & 15) - 8) * d;
        out[y + j + 16] = fmt === 'Q4_1' ? (q >> 4) * d + m : ((q >> 4) - 8) * d;
      }
      return;
    }
    case 'Q5_0':
    case 'Q5_1': {
      const one = fmt === 'Q5_1';
      const d = f16(0);
      const m = one ? f16(2) : 0;
      const hp = one ? 4 : 2;
      const qh = (b[o + hp]! | (b[o + hp + 1]! << 8) | (b[o + hp + 2]! << 16) | (b[o + hp + 3]! << 24)) >>> 0;
      const qs = hp + 4;
      for (let j = 0; j < 16; j++) {
        const x0 = (b[o + qs + j]! & 15) | (((qh >>> j) & 1) << 4);
        const x1 = (b[o + qs + j]! >> 4) | (((qh >>> (j + 16)) & 1) << 4);
        out[y + j] = one ? x0 * d + m : (x0 - 16) * d;
        out[y + j + 16] = one ? x1 * d + m : (x1 - 16) * d;
      }
      return;
    }
    case 'Q8_0': {
      const d = f16(0);
      for (let j = 0; j < 32; j++) out[y + j] = i8(2 + j) * d;
      return;
    }
    case 'Q2_K': {
      const d = f16(80);
      const dmin = f16(82);
      let is = 0;
      let yy = y;
      for (let n = 0; n < 2; n++) {
        const q = 16 + 32 * n;
        for (let j = 0; j < 4; j++) {
          const shift = 2 * j;
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
    case 'Q3_K': {
      const d = f16(108);
      const s = (i: number) => b[o + 96 + i]!;
      const scales: number[] = [];
      for (let i = 0; i < 16; i++) {
        const lo = i < 8 ? s(i) & 15 : s(i - 8) >> 4;
        const hi = (s(8 + (i % 4)) >> (2 * Math.floor(i / 4))) & 3;
        scales.push((lo | (hi << 4)) - 32);
      }
      let is = 0;
      let yy = y;
      let m = 1;
      for (let n = 0; n < 2; n++) {
        const q = 32 + 32 * n;
        for (let j = 0; j < 4; j++) {
          const shift = 2 * j;
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
    case 'Q4_K':
    case 'Q5_K': {
      const five = fmt === 'Q5_K';
      const d = f16(0);
      const dmin = f16(2);
      const sc = (j: number): [number, number] => {
        const s = (i: number) => b[o + 4 + i]!;
        if (j < 4) return [s(j) & 63, s(j + 4) & 63];
        return [(s(j + 4) & 15) | ((s(j - 4) >> 6) << 4), (s(j + 4) >> 4) | ((s(j) >> 6) << 4)];
      };
      const qs = five ? 48 : 16;
      let yy = y;
      for (let c = 0; c < 4; c++) {
        const [s1, m1] = sc(2 * c);
        const [s2, m2] = sc(2 * c + 1);
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
    case 'Q6_K': {
      const d = f16(208);
      let yy = y;
      for (let n = 0; n < 2; n++) {
        const ql = 64 * n;
        const qh = 128 + 32 * n;
        const sc = 192 + 8 * n;
        for (let l = 0; l < 32; l++) {
          const is = l >> 4;
          const h = b[o + qh + l]!;
          const q1 = ((b[o + ql + l]! & 15) | ((h & 3) << 4)) - 32;
          const q2 = ((b[o + ql + l + 32]! & 15) | (((h >> 2) & 3) << 4)) - 32;
          const q3 = ((b[o + ql + l]! >> 4) | (((h >> 4) & 3) << 4)) - 32;
          const q4 = ((b[o + ql + l + 32]! >> 4) | (((h >> 6) & 3) << 4)) - 32;
          out[yy + l] = d * i8(sc + is) * q1;
          out[yy + l + 32] = d * i8(sc + is + 2) * q2;
          out[yy + l + 64] = d * i8(sc + is + 4) * q3;
          out[yy + l + 96] = d * i8(sc + is + 6) * q4;
        }
        yy += 128;
      }
      return;
    }
    default:
      throw new Error(`dequantBlock: ${fmt}`);
  }
}

export interface RandomWeights {
  /** GGUF bytes, rows * rowBytes, padded to 4. */
  bytes: Uint8Array;
  /** Dequantized [rows x cols]. */
  values: Float32Array;
}

/** Random [rows x cols] weights of `fmt` with unit-scale-ish values. */
export function randomWeights(fmt: WeightFormat, rows: number, cols: number, rng: Rng): RandomWeights {
  const l = weightFormatLayout(fmt);
  const rowBytes = weightRowBytes(fmt, cols);
  const bytes = new Uint8Array(Math.ceil((rows * rowBytes) / 4) * 4);
  const values = new Float32Array(rows * cols);
  if (l.float) {
    const v = rng.normal(rows * cols);
    const dv = new DataView(bytes.buffer);
    for (let i = 0; i < v.length; i++) {
      if (fmt === 'F32') {
        dv.setFloat32(4 * i, v[i]!, true);
        values[i] = v[i]!;
      } else if (fmt === 'F16') {
        const h = f32ToF16(v[i]!);
        dv.setUint16(2 * i, h, true);
        values[i] = f16ToF32(h);
      } else {
        f32[0] = v[i]!;
        const h = u32[0]! >>> 16;
        dv.setUint16(2 * i, h, true);
        u32[0] = h << 16;
        values[i] = f32[0];
      }
    }
    return { bytes, values };
  }
  const raw = rng.u32(Math.ceil(bytes.length / 4));
  bytes.set(new Uint8Array(raw.buffer, 0, bytes.length));
  const nb = (rows * cols) / l.blockWeights;
  const scales = SCALES[fmt] ?? [];
  for (let i = 0; i < nb; i++) {
    const o = i * l.blockBytes;
    for (const p of scales) {
      const h = f32ToF16((0.5 + rng.next()) * (l.blockWeights === 256 ? 0.02 : 0.1));
      bytes[o + p] = h & 255;
      bytes[o + p + 1] = h >> 8;
    }
    dequantBlock(fmt, bytes, o, values, i * l.blockWeights);
  }
  return { bytes, values };
}

/** Y[m, n] = sum_k X[m, k] W[n, k] in f64 accumulation. */
export function matmulRef(x: Float32Array, w: Float32Array, m: number, n: number, k: number): Float32Array {
  const y = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      const xo = i * k;
      const wo = j * k;
      for (let t = 0; t < k; t++) s += x[xo + t]! * w[wo + t]!;
      y[i * n + j] = s;
    }
  }
  return y;
}

/**
 * Random bytes of a [rows x cols] tensor with valid scale fields and float values in (-2, 2),
 * without the dequantized copy (fast enough for the bench's 500 MB tensors).
 */
export function randomWeightBytes(fmt: WeightFormat, rows: number, cols: number, seed: number): Uint8Array {
  const l = weightFormatLayout(fmt);
  const n = Math.ceil((rows * weightRowBytes(fmt, cols)) / 4);
  const words = new Uint32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    words[i] = s >>> 0;
  }
  const bytes = new Uint8Array(words.buffer);
  if (fmt === 'F16') for (let i = 0; i < n; i++) words[i] = words[i]! & 0xbbffbbff; // exponent < 15: |v| < 2
  else if (fmt === 'BF16') for (let i = 0; i < n; i++) words[i] = words[i]! & 0xbfffbfff;
  else if (fmt === 'F32') for (let i = 0; i < n; i++) words[i] = words[i]! & 0xbfffffff;
  else {
    const scales = SCALES[fmt] ?? [];
    const h = f32ToF16(l.blockWeights === 256 ? 0.02 : 0.1);
    const nb = (rows * cols) / l.blockWeights;
    for (let b = 0; b < nb; b++) {
      for (const p of scales) {
        bytes[b * l.blockBytes + p] = h & 255;
        bytes[b * l.blockBytes + p + 1] = h >> 8;
      }
    }
  }
  return bytes;
}
