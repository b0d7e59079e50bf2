// Element-wise ops over flat f32 tensors, one invocation per element (grid split with
// dispatch2d: linear workgroup id = wid.x + wid.y * nwg.x).
//
// Entry points:
//   swiglu    out[i] = silu(a[i]) * b[i]              (a = gate, b = up; common/swiglu.wgsl)
//   bias_add  a[i] += b[i % params.dim]               (in place; b = bias [dim])
//   add       a[i] += b[i]                            (in place residual add)
//
// Bindings (strides in elements, all f32):
//   0 params
//   1 a    [n]   gate (swiglu) / x in place (bias_add, add)
//   2 b    [n] or [dim]
//   3 out  [n]   (swiglu only)

#define WG 256
#include "common/swiglu.wgsl"

struct Params {
  n: u32,
  dim: u32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
#ifdef IN_PLACE
@group(0) @binding(1) var<storage, read_write> a: array<f32>;
#else
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
#endif
@group(0) @binding(2) var<storage, read> b: array<f32>;

fn elem_index(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
  return (wid.x + wid.y * nwg.x) * WG + lid;
}

#ifndef IN_PLACE
@compute @workgroup_size(WG)
fn swiglu(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = elem_index(wid, nwg, lid);
  if (i >= params.n) { return; }
  out[i] = silu_mul(a[i], b[i]);
}
#else
@compute @workgroup_size(WG)
fn bias_add(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = elem_index(wid, nwg, lid);
  if (i >= params.n) { return; }
  a[i] += b[i % params.dim];
}

@compute @workgroup_size(WG)
fn add(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = elem_index(wid, nwg, lid);
  if (i >= params.n) { return; }
  a[i] += b[i];
}
#endif
