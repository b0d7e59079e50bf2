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
// 32-weight units t, t + WG, ... (common/matvec-q8-units.wgsl, shared with matvec-q8-fused.wgsl);
// reduction and store as matvec.wgsl's (common/matvec-rows.wgsl).
// Defines: FMT, WG, R, SUBGROUPS, SG_WHOLE (the workgroup is one subgroup: common/matvec-rows.wgsl),
//   BIAS, ACCUMULATE, UNIT64 (64-weight units, formats with dotq2),
//   the unit loop's variant (UNROLL or TILE with its sizes; with TILE the weight binding is WQ
//   (with TILE_VEC4 also 6 WQ4 = the same weight range as vec4<u32>)
//   and W the workgroup tile, see common/matvec-q8-units.wgsl).

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
#ifdef TILE
@group(0) @binding(1) var<storage, read> WQ: array<u32>;
#ifdef TILE_VEC4
@group(0) @binding(6) var<storage, read> WQ4: array<vec4<u32>>;
#endif
#else
@group(0) @binding(1) var<storage, read> W: array<u32>;
#endif
@group(0) @binding(2) var<storage, read> XQW: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read> XS: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> Y: array<f32>;
#ifdef BIAS
@group(0) @binding(5) var<storage, read> B: array<f32>;
#endif

#include "common/quant-dot.wgsl"
#define Q8X XQW
#define Q8S XS
#include "common/matvec-q8-units.wgsl"
#ifdef SUBGROUPS
#define SG_ROWS
#endif
#include "common/matvec-rows.wgsl"

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
  var rb: array<u32, R>;
  for (var r = 0u; r < R; r++) {
    rb[r] = select(0u, (row0 + r) * P.row_bytes, row0 + r < P.rows);
  }
  let acc = q8_row_units(rb, lid, WG, 0u);
#ifdef SUBGROUPS
  let v = matvec_row_sums(acc, lid, lid, 0u, WG, sg_size, sg_lane);
#else
  let v = matvec_row_sums(acc, lid, lid, 0u, WG, 0u, 0u);
#endif
  if (lid < R && row0 + lid < P.rows) {
    matvec_store(row0 + lid, v);
  }
}
