// Causal flash attention for prefill, reading K/V from the paged f16 cache (GQA).
// Query token i of this batch sits at absolute position q_start + i (q_start = tokens already
// in the cache before the batch; the batch's own K/V must already be appended) and attends to
// cache tokens 0 ..= q_start + i.
//
// FlashAttention-2 on f32 FMA. One workgroup of NT = 2 R invocations per (block of BQ query
// tokens, kv head); its R rows are the BQ * G (query, q head) pairs sharing that KV head (the
// rest of the R rows idle), so each K/V tile is staged once for all of them. The scaled q tile
// stays in workgroup memory for the whole sweep. Per tile of KT = 32 keys (half a page):
//   1. K is converted to f32 once and stored dim-major;
//   2. S = Q K^T as a register tile: invocation (g, k) = (lid / 8, lid % 8) owns rows 4g..4g+3
//      and keys 4k..4k+3 (two vec4 loads per 16 FMAs: q over 4 rows, K over 4 keys, at one dim);
//   3. causal mask, row max over the 8 invocations of a row group (subgroupShuffleXor inside an
//      aligned run of 8 lanes with SUBGROUPS, else through workgroup memory), online softmax;
//   4. V (f32, key-major) replaces K in workgroup memory and P goes out key-major;
//   5. O += P V: the same invocation owns rows 4g..4g+3 and the V vec4 columns k, k + 8, ...
//      (one vec4 load of P over 4 rows and HD / 32 vec4 loads of V per key).
// Scores are kept in log2 units (q is scaled by scale * log2(e); exp2 throughout, partials too).
// The next tile's K and V words are loaded into registers during step 5 (latency hidden behind
// the FMAs). The row sum l is kept per invocation (its own keys) and reduced once at the end.
// Blocks run latest first (the longest rows start first); tiles above the block's diagonal are
// never visited, keys past the block's last key are zeroed when staged (stale slots may be NaN).
//
// Split-K (define SPLIT), for few query tokens over a long cache (speculative verification,
// small chunks): grid z splits the key tiles; each split writes a partial (acc, m, l) per
// (token, q head) into `part`, and `reduce` (one workgroup of HD per (token, q head)) merges them.
//
// Defines: HD (multiple of 8, <= 128), G (q heads per kv head, <= 16), R (rows, multiple of 4,
// >= G), BQ (tokens per block, BQ * G <= R), NT = 2 R, SUBGROUPS, SPLIT. Workgroup memory:
// 4 HD R (q) + 128 HD (K or V tile) + 128 R (P) bytes (engine/kernels/attention-prefill.ts
// sizes R to the device's limit).
// Bindings (strides in elements):
//   0 params
//   1 q      f32, (t, h, d) at t * q_stride + h * HD + d   (RoPE applied)
//   2 pages  arena as vec4<u32> (engine/kernels/kv-layout.ts)
//   3 table  u32 page table
//   4 out    f32, (t, h, d) at t * out_stride + h * HD + d
//   5 part   f32 [n_splits, tokens, n_heads, HD + 2] partials (acc, m in log2 units, l; SPLIT only)

#ifdef SUBGROUPS
enable subgroups;
#endif
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

const KT: u32 = 32u;                      // keys per tile
const KG: u32 = 8u;                       // invocations per row group (4 keys each in S)
const KT4: u32 = KT / 4u;                 // vec4 per K dim row (= KG)
const R4: u32 = R / 4u;                   // row groups
const HV: u32 = HD / 4u;                  // vec4<f32> per V row
const V4: u32 = HD / 8u;                  // vec4<u32> (8 halves) per cached K / V row
const NC: u32 = (HV + KG - 1u) / KG;      // output dim vec4s per invocation
const LK: u32 = (KT * V4 + NT - 1u) / NT; // staged vec4<u32> per invocation (K and V each)
const NEG: f32 = -3.0e38;
const LOG2E: f32 = 1.4426950408889634;
// compile-time true guards (folded away) for the common head dims
const ALL_COLS: bool = HV % KG == 0u;           // every invocation owns NC whole V columns
const ALL_LOADS: bool = (KT * V4) % NT == 0u;   // every invocation stages LK vec4s
// P row groups are XOR-swizzled by bit 0 of the key's group of 4 (when R4 allows it): the 4
// keys x 8 key groups x 4 row groups stored by a subgroup of 32 then spread over all 8 bank
// quads instead of 4.
const PSW: u32 = select(0u, 4u, R4 % 8u == 0u);

var<workgroup> q_sh: array<vec4<f32>, HD * R4>;   // [d][g]: rows 4g..4g+3 at dim d, scaled
var<workgroup> kv_sh: array<vec4<f32>, KT * HV>;  // K as [d][key / 4], then V as [key][col]
var<workgroup> p_sh: array<vec4<f32>, KT * R4>;   // P as [key][g ^ psw(key)]; fallback scratch

struct Tile {
  k: array<vec4<u32>, LK>,
  v: array<vec4<u32>, LK>,
}

// Raw K and V words of tile `tile` for this invocation: K element i = (key i % KT, 8-dim
// chunk i / KT) (consecutive invocations: consecutive keys, conflict-free transposed stores),
// V element i = (key i / V4, chunk i % V4) (contiguous). Keys at or past kv_end read as 0.
fn tile_fetch(kvh: u32, tile: u32, kv_end: u32, lid: u32) -> Tile {
  var t: Tile;
  let k0 = tile * KT;
  let phys = table[params.table_offset + kvh * params.max_pages + k0 / KV_PAGE];
  let base4 = kv_page_base(phys) / 4u + (k0 % KV_PAGE) * V4;
  for (var n = 0u; n < LK; n++) {
    let i = lid + n * NT;
    t.k[n] = vec4<u32>(0u);
    t.v[n] = vec4<u32>(0u);
    if (ALL_LOADS || i < KT * V4) {
      let jk = i % KT;
      if (k0 + jk < kv_end) { t.k[n] = pages[base4 + jk * V4 + i / KT]; }
      if (k0 + i / V4 < kv_end) { t.v[n] = pages[base4 + KV_V_OFFSET / 4u + i]; }
    }
  }
  return t;
}

// V row layout in kv_sh: col c < V4 holds dims 8c..8c+3, col V4 + c holds dims 8c+4..8c+7 (the
// two stores of a cached vec4<u32> land V4 vec4s apart: conflict-free).
fn v_dim0(col: u32) -> u32 {
  return select(8u * (col - V4) + 4u, 8u * col, col < V4);
}

fn psw(key: u32) -> u32 {
  return select(0u, PSW, (key & 4u) != 0u);
}

fn k_store(t: Tile, lid: u32) {
  for (var n = 0u; n < LK; n++) {
    let i = lid + n * NT;
    if (ALL_LOADS || i < KT * V4) {
      let j = i % KT;
      let d0 = (i / KT) * 8u;
      let w = t.k[n];
      let f = array<vec2<f32>, 4>(unpack2x16float(w.x), unpack2x16float(w.y), unpack2x16float(w.z), unpack2x16float(w.w));
      for (var e = 0u; e < 4u; e++) {
        kv_sh[(d0 + 2u * e) * KT4 + j / 4u][j % 4u] = f[e].x;
        kv_sh[(d0 + 2u * e + 1u) * KT4 + j / 4u][j % 4u] = f[e].y;
      }
    }
  }
}

fn v_store(t: Tile, lid: u32) {
  for (var n = 0u; n < LK; n++) {
    let i = lid + n * NT;
    if (ALL_LOADS || i < KT * V4) {
      let w = t.v[n];
      let o = (i / V4) * HV + i % V4;
      kv_sh[o] = vec4<f32>(unpack2x16float(w.x), unpack2x16float(w.y));
      kv_sh[o + V4] = vec4<f32>(unpack2x16float(w.z), unpack2x16float(w.w));
    }
  }
}

fn hmax(v: vec4<f32>) -> f32 { return max(max(v.x, v.y), max(v.z, v.w)); }
fn hsum(v: vec4<f32>) -> f32 { return (v.x + v.y) + (v.z + v.w); }

@compute @workgroup_size(NT)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let qb = (params.tokens + BQ - 1u) / BQ - 1u - wid.x;
  let kvh = wid.y;
  let kg = lid % KG;
  let g = lid / KG;
  // last key each of this invocation's rows may see (idle rows see harmless zeroed keys)
  var lim: array<u32, 4>;
  for (var i = 0u; i < 4u; i++) { lim[i] = params.q_start + qb * BQ + (4u * g + i) / G; }
  let last_q = min(params.tokens, (qb + 1u) * BQ) - 1u;
  let kv_end = params.q_start + last_q + 1u;
  let n_tiles = (kv_end + KT - 1u) / KT;
#ifdef SPLIT
  let t_begin = min(n_tiles, wid.z * params.tiles_per_split);
  let t_end = min(n_tiles, t_begin + params.tiles_per_split);
#else
  let t_begin = 0u;
  let t_end = n_tiles;
#endif
  // scaled q tile (an empty split skips it: it writes (0, NEG, 0) without touching K/V)
  for (var i = lid; i < R * HD && t_begin < t_end; i += NT) {
    let r = i % R;
    let t = qb * BQ + r / G;
    var x = 0.0;
    if (r < BQ * G && t < params.tokens) {
      x = q[t * params.q_stride + (kvh * G + r % G) * HD + i / R] * (params.scale * LOG2E);
    }
    q_sh[(i / R) * R4 + r / 4u][r % 4u] = x;
  }
  // acc[i * NC + c]: row 4g + i, V col kg + KG c (dims v_dim0(col) ..+3)
  var acc: array<vec4<f32>, 4u * NC>;
  for (var c = 0u; c < 4u * NC; c++) { acc[c] = vec4<f32>(0.0); }
  var m_run = vec4<f32>(NEG);
  var l_part = vec4<f32>(0.0);
  var tl: Tile;
  if (t_begin < t_end) { tl = tile_fetch(kvh, t_begin, kv_end, lid); }
  for (var tile = t_begin; tile < t_end; tile++) {
    workgroupBarrier();            // the previous tile's P.V is done with kv_sh and p_sh
    k_store(tl, lid);
    workgroupBarrier();
    var s: array<vec4<f32>, 4>;    // s[i]: row 4g + i, keys 4kg..4kg+3 of the tile
    for (var i = 0u; i < 4u; i++) { s[i] = vec4<f32>(0.0); }
    for (var d = 0u; d < HD; d++) {
      let qv = q_sh[d * R4 + g];
      let kv = kv_sh[d * KT4 + kg];
      s[0] += qv.x * kv;
      s[1] += qv.y * kv;
      s[2] += qv.z * kv;
      s[3] += qv.w * kv;
    }
    let keys = vec4<u32>(tile * KT + 4u * kg) + vec4<u32>(0u, 1u, 2u, 3u);
    var mx: vec4<f32>;
    for (var i = 0u; i < 4u; i++) {
      s[i] = select(vec4<f32>(NEG), s[i], keys <= vec4<u32>(lim[i]));
      mx[i] = hmax(s[i]);
    }
#ifdef SUBGROUPS
    // the 8 invocations of a row group are an aligned run of 8 subgroup lanes
    mx = max(mx, subgroupShuffleXor(mx, 1u));
    mx = max(mx, subgroupShuffleXor(mx, 2u));
    mx = max(mx, subgroupShuffleXor(mx, 4u));
#else
    for (var i = 0u; i < 4u; i++) { p_sh[(4u * g + i) * 2u + kg / 4u][kg % 4u] = mx[i]; }
    workgroupBarrier();
    for (var i = 0u; i < 4u; i++) { mx[i] = max(hmax(p_sh[(4u * g + i) * 2u]), hmax(p_sh[(4u * g + i) * 2u + 1u])); }
#endif
    let m_new = max(m_run, mx);
    let alpha = exp2(m_run - m_new);
    m_run = m_new;
    var ps: vec4<f32>;
    for (var i = 0u; i < 4u; i++) {
      s[i] = select(vec4<f32>(0.0), exp2(s[i] - vec4<f32>(m_new[i])), s[i] > vec4<f32>(NEG));
      ps[i] = hsum(s[i]);
      for (var c = 0u; c < NC; c++) { acc[i * NC + c] *= alpha[i]; }
    }
    l_part = l_part * alpha + ps;
    workgroupBarrier();            // every invocation is done reading K (and the scratch)
    v_store(tl, lid);
    for (var e = 0u; e < 4u; e++) {
      p_sh[(4u * kg + e) * R4 + (g ^ psw(4u * kg))] = vec4<f32>(s[0][e], s[1][e], s[2][e], s[3][e]);
    }
    if (tile + 1u < t_end) { tl = tile_fetch(kvh, tile + 1u, kv_end, lid); }
    workgroupBarrier();
    for (var j = 0u; j < KT; j++) {
      let pv = p_sh[j * R4 + (g ^ psw(j))];
      for (var c = 0u; c < NC; c++) {
        let col = kg + KG * c;
        if (ALL_COLS || col < HV) {
          let vv = kv_sh[j * HV + col];
          acc[c] += pv.x * vv;
          acc[NC + c] += pv.y * vv;
          acc[2u * NC + c] += pv.z * vv;
          acc[3u * NC + c] += pv.w * vv;
        }
      }
    }
  }
  // row sums over the 8 invocations of a row group
#ifdef SUBGROUPS
  var l = l_part + subgroupShuffleXor(l_part, 1u);
  l += subgroupShuffleXor(l, 2u);
  l += subgroupShuffleXor(l, 4u);
#else
  workgroupBarrier();
  for (var i = 0u; i < 4u; i++) { p_sh[(4u * g + i) * 2u + kg / 4u][kg % 4u] = l_part[i]; }
  workgroupBarrier();
  var l: vec4<f32>;
  for (var i = 0u; i < 4u; i++) { l[i] = hsum(p_sh[(4u * g + i) * 2u]) + hsum(p_sh[(4u * g + i) * 2u + 1u]); }
#endif
  for (var i = 0u; i < 4u; i++) {
    let r = 4u * g + i;
    let t = qb * BQ + r / G;
    if (r < BQ * G && t < params.tokens) {
      let h = kvh * G + r % G;
#ifdef SPLIT
      // unnormalised partial; an empty split leaves (0, NEG, 0)
      let po = ((wid.z * params.tokens + t) * params.n_heads + h) * (HD + 2u);
      for (var c = 0u; c < NC; c++) {
        let col = kg + KG * c;
        if (col < HV) {
          for (var e = 0u; e < 4u; e++) { part[po + v_dim0(col) + e] = acc[i * NC + c][e]; }
        }
      }
      if (kg == 0u) {
        part[po + HD] = m_run[i];
        part[po + HD + 1u] = l[i];
      }
#else
      let inv = 1.0 / l[i];
      let o = t * params.out_stride + h * HD;
      for (var c = 0u; c < NC; c++) {
        let col = kg + KG * c;
        if (col < HV) {
          for (var e = 0u; e < 4u; e++) { out[o + v_dim0(col) + e] = acc[i * NC + c][e] * inv; }
        }
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
    let w = exp2(part[o + HD] - m);
    l += part[o + HD + 1u] * w;
    a += part[o + d] * w;
  }
  out[qi * params.out_stride + h * HD + d] = a / l;
}
#endif
