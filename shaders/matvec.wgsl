// Matrix-vector product for decode: y[r] = sum_k W[r, k] * x[k]  (+ bias[r]) (y += when ACCUMULATE)
// with W [rows x cols] in its GGUF block layout (FMT), read as u32 words; x and y f32.
//
// Params (uniform):
//   rows      rows of W in this binding (one dispatch covers one binding of rows)
//   cols      K, elements per row (a multiple of the block size for quantized formats)
//   row_bytes bytes per W row (blocks * block bytes)
//   y_base    index in y (and bias) of this binding's first row (row splits of big tensors)
// Bindings: 0 uniform P, 1 W array<u32> (rows * row_bytes bytes), 2 x (cols f32), 3 y (f32),
//           4 bias (f32, BIAS only).
// Work split: a workgroup of WG invocations owns R consecutive rows; invocation t takes the
// 8-weight chunks t, t + WG, ... of each row, so neighbouring invocations read neighbouring
// bytes (coalesced), and x is loaded once per chunk and reused for the R rows. Partial sums are
// reduced with subgroupAdd (SUBGROUPS) then across subgroups in workgroup memory, or with a
// plain tree in workgroup memory.
// Defines: FMT, WG (power of two), R, SUBGROUPS, X_VEC4 (cols % 4 == 0: x read as vec4),
//          BIAS, ACCUMULATE, UNROLL (chunks per step with the loads hoisted; bitwise the same).
// Extend: formats live in common/quant.wgsl; a fused epilogue goes in the last block of main.

#ifdef SUBGROUPS
enable subgroups;
#endif

struct Params {
  rows: u32,
  cols: u32,
  row_bytes: u32,
  y_base: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> W: array<u32>;
#ifdef X_VEC4
@group(0) @binding(2) var<storage, read> X: array<vec4<f32>>;
#else
@group(0) @binding(2) var<storage, read> X: array<f32>;
#endif
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
#ifdef BIAS
@group(0) @binding(4) var<storage, read> B: array<f32>;
#endif

#include "common/quant.wgsl"
#ifdef SUBGROUPS
#define SG_ROWS
#endif
#include "common/matvec-rows.wgsl"

#ifdef SUBGROUPS
var<workgroup> red: array<f32, WG * R / 4u>;
#else
var<workgroup> red: array<f32, WG * R>;
#endif

fn x8(k: u32) -> array<vec4<f32>, 2> {
#ifdef X_VEC4
  return array<vec4<f32>, 2>(X[k >> 2u], X[(k >> 2u) + 1u]);
#else
  return array<vec4<f32>, 2>(vec4<f32>(X[k], X[k + 1u], X[k + 2u], X[k + 3u]), vec4<f32>(X[k + 4u], X[k + 5u], X[k + 6u], X[k + 7u]));
#endif
}

fn x1(k: u32) -> f32 {
#ifdef X_VEC4
  return X[k >> 2u][k & 3u];
#else
  return X[k];
#endif
}

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
#ifdef SUBGROUPS
  @builtin(subgroup_invocation_id) sg_lane: u32,
  @builtin(subgroup_size) sg_size: u32,
#endif
) {
  let row0 = (wid.x + wid.y * nwg.x) * R;
  var acc: array<f32, R>;
  var rb: array<u32, R>;
  for (var r = 0u; r < R; r++) {
    acc[r] = 0.0;
    // Rows past the end re-read row 0 (in bounds) and are dropped at the store.
    rb[r] = select(0u, (row0 + r) * P.row_bytes, row0 + r < P.rows);
  }
  let full = P.cols >> 3u;
  var c = lid;
#ifdef UNROLL
  // UNROLL chunks per step, their weight loads issued before the first product (same sums in
  // the same order as the loop below)
  for (; c + (UNROLL - 1u) * WG < full; c += UNROLL * WG) {
    var q: array<Q8, UNROLL * R>;
    for (var j = 0u; j < UNROLL; j++) {
      for (var r = 0u; r < R; r++) {
        q[j * R + r] = dq8(rb[r], (c + j * WG) * 8u);
      }
    }
    for (var j = 0u; j < UNROLL; j++) {
      let xv = x8((c + j * WG) * 8u);
      let xs = dot(xv[0] + xv[1], vec4<f32>(1.0));
      for (var r = 0u; r < R; r++) {
        let qj = q[j * R + r];
        acc[r] += qj.d * (dot(qj.a, xv[0]) + dot(qj.b, xv[1])) + qj.m * xs;
      }
    }
  }
#endif
  for (; c < full; c += WG) {
    let k = c * 8u;
    let xv = x8(k);
    let xs = dot(xv[0] + xv[1], vec4<f32>(1.0));
    for (var r = 0u; r < R; r++) {
      let q = dq8(rb[r], k);
      acc[r] += q.d * (dot(q.a, xv[0]) + dot(q.b, xv[1])) + q.m * xs;
    }
  }
  if (Q_FLOAT) {
    // Tail of rows whose length is not a multiple of 8 (float formats only).
    for (var k = full * 8u + lid; k < P.cols; k += WG) {
      let xk = x1(k);
      for (var r = 0u; r < R; r++) {
        acc[r] += dq1(rb[r], k) * xk;
      }
    }
  }

#ifdef SUBGROUPS
  let v = matvec_row_sums(acc, lid, lid, 0u, WG, sg_size, sg_lane);
#else
  let v = matvec_row_sums(acc, lid, lid, 0u, WG, 0u, 0u);
#endif
  if (lid < R && row0 + lid < P.rows) {
    matvec_store(row0 + lid, v);
  }
}
