/**
 * K-quant quantizers (Q2_K, Q3_K, Q4_K, Q5_K, Q6_K) that reproduce ggml's quantize_row_*_ref
 * byte for byte: the same scale searches (make_qkx2_quants, make_q3_quants, make_qx_quants), the
 * same order of float32 operations (every step rounded with Math.fround, as C float arithmetic
 * without FMA contraction does), ggml's nearest_int bit trick and its integer truncations. This is
 * what llama-quantize produces without an imatrix; test/gguf/quant-golden.test.ts checks it
 * against ggml's own output.
 *
 * Extend: a new super-block format = a `quantize<Type>` function writing one block at `o`, and
 * an entry in K_QUANTIZERS.
 */

import { GgmlType } from './ggml-types.ts';
import { f16ToF32, f32ToF16 } from './f16.ts';

const fr = Math.fround;
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const GROUP_MAX_EPS = fr(1e-15);
const RDELTA = fr(0.1);

/** ggml's nearest_int: round half to even through the float32 mantissa (with its wrap-around). */
function nearestInt(v: number): number {
  f32[0] = v + 12582912;
  return (u32[0]! & 0x007fffff) - 0x00400000;
}

/** Stores v as f16 at b[p] and returns the f32 value the block now holds. */
function putF16(b: Uint8Array, p: number, v: number): number {
  const h = f32ToF16(v);
  b[p] = h & 255;
  b[p + 1] = h >> 8;
  return f16ToF32(h);
}

/** make_qkx2_quants: scale and (negated) min of an asymmetric n-value group; L gets 0..nmax. */
function makeQkx2(
  n: number, nmax: number, x: Float32Array, xo: number, w: Float32Array, L: Uint8Array, lo: number, laux: Uint8Array,
  rmin: number, nstep: number, useMad: boolean,
): [number, number] {
  let min = x[xo]!;
  let max = x[xo]!;
  let sumW = w[0]!;
  let sumX = fr(sumW * x[xo]!);
  for (let i = 1; i < n; i++) {
    const v = x[xo + i]!;
    if (v < min) min = v;
    if (v > max) max = v;
    sumW = fr(sumW + w[i]!);
    sumX = fr(sumX + fr(w[i]! * v));
  }
  if (min > 0) min = 0;
  if (max === min) {
    for (let i = 0; i < n; i++) L[lo + i] = 0;
    return [0, -min];
  }
  let iscale = fr(nmax / fr(max - min));
  let scale = fr(1 / iscale);
  let bestError = 0;
  for (let i = 0; i < n; i++) {
    const l = Math.max(0, Math.min(nmax, nearestInt(fr(iscale * fr(x[xo + i]! - min)))));
    L[lo + i] = l;
    let diff = fr(fr(fr(scale * l) + min) - x[xo + i]!);
    diff = useMad ? Math.abs(diff) : fr(diff * diff);
    bestError = fr(bestError + fr(w[i]! * diff));
  }
  for (let is = 0; is <= nstep; is++) {
    // ggml divides by the current (max - min): `min` follows the best fit found so far.
    iscale = fr(fr(fr(rmin + fr(RDELTA * is)) + nmax) / fr(max - min));
    let sumL = 0;
    let sumL2 = 0;
    let sumXL = 0;
    for (let i = 0; i < n; i++) {
      const l = Math.max(0, Math.min(nmax, nearestInt(fr(iscale * fr(x[xo + i]! - min)))));
      laux[i] = l;
      const wl = fr(w[i]! * l);
      sumL = fr(sumL + wl);
      sumL2 = fr(sumL2 + fr(wl * l));
      sumXL = fr(sumXL + fr(wl * x[xo + i]!));
    }
    const D = fr(fr(sumW * sumL2) - fr(sumL * sumL));
    if (D > 0) {
      let thisScale = fr(fr(fr(sumW * sumXL) - fr(sumX * sumL)) / D);
      let thisMin = fr(fr(fr(sumL2 * sumX) - fr(sumL * sumXL)) / D);
      if (thisMin > 0) {
        thisMin = 0;
        thisScale = fr(sumXL / sumL2);
      }
      let cur = 0;
      for (let i = 0; i < n; i++) {
        let diff = fr(fr(fr(thisScale * laux[i]!) + thisMin) - x[xo + i]!);
        diff = useMad ? Math.abs(diff) : fr(diff * diff);
        cur = fr(cur + fr(w[i]! * diff));
      }
      if (cur < bestError) {
        for (let i = 0; i < n; i++) L[lo + i] = laux[i]!;
        bestError = cur;
        scale = thisScale;
        min = thisMin;
      }
    }
  }
  return [scale, -min];
}

/** make_qx_quants with rmse_type 1 and no importance weights (Q6_K's search). */
function makeQx(n: number, nmax: number, x: Float32Array, xo: number, L: Int8Array, lo: number): number {
  let max = 0;
  let amax = 0;
  for (let i = 0; i < n; i++) {
    const ax = Math.abs(x[xo + i]!);
    if (ax > amax) { amax = ax; max = x[xo + i]!; }
  }
  if (amax < GROUP_MAX_EPS) {
    for (let i = 0; i < n; i++) L[lo + i] = 0;
    return 0;
  }
  let iscale = fr(-nmax / max);
  let sumlx = 0;
  let suml2 = 0;
  for (let i = 0; i < n; i++) {
    const v = x[xo + i]!;
    const l = Math.max(-nmax, Math.min(nmax - 1, nearestInt(fr(iscale * v))));
    L[lo + i] = l + nmax;
    const w = fr(v * v);
    sumlx = fr(sumlx + fr(fr(w * v) * l));
    suml2 = fr(suml2 + fr(fr(w * l) * l));
  }
  let scale = suml2 ? fr(sumlx / suml2) : 0;
  let best = fr(scale * sumlx);
  for (let is = -9; is <= 9; is++) {
    if (is === 0) continue;
    iscale = fr(-fr(nmax + fr(RDELTA * is)) / max);
    sumlx = 0;
    suml2 = 0;
    for (let i = 0; i < n; i++) {
      const v = x[xo + i]!;
      const l = Math.max(-nmax, Math.min(nmax - 1, nearestInt(fr(iscale * v))));
      const w = fr(v * v);
      sumlx = fr(sumlx + fr(fr(w * v) * l));
      suml2 = fr(suml2 + fr(fr(w * l) * l));
    }
    if (suml2 > 0 && fr(sumlx * sumlx) > fr(best * suml2)) {
      for (let i = 0; i < n; i++) L[lo + i] = nmax + Math.max(-nmax, Math.min(nmax - 1, nearestInt(fr(iscale * x[xo + i]!))));
      scale = fr(sumlx / suml2);
      best = fr(scale * sumlx);
    }
  }
  return scale;
}

/** make_q3_quants with do_rmse (Q3_K's search); L gets 0..2*nmax-1 (or 0 for an all-zero group). */
function makeQ3(n: number, nmax: number, x: Float32Array, xo: number, L: Int8Array, lo: number): number {
  let max = 0;
  let amax = 0;
  for (let i = 0; i < n; i++) {
    const ax = Math.abs(x[xo + i]!);
    if (ax > amax) { amax = ax; max = x[xo + i]!; }
  }
  if (amax < GROUP_MAX_EPS) {
    for (let i = 0; i < n; i++) L[lo + i] = 0;
    return 0;
  }
  const iscale = fr(-nmax / max);
  let sumlx = 0;
  let suml2 = 0;
  for (let i = 0; i < n; i++) {
    const v = x[xo + i]!;
    const l = Math.max(-nmax, Math.min(nmax - 1, nearestInt(fr(iscale * v))));
    L[lo + i] = l;
    const w = fr(v * v);
    sumlx = fr(sumlx + fr(fr(w * v) * l));
    suml2 = fr(suml2 + fr(fr(w * l) * l));
  }
  for (let itry = 0; itry < 5; itry++) {
    let changed = 0;
    for (let i = 0; i < n; i++) {
      const v = x[xo + i]!;
      const w = fr(v * v);
      const li = L[lo + i]!;
      let slx = fr(sumlx - fr(fr(w * v) * li));
      if (slx > 0) {
        let sl2 = fr(suml2 - fr(fr(w * li) * li));
        const nl = Math.max(-nmax, Math.min(nmax - 1, nearestInt(fr(fr(v * sl2) / slx))));
        if (nl !== li) {
          slx = fr(slx + fr(fr(w * v) * nl));
          sl2 = fr(sl2 + fr(fr(w * nl) * nl));
          if (sl2 > 0 && fr(fr(slx * slx) * suml2) > fr(fr(sumlx * sumlx) * sl2)) {
            L[lo + i] = nl;
            sumlx = slx;
            suml2 = sl2;
            changed++;
          }
        }
      }
    }
    if (!changed) break;
  }
  for (let i = 0; i < n; i++) L[lo + i] = L[lo + i]! + nmax;
  return suml2 > 0 ? fr(sumlx / suml2) : 0;
}

function quantizeQ2K(x: Float32Array, xo: number, b: Uint8Array, o: number): void {
  const L = new Uint8Array(256);
  const laux = new Uint8Array(16);
  const w = new Float32Array(16);
  const scales = new Float32Array(16);
  const mins = new Float32Array(16);
  let maxScale = 0;
  let maxMin = 0;
  for (let j = 0; j < 16; j++) {
    for (let l = 0; l < 16; l++) w[l] = Math.abs(x[xo + 16 * j + l]!);
    const [s, m] = makeQkx2(16, 3, x, xo + 16 * j, w, L, 16 * j, laux, -0.5, 15, true);
    scales[j] = s;
    mins[j] = m;
    if (s > maxScale) maxScale = s;
    if (m > maxMin) maxMin = m;
  }
  const sc = o; // scales[16], qs[64] at 16, d at 80, dmin at 82
  let d: number;
  let dmin: number;
  if (maxScale > 0) {
    const iscale = fr(15 / maxScale);
    for (let j = 0; j < 16; j++) b[sc + j] = nearestInt(fr(iscale * scales[j]!)) & 255;
    d = putF16(b, o + 80, fr(maxScale / 15));
  } else {
    for (let j = 0; j < 16; j++) b[sc + j] = 0;
    d = putF16(b, o + 80, 0);
  }
  if (maxMin > 0) {
    const iscale = fr(15 / maxMin);
    for (let j = 0; j < 16; j++) b[sc + j] = (b[sc + j]! | (nearestInt(fr(iscale * mins[j]!)) << 4)) & 255;
    dmin = putF16(b, o + 82, fr(maxMin / 15));
  } else {
    dmin = putF16(b, o + 82, 0);
  }
  for (let j = 0; j < 16; j++) {
    const dl = fr(d * (b[sc + j]! & 15));
    if (!dl) continue;
    const dm = fr(dmin * (b[sc + j]! >> 4));
    for (let i = 0; i < 16; i++) L[16 * j + i] = Math.max(0, Math.min(3, nearestInt(fr(fr(x[xo + 16 * j + i]! + dm) / dl))));
  }
  for (let j = 0; j < 256; j += 128) {
    for (let l = 0; l < 32; l++) b[o + 16 + j / 4 + l] = L[j + l]! | (L[j + l + 32]! << 2) | (L[j + l + 64]! << 4) | (L[j + l + 96]! << 6);
  }
}

function quantizeQ3K(x: Float32Array, xo: number, b: Uint8Array, o: number): void {
  // hmask[32] at 0, qs[64] at 32, scales[12] at 96, d at 108
  const L = new Int8Array(256);
  const scales = new Float32Array(16);
  let maxScale = 0;
  let amax = 0;
  for (let j = 0; j < 16; j++) {
    scales[j] = makeQ3(16, 4, x, xo + 16 * j, L, 16 * j);
    const s = Math.abs(scales[j]!);
    if (s > amax) { amax = s; maxScale = scales[j]!; }
  }
  const S = o + 96;
  for (let j = 0; j < 12; j++) b[S + j] = 0;
  let d: number;
  if (maxScale) {
    const iscale = fr(-32 / maxScale);
    for (let j = 0; j < 16; j++) {
      let l = (nearestInt(fr(iscale * scales[j]!)) << 24) >> 24; // int8_t
      l = Math.max(-32, Math.min(31, l)) + 32;
      if (j < 8) b[S + j] = l & 15;
      else b[S + j - 8] = b[S + j - 8]! | ((l & 15) << 4);
      l >>= 4;
      b[S + (j % 4) + 8] = b[S + (j % 4) + 8]! | (l << (2 * Math.floor(j / 4)));
    }
    d = putF16(b, o + 108, fr(1 / iscale));
  } else {
    d = putF16(b, o + 108, 0);
  }
  for (let j = 0; j < 16; j++) {
    let sc = j < 8 ? b[S + j]! & 15 : b[S + j - 8]! >> 4;
    sc = (sc | (((b[S + 8 + (j % 4)]! >> (2 * Math.floor(j / 4))) & 3) << 4)) - 32;
    const dl = fr(d * sc);
    if (!dl) continue;
    for (let i = 0; i < 16; i++) L[16 * j + i] = Math.max(-4, Math.min(3, nearestInt(fr(x[xo + 16 * j + i]! / dl)))) + 4;
  }
  for (let j = 0; j < 32; j++) b[o + j] = 0;
  let m = 0;
  let hm = 1;
  for (let j = 0; j < 256; j++) {
    if (L[j]! > 3) {
      b[o + m] = b[o + m]! | hm;
      L[j] = L[j]! - 4;
    }
    if (++m === 32) { m = 0; hm <<= 1; }
  }
  for (let j = 0; j < 256; j += 128) {
    for (let l = 0; l < 32; l++) {
      b[o + 32 + j / 4 + l] = (L[j + l]! | (L[j + l + 32]! << 2) | (L[j + l + 64]! << 4) | (L[j + l + 96]! << 6)) & 255;
    }
  }
}

/** Q4_K and Q5_K share the 8 x 32 asymmetric search and the 6-bit packed scales. */
function quantizeQ45K(x: Float32Array, xo: number, b: Uint8Array, o: number, five: boolean): void {
  const nmax = five ? 31 : 15;
  const L = new Uint8Array(256);
  const laux = new Uint8Array(32);
  const w = new Float32Array(32);
  const scales = new Float32Array(8);
  const mins = new Float32Array(8);
  let maxScale = 0;
  let maxMin = 0;
  for (let j = 0; j < 8; j++) {
    let sumX2 = 0;
    for (let l = 0; l < 32; l++) { const v = x[xo + 32 * j + l]!; sumX2 = fr(sumX2 + fr(v * v)); }
    const avX = fr(Math.sqrt(fr(sumX2 / 32)));
    for (let l = 0; l < 32; l++) w[l] = fr(avX + Math.abs(x[xo + 32 * j + l]!));
    const [s, m] = makeQkx2(32, nmax, x, xo + 32 * j, w, L, 32 * j, laux, five ? -0.5 : -1, five ? 15 : 20, false);
    scales[j] = s;
    mins[j] = m;
    if (s > maxScale) maxScale = s;
    if (m > maxMin) maxMin = m;
  }
  const invScale = maxScale > 0 ? fr(63 / maxScale) : 0;
  const invMin = maxMin > 0 ? fr(63 / maxMin) : 0;
  const S = o + 4;
  for (let j = 0; j < 12; j++) b[S + j] = 0;
  for (let j = 0; j < 8; j++) {
    const ls = Math.min(63, nearestInt(fr(invScale * scales[j]!)) & 255);
    const lm = Math.min(63, nearestInt(fr(invMin * mins[j]!)) & 255);
    if (j < 4) {
      b[S + j] = ls;
      b[S + j + 4] = lm;
    } else {
      b[S + j + 4] = (ls & 15) | ((lm & 15) << 4);
      b[S + j - 4] = b[S + j - 4]! | ((ls >> 4) << 6);
      b[S + j] = b[S + j]! | ((lm >> 4) << 6);
    }
  }
  const d = putF16(b, o, fr(maxScale / 63));
  const dmin = putF16(b, o + 2, fr(maxMin / 63));
  for (let j = 0; j < 8; j++) {
    const sc = j < 4 ? b[S + j]! & 63 : (b[S + j + 4]! & 15) | ((b[S + j - 4]! >> 6) << 4);
    const m = j < 4 ? b[S + j + 4]! & 63 : (b[S + j + 4]! >> 4) | ((b[S + j]! >> 6) << 4);
    const dl = fr(d * sc);
    if (!dl) continue;
    const dm = fr(dmin * m);
    for (let i = 0; i < 32; i++) L[32 * j + i] = Math.max(0, Math.min(nmax, nearestInt(fr(fr(x[xo + 32 * j + i]! + dm) / dl))));
  }
  if (!five) {
    for (let j = 0, q = o + 16; j < 256; j += 64, q += 32) for (let l = 0; l < 32; l++) b[q + l] = L[j + l]! | (L[j + l + 32]! << 4);
    return;
  }
  const qh = o + 16; // qh[32], qs[128] at 48
  for (let j = 0; j < 32; j++) b[qh + j] = 0;
  let m1 = 1;
  let m2 = 2;
  for (let n = 0, ql = o + 48; n < 256; n += 64, ql += 32) {
    for (let j = 0; j < 32; j++) {
      let l1 = L[n + j]!;
      if (l1 > 15) { l1 -= 16; b[qh + j] = b[qh + j]! | m1; }
      let l2 = L[n + j + 32]!;
      if (l2 > 15) { l2 -= 16; b[qh + j] = b[qh + j]! | m2; }
      b[ql + j] = l1 | (l2 << 4);
    }
    m1 <<= 2;
    m2 <<= 2;
  }
}

function quantizeQ6K(x: Float32Array, xo: number, b: Uint8Array, o: number): void {
  // ql[128] at 0, qh[64] at 128, scales[16] (int8) at 192, d at 208
  const L = new Int8Array(256);
  const scales = new Float32Array(16);
  let maxScale = 0;
  let maxAbs = 0;
  for (let ib = 0; ib < 16; ib++) {
    const s = makeQx(16, 32, x, xo + 16 * ib, L, 16 * ib);
    scales[ib] = s;
    if (Math.abs(s) > maxAbs) { maxAbs = Math.abs(s); maxScale = s; }
  }
  if (maxAbs < GROUP_MAX_EPS) {
    b.fill(0, o, o + 210);
    return;
  }
  const iscale = fr(-128 / maxScale);
  const d = putF16(b, o + 208, fr(1 / iscale));
  for (let ib = 0; ib < 16; ib++) b[o + 192 + ib] = Math.min(127, nearestInt(fr(iscale * scales[ib]!))) & 255;
  for (let j = 0; j < 16; j++) {
    const dl = fr(d * ((b[o + 192 + j]! << 24) >> 24));
    if (!dl) continue;
    for (let i = 0; i < 16; i++) L[16 * j + i] = Math.max(-32, Math.min(31, nearestInt(fr(x[xo + 16 * j + i]! / dl)))) + 32;
  }
  for (let j = 0, ql = o, qh = o + 128; j < 256; j += 128, ql += 64, qh += 32) {
    for (let l = 0; l < 32; l++) {
      const q1 = L[j + l]!;
      const q2 = L[j + l + 32]!;
      const q3 = L[j + l + 64]!;
      const q4 = L[j + l + 96]!;
      b[ql + l] = ((q1 & 15) | ((q3 & 15) << 4)) & 255;
      b[ql + l + 32] = ((q2 & 15) | ((q4 & 15) << 4)) & 255;
      b[qh + l] = ((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6)) & 255;
    }
  }
}

/** One super-block of 256 values at x[xo] into b[o] (ggml's quantize_row_*_ref). */
export const K_QUANTIZERS: Partial<Record<GgmlType, (x: Float32Array, xo: number, b: Uint8Array, o: number) => void>> = {
  [GgmlType.Q2_K]: quantizeQ2K,
  [GgmlType.Q3_K]: quantizeQ3K,
  [GgmlType.Q4_K]: (x, xo, b, o) => quantizeQ45K(x, xo, b, o, false),
  [GgmlType.Q5_K]: (x, xo, b, o) => quantizeQ45K(x, xo, b, o, true),
  [GgmlType.Q6_K]: quantizeQ6K,
};
