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
// ROPE_KV (decode's q|k|v, one token): the epilogue also does what rope-kv.wgsl does after the
//   matvec (RoPE of the q and k heads, the K and V append to the paged cache), value for value.
//   Rows are taken four at a time: quad u of head h holds dims {2k, 2k+1, 2k+HD/2, 2k+HD/2+1}
//   (MODE neox; k = u mod HD/4) or {4k .. 4k+3} (norm), so each RoPE pair and each f16 pair of
//   the cache sits in one quad; a workgroup's G R rows are whole quads. n_rot = HD (else the
//   caller keeps rope-kv.wgsl). Bindings 7 positions u32 [1], 8 freqs f32 [HD / 2],
//   9 page table, 10 pages (rope-kv.wgsl's 2..5); Params n_q, n_kv, table_offset, max_pages, mscale.
// Defines: FMT, WG, GW, R, KMAX (= cols), Q8_K, SUBGROUPS (reductions through subgroups),
//   SG_ROWS (with SUBGROUPS: the row reductions too; needs subgroup size <= GW), NORM, BIAS,
//   ACCUMULATE, SWIGLU, ROPE_KV (with HD, MODE), UNIT64, and the unit loop's variant as matvec-q8.wgsl (TILE_GROUPS = G;
//   TILE_VEC4 binds the weights again at 6).

#include "common/reduce.wgsl"

struct Params {
  rows: u32,
  cols: u32,
  row_bytes: u32,
  y_base: u32,
  eps: f32,
  up_row: u32,
  n_q: u32,
  n_kv: u32,
  table_offset: u32,
  max_pages: u32,
  mscale: f32,
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
#ifdef ROPE_KV
@group(0) @binding(7) var<storage, read> positions: array<u32>;
@group(0) @binding(8) var<storage, read> freqs: array<f32>;
@group(0) @binding(9) var<storage, read> table: array<u32>;
@group(0) @binding(10) var<storage, read_write> pages: array<u32>;
#include "common/kv-page.wgsl"
#include "common/rope-rotate.wgsl"
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
#else
#ifdef ROPE_KV
var<workgroup> outv: array<f32, G * R>;
#endif
#endif

#ifdef ROPE_KV
// Dim m (0..3) of quad k of a head (see the header).
fn quad_dim(k: u32, m: u32) -> u32 {
#if MODE == neox
  return 2u * k + (m & 1u) + select(0u, HD / 2u, m >= 2u);
#else
  return 4u * k + m;
#endif
}

// The weight row of logical row l (quads of the header's layout).
fn rope_row(l: u32) -> u32 {
  let u = l / 4u;
  return (u / (HD / 4u)) * HD + quad_dim(u % (HD / 4u), l % 4u);
}

// x[a], x[b] rotated as rope-kv.wgsl rotates dims (a, b) with frequency i.
fn rope_pair(x: ptr<function, array<f32, 4>>, a: u32, b: u32, i: u32, pos: u32) {
  let v = rope_rotate((*x)[a], (*x)[b], pos, freqs[i], P.mscale);
  (*x)[a] = v.x;
  (*x)[b] = v.y;
}

// Logical rows l0 .. l0 + 3 (one quad) with their matvec values v: bias, RoPE (q and k heads),
// the stores to Y, and the K or V words of the cache slot positions[0].
fn rope_kv_quad(l0: u32, v: array<f32, 4>) {
  let u = l0 / 4u;
  let head = u / (HD / 4u);
  let k = u % (HD / 4u);
  var x = v;
#ifdef BIAS
  for (var m = 0u; m < 4u; m++) {
    x[m] += B[P.y_base + head * HD + quad_dim(k, m)];
  }
#endif
  let pos = positions[0];
  let nh = P.n_q + P.n_kv;
  if (head < nh) {
#if MODE == neox
    rope_pair(&x, 0u, 2u, 2u * k, pos);
    rope_pair(&x, 1u, 3u, 2u * k + 1u, pos);
#else
    rope_pair(&x, 0u, 1u, 2u * k, pos);
    rope_pair(&x, 2u, 3u, 2u * k + 1u, pos);
#endif
  }
  for (var m = 0u; m < 4u; m++) {
    Y[P.y_base + head * HD + quad_dim(k, m)] = x[m];
  }
  if (head >= P.n_q) {
    let is_v = head >= nh;
    let kh = select(head - P.n_q, head - nh, is_v);
    let phys = table[P.table_offset + kh * P.max_pages + pos / KV_PAGE];
    let dst = kv_slot_base(phys, pos) + select(0u, KV_V_OFFSET, is_v);
    pages[dst + quad_dim(k, 0u) / 2u] = pack2x16float(vec2<f32>(x[0], x[1]));
    pages[dst + quad_dim(k, 2u) / 2u] = pack2x16float(vec2<f32>(x[2], x[3]));
  }
}
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
#ifdef ROPE_KV
    rb[r] = select(0u, rope_row(row0 + r) * P.row_bytes, row0 + r < P.rows);
#else
    rb[r] = select(0u, (row0 + r) * P.row_bytes, row0 + r < P.rows);
#endif
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
#ifdef ROPE_KV
  if (lane < R) {
    outv[g * R + lane] = v;
  }
  workgroupBarrier();
  let l0 = (wid.x + wid.y * nwg.x) * G * R + 4u * lid;
  if (lid < G * R / 4u && l0 < P.rows) {
    rope_kv_quad(l0, array<f32, 4>(outv[4u * lid], outv[4u * lid + 1u], outv[4u * lid + 2u], outv[4u * lid + 3u]));
  }
#else
  if (lane < R && row0 + lane < P.rows) {
    matvec_store(row0 + lane, v);
  }
#endif
#endif
}
