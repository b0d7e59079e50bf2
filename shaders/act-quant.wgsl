// Activation quantization before a quantized matrix product, the way llama.cpp's CPU backend
// rounds activations (CPU reference: engine/reference/ops-act-quant.ts):
//   q8_0 (default): blocks of 32, d = f16(amax / 127), q = round(x * (127 / amax))
//   q8_K (Q8_K):    blocks of 256, s = 127 / amax, q = round(x * s), d = 1 / s
// round() is to nearest even, like ggml's. Rows of x are concatenated whole blocks, so the
// kernel sees one flat array of n elements.
//
// Params (uniform): n4 (elements / 4; n is a multiple of 32).
// Bindings: 0 uniform P, 1 X vec4<f32> [n / 4], then
//   int8 output (default, for matvec-q8.wgsl): 2 XQ u32 [n / 4] (4 int8 per word),
//     3 XS vec4<f32> [n / 32] = (d, d * sum(q[0..16]), d * sum(q[16..32]), 0) per 32 elements
//   ROUND: 2 Y vec4<f32> [n / 4] = d * q (x as the product sees it, for the f32 matmul)
// Work split: a workgroup of 64 invocations per 256 elements (8 q8_0 blocks or 1 q8_K block);
// invocation t holds elements 4t .. 4t+3; block maxima reduce in workgroup memory.
// Defines: Q8_K, ROUND.
// Extend: another activation format = a block size G and its scale rule below.

struct Params {
  n4: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> X: array<vec4<f32>>;
#ifdef ROUND
@group(0) @binding(2) var<storage, read_write> Y: array<vec4<f32>>;
#else
@group(0) @binding(2) var<storage, read_write> XQ: array<u32>;
@group(0) @binding(3) var<storage, read_write> XS: array<vec4<f32>>;
#endif

// Invocations per block.
#ifdef Q8_K
const G = 64u;
#else
const G = 8u;
#endif

#include "common/act-scale.wgsl"

var<workgroup> red: array<f32, 64>;
var<workgroup> sums: array<i32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * 64u + lid;
  let ok = i < P.n4;
  var v = vec4<f32>(0.0);
  if (ok) {
    v = X[i];
  }
  let a = abs(v);
  red[lid] = max(max(a.x, a.y), max(a.z, a.w));
  workgroupBarrier();
  for (var s = G / 2u; s > 0u; s >>= 1u) {
    if ((lid & (G - 1u)) < s) {
      red[lid] = max(red[lid], red[lid + s]);
    }
    workgroupBarrier();
  }
  let amax = red[lid & ~(G - 1u)];
  let sc = act_scale(amax);
  let inv = sc.x;
  let d = sc.y;
  let q = clamp(vec4<i32>(round(v * inv)), vec4<i32>(-127), vec4<i32>(127));
#ifdef ROUND
  if (ok) {
    Y[i] = d * vec4<f32>(q);
  }
#else
  sums[lid] = q.x + q.y + q.z + q.w;
  workgroupBarrier();
  if (ok) {
    XQ[i] = pack4xI8(q);
    if ((lid & 7u) == 0u) {
      let s0 = sums[lid] + sums[lid + 1u] + sums[lid + 2u] + sums[lid + 3u];
      let s1 = sums[lid + 4u] + sums[lid + 5u] + sums[lid + 6u] + sums[lid + 7u];
      XS[i >> 3u] = vec4<f32>(d, d * f32(s0), d * f32(s1), 0.0);
    }
  }
#endif
}
