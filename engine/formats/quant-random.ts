/**
 * Random valid blocks of every ggml tensor type, for kernel tests and synthetic models: random
 * quant bytes (every bit pattern of the packed quants, sub-block scales and sign/high-bit masks is
 * a valid block) with the block's float scale fields overwritten by finite, moderate values
 * (|d| in [2^-9, 2^-6], random sign; mins positive), so dequantized values stay well inside
 * f16/f32 range (|x| < ~20 for the K-quants, < 2 for Q8_0).
 *
 * `randomBlocks(type, nBlocks, rng)` returns nBlocks * typeSize bytes in GGUF layout; `rng`
 * returns uniform numbers in [0, 1). Extend: a new type = an entry in SCALES (the byte offsets of
 * its f16 scales) or a case in `fixBlock`.
 */

import { GgmlType, ggmlTypeInfo, ggmlTypeName, isKnownGgmlType } from './ggml-types.ts';
import { f32ToBf16, f32ToF16 } from './f16.ts';

/** Byte offsets of the f16 fields in a block: [signed scales, non-negative mins]. */
const SCALES: Partial<Record<GgmlType, [number[], number[]]>> = {
  [GgmlType.Q4_0]: [[0], []],
  [GgmlType.Q4_1]: [[0], [2]],
  [GgmlType.Q5_0]: [[0], []],
  [GgmlType.Q5_1]: [[0], [2]],
  [GgmlType.Q8_0]: [[0], []],
  [GgmlType.Q2_K]: [[80], [82]],
  [GgmlType.Q3_K]: [[108], []],
  [GgmlType.Q4_K]: [[0], [2]],
  [GgmlType.Q5_K]: [[0], [2]],
  [GgmlType.Q6_K]: [[208], []],
  [GgmlType.IQ2_XXS]: [[0], []],
  [GgmlType.IQ2_XS]: [[0], []],
  [GgmlType.IQ2_S]: [[0], []],
  [GgmlType.IQ3_XXS]: [[0], []],
  [GgmlType.IQ3_S]: [[0], []],
  [GgmlType.IQ1_S]: [[0], []],
  [GgmlType.IQ4_NL]: [[0], []],
  [GgmlType.IQ4_XS]: [[0], []],
  [GgmlType.TQ1_0]: [[52], []],
  [GgmlType.TQ2_0]: [[64], []],
  [GgmlType.Q1_0]: [[0], []],
  [GgmlType.Q2_0]: [[0], []],
};

function scale(rng: () => number, signed: boolean): number {
  const m = 2 ** (-9 + 3 * rng());
  return signed && rng() < 0.5 ? -m : m;
}

function putU16(b: Uint8Array, p: number, v: number): void {
  b[p] = v & 255;
  b[p + 1] = (v >> 8) & 255;
}

function fixBlock(t: GgmlType, b: Uint8Array, o: number, rng: () => number): void {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const known = SCALES[t];
  if (known) {
    for (const p of known[0]) putU16(b, o + p, f32ToF16(scale(rng, true)));
    for (const p of known[1]) putU16(b, o + p, f32ToF16(scale(rng, false)));
    return;
  }
  switch (t) {
    case GgmlType.Q8_1: {
      // d, then s = d * sum(qs) as ggml's quantize_row_q8_1 stores it.
      const d = scale(rng, true);
      let sum = 0;
      for (let j = 0; j < 32; j++) sum += dv.getInt8(o + 4 + j);
      putU16(b, o, f32ToF16(d));
      putU16(b, o + 2, f32ToF16(d * sum));
      return;
    }
    case GgmlType.Q8_K: {
      // f32 d, int8 qs[256], int16 bsums[16] = sums of 16 consecutive qs.
      dv.setFloat32(o, scale(rng, true), true);
      for (let g = 0; g < 16; g++) {
        let sum = 0;
        for (let j = 0; j < 16; j++) sum += dv.getInt8(o + 4 + 16 * g + j);
        dv.setInt16(o + 260 + 2 * g, sum, true);
      }
      return;
    }
    case GgmlType.IQ1_M: {
      // The f16 block scale is spread over the top nibbles of the four u16 scale words at 48.
      const h = f32ToF16(scale(rng, true));
      for (let k = 0; k < 4; k++) {
        const w = dv.getUint16(o + 48 + 2 * k, true);
        dv.setUint16(o + 48 + 2 * k, (w & 0x0fff) | (((h >> (4 * k)) & 15) << 12), true);
      }
      return;
    }
    case GgmlType.NVFP4:
      // four UE4M3 scales with exponent 1..4: 2^-7 .. 2^-3.1
      for (let k = 0; k < 4; k++) b[o + k] = ((1 + Math.floor(rng() * 4)) << 3) | Math.floor(rng() * 8);
      return;
    case GgmlType.MXFP4:
      b[o] = 118 + Math.floor(rng() * 8); // E8M0 exponent: scale 2^-9 .. 2^-2
      return;
    case GgmlType.F32:
      dv.setFloat32(o, 2 * rng() - 1, true);
      return;
    case GgmlType.F64:
      dv.setFloat64(o, 2 * rng() - 1, true);
      return;
    case GgmlType.F16:
      putU16(b, o, f32ToF16(2 * rng() - 1));
      return;
    case GgmlType.BF16:
      putU16(b, o, f32ToBf16(2 * rng() - 1));
      return;
    case GgmlType.I8:
    case GgmlType.I16:
    case GgmlType.I32:
    case GgmlType.I64:
      return; // any bit pattern is a valid integer
    default:
      throw new Error(`randomBlocks: no layout for ${ggmlTypeName(t)}`);
  }
}

/** `nBlocks` random valid blocks of `type` (GGUF layout, finite moderate scales). */
export function randomBlocks(type: GgmlType, nBlocks: number, rng: () => number): Uint8Array {
  if (!isKnownGgmlType(type)) throw new Error(`randomBlocks: unknown ggml type ${type}`);
  const { typeSize } = ggmlTypeInfo(type);
  const out = new Uint8Array(nBlocks * typeSize);
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(rng() * 256);
  for (let blk = 0; blk < nBlocks; blk++) fixBlock(type, out, blk * typeSize, rng);
  return out;
}
