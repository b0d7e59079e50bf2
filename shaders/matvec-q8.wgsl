// Integer matrix-vector product for decode: y[r] = sum_k W[r, k] * x[k] (+ bias) (y += with
// ACCUMULATE), with W in a quantized GGUF block layout (FMT) and x pre-quantized to int8 by
// act-quant.wgsl (scales per 32 or 256 elements, stored per 32). dot4I8Packed multiplies 4 weight/activation pairs per
// instruction; scales apply once per 16 or 32 weights (common/quant-dot.wgsl), which makes the
// kernel bandwidth-bound where the f32 path (matvec.wgsl) is ALU-bound for 4-6 bit formats.
// The price: x carries int8 precision (relative error ~ 1/254 of each block's max), as in
// llama.cpp's CPU and CUDA quantized paths.
//
// Params (uniform): rows (in this binding), cols, row_bytes, y_base (as matvec.wgsl).
// Bindings: 0 uniform P, 1 W array<u32>, 2 XQ vec4<u32> [cols / 16], 3 XS vec4<f32> [cols / 32],
//           4 y f32, 5 bias f32 (BIAS only).
// Work split: a workgroup of WG invocations owns R consecutive rows; invocation t takes the
// 32-weight units t, t + WG, ...; reductions as in matvec.wgsl.
// Defines: FMT, WG, R, SUBGROUPS, BIAS, ACCUMULATE, UNIT64 (64-weight units, formats with dotq2).

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
@group(0) @binding(2) var<storage, read> XQW: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read> XS: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> Y: array<f32>;
#ifdef BIAS
@group(0) @binding(5) var<storage, read> B: array<f32>;
#endif

#include "common/quant-dot.wgsl"

#ifdef SUBGROUPS
var<workgroup> red: array<f32, WG * R / 4u>;
#else
var<workgroup> red: array<f32, WG * R>;
#endif

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
    rb[r] = select(0u, (row0 + r) * P.row_bytes, row0 + r < P.rows);
  }
#ifdef UNIT64
  let units = P.cols >> 6u;
  for (var c = lid; c < units; c += WG) {
    let xa = XQ(XQW[4u * c], XQW[4u * c + 1u], XS[2u * c]);
    let xb = XQ(XQW[4u * c + 2u], XQW[4u * c + 3u], XS[2u * c + 1u]);
    for (var r = 0u; r < R; r++) {
      acc[r] += dotq2(rb[r], c, xa, xb);
    }
  }
#else
  let units = P.cols >> 5u;
  for (var u = lid; u < units; u += WG) {
    let x = XQ(XQW[2u * u], XQW[2u * u + 1u], XS[u]);
    for (var r = 0u; r < R; r++) {
      acc[r] += dotq(rb[r], u, x);
    }
  }
#endif

#ifdef SUBGROUPS
  // A subgroup larger than the workgroup (sizes up to 128 exist) holds the whole workgroup.
  let nsg = max(1u, WG / sg_size);
  let sg = lid / sg_size;
  for (var r = 0u; r < R; r++) {
    let s = subgroupAdd(acc[r]);
    if (sg_lane == 0u) {
      red[sg * R + r] = s;
    }
  }
  workgroupBarrier();
  if (lid < R) {
    var s = 0.0;
    for (var i = 0u; i < nsg; i++) {
      s += red[i * R + lid];
    }
    acc[0] = s;
  }
#else
  for (var r = 0u; r < R; r++) {
    red[r * WG + lid] = acc[r];
  }
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    if (lid < stride) {
      for (var r = 0u; r < R; r++) {
        red[r * WG + lid] += red[r * WG + lid + stride];
      }
    }
    workgroupBarrier();
  }
  if (lid < R) {
    acc[0] = red[lid * WG];
  }
#endif

  if (lid < R && row0 + lid < P.rows) {
    let yi = P.y_base + row0 + lid;
    var v = acc[0];
#ifdef BIAS
    v += B[yi];
#endif
#ifdef ACCUMULATE
    v += Y[yi];
#endif
    Y[yi] = v;
  }
}
