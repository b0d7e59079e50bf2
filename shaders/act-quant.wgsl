// Activation quantization before a quantized matrix product, the way llama.cpp's CPU backend
// rounds activations (CPU reference: engine/reference/ops-act-quant.ts):
//   q8_0 (default): blocks of 32, d = f16(amax / 127), q = round(x * (127 / amax))
//   q8_K (Q8_K):    blocks of 256, s = 127 / amax, q = round(x * s), d = 1 / s
// round() is to nearest even, like ggml's. Rows of x are concatenated whole blocks, so the
// kernel sees one flat array of n elements.
//
// Fused inputs (decode, one dispatch where the separate path takes two; every value is computed
// as the separate kernels compute it, so results are bitwise equal):
//   NORM    x = rmsnorm(X) * NW as rmsnorm.wgsl writes it: lane l sums X[l]^2, X[l + WG]^2, ...
//           and wg_sum reduces them with rmsnorm's WG (activationQuantizePlan sets it), then
//           element i is X[i] * scale * NW[i]. One workgroup per row (rows: dispatch2d).
//   SWIGLU  x = silu(X) * U element-wise (X = gate, U = up), common/swiglu.wgsl's expression.
//
// Params (uniform): n4 (elements / 4; NORM: of one row; n is a multiple of 32), rows (NORM),
//   eps (NORM).
// Bindings: 0 uniform P, 1 X vec4<f32> [n / 4] (NORM: f32 [rows * n]), then
//   int8 output (default, for matvec-q8.wgsl): 2 XQ u32 [n / 4] (4 int8 per word),
//     3 XS vec4<f32> [n / 32] = (d, d * sum(q[0..16]), d * sum(q[16..32]), 0) per 32 elements
//   ROUND: 2 Y vec4<f32> [n / 4] = d * q (x as the product sees it, for the f32 matmul)
//   NORM: 4 NW f32 [n];  SWIGLU: 5 U vec4<f32> [n / 4].
// Work split: invocation t of a workgroup holds elements 4t .. 4t+3 of its 4 WG elements; block
// maxima reduce in workgroup memory (quantize4, common/act-quantize.wgsl, which
// attention-decode.wgsl's fused merge shares). Default: WG = 64, one workgroup per 256 elements
// (8 q8_0 blocks or 1 q8_K block). NORM: WG = 64, 128 or 256 (a multiple of 256 elements, so blocks
// never straddle two steps); the workgroup steps through its row 4 WG elements at a time.
// Defines: Q8_K, ROUND, NORM (+ WG, SUBGROUPS as rmsnorm.wgsl), SWIGLU.
// Extend: another activation format = a block size QG (common/act-quantize.wgsl) and its scale
// rule (common/act-scale.wgsl); another fused input = a define that computes x in load4 (or,
// with a row reduction, in the NORM entry).

#define WG 64

struct Params {
  n4: u32,
  rows: u32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> P: Params;
#ifdef NORM
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(4) var<storage, read> NW: array<f32>;
#else
@group(0) @binding(1) var<storage, read> X: array<vec4<f32>>;
#endif
#ifdef SWIGLU
@group(0) @binding(5) var<storage, read> U: array<vec4<f32>>;
#endif
#ifdef ROUND
@group(0) @binding(2) var<storage, read_write> Y: array<vec4<f32>>;
#else
@group(0) @binding(2) var<storage, read_write> XQ: array<u32>;
@group(0) @binding(3) var<storage, read_write> XS: array<vec4<f32>>;
#endif

#include "common/act-quantize.wgsl"
#include "common/swiglu.wgsl"

#ifdef NORM
#include "common/reduce.wgsl"

@compute @workgroup_size(WG)
fn main(ids: Ids, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  ids_setup(ids);
  let lid = ids.lid;
  let row = wg_linear(wid, nwg);
  if (row >= P.rows) { return; } // uniform per workgroup
  let dim = P.n4 * 4u;
  let base = row * dim;
  // rmsnorm.wgsl's sum of squares and scale, term for term
  var ss = 0.0;
  for (var i = lid; i < dim; i += WG) {
    let v = X[base + i];
    ss += v * v;
  }
  let total = wg_sum(ss);
  let scale = inverseSqrt(total / f32(dim) + P.eps);
  for (var c = 0u; c < P.n4; c += WG) {
    let j = c + lid;
    let ok = j < P.n4;
    var v = vec4<f32>(0.0);
    if (ok) {
      let e = 4u * j;
      v = vec4<f32>(X[base + e] * scale * NW[e], X[base + e + 1u] * scale * NW[e + 1u], X[base + e + 2u] * scale * NW[e + 2u], X[base + e + 3u] * scale * NW[e + 3u]);
    }
    quantize4(row * P.n4 + j, lid, ok, v);
    workgroupBarrier(); // red and sums are rewritten by the next step
  }
}
#else
// Elements 4i .. 4i+3 of the vector to quantize.
fn load4(i: u32) -> vec4<f32> {
#ifdef SWIGLU
  let g = X[i];
  let u = U[i];
  return vec4<f32>(silu_mul(g.x, u.x), silu_mul(g.y, u.y), silu_mul(g.z, u.z), silu_mul(g.w, u.w));
#else
  return X[i];
#endif
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG + lid;
  let ok = i < P.n4;
  var v = vec4<f32>(0.0);
  if (ok) {
    v = load4(i);
  }
  quantize4(i, lid, ok, v);
}
#endif
