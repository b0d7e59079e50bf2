// Attention telemetry: bins one decode step's attention probabilities over prompt positions and
// adds them into a per-row accumulator (engine/telemetry/attention-tap.ts):
//
//   out[row[0] * row_stride + base + h * n_bins + b] += sum over j in [bounds[b], bounds[b+1]) of probs[h * max_kv_len + j]
//
// One workgroup per (bin, head): wid.x = bin, wid.y = head. Each workgroup reduces its bin in a
// fixed order (wg_sum) and one invocation adds the result, so no atomics are needed: every
// output element has exactly one writer per dispatch. `row` is a storage word the host writes
// before each step's submit (the answer-token row that step belongs to); rows >= params.rows
// are dropped (never written out of bounds).
//
// Bindings (strides in elements):
//   0 params
//   1 probs   [n_heads, max_kv_len] f32   one layer's attention probabilities of this step
//   2 bounds  [n_bins + 1] u32            increasing prompt token offsets
//   3 row     [1] u32                     output row of this step
//   4 out     [rows, layers, n_heads, n_bins] f32 (read_write; this layer's block starts at `base`)

#define WG 64
#include "common/reduce.wgsl"

struct Params {
  n_heads: u32,
  max_kv_len: u32,
  n_bins: u32,
  rows: u32,
  // elements between rows (layers * n_heads * n_bins)
  row_stride: u32,
  // this layer's offset inside a row (layer * n_heads * n_bins)
  base: u32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> probs: array<f32>;
@group(0) @binding(2) var<storage, read> bounds: array<u32>;
@group(0) @binding(3) var<storage, read> row: array<u32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(ids: Ids, @builtin(workgroup_id) wid: vec3<u32>) {
  ids_setup(ids);
  let b = wid.x;
  let h = wid.y;
  let r = row[0];
  if (b >= params.n_bins || h >= params.n_heads || r >= params.rows) { return; } // uniform per workgroup
  let lo = min(bounds[b], params.max_kv_len);
  let hi = min(bounds[b + 1u], params.max_kv_len);
  let src = h * params.max_kv_len;
  var s = 0.0;
  for (var j = lo + ids.lid; j < hi; j += WG) { s += probs[src + j]; }
  let total = wg_sum(s);
  if (ids.lid == 0u) {
    let i = r * params.row_stride + params.base + h * params.n_bins + b;
    out[i] = out[i] + total;
  }
}
