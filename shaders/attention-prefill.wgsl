// Causal flash attention for prefill, reading K/V from the paged f16 cache (GQA).
// Query token i of this batch sits at absolute position q_start + i (q_start = tokens already
// in the cache before the batch; the batch's own K/V must already be appended) and attends to
// cache tokens 0 ..= q_start + i.
//
// One workgroup per (block of BQ query tokens, kv head); its ROWS = BQ * G rows are the
// (query, q head) pairs sharing that KV head, so each K/V tile is read once for all of them.
// Per tile of KT = 32 keys (half a page): K and V staged in workgroup memory, scores per
// (row pair, key) invocations (each K row read as vec4<u32> once for two rows; q rows are
// broadcast reads), online softmax per row (one invocation per row), then P.V by
// (row, 8-dim column) invocations.
//
// Split-K (define SPLIT), for few query tokens over a long cache (speculative verification,
// small chunks): grid z splits the key tiles; each split writes a partial (acc, m, l) per
// (token, q head) into `part`, and `reduce` (one workgroup of HD per (token, q head)) merges them.
//
// Defines: HD (multiple of 8, <= 128), G (q heads per kv head, <= 16). WG is fixed at 256 (8 row pairs x 32 keys).
// Bindings (strides in elements):
//   0 params
//   1 q      f32, (t, h, d) at t * q_stride + h * HD + d   (RoPE applied)
//   2 pages  arena as vec4<u32> (engine/kernels/kv-layout.ts)
//   3 table  u32 page table
//   4 out    f32, (t, h, d) at t * out_stride + h * HD + d
//   5 part   f32 [n_splits, tokens, n_heads, HD + 2] partials (SPLIT only)

#define WG 256
#include "common/kv-page.wgsl"

struct Params {
  tokens: u32,
  q_start: u32,
  q_stride: u32,
  out_stride: u32,
  table_offset: u32,
  max_pages: u32,
  scale: f32,
  tiles_per_split: u32,
  n_splits: u32,
  n_heads: u32,
  _p0: u32,
  _p1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> pages: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read> table: array<u32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
#ifdef SPLIT
@group(0) @binding(5) var<storage, read_write> part: array<f32>;
#endif

const KT: u32 = 32u;
const BQ: u32 = 16u / G;
const ROWS: u32 = BQ * G;
const Q4: u32 = HD / 4u;            // vec4<f32> per q row
const V4: u32 = KV_HW / 4u;         // vec4<u32> per K / V row
const KS4: u32 = V4 + 1u;           // padded K row stride (vec4): conflict-free 128-bit loads
const COLS: u32 = HD / 8u;
const NEG: f32 = -3.0e38;

var<workgroup> q_sh: array<vec4<f32>, 16u * Q4>;
var<workgroup> k_sh: array<vec4<u32>, KT * KS4>;
var<workgroup> v_sh: array<vec4<u32>, KT * V4>;
var<workgroup> s_sh: array<f32, ROWS * KT>;
var<workgroup> m_sh: array<f32, ROWS>;
var<workgroup> l_sh: array<f32, ROWS>;
var<workgroup> a_sh: array<f32, ROWS>;

fn row_query(qb: u32, r: u32) -> u32 { return qb * BQ + r / G; }

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let qb = wid.x;
  let kvh = wid.y;
  for (var i = lid; i < 16u * Q4; i += WG) {
    let r = i / Q4;
    let d = (i % Q4) * 4u;
    let qi = row_query(qb, r);
    var x = vec4<f32>(0.0);
    if (r < ROWS && qi < params.tokens) {
      let o = qi * params.q_stride + (kvh * G + r % G) * HD + d;
      x = vec4<f32>(q[o], q[o + 1u], q[o + 2u], q[o + 3u]) * params.scale;
    }
    q_sh[i] = x;
  }
  if (lid < ROWS) {
    m_sh[lid] = NEG;
    l_sh[lid] = 0.0;
  }
  let pr = lid / COLS;          // P.V row of this invocation
  let pc = lid % COLS;          // P.V column (8 dims)
  let pv_on = pr < ROWS;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  let last_q = min(params.tokens, (qb + 1u) * BQ) - 1u;
  let kv_end = params.q_start + last_q + 1u;       // keys this block may see
  let n_tiles = (kv_end + KT - 1u) / KT;
#ifdef SPLIT
  let t_begin = wid.z * params.tiles_per_split;
  let t_end = min(n_tiles, t_begin + params.tiles_per_split);
#else
  let t_begin = 0u;
  let t_end = n_tiles;
#endif
  for (var tile = t_begin; tile < t_end; tile++) {
    let k0 = tile * KT;
    let page = k0 / KV_PAGE;
    let slot0 = k0 % KV_PAGE;
    let phys = table[params.table_offset + kvh * params.max_pages + page];
    let base4 = kv_page_base(phys) / 4u;
    workgroupBarrier();
    for (var i = lid; i < KT * V4; i += WG) {
      let t = i / V4;
      let c = i % V4;
      k_sh[t * KS4 + c] = pages[base4 + (slot0 + t) * V4 + c];
      v_sh[i] = pages[base4 + KV_V_OFFSET / 4u + (slot0 + t) * V4 + c];
    }
    workgroupBarrier();
    {
      // 8 row pairs x 32 keys = 256 invocations: rows r0 = 2 * (lid / KT) and r0 + 1, key j.
      let j = lid % KT;
      let r0 = 2u * (lid / KT);
      var d0 = vec4<f32>(0.0);
      var d1 = vec4<f32>(0.0);
      for (var c = 0u; c < V4; c++) {
        let kv = k_sh[j * KS4 + c];
        let ka = vec4<f32>(unpack2x16float(kv.x), unpack2x16float(kv.y));
        let kb = vec4<f32>(unpack2x16float(kv.z), unpack2x16float(kv.w));
        d0 += ka * q_sh[r0 * Q4 + 2u * c] + kb * q_sh[r0 * Q4 + 2u * c + 1u];
        d1 += ka * q_sh[(r0 + 1u) * Q4 + 2u * c] + kb * q_sh[(r0 + 1u) * Q4 + 2u * c + 1u];
      }
      for (var e = 0u; e < 2u; e++) {
        let r = r0 + e;
        let qi = row_query(qb, r);
        var s = NEG;
        if (r < ROWS && qi < params.tokens && k0 + j <= params.q_start + qi) {
          let d = select(d0, d1, e == 1u);
          s = d.x + d.y + d.z + d.w;
        }
        if (r < ROWS) { s_sh[r * KT + j] = s; }
      }
    }
    workgroupBarrier();
    if (lid < ROWS) {
      let mo = m_sh[lid];
      var mt = mo;
      for (var j = 0u; j < KT; j++) { mt = max(mt, s_sh[lid * KT + j]); }
      var l = 0.0;
      for (var j = 0u; j < KT; j++) {
        let s = s_sh[lid * KT + j];
        let p = select(0.0, exp(s - mt), s > NEG);
        s_sh[lid * KT + j] = p;
        l += p;
      }
      let alpha = exp(mo - mt);
      a_sh[lid] = alpha;
      m_sh[lid] = mt;
      l_sh[lid] = l_sh[lid] * alpha + l;
    }
    workgroupBarrier();
    if (pv_on) {
      let alpha = a_sh[pr];
      acc0 *= alpha;
      acc1 *= alpha;
      // keys at or past kv_end may be stale (NaN): 0 * NaN would poison the sum
      let nk = min(KT, kv_end - k0);
      for (var j = 0u; j < nk; j++) {
        let p = s_sh[pr * KT + j];
        let v = v_sh[j * V4 + pc];
        acc0 += p * vec4<f32>(unpack2x16float(v.x), unpack2x16float(v.y));
        acc1 += p * vec4<f32>(unpack2x16float(v.z), unpack2x16float(v.w));
      }
    }
  }
  workgroupBarrier();
  if (pv_on) {
    let qi = row_query(qb, pr);
    if (qi < params.tokens) {
#ifdef SPLIT
      // unnormalised partial; an empty split leaves (0, NEG, 0)
      let po = ((wid.z * params.tokens + qi) * params.n_heads + kvh * G + pr % G) * (HD + 2u);
      for (var j = 0u; j < 4u; j++) {
        part[po + pc * 8u + j] = acc0[j];
        part[po + pc * 8u + 4u + j] = acc1[j];
      }
      if (pc == 0u) {
        part[po + HD] = m_sh[pr];
        part[po + HD + 1u] = l_sh[pr];
      }
#else
      let inv = 1.0 / l_sh[pr];
      let o = qi * params.out_stride + (kvh * G + pr % G) * HD + pc * 8u;
      for (var j = 0u; j < 4u; j++) {
        out[o + j] = acc0[j] * inv;
        out[o + 4u + j] = acc1[j] * inv;
      }
#endif
    }
  }
}

#ifdef SPLIT
@compute @workgroup_size(HD)
fn reduce(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) d: u32) {
  let qi = wid.x;
  let h = wid.y;
  let stride = params.tokens * params.n_heads * (HD + 2u);
  let base = (qi * params.n_heads + h) * (HD + 2u);
  var m = NEG;
  for (var sp = 0u; sp < params.n_splits; sp++) { m = max(m, part[sp * stride + base + HD]); }
  var l = 0.0;
  var a = 0.0;
  for (var sp = 0u; sp < params.n_splits; sp++) {
    let o = sp * stride + base;
    let w = exp(part[o + HD] - m);
    l += part[o + HD + 1u] * w;
    a += part[o + d] * w;
  }
  out[qi * params.out_stride + h * HD + d] = a / l;
}
#endif
