// Int8 tensor-core matrix product for prefill: Y[m, n] = sum_k X[m, k] * W[n, k]  (+ bias[n])
// (Y += when ACCUMULATE), with W [n x k] in its GGUF block layout (FMT: Q8_0 or Q4_0) read as
// u32 words and X already quantized by act-quant.wgsl (int8 output mode) into q8_0 blocks.
// Per 32-element block b the integer dot product is exact on the tensor cores
// (subgroup matrices, i8 x i8 -> i32, 16 x 16 x 32) and is scaled into f32 accumulators:
//   y[m, n] += d_x[m, b] * d_w[n, b] * isum[m, n, b]
// so the result equals the rounded f32 path (matmul.wgsl on act-quant ROUND output) up to
// f32 summation order. Needs chromium-experimental-subgroup-matrix with an i8 16x16x32 config
// and a subgroup size of 32 (checked by engine/kernels/matmul-int8.ts before it picks this).
//
// Params (uniform; the same struct as matmul.wgsl's):
//   m         rows of X (tokens)
//   n         rows of W in this binding (one dispatch per binding of rows)
//   k         columns of X and W (a multiple of 32)
//   row_bytes bytes per W row
//   y_base    column of Y (and index of bias) of this binding's first W row
//   y_stride  row stride of Y in elements (all W rows, across bindings)
// Bindings: 0 uniform P, 1 W array<u32>, 2 XQ u32 [m * k / 4] (4 int8 per word, row-major),
//   3 XS vec4<f32> [m * k / 32] (.x = d_x of each block), 4 Y f32, 5 bias f32 (BIAS only),
//   6 ST i32 scratch (STAGE_ST / RES_ST only; see below).
// Tiling: SGM x SGN subgroups of 32 invocations; a subgroup owns 32 x 32 outputs (2 x 2 result
// matrices of 16 x 16), the workgroup BM x BN = 32 SGM x 32 SGN. Per K block of 32:
//   1. the workgroup stages X (BM x 32 int8) and W (BN x 32 int8, Q4_0 nibbles unpacked to
//      (q - 8)) into workgroup memory, rows KS bytes apart (KS = 48: 8 consecutive rows start
//      on distinct 4-bank groups), and the block scales into sx / sw (fetched into registers
//      first: with PREFETCH right after the staging barrier of the block before);
//   2. each subgroup multiplies its 2 x 2 tiles and stores the i32 results to its part of rs;
//   3. lane l scales result element j * 32 + l of each tile (row 2 j + l / 16, column l % 16:
//      consecutive lanes read consecutive words) into its f32 accumulators.
// Two barriers per block (staging -> products, products -> scaling); the scales are
// double-buffered so the next block's staging cannot overwrite those being read. Matrix loads/stores
// take byte offsets and strides for i8 (elements of the component type) and word ones for i32.
// Where the staged tiles and the i32 results live (STAGE_ST, RES_ST; engine/kernels/
// matmul-int8-probe.ts picks them on the device): by default in workgroup memory; with STAGE_ST
// X and W are staged in this workgroup's region of a storage scratch (binding 6), with RES_ST the
// results too. Why: Dawn's Vulkan backend on an H200 (2026-12-06) accepts i8 matrix loads from
// storage but fails to generate SPIR-V for i8 loads from a workgroup array<i32>. A region is
// REGION words at (workgroup_id.y * num_workgroups.x + workgroup_id.x) * REGION, and storage
// barriers order its writes and the matrix loads within the workgroup.
// Defines: FMT, SGM (>= 2), SGN (1, 2, 4 or 8), BIAS, ACCUMULATE, PREFETCH, STAGE_ST, RES_ST,
// SCRATCH (either of the two: binding 6 exists).
// Extend: another 32-block format = a branch in fetch (and, for formats with a min,
// a term with the block sum of x, which XS carries in .y + .z).

diagnostic(off, chromium.subgroup_matrix_uniformity);
enable subgroups;
enable chromium_experimental_subgroup_matrix;

struct Params {
  m: u32,
  n: u32,
  k: u32,
  row_bytes: u32,
  y_base: u32,
  y_stride: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> W: array<u32>;
@group(0) @binding(2) var<storage, read> XQ: array<u32>;
@group(0) @binding(3) var<storage, read> XS: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> Y: array<f32>;
#ifdef BIAS
@group(0) @binding(5) var<storage, read> B: array<f32>;
#endif
#ifdef SCRATCH
@group(0) @binding(6) var<storage, read_write> ST: array<i32>;
#endif

#include "common/quant-bytes.wgsl"

const WG = SGM * SGN * 32u;
const BM = SGM * 32u;
const BN = SGN * 32u;
// Staging row stride in bytes (a multiple of 16) and in words.
const KS = 48u;
const KW = KS / 4u;

#ifdef STAGE_ST
#define XT ST
#define WT ST
#else
#define XT xs
#define WT ws
var<workgroup> xs: array<i32, BM * KW>;
var<workgroup> ws: array<i32, BN * KW>;
#endif
// Block scales, double-buffered by block parity: step 3 of block kb may still read them while
// faster invocations stage block kb + 1.
var<workgroup> sx: array<f32, 2u * BM>;
var<workgroup> sw: array<f32, 2u * BN>;
// 4 result tiles of 256 i32 per subgroup.
#ifdef RES_ST
#define RT ST
#else
#define RT rs
var<workgroup> rs: array<i32, SGM * SGN * 1024u>;
#endif
#ifdef STAGE_ST
const STAGE_W = (BM + BN) * KW;
#else
const STAGE_W = 0u;
#endif
#ifdef RES_ST
const REGION = STAGE_W + SGM * SGN * 1024u;
#else
const REGION = STAGE_W;
#endif
// Word offsets of the staged X, staged W and results in XT / WT / RT (0 in workgroup memory).
var<private> xb: u32;
var<private> wb: u32;
var<private> rb: u32;

// Staging: each invocation fetches at most one unit of each kind from global memory into a
// Stage (registers), then puts it into workgroup memory. XR words of X per invocation (BM rows
// of 8 words over WG invocations: 8 / SGN); invocation r < BM also fetches row r's scale;
// invocation u < 2 BN fetches half h = u % 2 (16 bytes) of W row u / 2 (and its scale if h = 0).
// Needs SGN in {1, 2, 4, 8} and SGM >= 2 (WG >= 2 BN).
const XR = 8u / SGN;

struct Stage {
  x: array<u32, XR>,
  xd: f32,
  w: vec4<u32>,
  wd: f32,
}

fn fetch(lid: u32, m0: u32, n0: u32, kb: u32) -> Stage {
  var st: Stage;
  let kw = P.k >> 2u;
  for (var i = 0u; i < XR; i++) {
    let u = lid + i * WG;
    let m = m0 + (u >> 3u);
    st.x[i] = 0u;
    if (m < P.m) {
      st.x[i] = XQ[m * kw + kb * 8u + (u & 7u)];
    }
  }
  st.xd = 0.0;
  if (lid < BM && m0 + lid < P.m) {
    st.xd = XS[(m0 + lid) * (P.k >> 5u) + kb].x;
  }
  st.w = vec4<u32>(0u);
  st.wd = 0.0;
  let n = n0 + (lid >> 1u);
  let h = lid & 1u;
  if (lid < 2u * BN && n < P.n) {
#if FMT == Q8_0
    // 34 bytes: f16 d; i8 qs[32]
    let blk = n * P.row_bytes + kb * 34u;
    st.w = qb_u128(blk + 2u + h * 16u);
#endif
#if FMT == Q4_0
    // 18 bytes: f16 d; u8 qs[16]; element j = (qs[j] & 15) - 8, element j + 16 = (qs[j] >> 4) - 8
    let blk = n * P.row_bytes + kb * 18u;
    let nib = (qb_u128(blk + 2u) >> vec4<u32>(h * 4u)) & vec4<u32>(0x0F0F0F0Fu);
    // per byte (b - 8) mod 256 without borrows: (b + 128 - 8) ^ 128
    st.w = ((nib | vec4<u32>(0x80808080u)) - vec4<u32>(0x08080808u)) ^ vec4<u32>(0x80808080u);
#endif
    st.wd = qb_f16(blk);
  }
  return st;
}

// Rows past m / n are zeros with scale 0; scales go to the buffer of block parity p.
fn put(st: Stage, lid: u32, p: u32) {
  for (var i = 0u; i < XR; i++) {
    let u = lid + i * WG;
    XT[xb + (u >> 3u) * KW + (u & 7u)] = bitcast<i32>(st.x[i]);
  }
  if (lid < BM) {
    sx[p * BM + lid] = st.xd;
  }
  if (lid < 2u * BN) {
    let o = wb + (lid >> 1u) * KW + (lid & 1u) * 4u;
    WT[o] = bitcast<i32>(st.w.x);
    WT[o + 1u] = bitcast<i32>(st.w.y);
    WT[o + 2u] = bitcast<i32>(st.w.z);
    WT[o + 3u] = bitcast<i32>(st.w.w);
    if ((lid & 1u) == 0u) {
      sw[p * BN + (lid >> 1u)] = st.wd;
    }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(subgroup_id) sg: u32, @builtin(subgroup_invocation_id) lane: u32) {
  let region = (wid.y * nwg.x + wid.x) * REGION;
#ifdef STAGE_ST
  xb = region;
  wb = region + BM * KW;
#else
  xb = 0u;
  wb = 0u;
#endif
#ifdef RES_ST
  rb = region + STAGE_W;
#else
  rb = 0u;
#endif
  let n0 = wid.x * BN;
  let m0 = wid.y * BM;
  // subgroup (sm, sn) owns tile rows sm * 32 .. +32 and columns sn * 32 .. +32
  let sm = sg / SGN;
  let sn = sg % SGN;
  let rbase = rb + sg * 1024u;
  // acc[t * 8 + j]: tile t = 2 ti + tj, row ti * 16 + 2 j + lane / 16, column tj * 16 + lane % 16
  var acc: array<f32, 32>;
  for (var i = 0u; i < 32u; i++) {
    acc[i] = 0.0;
  }
  let lr = lane >> 4u;
  let lc = lane & 15u;
  let nb = P.k >> 5u;
  var st = fetch(lid, m0, n0, 0u);
  for (var kb = 0u; kb < nb; kb++) {
    put(st, lid, kb & 1u);
#ifdef STAGE_ST
    storageBarrier();
#endif
    workgroupBarrier();
#ifdef PREFETCH
    // the next block's global loads fly while this block multiplies and scales
    if (kb + 1u < nb) {
      st = fetch(lid, m0, n0, kb + 1u);
    }
#endif
    // i8 offsets and strides in bytes, i32 ones in words
    let a0 = subgroupMatrixLoad<subgroup_matrix_left<i8, 32, 16>>(&XT, 4u * xb + (sm * 32u) * KS, false, KS);
    let a1 = subgroupMatrixLoad<subgroup_matrix_left<i8, 32, 16>>(&XT, 4u * xb + (sm * 32u + 16u) * KS, false, KS);
    // B[k, n] = W[n, k]: column n of B is staged row n of W, so B is column-major.
    let b0 = subgroupMatrixLoad<subgroup_matrix_right<i8, 16, 32>>(&WT, 4u * wb + (sn * 32u) * KS, true, KS);
    let b1 = subgroupMatrixLoad<subgroup_matrix_right<i8, 16, 32>>(&WT, 4u * wb + (sn * 32u + 16u) * KS, true, KS);
    subgroupMatrixStore(&RT, rbase, subgroupMatrixMultiply<i32>(a0, b0), false, 16u);
    subgroupMatrixStore(&RT, rbase + 256u, subgroupMatrixMultiply<i32>(a0, b1), false, 16u);
    subgroupMatrixStore(&RT, rbase + 512u, subgroupMatrixMultiply<i32>(a1, b0), false, 16u);
    subgroupMatrixStore(&RT, rbase + 768u, subgroupMatrixMultiply<i32>(a1, b1), false, 16u);
#ifdef RES_ST
    storageBarrier();
#else
    workgroupBarrier();
#endif
    for (var t = 0u; t < 4u; t++) {
      let dw = sw[(kb & 1u) * BN + sn * 32u + (t & 1u) * 16u + lc];
      for (var j = 0u; j < 8u; j++) {
        let dx = sx[(kb & 1u) * BM + sm * 32u + (t >> 1u) * 16u + 2u * j + lr];
        acc[t * 8u + j] += (dx * dw) * f32(RT[rbase + t * 256u + j * 32u + lane]);
      }
    }
#ifndef PREFETCH
    if (kb + 1u < nb) {
      st = fetch(lid, m0, n0, kb + 1u);
    }
#endif
  }

  for (var t = 0u; t < 4u; t++) {
    let n = n0 + sn * 32u + (t & 1u) * 16u + lc;
    if (n >= P.n) {
      continue;
    }
    for (var j = 0u; j < 8u; j++) {
      let m = m0 + sm * 32u + (t >> 1u) * 16u + 2u * j + lr;
      if (m < P.m) {
        let yi = m * P.y_stride + P.y_base + n;
        var v = acc[t * 8u + j];
#ifdef BIAS
        v += B[P.y_base + n];
#endif
#ifdef ACCUMULATE
        v += Y[yi];
#endif
        Y[yi] = v;
      }
    }
  }
}
