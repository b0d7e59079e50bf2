/**
 * Random tensor bytes in GGUF block layouts with a chosen standard deviation, fast enough for
 * full-size models (a 1B model in seconds): uniform random bits, then only the scale fields of
 * each block are set so that the dequantized values have mean ~0 and the requested std.
 *
 *   randomTensor('Q4_K', elements, { std: 0.02, seed: 7 })    // Uint8Array in ggml layout
 *   randomTensor('F32', n, { std: 0.05, mean: 1, seed })       // norm weights around 1
 *
 * Quantized value models (q uniform over its range): Q8_0 d*q, q in -128..127 (std 73.9);
 * Q4_0 d*(q-8) (4.61); Q5_0 d*(q-16) (9.23), with d of random sign per block (zero mean); Q4_K d*sc*q - dmin*m with dmin = 8d and
 * m = round(sc * 15/16), sc in 40..63 (~ d*sc*(q-7.5), std d*sc*4.61); Q6_K d*sc*(q-32),
 * sc in 40..63 (std d*sc*18.5). Extend: a new format = a branch in `randomTensor`.
 */
import { GGML_BLOCK } from './gguf-stream-writer.ts';

const f32 = new Float32Array(1);
const u32v = new Uint32Array(f32.buffer);

/**
 * f32 -> f16 bits, round to nearest even, subnormals included: the block scales of small-std
 * tensors are f16 subnormals (a Q6_K d for std 0.02 is ~2e-5, under f16's smallest normal
 * 6.1e-5), and flushing them to zero made whole tensors zero (the Q6_K attn_output / ffn_down of
 * the tiny test models, found 2026-12-07). Overflow saturates to infinity.
 */
export function toF16(x: number): number {
  f32[0] = x;
  const b = u32v[0]!;
  const s = (b >>> 16) & 0x8000;
  const e = ((b >>> 23) & 255) - 127 + 15;
  let m = b & 0x7fffff;
  if (e <= 0) {
    if (e < -10) return s;
    // value = (1.m) 2^(e - 15) = frac 2^-24 with frac = (m | 2^23) 2^(e - 14)
    const full = m | 0x800000;
    const shift = 14 - e;
    let frac = full >>> shift;
    const rem = full & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && frac & 1)) frac++;
    return s | frac; // frac 1024 is the smallest normal, encoded the same way
  }
  if (e >= 31) return s | 0x7c00;
  let h = s | (e << 10) | (m >>> 13);
  m &= 0x1fff;
  if (m > 0x1000 || (m === 0x1000 && h & 1)) h++;
  return h;
}

/** xorshift32 words */
function randomWords(n: number, seed: number): Uint32Array {
  const w = new Uint32Array(n);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    w[i] = s >>> 0;
  }
  return w;
}

export interface RandomSpec {
  std: number;
  mean?: number;
  seed: number;
}

export function randomTensor(type: string, elements: number, spec: RandomSpec): Uint8Array {
  const [bw, bb] = GGML_BLOCK[type]!;
  const bytesLen = (elements / bw) * bb;
  const words = randomWords(Math.ceil(bytesLen / 4) + 1, spec.seed);
  const bytes = new Uint8Array(words.buffer, 0, bytesLen);
  const a = spec.std * Math.sqrt(3); // uniform half-width with this std
  const mean = spec.mean ?? 0;
  if (type === 'F32') {
    const out = new Float32Array(elements);
    for (let i = 0; i < elements; i++) out[i] = mean + ((words[i]! / 4294967296) * 2 - 1) * a;
    return new Uint8Array(out.buffer);
  }
  if (type === 'F16') {
    const table = new Uint16Array(65536);
    for (let i = 0; i < 65536; i++) table[i] = toF16(mean + (((i + 0.5) / 65536) * 2 - 1) * a);
    const h = new Uint16Array(words.buffer, 0, elements);
    for (let i = 0; i < elements; i++) h[i] = table[h[i]!]!;
    return new Uint8Array(h.buffer, 0, elements * 2);
  }
  const nb = elements / bw;
  const setF16 = (o: number, x: number) => {
    const v = toF16(x);
    bytes[o] = v & 255;
    bytes[o + 1] = v >> 8;
  };
  switch (type) {
    case 'Q8_0':
    case 'Q4_0':
    case 'Q5_0': {
      const qstd = type === 'Q8_0' ? 73.9 : type === 'Q4_0' ? 4.61 : 9.23;
      // q - 8 (q - 16) is -0.5 on average: a random sign per block keeps the mean at 0
      const d = spec.std / qstd;
      for (let b = 0; b < nb; b++) setF16(b * bb, type !== 'Q8_0' && bytes[b * bb]! & 1 ? -d : d);
      return bytes;
    }
    case 'Q4_K': {
      // per block: d, dmin = 8d, 8 sub-blocks of (sc, m) packed into 12 bytes
      for (let b = 0; b < nb; b++) {
        const o = b * bb;
        const sc: number[] = [];
        const m: number[] = [];
        for (let j = 0; j < 8; j++) {
          sc.push(40 + (bytes[o + 4 + j]! % 24));
          m.push(Math.round((sc[j]! * 15) / 16));
        }
        const d = spec.std / (((sc.reduce((x, y) => x + y, 0) / 8) * 4.61));
        setF16(o, d);
        setF16(o + 2, 8 * d);
        for (let j = 0; j < 4; j++) {
          bytes[o + 4 + j] = (sc[j]! & 63) | ((sc[j + 4]! >> 4) << 6);
          bytes[o + 8 + j] = (m[j]! & 63) | ((m[j + 4]! >> 4) << 6);
          bytes[o + 12 + j] = (sc[j + 4]! & 15) | ((m[j + 4]! & 15) << 4);
        }
      }
      return bytes;
    }
    case 'Q6_K': {
      for (let b = 0; b < nb; b++) {
        const o = b * bb;
        let sum = 0;
        for (let j = 0; j < 16; j++) {
          const s = 40 + (bytes[o + 192 + j]! % 24);
          bytes[o + 192 + j] = s;
          sum += s;
        }
        setF16(o + 208, spec.std / ((sum / 16) * 18.5));
      }
      return bytes;
    }
    default:
      throw new Error(`randomTensor: type ${type} is not generated (use F32, F16, Q8_0, Q4_0, Q5_0, Q4_K, Q6_K)`);
  }
}
