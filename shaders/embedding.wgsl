// Embedding row lookup: out[t, :] = dequant(W row ids[t]) * scale, for a token table in any
// GGUF block format (FMT define; dequantizers from common/quant.wgsl, shared with the matrix
// kernels). One invocation per (token, run of 8 weights).
// A table larger than one binding is split into row slices (engine/kernels/weight-layout.ts
// weightSplit): one dispatch per slice, each writing only the tokens whose id it holds; ids at
// or past `vocab` produce zero rows (written by the slice with row_start 0).
//
// Bindings (strides in elements):
//   0 params
//   1 W    u32 words of the slice's rows (row r - row_start at byte (r - row_start) * row_bytes)
//   2 ids  u32 [tokens]
//   3 out  f32 [tokens, dim]

#define WG 256

@group(0) @binding(1) var<storage, read> W: array<u32>;
#include "common/quant.wgsl"

struct Params {
  tokens: u32,
  dim: u32,
  row_bytes: u32,
  row_start: u32,
  rows: u32,
  vocab: u32,
  scale: f32,
  _p0: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(2) var<storage, read> ids: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let groups = (params.dim + 7u) / 8u;
  let idx = (wid.x + wid.y * nwg.x) * WG + lid;
  if (idx >= params.tokens * groups) { return; }
  let t = idx / groups;
  let k = (idx % groups) * 8u;
  let id = ids[t];
  let o = t * params.dim + k;
  if (id >= params.vocab) {
    if (params.row_start == 0u) {
      for (var i = 0u; i < min(8u, params.dim - k); i++) { out[o + i] = 0.0; }
    }
    return;
  }
  if (id < params.row_start || id >= params.row_start + params.rows) { return; }
  let rb = (id - params.row_start) * params.row_bytes;
  if (k + 8u <= params.dim) {
    let q = dq8(rb, k);
    let a = (q.a * q.d + q.m) * params.scale;
    let b = (q.b * q.d + q.m) * params.scale;
    for (var i = 0u; i < 4u; i++) {
      out[o + i] = a[i];
      out[o + 4u + i] = b[i];
    }
  } else {
    for (var i = 0u; i < params.dim - k; i++) { out[o + i] = dq1(rb, k + i) * params.scale; }
  }
}
