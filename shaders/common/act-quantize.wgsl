// The activation quantization step of act-quant.wgsl, shared with the kernels that quantize
// what they just computed (attention-decode.wgsl's `reduce_quant`), so every caller rounds x
// exactly alike: blocks of QG invocations holding 4 consecutive elements each (q8_0: 8 per 32
// elements; q8_K (Q8_K): 64 per 256), block maxima reduced in workgroup memory.
// The including shader declares WG (workgroup size, a multiple of QG) and the outputs:
//   default: XQ u32 [n / 4] (4 int8 per word), XS vec4<f32> [n / 32] =
//            (d, d * sum(q[0..16]), d * sum(q[16..32]), 0) per 32 elements
//   ROUND:   Y vec4<f32> [n / 4] = d * q
// Defines: Q8_K, ROUND.

#include "common/act-scale.wgsl"

// Invocations per block.
#ifdef Q8_K
const QG = 64u;
#else
const QG = 8u;
#endif

var<workgroup> aq_red: array<f32, WG>;
var<workgroup> aq_sums: array<i32, WG>;

// Quantizes elements 4i .. 4i+3 of x (v; zero where !ok) with the QG - 1 neighbours of its block
// (invocations lid & ~(QG - 1) ..). Every invocation of the workgroup calls it.
fn quantize4(i: u32, lid: u32, ok: bool, v: vec4<f32>) {
  let a = abs(v);
  aq_red[lid] = max(max(a.x, a.y), max(a.z, a.w));
  workgroupBarrier();
  for (var s = QG / 2u; s > 0u; s >>= 1u) {
    if ((lid & (QG - 1u)) < s) {
      aq_red[lid] = max(aq_red[lid], aq_red[lid + s]);
    }
    workgroupBarrier();
  }
  let amax = aq_red[lid & ~(QG - 1u)];
  let sc = act_scale(amax);
  let inv = sc.x;
  let d = sc.y;
  let q = clamp(vec4<i32>(round(v * inv)), vec4<i32>(-127), vec4<i32>(127));
#ifdef ROUND
  if (ok) {
    Y[i] = d * vec4<f32>(q);
  }
#else
  aq_sums[lid] = q.x + q.y + q.z + q.w;
  workgroupBarrier();
  if (ok) {
    XQ[i] = pack4xI8(q);
    if ((lid & 7u) == 0u) {
      let s0 = aq_sums[lid] + aq_sums[lid + 1u] + aq_sums[lid + 2u] + aq_sums[lid + 3u];
      let s1 = aq_sums[lid + 4u] + aq_sums[lid + 5u] + aq_sums[lid + 6u] + aq_sums[lid + 7u];
      XS[i >> 3u] = vec4<f32>(d, d * f32(s0), d * f32(s1), 0.0);
    }
  }
#endif
}
