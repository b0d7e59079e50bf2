// Row softmax, in place: x[r, :] = softmax(x[r, :] * scale). One workgroup per row (grid split
// with dispatch2d). Three sweeps over the row: max, sum of exp, write.
//
// Bindings (strides in elements):
//   0 params
//   1 x  [rows, n] f32 (read_write)

#define WG 256
#include "common/reduce.wgsl"

struct Params {
  rows: u32,
  n: u32,
  scale: f32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;

@compute @workgroup_size(WG)
fn main(ids: Ids, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  ids_setup(ids);
  let row = wg_linear(wid, nwg);
  if (row >= params.rows) { return; }
  let base = row * params.n;
  var m = -3.4e38;
  for (var i = ids.lid; i < params.n; i += WG) { m = max(m, x[base + i] * params.scale); }
  m = wg_max(m);
  var s = 0.0;
  for (var i = ids.lid; i < params.n; i += WG) { s += exp(x[base + i] * params.scale - m); }
  s = wg_sum(s);
  let inv = 1.0 / s;
  for (var i = ids.lid; i < params.n; i += WG) { x[base + i] = exp(x[base + i] * params.scale - m) * inv; }
}
