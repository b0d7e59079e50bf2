/**
 * Activation rounding before quantized matrix products, as llama.cpp's CPU backend does it:
 * ggml converts each activation row to the weight type's `vec_dot_type` and multiplies
 * integers (ggml-cpu.c type_traits_cpu, arch/x86/quants.c quantize_row_q8_0, ggml-quants.c
 * quantize_row_q8_K_ref). The CPU reference of shaders/act-quant.wgsl; x ~ d q per block.
 *
 *   q8_0 (weights Q4_0, Q4_1, Q5_0, Q5_1, Q8_0): blocks of 32; amax = max |x|;
 *        d = f16(amax / 127) (stored as fp16); q = roundEven(x * (127 / amax)) in f32.
 *   q8_K (weights Q2_K .. Q6_K): blocks of 256; s = 127 / amax; q = roundEven(x * s);
 *        d = 1 / s in f32 (ggml takes s = -127 / max of the signed extreme and d = 1 / s:
 *        both signs flip together, so d q is the same).
 * Rounding is to nearest even (_mm256_round_ps, nearest_int). Q4_1 / Q5_1 use q8_1 in ggml,
 * whose d and q are q8_0's plus an fp16 block sum; we keep the sum exact.
 *
 * Extend: another vec_dot_type (e.g. f16 for F16 weights) = one more ActivationFormat here and
 * in the shader.
 */

import { f16BitsToF32, f32ToF16Bits } from './ops-f16.ts';

export type ActivationFormat = 'q8_0' | 'q8_K';

/** Elements per block of each format. */
export const ACTIVATION_BLOCK: Record<ActivationFormat, number> = { q8_0: 32, q8_K: 256 };

/** The activation format ggml multiplies weights of type `type` (a ggml type name) with; null: f32 x. */
export function activationFormatOfType(type: string): ActivationFormat | null {
  if (type === 'Q4_0' || type === 'Q4_1' || type === 'Q5_0' || type === 'Q5_1' || type === 'Q8_0') return 'q8_0';
  if (type === 'Q2_K' || type === 'Q3_K' || type === 'Q4_K' || type === 'Q5_K' || type === 'Q6_K') return 'q8_K';
  return null;
}

/** Round to nearest integer, ties to even. */
export function roundEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Quantizes x (a whole number of blocks; rows are concatenated blocks) to int8 and one scale
 * per block.  x: [n]; q: [n]; d: [n / block]
 */
export function activationQuantize(x: Float32Array, fmt: ActivationFormat): { q: Int8Array; d: Float32Array } {
  const B = ACTIVATION_BLOCK[fmt];
  if (x.length % B) throw new Error(`activationQuantize: ${x.length} elements is not a whole number of ${fmt} blocks`);
  const q = new Int8Array(x.length);
  const d = new Float32Array(x.length / B);
  const f = Math.fround;
  for (let b = 0; b < d.length; b++) {
    let amax = 0;
    for (let i = b * B; i < (b + 1) * B; i++) amax = Math.max(amax, Math.abs(x[i]!));
    if (amax === 0) continue;
    let inv: number;
    if (fmt === 'q8_0') {
      d[b] = f16BitsToF32(f32ToF16Bits(f(amax / 127)));
      inv = f(127 / amax);
    } else {
      inv = f(127 / amax);
      d[b] = f(1 / inv);
    }
    for (let i = b * B; i < (b + 1) * B; i++) q[i] = Math.max(-127, Math.min(127, roundEven(f(x[i]! * inv))));
  }
  return { q, d };
}

/** x as the quantized product sees it: d q per block, in f32.  x, out: [n] */
export function activationRound(x: Float32Array, fmt: ActivationFormat): Float32Array {
  const { q, d } = activationQuantize(x, fmt);
  const B = ACTIVATION_BLOCK[fmt];
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = Math.fround(d[Math.floor(i / B)]! * q[i]!);
  return out;
}
