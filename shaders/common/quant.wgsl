// Per-format dequantization of GGUF weight rows, read as u32 words from `W: array<u32>`.
//
// Define FMT (F32 F16 BF16 Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q3_K Q4_K Q5_K Q6_K) before including.
// Every format provides
//   fn dq8(rb: u32, k: u32) -> Q8
// for the 8 weights k..k+7 (k % 8 == 0) of the row that starts at byte `rb` of W:
//   weight[k + i] = d * q[i] + m,   q = (a.xyzw, b.xyzw).
// Every 8-aligned run of weights shares one scale in every format (sub-blocks are >= 16), so
// matvec can fold the scale after the dot product: d * dot(q, x) + m * sum(x).
// dq1(rb, k) gives one weight (float formats: rows whose length is not a multiple of 8; for
// quantized formats it goes through dq8).
// Block layouts: ggml-common.h (see ../shared/research/peers.md B.4) and engine/formats/quant.ts.
//
// Extend: add an `#if FMT == NEW` block defining dq8 (and Q_FLOAT = false), then add the format
// to engine/kernels/weight-layout.ts.

#include "common/quant-bytes.wgsl"

// K-quant 6-bit scale/min pair j (0..7) (get_scale_min_k4) from the 12 scale bytes at byte sb
// (4-aligned), without divergent branches.
fn qk_scale_min(sb: u32, j: u32) -> vec2<f32> {
  let si = sb >> 2u;
  let sh = (j & 3u) * 8u;
  let b0 = (W[si] >> sh) & 0xFFu;
  let b1 = (W[si + 1u] >> sh) & 0xFFu;
  let b2 = (W[si + 2u] >> sh) & 0xFFu;
  let lo = vec2<u32>(b0 & 63u, b1 & 63u);
  let hi = vec2<u32>((b2 & 15u) | ((b0 >> 6u) << 4u), (b2 >> 4u) | ((b1 >> 6u) << 4u));
  return vec2<f32>(select(hi, lo, j < 4u));
}

struct Q8 {
  a: vec4<f32>,
  b: vec4<f32>,
  d: f32,
  m: f32,
}

#if FMT == F32
const Q_FLOAT = true;
fn dq1(rb: u32, k: u32) -> f32 {
  return bitcast<f32>(W[(rb >> 2u) + k]);
}
fn dq8(rb: u32, k: u32) -> Q8 {
  let i = (rb >> 2u) + k;
  let a = vec4<u32>(W[i], W[i + 1u], W[i + 2u], W[i + 3u]);
  let b = vec4<u32>(W[i + 4u], W[i + 5u], W[i + 6u], W[i + 7u]);
  return Q8(bitcast<vec4<f32>>(a), bitcast<vec4<f32>>(b), 1.0, 0.0);
}
#endif

#if FMT == F16
const Q_FLOAT = true;
fn dq1(rb: u32, k: u32) -> f32 {
  return qb_f16(rb + 2u * k);
}
fn dq8(rb: u32, k: u32) -> Q8 {
  let v = qb_u128(rb + 2u * k);
  let a = vec4<f32>(unpack2x16float(v.x), unpack2x16float(v.y));
  let b = vec4<f32>(unpack2x16float(v.z), unpack2x16float(v.w));
  return Q8(a, b, 1.0, 0.0);
}
#endif

#if FMT == BF16
const Q_FLOAT = true;
fn dq1(rb: u32, k: u32) -> f32 {
  return bitcast<f32>(qb_u16(rb + 2u * k) << 16u);
}
fn bf2(w: u32) -> vec2<f32> {
  return bitcast<vec2<f32>>(vec2<u32>(w << 16u, w & 0xFFFF0000u));
}
fn dq8(rb: u32, k: u32) -> Q8 {
  let v = qb_u128(rb + 2u * k);
  return Q8(vec4<f32>(bf2(v.x), bf2(v.y)), vec4<f32>(bf2(v.z), bf2(v.w)), 1.0, 0.0);
}
#endif

#if FMT == Q4_0
// 18 bytes: f16 d; u8 qs[16]. w[j] = (qs[j] & 15) - 8, w[j + 16] = (qs[j] >> 4) - 8.
const Q_FLOAT = false;
fn dq8(rb: u32, k: u32) -> Q8 {
  let blk = rb + (k >> 5u) * 18u;
  let p = (k >> 3u) & 3u;
  let v = (qb_u64(blk + 2u + (p & 1u) * 8u) >> vec2<u32>((p >> 1u) * 4u)) & vec2<u32>(0x0F0F0F0Fu);
  let d = qb_f16(blk);
  return Q8(qb_bytes_f32(v.x), qb_bytes_f32(v.y), d, -8.0 * d);
}
#endif

#if FMT == Q4_1
// 20 bytes: f16 d, f16 m; u8 qs[16]; w = q * d + m (nibble order as Q4_0). Blocks are 4-aligned.
const Q_FLOAT = false;
fn dq8(rb: u32, k: u32) -> Q8 {
  let wi = (rb + (k >> 5u) * 20u) >> 2u;
  let p = (k >> 3u) & 3u;
  let q0 = 1u + (p & 1u) * 2u;
  let sh = (p >> 1u) * 4u;
  let dm = unpack2x16float(W[wi]);
  let lo = (W[wi + q0] >> sh) & 0x0F0F0F0Fu;
  let hi = (W[wi + q0 + 1u] >> sh) & 0x0F0F0F0Fu;
  return Q8(qb_bytes_f32(lo), qb_bytes_f32(hi), dm.x, dm.y);
}
#endif

#if FMT == Q5_0
// 22 bytes: f16 d; u32 qh; u8 qs[16]. q = nibble | (qh bit j) << 4, w = (q - 16) * d.
const Q_FLOAT = false;
fn dq8(rb: u32, k: u32) -> Q8 {
  let blk = rb + (k >> 5u) * 22u;
  let p = (k >> 3u) & 3u;
  let h = qb_u32(blk + 2u) >> (p * 8u);
  let v = (qb_u64(blk + 6u + (p & 1u) * 8u) >> vec2<u32>((p >> 1u) * 4u)) & vec2<u32>(0x0F0F0F0Fu);
  let lo = v.x | (qb_spread4(h) << 4u);
  let hi = v.y | (qb_spread4(h >> 4u) << 4u);
  let d = qb_f16(blk);
  return Q8(qb_bytes_f32(lo), qb_bytes_f32(hi), d, -16.0 * d);
}
#endif

#if FMT == Q5_1
// 24 bytes: f16 d, f16 m; u32 qh; u8 qs[16]; w = q * d + m. Blocks are 4-aligned.
const Q_FLOAT = false;
fn dq8(rb: u32, k: u32) -> Q8 {
  let wi = (rb + (k >> 5u) * 24u) >> 2u;
  let p = (k >> 3u) & 3u;
  let dm = unpack2x16float(W[wi]);
  let h = W[wi + 1u] >> (p * 8u);
  let q0 = 2u + (p & 1u) * 2u;
  let sh = (p >> 1u) * 4u;
  let lo = ((W[wi + q0] >> sh) & 0x0F0F0F0Fu) | (qb_spread4(h) << 4u);
  let hi = ((W[wi + q0 + 1u] >> sh) & 0x0F0F0F0Fu) | (qb_spread4(h >> 4u) << 4u);
  return Q8(qb_bytes_f32(lo), qb_bytes_f32(hi), dm.x, dm.y);
}
#endif

#if FMT == Q8_0
// 34 bytes: f16 d; i8 qs[32]. Signed bytes are biased by 128 (xor 0x80) and m = -128 d.
const Q_FLOAT = false;
fn dq8(rb: u32, k: u32) -> Q8 {
  let blk = rb + (k >> 5u) * 34u;
  let v = qb_u64(blk + 2u + (k & 31u)) ^ vec2<u32>(0x80808080u);
  let d = qb_f16(blk);
  return Q8(qb_bytes_f32(v.x), qb_bytes_f32(v.y), d, -128.0 * d);
}
#endif

#if FMT == Q2_K
// 84 bytes: u8 scales[16] (low nibble scale, high nibble min); u8 qs[64]; f16 d; f16 dmin.
// Element e: h = e / 128, j = (e % 128) / 32, l = e % 32; sub-block is = 8h + 2j + l / 16;
// q = (qs[32h + l] >> 2j) & 3; w = d * (sc & 15) * q - dmin * (sc >> 4).
const Q_FLOAT = false;
fn dq8(rb: u32, k: u32) -> Q8 {
  let blk = rb + (k >> 8u) * 84u;
  let e = k & 255u;
  let h = e >> 7u;
  let j = (e >> 5u) & 3u;
  let l = e & 31u;
  let sc = qb_u8(blk + 8u * h + 2u * j + (l >> 4u));
  let v = (qb_u64(blk + 16u + 32u * h + l) >> vec2<u32>(2u * j)) & vec2<u32>(0x03030303u);
  let dd = unpack2x16float(qb_u32(blk + 80u));
  return Q8(qb_bytes_f32(v.x), qb_bytes_f32(v.y), dd.x * f32(sc & 15u), -dd.y * f32(sc >> 4u));
}
#endif

#if FMT == Q3_K
// 110 bytes: u8 hmask[32]; u8 qs[64]; u8 scales[12] (16 6-bit signed scales, biased by 32); f16 d.
// Element e as Q2_K; q = ((qs[32h + l] >> 2j) & 3) + 4 * hbit - 4, hbit = (hmask[l] >> (4h + j)) & 1.
// Scale i: low 4 bits from scales[i % 8] (>> 4 when i >= 8), high 2 bits (scales[8 + i % 4] >> 2(i / 4)) & 3.
const Q_FLOAT = false;
fn dq8(rb: u32, k: u32) -> Q8 {
  let blk = rb + (k >> 8u) * 110u;
  let e = k & 255u;
  let h = e >> 7u;
  let j = (e >> 5u) & 3u;
  let l = e & 31u;
  let i = 8u * h + 2u * j + (l >> 4u);
  let lo4 = (qb_u8(blk + 96u + (i & 7u)) >> ((i >> 3u) * 4u)) & 15u;
  let hi2 = (qb_u8(blk + 104u + (i & 3u)) >> ((i >> 2u) * 2u)) & 3u;
  let sc = f32(i32(lo4 | (hi2 << 4u)) - 32);
  let q = (qb_u64(blk + 32u + 32u * h + l) >> vec2<u32>(2u * j)) & vec2<u32>(0x03030303u);
  let hb = (qb_u64(blk + l) >> vec2<u32>(4u * h + j)) & vec2<u32>(0x01010101u);
  let v = q | (hb << vec2<u32>(2u));
  let d = qb_f16(blk + 108u) * sc;
  return Q8(qb_bytes_f32(v.x), qb_bytes_f32(v.y), d, -4.0 * d);
}
#endif

#if FMT == Q4_K
// 144 bytes (4-aligned): f16 d, f16 dmin; u8 scales[12] (8 6-bit scale/min pairs); u8 qs[128].
// Chunk c = e / 64 holds sub-blocks 2c (low nibbles of qs[32c..32c+32]) and 2c+1 (high nibbles).
// w = d * sc[j] * q - dmin * m[j].
const Q_FLOAT = false;
fn dq8(rb: u32, k: u32) -> Q8 {
  let blk = rb + (k >> 8u) * 144u;
  let wi = blk >> 2u;
  let e = k & 255u;
  let c = e >> 6u;
  let hi = (e >> 5u) & 1u;
  let t = e & 31u;
  let j = 2u * c + hi;
  let sm = qk_scale_min(blk + 4u, j);
  let dd = unpack2x16float(W[wi]);
  let qi = wi + 4u + 8u * c + (t >> 2u);
  let sh = hi * 4u;
  let lo = (W[qi] >> sh) & 0x0F0F0F0Fu;
  let hw = (W[qi + 1u] >> sh) & 0x0F0F0F0Fu;
  return Q8(qb_bytes_f32(lo), qb_bytes_f32(hw), dd.x * sm.x, -dd.y * sm.y);
}
#endif

#if FMT == Q5_K
// 176 bytes (4-aligned): f16 d, f16 dmin; u8 scales[12]; u8 qh[32]; u8 qs[128].
// As Q4_K, plus q += 16 when bit j (the sub-block index) of qh[e % 32] is set.
const Q_FLOAT = false;
fn dq8(rb: u32, k: u32) -> Q8 {
  let blk = rb + (k >> 8u) * 176u;
  let wi = blk >> 2u;
  let e = k & 255u;
  let c = e >> 6u;
  let hi = (e >> 5u) & 1u;
  let t = e & 31u;
  let j = 2u * c + hi;
  let sm = qk_scale_min(blk + 4u, j);
  let dd = unpack2x16float(W[wi]);
  let qi = wi + 12u + 8u * c + (t >> 2u);
  let hi4 = wi + 4u + (t >> 2u);
  let sh = hi * 4u;
  let lo = ((W[qi] >> sh) & 0x0F0F0F0Fu) | (((W[hi4] >> j) & 0x01010101u) << 4u);
  let hw = ((W[qi + 1u] >> sh) & 0x0F0F0F0Fu) | (((W[hi4 + 1u] >> j) & 0x01010101u) << 4u);
  return Q8(qb_bytes_f32(lo), qb_bytes_f32(hw), dd.x * sm.x, -dd.y * sm.y);
}
#endif

#if FMT == Q6_K
// 210 bytes: u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d (at the end).
// Element e: n = e / 128, g = (e % 128) / 32, l = e % 32;
// q = ((ql[64n + l + 32(g & 1)] >> 4(g >> 1)) & 15) | ((qh[32n + l] >> 2g) & 3) << 4;
// w = d * scales[8n + l / 16 + 2g] * (q - 32).
const Q_FLOAT = false;
fn dq8(rb: u32, k: u32) -> Q8 {
  let blk = rb + (k >> 8u) * 210u;
  let e = k & 255u;
  let n = e >> 7u;
  let g = (e >> 5u) & 3u;
  let l = e & 31u;
  let ql = (qb_u64(blk + 64u * n + l + 32u * (g & 1u)) >> vec2<u32>(4u * (g >> 1u))) & vec2<u32>(0x0F0F0F0Fu);
  let qh = (qb_u64(blk + 128u + 32u * n + l) >> vec2<u32>(2u * g)) & vec2<u32>(0x03030303u);
  let v = ql | (qh << vec2<u32>(4u));
  let sc = f32((i32(qb_u8(blk + 192u + 8u * n + (l >> 4u) + 2u * g)) << 24u) >> 24u);
  let d = qb_f16(blk + 208u) * sc;
  return Q8(qb_bytes_f32(v.x), qb_bytes_f32(v.y), d, -32.0 * d);
}
#endif


// One weight through dq8, for the quantized formats (their rows are whole blocks, so only tile
// edges call this).
#if FMT != F32
#if FMT != F16
#if FMT != BF16
fn dq1(rb: u32, k: u32) -> f32 {
  let q = dq8(rb, k & ~7u);
  let i = k & 7u;
  let v = select(q.b[i & 3u], q.a[i & 3u], i < 4u);
  return q.d * v + q.m;
}
#endif
#endif
#endif
