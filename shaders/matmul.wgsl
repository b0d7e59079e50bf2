// Tiled matrix-matrix product for prefill: Y[m, n] = sum_k X[m, k] * W[n, k]  (+ bias[n])
// (Y += when ACCUMULATE), with W [n x k] in its GGUF block layout (FMT) read as u32 words,
// X [m x k] and Y [m x y_stride] f32 row-major. f32 FMA throughout (the fallback path; the
// int8 subgroup-matrix path is separate).
//
// Params (uniform):
//   m         rows of X (tokens)
//   n         rows of W in this binding (one dispatch per binding of rows)
//   k         columns of X and W
//   row_bytes bytes per W row
//   y_base    column of Y (and index of bias) of this binding's first W row
//   y_stride  row stride of Y in elements (all W rows, across bindings)
// Bindings: 0 uniform P, 1 W array<u32>, 2 X f32, 3 Y f32, 4 bias f32 (BIAS only).
// Tiling: 256 invocations as 16 x 16; a workgroup computes a BM x BN tile (BM = 16 TM,
// BN = 16 TN) stepping BK = 16 along k through workgroup memory, which holds X and W
// transposed (k-major) so the inner loop reads vec4s. Invocation (tx, ty) owns rows
// 4 (16 i + ty) + c and columns 4 (16 j + tx) + c (c < 4): neighbouring invocations read
// neighbouring vec4s (no bank conflicts). W is dequantized to f32 once per tile (dq8).
// Defines: FMT, TM, TN (multiples of 4), BIAS, ACCUMULATE, PREFETCH (next tile's loads issued
// before this tile's arithmetic).
// Extend: an epilogue (activation, residual) goes in common/matmul-store.wgsl.

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
@group(0) @binding(2) var<storage, read> X: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
#ifdef BIAS
@group(0) @binding(4) var<storage, read> B: array<f32>;
#endif

#include "common/quant.wgsl"
#include "common/matmul-store.wgsl"

const BK = 16u;
const BM = 16u * TM;
const BN = 16u * TN;
const MV = TM / 4u;
const NV = TN / 4u;

var<workgroup> xs: array<vec4<f32>, BK * BM / 4u>;
var<workgroup> ws: array<vec4<f32>, BK * BN / 4u>;

fn xs_put(kk: u32, mi: u32, v: f32) {
  xs[kk * (BM / 4u) + (mi >> 2u)][mi & 3u] = v;
}

fn ws_put(kk: u32, ni: u32, v: f32) {
  ws[kk * (BN / 4u) + (ni >> 2u)][ni & 3u] = v;
}

// Runs of 4 X values along k per invocation (BM * BK / 4 runs over 256 invocations).
const XR = BM * BK / 1024u;
// Runs of 8 W values per tile (one per invocation when BN = 128, half of them when BN = 64).
const WRUNS = BN * BK / 8u;

// X run t of the tile at (m0, k0): row m0 + t / 4, columns k0 + 4 (t % 4) ..+3; zeros outside.
fn fetch_x(k0: u32, m0: u32, t: u32) -> vec4<f32> {
  let m = m0 + (t >> 2u);
  let k = k0 + (t & 3u) * 4u;
  var v = vec4<f32>(0.0);
  if (m < P.m) {
    let base = m * P.k;
    for (var c = 0u; c < 4u; c++) {
      if (k + c < P.k) {
        v[c] = X[base + k + c];
      }
    }
  }
  return v;
}

// W run t of the tile at (n0, k0): row n0 + t / 2, columns k0 + 8 (t % 2) ..+7, dequantized.
fn fetch_w(k0: u32, n0: u32, t: u32) -> array<vec4<f32>, 2> {
  let n = n0 + (t >> 1u);
  let k = k0 + (t & 1u) * 8u;
  let rb = n * P.row_bytes;
  if (n < P.n && k + 8u <= P.k) {
    let q = dq8(rb, k);
    return array<vec4<f32>, 2>(q.d * q.a + vec4<f32>(q.m), q.d * q.b + vec4<f32>(q.m));
  }
  var v = array<vec4<f32>, 2>(vec4<f32>(0.0), vec4<f32>(0.0));
  if (n < P.n) {
    for (var c = 0u; c < 8u; c++) {
      if (k + c < P.k) {
        v[c >> 2u][c & 3u] = dq1(rb, k + c);
      }
    }
  }
  return v;
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let tx = lid & 15u;
  let ty = lid >> 4u;
  let n0 = wid.x * BN;
  let m0 = wid.y * BM;
  var acc: array<array<vec4<f32>, NV * 4u>, MV * 4u>;
  for (var i = 0u; i < MV * 4u; i++) {
    for (var j = 0u; j < NV * 4u; j++) {
      acc[i][j] = vec4<f32>(0.0);
    }
  }

  // Tile loads go through registers: with PREFETCH the next tile's global loads are issued
  // before the current tile's FMAs, so their latency hides behind the arithmetic.
  var xr: array<vec4<f32>, XR>;
  var wr: array<vec4<f32>, 2>;
#ifdef PREFETCH
  for (var i = 0u; i < XR; i++) {
    xr[i] = fetch_x(0u, m0, lid + 256u * i);
  }
  if (lid < WRUNS) {
    wr = fetch_w(0u, n0, lid);
  }
#endif
  for (var k0 = 0u; k0 < P.k; k0 += BK) {
#ifndef PREFETCH
    for (var i = 0u; i < XR; i++) {
      xr[i] = fetch_x(k0, m0, lid + 256u * i);
    }
    if (lid < WRUNS) {
      wr = fetch_w(k0, n0, lid);
    }
#endif
    for (var i = 0u; i < XR; i++) {
      let t = lid + 256u * i;
      for (var c = 0u; c < 4u; c++) {
        xs_put((t & 3u) * 4u + c, t >> 2u, xr[i][c]);
      }
    }
    if (lid < WRUNS) {
      let kc = (lid & 1u) * 8u;
      for (var c = 0u; c < 4u; c++) {
        ws_put(kc + c, lid >> 1u, wr[0][c]);
        ws_put(kc + 4u + c, lid >> 1u, wr[1][c]);
      }
    }
    workgroupBarrier();
#ifdef PREFETCH
    if (k0 + BK < P.k) {
      for (var i = 0u; i < XR; i++) {
        xr[i] = fetch_x(k0 + BK, m0, lid + 256u * i);
      }
      if (lid < WRUNS) {
        wr = fetch_w(k0 + BK, n0, lid);
      }
    }
#endif
    for (var kk = 0u; kk < BK; kk++) {
      var a: array<vec4<f32>, MV>;
      var b: array<vec4<f32>, NV>;
      for (var i = 0u; i < MV; i++) {
        a[i] = xs[kk * (BM / 4u) + i * 16u + ty];
      }
      for (var j = 0u; j < NV; j++) {
        b[j] = ws[kk * (BN / 4u) + j * 16u + tx];
      }
      for (var i = 0u; i < MV; i++) {
        for (var ci = 0u; ci < 4u; ci++) {
          let av = a[i][ci];
          for (var j = 0u; j < NV; j++) {
            acc[i * 4u + ci][j] += av * b[j];
          }
        }
      }
    }
    workgroupBarrier();
  }

  for (var i = 0u; i < MV; i++) {
    for (var ci = 0u; ci < 4u; ci++) {
      let m = m0 + (i * 16u + ty) * 4u + ci;
      if (m >= P.m) {
        continue;
      }
      for (var j = 0u; j < NV; j++) {
        for (var cj = 0u; cj < 4u; cj++) {
          matmul_store(acc[i * 4u + ci][j][cj], m, n0 + (j * 16u + tx) * 4u + cj);
        }
      }
    }
  }
}
