// Integer dot products of quantized weight rows with an int8-quantized activation vector
// (llama.cpp's MMVQ idea): x is cut into 32-element blocks, each stored as 8 words of packed
// int8 plus XS = (dx, dx * sum(first 16 q), dx * sum(last 16 q), 0), x ~ dx * q
// (shaders/act-quant.wgsl; for K-quants dx is shared by the 8 blocks of a 256 super-block). Weights stay integers; dot4I8Packed does 4 products per
// instruction, and the block/sub-block scales are applied once per 16 or 32 weights.
//
// Define FMT (a quantized format) before including. Every format provides
//   fn dotq(rb: u32, u: u32, x: XQ) -> f32
// the dot product of the 32 weights u*32 .. u*32+31 of the row starting at byte rb of
// `W: array<u32>` with the activation block u. Formats with 256-weight super-blocks take
// unit u as sub-block u % 8 of super-block u / 8.
// Weights as signed int8 operands: all unsigned quant values here are < 128, so they are
// valid non-negative int8 lanes; offsets (-8, -16, -32, -4 * hbit, mins) go through the sums in XS.
//
// Formats that define DOTQ2 also provide dotq2(rb, c, xa, xb) over 64-weight units (blocks 2c
// and 2c+1 of x), which the kernel uses when compiled with UNIT64.
//
// Extend: add an `#if FMT == NEW` block with dotq; the CPU check is the same as for dq8.

#include "common/quant-bytes.wgsl"

struct XQ {
  lo: vec4<u32>,
  hi: vec4<u32>,
  s: vec4<f32>,
}

fn dp4(a: vec4<u32>, b: vec4<u32>) -> i32 {
  return dot4I8Packed(a.x, b.x) + dot4I8Packed(a.y, b.y) + dot4I8Packed(a.z, b.z) + dot4I8Packed(a.w, b.w);
}

// Word-wise spread of 16 bits (4 per word) to bit 4 of each byte.
fn spread16(h: u32) -> vec4<u32> {
  return vec4<u32>(qb_spread4(h), qb_spread4(h >> 4u), qb_spread4(h >> 8u), qb_spread4(h >> 12u)) << vec4<u32>(4u);
}

#if FMT == Q4_0
fn dotq(rb: u32, u: u32, x: XQ) -> f32 {
  let blk = rb + u * 18u;
  let q = qb_u128(blk + 2u);
  let s = dp4(q & vec4<u32>(0x0F0F0F0Fu), x.lo) + dp4((q >> vec4<u32>(4u)) & vec4<u32>(0x0F0F0F0Fu), x.hi);
  return qb_f16(blk) * (x.s.x * f32(s) - 8.0 * (x.s.y + x.s.z));
}
#endif

#if FMT == Q4_1
fn dotq(rb: u32, u: u32, x: XQ) -> f32 {
  let wi = (rb + u * 20u) >> 2u;
  let dm = unpack2x16float(W[wi]);
  let q = vec4<u32>(W[wi + 1u], W[wi + 2u], W[wi + 3u], W[wi + 4u]);
  let s = dp4(q & vec4<u32>(0x0F0F0F0Fu), x.lo) + dp4((q >> vec4<u32>(4u)) & vec4<u32>(0x0F0F0F0Fu), x.hi);
  return dm.x * x.s.x * f32(s) + dm.y * (x.s.y + x.s.z);
}
#endif

#if FMT == Q5_0
fn dotq(rb: u32, u: u32, x: XQ) -> f32 {
  let blk = rb + u * 22u;
  let h = qb_u32(blk + 2u);
  let q = qb_u128(blk + 6u);
  let lo = (q & vec4<u32>(0x0F0F0F0Fu)) | spread16(h);
  let hi = ((q >> vec4<u32>(4u)) & vec4<u32>(0x0F0F0F0Fu)) | spread16(h >> 16u);
  return qb_f16(blk) * (x.s.x * f32(dp4(lo, x.lo) + dp4(hi, x.hi)) - 16.0 * (x.s.y + x.s.z));
}
#endif

#if FMT == Q5_1
fn dotq(rb: u32, u: u32, x: XQ) -> f32 {
  let wi = (rb + u * 24u) >> 2u;
  let dm = unpack2x16float(W[wi]);
  let h = W[wi + 1u];
  let q = vec4<u32>(W[wi + 2u], W[wi + 3u], W[wi + 4u], W[wi + 5u]);
  let lo = (q & vec4<u32>(0x0F0F0F0Fu)) | spread16(h);
  let hi = ((q >> vec4<u32>(4u)) & vec4<u32>(0x0F0F0F0Fu)) | spread16(h >> 16u);
  return dm.x * x.s.x * f32(dp4(lo, x.lo) + dp4(hi, x.hi)) + dm.y * (x.s.y + x.s.z);
}
#endif

#if FMT == Q8_0
fn dotq(rb: u32, u: u32, x: XQ) -> f32 {
  let blk = rb + u * 34u;
  let s = dp4(qb_u128(blk + 2u), x.lo) + dp4(qb_u128(blk + 18u), x.hi);
  return qb_f16(blk) * x.s.x * f32(s);
}
#endif

#if FMT == Q2_K
// Unit = 32 weights of half h, shift j: two 16-weight sub-blocks with their own scale/min.
fn dotq(rb: u32, u: u32, x: XQ) -> f32 {
  let blk = rb + (u >> 3u) * 84u;
  let wi = blk >> 2u;
  let e = (u & 7u) * 32u;
  let h = e >> 7u;
  let j = (e >> 5u) & 3u;
  let qi = wi + 4u + 8u * h;
  let m3 = vec4<u32>(0x03030303u);
  let sh = vec4<u32>(2u * j);
  let q0 = (vec4<u32>(W[qi], W[qi + 1u], W[qi + 2u], W[qi + 3u]) >> sh) & m3;
  let q1 = (vec4<u32>(W[qi + 4u], W[qi + 5u], W[qi + 6u], W[qi + 7u]) >> sh) & m3;
  let sc = (W[wi + 2u * h + (j >> 1u)] >> ((j & 1u) * 16u)) & 0xFFFFu;
  let dd = unpack2x16float(W[wi + 20u]);
  let dots = f32(sc & 15u) * f32(dp4(q0, x.lo)) + f32((sc >> 8u) & 15u) * f32(dp4(q1, x.hi));
  return dd.x * x.s.x * dots - dd.y * (f32((sc >> 4u) & 15u) * x.s.y + f32(sc >> 12u) * x.s.z);
}
#endif

#if FMT == Q3_K
fn dotq(rb: u32, u: u32, x: XQ) -> f32 {
  let blk = rb + (u >> 3u) * 110u;
  let e = (u & 7u) * 32u;
  let h = e >> 7u;
  let j = (e >> 5u) & 3u;
  let m3 = vec4<u32>(0x03030303u);
  let sh = vec4<u32>(2u * j);
  let hs = vec4<u32>(4u * h + j);
  let m1 = vec4<u32>(0x01010101u);
  let q0 = ((qb_u128(blk + 32u + 32u * h) >> sh) & m3) | (((qb_u128(blk) >> hs) & m1) << vec4<u32>(2u));
  let q1 = ((qb_u128(blk + 48u + 32u * h) >> sh) & m3) | (((qb_u128(blk + 16u) >> hs) & m1) << vec4<u32>(2u));
  let i0 = 8u * h + 2u * j;
  let i1 = i0 + 1u;
  let sc0 = f32(i32(((qb_u8(blk + 96u + (i0 & 7u)) >> ((i0 >> 3u) * 4u)) & 15u) | (((qb_u8(blk + 104u + (i0 & 3u)) >> ((i0 >> 2u) * 2u)) & 3u) << 4u)) - 32);
  let sc1 = f32(i32(((qb_u8(blk + 96u + (i1 & 7u)) >> ((i1 >> 3u) * 4u)) & 15u) | (((qb_u8(blk + 104u + (i1 & 3u)) >> ((i1 >> 2u) * 2u)) & 3u) << 4u)) - 32);
  let s0 = x.s.x * f32(dp4(q0, x.lo)) - 4.0 * x.s.y;
  let s1 = x.s.x * f32(dp4(q1, x.hi)) - 4.0 * x.s.z;
  return qb_f16(blk + 108u) * (sc0 * s0 + sc1 * s1);
}
#endif

// K-quant 6-bit scale/min pair j (0..7) from the 3 scale words at word index si, without
// divergent branches (neighbouring lanes take different j).
fn qk_sm(si: u32, j: u32) -> vec2<f32> {
  let sh = (j & 3u) * 8u;
  let b0 = (W[si] >> sh) & 0xFFu;
  let b1 = (W[si + 1u] >> sh) & 0xFFu;
  let b2 = (W[si + 2u] >> sh) & 0xFFu;
  let lo = vec2<u32>(b0 & 63u, b1 & 63u);
  let hi = vec2<u32>((b2 & 15u) | ((b0 >> 6u) << 4u), (b2 >> 4u) | ((b1 >> 6u) << 4u));
  return vec2<f32>(select(hi, lo, j < 4u));
}

#if FMT == Q4_K
fn dotq(rb: u32, u: u32, x: XQ) -> f32 {
  let blk = rb + (u >> 3u) * 144u;
  let wi = blk >> 2u;
  let j = u & 7u;
  let qi = wi + 4u + 8u * (j >> 1u);
  let sh = vec4<u32>((j & 1u) * 4u);
  let m4 = vec4<u32>(0x0F0F0F0Fu);
  let q0 = (vec4<u32>(W[qi], W[qi + 1u], W[qi + 2u], W[qi + 3u]) >> sh) & m4;
  let q1 = (vec4<u32>(W[qi + 4u], W[qi + 5u], W[qi + 6u], W[qi + 7u]) >> sh) & m4;
  let sm = qk_sm(wi + 1u, j);
  let dd = unpack2x16float(W[wi]);
  return dd.x * sm.x * x.s.x * f32(dp4(q0, x.lo) + dp4(q1, x.hi)) - dd.y * sm.y * (x.s.y + x.s.z);
}
// Units of 64 weights (DOTQ2): chunk c = sub-blocks 2c (low nibbles) and 2c+1 (high nibbles)
// of the same 32 qs bytes, so each byte is loaded once.
const DOTQ2 = true;
fn dotq2(rb: u32, c: u32, xa: XQ, xb: XQ) -> f32 {
  let blk = rb + (c >> 2u) * 144u;
  let wi = blk >> 2u;
  let j = (c & 3u) * 2u;
  let qi = wi + 4u + 8u * (c & 3u);
  let m4 = vec4<u32>(0x0F0F0F0Fu);
  let w0 = vec4<u32>(W[qi], W[qi + 1u], W[qi + 2u], W[qi + 3u]);
  let w1 = vec4<u32>(W[qi + 4u], W[qi + 5u], W[qi + 6u], W[qi + 7u]);
  let sa = dp4(w0 & m4, xa.lo) + dp4(w1 & m4, xa.hi);
  let sb = dp4((w0 >> vec4<u32>(4u)) & m4, xb.lo) + dp4((w1 >> vec4<u32>(4u)) & m4, xb.hi);
  let sma = qk_sm(wi + 1u, j);
  let smb = qk_sm(wi + 1u, j + 1u);
  let dd = unpack2x16float(W[wi]);
  return dd.x * (sma.x * xa.s.x * f32(sa) + smb.x * xb.s.x * f32(sb)) - dd.y * (sma.y * (xa.s.y + xa.s.z) + smb.y * (xb.s.y + xb.s.z));
}
#endif

#if FMT == Q5_K
fn dotq(rb: u32, u: u32, x: XQ) -> f32 {
  let blk = rb + (u >> 3u) * 176u;
  let wi = blk >> 2u;
  let j = u & 7u;
  let qi = wi + 12u + 8u * (j >> 1u);
  let sh = vec4<u32>((j & 1u) * 4u);
  let m4 = vec4<u32>(0x0F0F0F0Fu);
  let hj = vec4<u32>(j);
  let m1 = vec4<u32>(0x01010101u);
  let h0 = ((vec4<u32>(W[wi + 4u], W[wi + 5u], W[wi + 6u], W[wi + 7u]) >> hj) & m1) << vec4<u32>(4u);
  let h1 = ((vec4<u32>(W[wi + 8u], W[wi + 9u], W[wi + 10u], W[wi + 11u]) >> hj) & m1) << vec4<u32>(4u);
  let q0 = ((vec4<u32>(W[qi], W[qi + 1u], W[qi + 2u], W[qi + 3u]) >> sh) & m4) | h0;
  let q1 = ((vec4<u32>(W[qi + 4u], W[qi + 5u], W[qi + 6u], W[qi + 7u]) >> sh) & m4) | h1;
  let sm = qk_sm(wi + 1u, j);
  let dd = unpack2x16float(W[wi]);
  return dd.x * sm.x * x.s.x * f32(dp4(q0, x.lo) + dp4(q1, x.hi)) - dd.y * sm.y * (x.s.y + x.s.z);
}
const DOTQ2 = true;
fn dotq2(rb: u32, c: u32, xa: XQ, xb: XQ) -> f32 {
  let blk = rb + (c >> 2u) * 176u;
  let wi = blk >> 2u;
  let j = (c & 3u) * 2u;
  let qi = wi + 12u + 8u * (c & 3u);
  let m4 = vec4<u32>(0x0F0F0F0Fu);
  let m1 = vec4<u32>(0x01010101u);
  let h0 = vec4<u32>(W[wi + 4u], W[wi + 5u], W[wi + 6u], W[wi + 7u]);
  let h1 = vec4<u32>(W[wi + 8u], W[wi + 9u], W[wi + 10u], W[wi + 11u]);
  let w0 = vec4<u32>(W[qi], W[qi + 1u], W[qi + 2u], W[qi + 3u]);
  let w1 = vec4<u32>(W[qi + 4u], W[qi + 5u], W[qi + 6u], W[qi + 7u]);
  let ja = vec4<u32>(j);
  let jb = vec4<u32>(j + 1u);
  let f4 = vec4<u32>(4u);
  let sa = dp4((w0 & m4) | (((h0 >> ja) & m1) << f4), xa.lo) + dp4((w1 & m4) | (((h1 >> ja) & m1) << f4), xa.hi);
  let sb = dp4(((w0 >> f4) & m4) | (((h0 >> jb) & m1) << f4), xb.lo) + dp4(((w1 >> f4) & m4) | (((h1 >> jb) & m1) << f4), xb.hi);
  let sma = qk_sm(wi + 1u, j);
  let smb = qk_sm(wi + 1u, j + 1u);
  let dd = unpack2x16float(W[wi]);
  return dd.x * (sma.x * xa.s.x * f32(sa) + smb.x * xb.s.x * f32(sb)) - dd.y * (sma.y * (xa.s.y + xa.s.z) + smb.y * (xb.s.y + xb.s.z));
}
#endif

#if FMT == Q6_K
// 16 weights (low nibbles `l` >> sl, high bits `h` >> sh) times 16 int8 of x (xq), scaled:
// dx * sum(q x) - 32 * (dx * sum of those x), the stored weight being q - 32.
fn q6_part(l: vec4<u32>, h: vec4<u32>, sl: vec4<u32>, sh: vec4<u32>, xq: vec4<u32>, dx: f32, xsum: f32) -> f32 {
  let q = ((l >> sl) & vec4<u32>(0x0F0F0F0Fu)) | (((h >> sh) & vec4<u32>(0x03030303u)) << vec4<u32>(4u));
  return dx * f32(dp4(q, xq)) - 32.0 * xsum;
}

fn dotq(rb: u32, u: u32, x: XQ) -> f32 {
  let blk = rb + (u >> 3u) * 210u;
  let e = (u & 7u) * 32u;
  let n = e >> 7u;
  let g = (e >> 5u) & 3u;
  let ql = blk + 64u * n + 32u * (g & 1u);
  let qh = blk + 128u + 32u * n;
  let sl = vec4<u32>(4u * (g >> 1u));
  let sh = vec4<u32>(2u * g);
  let scw = qb_u16(blk + 192u + 8u * n + 2u * g);
  let sc0 = f32((i32(scw) << 24u) >> 24u);
  let sc1 = f32((i32(scw) << 16u) >> 24u);
  let s0 = q6_part(qb_u128(ql), qb_u128(qh), sl, sh, x.lo, x.s.x, x.s.y);
  let s1 = q6_part(qb_u128(ql + 16u), qb_u128(qh + 16u), sl, sh, x.hi, x.s.x, x.s.z);
  return qb_f16(blk + 208u) * (sc0 * s0 + sc1 * s1);
}
#endif
