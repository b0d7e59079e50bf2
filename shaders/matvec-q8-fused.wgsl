// Integer matrix-vector product for decode with its neighbours folded in (one dispatch where
// the separate path takes up to four): the activation quantization of act-quant.wgsl runs in
// each workgroup's prologue into workgroup memory, optionally after the RMSNorm of
// rmsnorm.wgsl (NORM), and the epilogue adds a bias (BIAS), accumulates into y (ACCUMULATE, the
// residual add) or writes silu(gate) * up of matching gate / up rows (SWIGLU).
//
// Every value is computed as the separate kernels compute it, so results are bitwise equal:
//   - quantization: per-block absmax (exact in any order), the same scale and rounding formulas
//     as act-quant.wgsl, integer sums; the per-block (d, d s0, d s1) go through workgroup memory
//     like act-quant's XS went through a buffer;
//   - NORM: lane l sums x[l], x[l + WG], ... and wg_sum reduces them, as rmsnorm.wgsl does with
//     the same WG (matvecFusedPlan sets WG to rmsnorm's workgroup size for `cols`);
//   - product: the workgroup is G = WG / GW row groups of GW lanes; each group runs exactly what
//     one workgroup of matvec-q8.wgsl (workgroup size GW, R rows) runs, reductions included: the
//     same code (common/matvec-q8-units.wgsl, common/matvec-rows.wgsl).
//
// Params (uniform): rows (output rows; SWIGLU: gate rows = up rows), cols, row_bytes,
//   y_base (first y element), eps (NORM), up_row (SWIGLU: the first up row of W).
// Bindings: 0 uniform P, 1 W array<u32>, 2 X f32 [cols], 3 Y f32 [y_base + rows],
//           4 NW f32 [cols] (NORM), 5 B f32 [rows] (BIAS).
// Work split: workgroup w, group g = lid / GW owns rows (w G + g) R .. + R - 1; with SWIGLU the
// group's first R / 2 rows are gate rows j, j + 1, ... and the last R / 2 the up rows
// up_row + j, ...; the workgroup writes G R / 2 outputs.
// Workgroup memory: cols (int8 x) + cols / 2 (scales) + cols / 8 (Q8_K maxima) bytes + the
// reductions; matvecFusedPlan checks the device limit and otherwise keeps the separate path.
// Defines: FMT, WG, GW, R, KMAX (= cols), Q8_K, SUBGROUPS (reductions through subgroups),
//   SG_ROWS (with SUBGROUPS: the row reductions too; needs subgroup size <= GW), NORM, BIAS,
//   ACCUMULATE, SWIGLU, UNIT64, and the unit loop's variant as matvec-q8.wgsl (TILE_GROUPS = G;
//   TILE_VEC4 binds the weights again at 6).

#include "common/reduce.wgsl"

struct Params {
  rows: u32,
  cols: u32,
  row_bytes: u32,
  y_base: u32,
  eps: f32,
  up_row: u32,
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
@group(0) @binding(2) var<storage, read> X: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
#ifdef NORM
@group(0) @binding(4) var<storage, read> NW: array<f32>;
#endif
#ifdef BIAS
@group(0) @binding(5) var<storage, read> B: array<f32>;
#endif

#include "common/quant-dot.wgsl"
#define Q8X xq
#define Q8S xs
#include "common/matvec-q8-units.wgsl"
#include "common/matvec-rows.wgsl"
#include "common/act-scale.wgsl"

const G = WG / GW;

// x quantized: int8, 16 per vec4<u32> (act-quant's XQ), and per 32 elements (d, d s0, d s1, 0)
var<workgroup> xq: array<vec4<u32>, KMAX / 16u>;
var<workgroup> xs: array<vec4<f32>, KMAX / 32u>;
#ifdef Q8_K
var<workgroup> amax32: array<f32, KMAX / 32u>;
#endif
#ifdef SG_ROWS
var<workgroup> red: array<f32, WG * R / 4u>;
#else
var<workgroup> red: array<f32, WG * R>;
#endif
#ifdef SWIGLU
var<workgroup> outv: array<f32, G * R>;
#endif

var<private> nscale: f32;

// Element i of the vector the product sees before quantization: x, or norm(x) * w as rmsnorm.wgsl writes it.
fn xin(i: u32) -> f32 {
#ifdef NORM
  return X[i] * nscale * NW[i];
#else
  return X[i];
#endif
}

fn xin4(i: u32) -> vec4<f32> {
  return vec4<f32>(xin(i), xin(i + 1u), xin(i + 2u), xin(i + 3u));
}

fn block_amax(b: u32) -> f32 {
  var m = vec4<f32>(0.0);
  for (var e = 0u; e < 32u; e += 4u) {
    m = max(m, abs(xin4(b * 32u + e)));
  }
  return max(max(m.x, m.y), max(m.z, m.w));
}

// Quantizes x (normalised first with NORM) into xq / xs; every invocation calls it.
fn quantize_x(lid: u32) {
  let nb = P.cols >> 5u;
#ifdef Q8_K
  for (var b = lid; b < nb; b += WG) {
    amax32[b] = block_amax(b);
  }
  workgroupBarrier();
#endif
  for (var b = lid; b < nb; b += WG) {
#ifdef Q8_K
    var amax = 0.0;
    for (var j = b & ~7u; j < (b & ~7u) + 8u; j++) {
      amax = max(amax, amax32[j]);
    }
#else
    let amax = block_amax(b);
#endif
    let sc = act_scale(amax);
    let inv = sc.x;
    let d = sc.y;
    var w: array<u32, 8>;
    var s0 = 0;
    var s1 = 0;
    for (var e = 0u; e < 8u; e++) {
      let q = clamp(vec4<i32>(round(xin4(b * 32u + 4u * e) * inv)), vec4<i32>(-127), vec4<i32>(127));
      w[e] = pack4xI8(q);
      let s = q.x + q.y + q.z + q.w;
      if (e < 4u) {
        s0 += s;
      } else {
        s1 += s;
      }
    }
    xq[2u * b] = vec4<u32>(w[0], w[1], w[2], w[3]);
    xq[2u * b + 1u] = vec4<u32>(w[4], w[5], w[6], w[7]);
    xs[b] = vec4<f32>(d, d * f32(s0), d * f32(s1), 0.0);
  }
  workgroupBarrier();
}

@compute @workgroup_size(WG)
fn main(ids: Ids, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  ids_setup(ids);
  let lid = ids.lid;
#ifdef NORM
  var ss = 0.0;
  for (var i = lid; i < P.cols; i += WG) {
    let v = X[i];
    ss += v * v;
  }
  let total = wg_sum(ss);
  nscale = inverseSqrt(total / f32(P.cols) + P.eps);
#endif
  quantize_x(lid);

  let g = lid / GW;
  let lane = lid % GW;
  let grp = (wid.x + wid.y * nwg.x) * G + g;
  var rb: array<u32, R>;
#ifdef SWIGLU
  const H = R / 2u;
  let j0 = grp * H;
  for (var r = 0u; r < R; r++) {
    let j = j0 + r % H;
    rb[r] = select(0u, (select(j, P.up_row + j, r >= H)) * P.row_bytes, j < P.rows);
  }
#else
  let row0 = grp * R;
  for (var r = 0u; r < R; r++) {
    rb[r] = select(0u, (row0 + r) * P.row_bytes, row0 + r < P.rows);
  }
#endif
  // Per group, the products and reduction of matvec-q8.wgsl (red offset by the group's slots).
  let v = matvec_row_sums(q8_row_units(rb, lane, GW, g), lid, lane, g, GW, red_sg_size, red_sg_lane);

#ifdef SWIGLU
  if (lane < R) {
    outv[g * R + lane] = v;
  }
  workgroupBarrier();
  if (lane < H && j0 + lane < P.rows) {
    let gv = outv[g * R + lane];
    Y[P.y_base + j0 + lane] = gv / (1.0 + exp(-gv)) * outv[g * R + H + lane];
  }
#else
  if (lane < R && row0 + lane < P.rows) {
    matvec_store(row0 + lane, v);
  }
#endif
}
