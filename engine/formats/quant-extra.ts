/**
 * CPU dequantizers for the ggml formats beyond the classic and K-quants that real GGUFs use:
 * IQ4_NL and IQ4_XS (non-linear 4-bit, common in imatrix quants), MXFP4 (gpt-oss) and NVFP4,
 * the ternary TQ1_0/TQ2_0, the 1- and 2-bit Q1_0/Q2_0, and Q8_K (ggml's activation format). Transcribed from ggml's dequantize_row_* and
 * checked bit for bit against them (test/gguf/quant-golden.test.ts). The IQ1/IQ2/IQ3 grid
 * formats are not here: they need ggml's large lattice tables.
 *
 * Extend: a new format = a function writing one block's values, and an entry in EXTRA_DEQUANT.
 */

import { GgmlType } from './ggml-types.ts';
import { f16ToF32 } from './f16.ts';

const fr = Math.fround;
const KVALUES_IQ4NL = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113];
/** e2m1 values, doubled (ggml's kvalues_mxfp4; the E8M0 scale is halved to match). */
const KVALUES_MXFP4 = [0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12];
const POW3 = [1, 3, 9, 27, 81, 243];

/** ggml_ue4m3_to_fp32: unsigned E4M3 (bias 7), halved like the MXFP4 values; 0x00 and 0x7F are 0. */
function ue4m3(x: number): number {
  if (x === 0 || x === 0x7f) return 0;
  const exp = (x >> 3) & 15;
  const man = x & 7;
  return (exp === 0 ? man * 2 ** -9 : (1 + man / 8) * 2 ** (exp - 7)) * 0.5;
}

type BlockFn = (b: Uint8Array, o: number, out: Float32Array, y: number) => void;
const half = (b: Uint8Array, p: number) => f16ToF32(b[p]! | (b[p + 1]! << 8));

/** One base-3 digit of a TQ1_0 byte, as ggml extracts it: ((q * 3^n mod 256) * 3) >> 8. */
const trit = (byte: number, n: number) => ((((byte * POW3[n]!) & 255) * 3) >> 8) - 1;

export const EXTRA_DEQUANT: Partial<Record<GgmlType, BlockFn>> = {
  // d f16, qs[16]
  [GgmlType.IQ4_NL]: (b, o, out, y) => {
    const d = half(b, o);
    for (let j = 0; j < 16; j++) {
      out[y + j] = d * KVALUES_IQ4NL[b[o + 2 + j]! & 15]!;
      out[y + j + 16] = d * KVALUES_IQ4NL[b[o + 2 + j]! >> 4]!;
    }
  },
  // d f16, scales_h u16, scales_l[4], qs[128]
  [GgmlType.IQ4_XS]: (b, o, out, y) => {
    const d = half(b, o);
    const sh = b[o + 2]! | (b[o + 3]! << 8);
    for (let ib = 0; ib < 8; ib++) {
      const ls = ((b[o + 4 + (ib >> 1)]! >> (4 * (ib % 2))) & 15) | (((sh >> (2 * ib)) & 3) << 4);
      const dl = fr(d * (ls - 32));
      const qs = o + 8 + 16 * ib;
      for (let j = 0; j < 16; j++) {
        out[y + 32 * ib + j] = dl * KVALUES_IQ4NL[b[qs + j]! & 15]!;
        out[y + 32 * ib + j + 16] = dl * KVALUES_IQ4NL[b[qs + j]! >> 4]!;
      }
    }
  },
  // e (E8M0) u8, qs[16]; ggml's half scale is 2^(e - 128)
  [GgmlType.MXFP4]: (b, o, out, y) => {
    const d = 2 ** (b[o]! - 128);
    for (let j = 0; j < 16; j++) {
      out[y + j] = KVALUES_MXFP4[b[o + 1 + j]! & 15]! * d;
      out[y + j + 16] = KVALUES_MXFP4[b[o + 1 + j]! >> 4]! * d;
    }
  },
  // d[4] (UE4M3, one per 16 values), qs[32]
  [GgmlType.NVFP4]: (b, o, out, y) => {
    for (let s = 0; s < 4; s++) {
      const d = ue4m3(b[o + s]!);
      for (let j = 0; j < 8; j++) {
        const q = b[o + 4 + 8 * s + j]!;
        out[y + 16 * s + j] = KVALUES_MXFP4[q & 15]! * d;
        out[y + 16 * s + j + 8] = KVALUES_MXFP4[q >> 4]! * d;
      }
    }
  },
  // d f16, qs[16]: one sign bit per value (+d or -d)
  [GgmlType.Q1_0]: (b, o, out, y) => {
    const d = half(b, o);
    for (let j = 0; j < 128; j++) out[y + j] = (b[o + 2 + (j >> 3)]! >> (j & 7)) & 1 ? d : -d;
  },
  // d f16, qs[16]: 2 bits per value, q - 1 in {-1, 0, 1, 2}
  [GgmlType.Q2_0]: (b, o, out, y) => {
    const d = half(b, o);
    for (let j = 0; j < 64; j++) out[y + j] = (((b[o + 2 + (j >> 2)]! >> ((j & 3) * 2)) & 3) - 1) * d;
  },
  // qs[48] (5 trits a byte), qh[4] (4 trits a byte), d f16 at 52
  [GgmlType.TQ1_0]: (b, o, out, y) => {
    const d = half(b, o + 52);
    let k = y;
    for (let n = 0; n < 5; n++) for (let m = 0; m < 32; m++) out[k++] = trit(b[o + m]!, n) * d;
    for (let n = 0; n < 5; n++) for (let m = 0; m < 16; m++) out[k++] = trit(b[o + 32 + m]!, n) * d;
    for (let n = 0; n < 4; n++) for (let j = 0; j < 4; j++) out[k++] = trit(b[o + 48 + j]!, n) * d;
  },
  // qs[64] (2 bits each), d f16 at 64
  [GgmlType.TQ2_0]: (b, o, out, y) => {
    const d = half(b, o + 64);
    let k = y;
    for (let j = 0; j < 64; j += 32) for (let l = 0; l < 4; l++) for (let m = 0; m < 32; m++) out[k++] = (((b[o + j + m]! >> (2 * l)) & 3) - 1) * d;
  },
  // d f32, qs[256] int8, bsums[16]
  [GgmlType.Q8_K]: (b, o, out, y) => {
    const d = new DataView(b.buffer, b.byteOffset + o, 4).getFloat32(0, true);
    for (let j = 0; j < 256; j++) out[y + j] = d * ((b[o + 4 + j]! << 24) >> 24);
  },
};
