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
// matrices of 16 x 16), the workgroup BM x BN = 32 SGM x 32 SGN. Per group of KB K blocks of 32:
//   1. the workgroup stages X (BM x 32 KB int8) and W (BN x 32 KB int8, Q4_0 nibbles unpacked
//      to (q - 8)) into workgroup memory, rows KS bytes apart (KS = 32 KB + 16: 8 consecutive
//      rows start on distinct 4-bank groups), and the block scales into sx / sw (fetched into
//      registers first: with PREFETCH right after the staging barrier of the group before);
//   2. each subgroup multiplies its 2 x 2 tiles of each block and stores the i32 results to its
//      part of rs (KB x 4 tiles);
//   3. lane l scales result element j * 32 + l of each tile (row 2 j + l / 16, column l % 16:
//      consecutive lanes read consecutive words) into its f32 accumulators.
// Two barriers per group (staging -> products, products -> scaling): KB > 1 spends fewer
// barriers per block and issues 4 KB independent products between them, for KB times the
// result space. The scales are double-buffered so the next group's staging cannot overwrite
// those being read; blocks past k are staged as zeros with scale 0. Matrix loads/stores take
// byte offsets and strides for i8 (elements of the component type) and word ones for i32.
// Where the staged tiles and the i32 results live (STAGE_ST, RES_ST; engine/kernels/
// matmul-int8-probe.ts picks them on the device): by default in workgroup memory; with STAGE_ST
// X and W are staged in this workgroup's region of a storage scratch (binding 6), with RES_ST the
// results too. Why: Dawn's Vulkan backend on an H200 (2026-12-06) accepts i8 matrix loads from
// storage but fails to generate SPIR-V for i8 loads from a workgroup array<i32>. A region is
// REGION words at (workgroup_id.y * num_workgroups.x + workgroup_id.x) * REGION, and storage
// barriers order its writes and the matrix loads within the workgroup.
// Defines: FMT, SGM (>= 2), SGN (1, 2, 4 or 8), KB (1, 2 or 4), BIAS, ACCUMULATE, PREFETCH, STAGE_ST, RES_ST,
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
#include "common/matmul-store.wgsl"

const WG = SGM * SGN * 32u;
const BM = SGM * 32u;
const BN = SGN * 32u;
// Staging row stride in bytes (a multiple of 16) and in words.
const KS = 32u * KB + 16u;
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
// Block scales [group parity][block of the group][row], double-buffered: step 3 of group g may
// still read them while faster invocations stage group g + 1.
var<workgroup> sx: array<f32, 2u * KB * BM>;
var<workgroup> sw: array<f32, 2u * KB * BN>;
// 4 KB result tiles of 256 i32 per subgroup.
#ifdef RES_ST
#define RT ST
#else
#define RT rs
var<workgroup> rs: array<i32, SGM * SGN * 1024u * KB>;
#endif
#ifdef STAGE_ST
const STAGE_W = (BM + BN) * KW;
#else
const STAGE_W = 0u;
#endif
#ifdef RES_ST
const REGION = STAGE_W + SGM * SGN * 1024u * KB;
#else
const REGION = STAGE_W;
#endif
// Word offsets of the staged X, staged W and results in XT / WT / RT (0 in workgroup memory).
var<private> xb: u32;
var<private> wb: u32;
var<private> rb: u32;

// Staging: each invocation fetches a few units of each kind from global memory into a Stage
// (registers), then puts them into workgroup memory. X: BM rows of 8 KB words, XR words per
// invocation (8 KB / SGN); scales of X: BM KB (row, block) pairs, XD per invocation; W: units
// of 16 bytes (half a block of a row; Q4_0: the low or high nibbles of its 16 bytes), 2 KB BN of
// them, WR per invocation, unit u = row u / (2 KB), block (u / 2) % KB, half u % 2; the unit of
// half 0 also carries its block's scale. Needs SGN in {1, 2, 4, 8} and SGM >= 2.
const XR = 8u * KB / SGN;
const XD = (BM * KB + WG - 1u) / WG;
const WR = (2u * BN * KB + WG - 1u) / WG;

struct Stage {
  x: array<u32, XR>,
  xd: array<f32, XD>,
  w: array<vec4<u32>, WR>,
  wd: array<f32, WR>,
}

// Group g: blocks g KB .. g KB + KB - 1.
fn fetch(lid: u32, m0: u32, n0: u32, g: u32) -> Stage {
  var st: Stage;
  let kw = P.k >> 2u;
  let nb = P.k >> 5u;
  for (var i = 0u; i < XR; i++) {
    let u = lid + i * WG;
    let m = m0 + u / (8u * KB);
    let w = u % (8u * KB);
    st.x[i] = 0u;
    if (m < P.m && g * KB + (w >> 3u) < nb) {
      st.x[i] = XQ[m * kw + g * 8u * KB + w];
    }
  }
  for (var i = 0u; i < XD; i++) {
    let u = lid + i * WG;
    let kb = g * KB + u / BM;
    st.xd[i] = 0.0;
    if (u < BM * KB && m0 + u % BM < P.m && kb < nb) {
      st.xd[i] = XS[(m0 + u % BM) * nb + kb].x;
    }
  }
  for (var i = 0u; i < WR; i++) {
    let u = lid + i * WG;
    let n = n0 + u / (2u * KB);
    let kb = g * KB + (u >> 1u) % KB;
    let h = u & 1u;
    st.w[i] = vec4<u32>(0u);
    st.wd[i] = 0.0;
    if (u < 2u * BN * KB && n < P.n && kb < nb) {
#if FMT == Q8_0
      // 34 bytes: f16 d; i8 qs[32]
      let blk = n * P.row_bytes + kb * 34u;
      st.w[i] = qb_u128(blk + 2u + h * 16u);
#endif
#if FMT == Q4_0
      // 18 bytes: f16 d; u8 qs[16]; element j = (qs[j] & 15) - 8, element j + 16 = (qs[j] >> 4) - 8
      let blk = n * P.row_bytes + kb * 18u;
      let nib = (qb_u128(blk + 2u) >> vec4<u32>(h * 4u)) & vec4<u32>(0x0F0F0F0Fu);
      // per byte (b - 8) mod 256 without borrows: (b + 128 - 8) ^ 128
      st.w[i] = ((nib | vec4<u32>(0x80808080u)) - vec4<u32>(0x08080808u)) ^ vec4<u32>(0x80808080u);
#endif
      st.wd[i] = qb_f16(blk);
    }
  }
  return st;
}

// Rows past m / n and blocks past k are zeros with scale 0; scales go to the half of parity p.
fn put(st: Stage, lid: u32, p: u32) {
  for (var i = 0u; i < XR; i++) {
    let u = lid + i * WG;
    XT[xb + u / (8u * KB) * KW + u % (8u * KB)] = bitcast<i32>(st.x[i]);
  }
  for (var i = 0u; i < XD; i++) {
    let u = lid + i * WG;
    if (u < BM * KB) {
      sx[p * KB * BM + u] = st.xd[i];
    }
  }
  for (var i = 0u; i < WR; i++) {
    let u = lid + i * WG;
    if (u < 2u * BN * KB) {
      let r = u / (2u * KB);
      let b = (u >> 1u) % KB;
      let o = wb + r * KW + b * 8u + (u & 1u) * 4u;
      WT[o] = bitcast<i32>(st.w[i].x);
      WT[o + 1u] = bitcast<i32>(st.w[i].y);
      WT[o + 2u] = bitcast<i32>(st.w[i].z);
      WT[o + 3u] = bitcast<i32>(st.w[i].w);
      if ((u & 1u) == 0u) {
        sw[(p * KB + b) * BN + r] = st.wd[i];
      }
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
  let rbase = rb + sg * 1024u * KB;
  // acc[t * 8 + j]: tile t = 2 ti + tj, row ti * 16 + 2 j + lane / 16, column tj * 16 + lane % 16
  // (function-scope variables start at zero)
  var acc: array<f32, 32>;
  let lr = lane >> 4u;
  let lc = lane & 15u;
  let ng = ((P.k >> 5u) + KB - 1u) / KB;
  var st = fetch(lid, m0, n0, 0u);
  for (var g = 0u; g < ng; g++) {
    let p = g & 1u;
    put(st, lid, p);
#ifdef STAGE_ST
    storageBarrier();
#endif
    workgroupBarrier();
#ifdef PREFETCH
    // the next group's global loads fly while this group multiplies and scales
    if (g + 1u < ng) {
      st = fetch(lid, m0, n0, g + 1u);
    }
#endif
    for (var b = 0u; b < KB; b++) {
      // i8 offsets and strides in bytes, i32 ones in words
      let xo = 4u * xb + (sm * 32u) * KS + b * 32u;
      let wo = 4u * wb + (sn * 32u) * KS + b * 32u;
      let a0 = subgroupMatrixLoad<subgroup_matrix_left<i8, 32, 16>>(&XT, xo, false, KS);
      let a1 = subgroupMatrixLoad<subgroup_matrix_left<i8, 32, 16>>(&XT, xo + 16u * KS, false, KS);
      // B[k, n] = W[n, k]: column n of B is staged row n of W, so B is column-major.
      let b0 = subgroupMatrixLoad<subgroup_matrix_right<i8, 16, 32>>(&WT, wo, true, KS);
      let b1 = subgroupMatrixLoad<subgroup_matrix_right<i8, 16, 32>>(&WT, wo + 16u * KS, true, KS);
      let r = rbase + b * 1024u;
      subgroupMatrixStore(&RT, r, subgroupMatrixMultiply<i32>(a0, b0), false, 16u);
      subgroupMatrixStore(&RT, r + 256u, subgroupMatrixMultiply<i32>(a0, b1), false, 16u);
      subgroupMatrixStore(&RT, r + 512u, subgroupMatrixMultiply<i32>(a1, b0), false, 16u);
      subgroupMatrixStore(&RT, r + 768u, subgroupMatrixMultiply<i32>(a1, b1), false, 16u);
    }
#ifdef RES_ST
    storageBarrier();
#else
    workgroupBarrier();
#endif
    for (var b = 0u; b < KB; b++) {
      let sxb = (p * KB + b) * BM + sm * 32u;
      let swb = (p * KB + b) * BN + sn * 32u;
      for (var t = 0u; t < 4u; t++) {
        let dw = sw[swb + (t & 1u) * 16u + lc];
        for (var j = 0u; j < 8u; j++) {
          let dx = sx[sxb + (t >> 1u) * 16u + 2u * j + lr];
          acc[t * 8u + j] += (dx * dw) * f32(RT[rbase + b * 1024u + t * 256u + j * 32u + lane]);
        }
      }
    }
#ifndef PREFETCH
    if (g + 1u < ng) {
      st = fetch(lid, m0, n0, g + 1u);
    }
#endif
  }

  for (var t = 0u; t < 4u; t++) {
    for (var j = 0u; j < 8u; j++) {
      matmul_store(acc[t * 8u + j], m0 + sm * 32u + (t >> 1u) * 16u + 2u * j + lr, n0 + sn * 32u + (t & 1u) * 16u + lc);
    }
  }
}
