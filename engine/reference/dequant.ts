/**
 * Plain CPU dequantization of GGUF tensors to f32 for the reference forward pass: a direct
 * transcription of ggml's dequantize_row_* (ggml-quants.c) for the formats the runtime's tests
 * use (F32, F16, BF16, Q8_0, Q4_0, Q5_0, Q4_K, Q6_K). Block layouts: peers.md B.4.
 *
 * Extend: a new format = a case in `dequantize` (check it against ggml, not against a shader).
 */

import { LongreadError } from '../errors.ts';
import { f16BitsToF32 } from './ops-f16.ts';

export function dequantize(type: string, raw: Uint8Array, elements: number): Float32Array {
  const out = new Float32Array(elements);
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const f16 = (o: number) => f16BitsToF32(dv.getUint16(o, true));
  const i8 = (o: number) => dv.getInt8(o);
  const u8 = (o: number) => raw[o]!;
  switch (type) {
    case 'F32':
      for (let i = 0; i < elements; i++) out[i] = dv.getFloat32(4 * i, true);
      return out;
    case 'F16':
      for (let i = 0; i < elements; i++) out[i] = f16(2 * i);
      return out;
    case 'BF16': {
      const u = new Uint32Array(out.buffer);
      for (let i = 0; i < elements; i++) u[i] = dv.getUint16(2 * i, true) << 16;
      return out;
    }
    case 'Q8_0':
      for (let b = 0; b < elements / 32; b++) {
        const o = b * 34;
        const d = f16(o);
        for (let j = 0; j < 32; j++) out[b * 32 + j] = i8(o + 2 + j) * d;
      }
      return out;
    case 'Q4_0':
      for (let b = 0; b < elements / 32; b++) {
        const o = b * 18;
        const d = f16(o);
        for (let j = 0; j < 16; j++) {
          out[b * 32 + j] = ((u8(o + 2 + j) & 15) - 8) * d;
          out[b * 32 + j + 16] = ((u8(o + 2 + j) >> 4) - 8) * d;
        }
      }
      return out;
    case 'Q5_0':
      for (let b = 0; b < elements / 32; b++) {
        const o = b * 22;
        const d = f16(o);
        const qh = dv.getUint32(o + 2, true);
        for (let j = 0; j < 16; j++) {
          out[b * 32 + j] = ((u8(o + 6 + j) & 15) | (((qh >>> j) & 1) << 4)) * d - 16 * d;
          out[b * 32 + j + 16] = ((u8(o + 6 + j) >> 4) | (((qh >>> (j + 16)) & 1) << 4)) * d - 16 * d;
        }
      }
      return out;
    case 'Q4_K':
      for (let b = 0; b < elements / 256; b++) {
        const o = b * 144;
        const d = f16(o);
        const dmin = f16(o + 2);
        const s = (i: number) => u8(o + 4 + i);
        // get_scale_min_k4
        const sm = (j: number): [number, number] => (j < 4 ? [s(j) & 63, s(j + 4) & 63] : [(s(j + 4) & 15) | ((s(j - 4) >> 6) << 4), (s(j + 4) >> 4) | ((s(j) >> 6) << 4)]);
        for (let c = 0; c < 4; c++) {
          const [sc1, m1] = sm(2 * c);
          const [sc2, m2] = sm(2 * c + 1);
          for (let l = 0; l < 32; l++) {
            const q = u8(o + 16 + 32 * c + l);
            out[b * 256 + 64 * c + l] = d * sc1 * (q & 15) - dmin * m1;
            out[b * 256 + 64 * c + 32 + l] = d * sc2 * (q >> 4) - dmin * m2;
          }
        }
      }
      return out;
    case 'Q6_K':
      for (let b = 0; b < elements / 256; b++) {
        const o = b * 210;
        const d = f16(o + 208);
        for (let n = 0; n < 2; n++) {
          const ql = o + 64 * n;
          const qh = o + 128 + 32 * n;
          const sc = o + 192 + 8 * n;
          const y = b * 256 + 128 * n;
          for (let l = 0; l < 32; l++) {
            const is = l >> 4;
            const h = u8(qh + l);
            out[y + l] = d * i8(sc + is) * (((u8(ql + l) & 15) | ((h & 3) << 4)) - 32);
            out[y + l + 32] = d * i8(sc + is + 2) * (((u8(ql + l + 32) & 15) | (((h >> 2) & 3) << 4)) - 32);
            out[y + l + 64] = d * i8(sc + is + 4) * (((u8(ql + l) >> 4) | (((h >> 4) & 3) << 4)) - 32);
            out[y + l + 96] = d * i8(sc + is + 6) * (((u8(ql + l + 32) >> 4) | (((h >> 6) & 3) << 4)) - 32);
          }
        }
      }
      return out;
    default:
      throw new LongreadError('gguf-unsupported', `The reference forward cannot dequantize ${type}.`, 'Use F32, F16, BF16, Q8_0, Q4_0, Q5_0, Q4_K or Q6_K for reference runs.', { type });
  }
}
