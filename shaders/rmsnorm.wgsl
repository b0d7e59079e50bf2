// RMSNorm over rows: out[r, i] = x[r, i] / sqrt(mean_i(x[r, :]^2) + eps) * w[i].
// One workgroup per row (grid split with dispatch2d). Also serves per-head q/k RMSNorm (Qwen3):
// rows = tokens * heads, dim = head_dim, one weight vector shared by all heads.
//
// Variants (defines):
//   RESIDUAL  x is read_write: x += delta first (fused residual add), then normalised into out.
//   INPLACE   no `out`: the normalised row overwrites x (q/k norm).
//   WG        workgroup size (power of two >= 64), default 256.
//
// Bindings (strides in elements, all f32):
//   0 params
//   1 x      [rows, dim]   (read_write with RESIDUAL or INPLACE)
//   2 w      [dim]
//   3 out    [rows, dim]   (absent with INPLACE)
//   4 delta  [rows, dim]   (RESIDUAL only)

#define WG 256
#include "common/reduce.wgsl"

struct Params {
  rows: u32,
  dim: u32,
  eps: f32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
#ifdef RESIDUAL
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
#else
#ifdef INPLACE
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
#else
@group(0) @binding(1) var<storage, read> x: array<f32>;
#endif
#endif
@group(0) @binding(2) var<storage, read> w: array<f32>;
#ifndef INPLACE
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
#endif
#ifdef RESIDUAL
@group(0) @binding(4) var<storage, read> delta: array<f32>;
#endif

@compute @workgroup_size(WG)
fn main(ids: Ids, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  ids_setup(ids);
  let row = wg_linear(wid, nwg);
  if (row >= params.rows) { return; } // uniform per workgroup
  let base = row * params.dim;
  var ss = 0.0;
  for (var i = ids.lid; i < params.dim; i += WG) {
#ifdef RESIDUAL
    let v = x[base + i] + delta[base + i];
    x[base + i] = v;
#else
    let v = x[base + i];
#endif
    ss += v * v;
  }
  let total = wg_sum(ss);
  let scale = inverseSqrt(total / f32(params.dim) + params.eps);
  for (var i = ids.lid; i < params.dim; i += WG) {
#ifdef INPLACE
    x[base + i] = x[base + i] * scale * w[i];
#else
    out[base + i] = x[base + i] * scale * w[i];
#endif
  }
}
