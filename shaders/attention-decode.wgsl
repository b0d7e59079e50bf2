// Split-K decode attention over the paged f16 KV cache: one query token, GQA. Built for memory
// bandwidth: every K/V byte is read once, by 128-bit loads where consecutive invocations read
// consecutive 16-byte words, with the next page's loads in flight while a page is computed.
//
// Pass 1 `main`: one workgroup per (chunk of chunk_pages pages, kv head), TPW * L invocations.
// A K/V row is COLS = HD / 8 vec4<u32> words (8 halves each); a row group of L lanes shares a
// row, lane c owning the W = COLS / L words c, c + L, ... (dims 8 (c + L w) .. + 8). Row group
// rg = lid / L takes the rows rg, rg + TPW, ... (NT rows) of every page, so for a fixed
// (row, word) slot the workgroup's loads walk the page's K and V blocks word after word. The
// G query heads of the kv head all use the same registers:
//   scores  partial dots over the lane's dims for (row, head), summed over the L lanes of the
//           row group (subgroupShuffleXor butterfly with SG_RED, else through workgroup memory),
//   softmax online, per invocation: a running max m and sum l per head in log2 units (q is
//           pre-scaled by scale * log2 e), no barrier; m moves only when a score passes it by
//           RESCALE (so most pages skip the acc rescale),
//   P.V     acc[head] += p * v over the lane's dims.
// K of page p + 1 is loaded right after the scores of page p, V of page p + 1 after its P.V.
// Rows at or past kv_len (stale slots may hold NaN) are loaded clamped to the last valid row and
// given p = 0. At the end of the chunk the TPW row groups are merged through workgroup memory
// (common max, then a sum per (head, word)) and the partial (acc[HD], m, l) per (q head, chunk)
// is written to `part`.
// Pass 2 `reduce`: one workgroup per (q head, DS-dim slice) merges the chunk partials
// (online log-sum-exp, parallel over chunks and dims), out = acc / l.
// Pass 2 `reduce_quant` (define QUANT, in place of `reduce`): one workgroup per QE elements of
// out (one activation block: 32 for q8_0, 256 for q8_K) merges their DS-dim slices with the same
// code (every slice's chunk loads first, then the trees one after another), then quantizes them
// for the attn_output matvec as act-quant.wgsl does (common/act-quantize.wgsl): one dispatch for
// both, with as many workgroups as `reduce` has for q8_0 (DS = 32).
// Optional tap (define PROBS): pass 1 also writes the scaled scores (log2 units) into `probs`,
// pass 2 writes per-head (max, sum), pass 3 `probs_norm` turns scores into probabilities.
// Without PROBS none of this is compiled or dispatched.
//
// Defines (engine/kernels/attention-decode.ts decodeLayout): HD (multiple of 8, <= 128),
// G (q heads per kv head), L (lanes per row, divides HD / 8), TPW (row groups, a power of two
// dividing 64), HB (heads per round of the workgroup-memory score sum, without SG_RED),
// DS (dims per merge workgroup: 8, 16 or 32), SG_RED (the L lanes of a row group are in one
// subgroup: needs SUBGROUPS), PROBS, QUANT (+ QE, and Q8_K: the activation format).
// Bindings (strides in elements):
//   0 params
//   1 q      f32 [n_heads, HD]; head h uses kv head h / G
//   2 pages  arena as vec4<u32> (engine/kernels/kv-layout.ts)
//   3 table  u32 page table
//   4 part   f32: acc [n_heads, max_chunks, HD], then (m, l) [n_heads, max_chunks, 2],
//            then (max, sum) stats [n_heads, 2] (PROBS)
//   5 out    f32 [n_heads, HD]
//   6 probs  f32 [n_heads, probs_stride] (PROBS only)
//   7 xq     u32 [n_heads * HD / 4], 8 xs vec4<f32> [n_heads * HD / 32] (QUANT only; the layout
//            of act-quant.wgsl's XQ, XS)

#define WG 256
#include "common/kv-page.wgsl"
#include "common/reduce.wgsl"
#include "common/decode-merge.wgsl"

struct Params {
  n_heads: u32,
  kv_len: u32,
  chunk_pages: u32,
  n_chunks: u32,
  max_chunks: u32,
  table_offset: u32,
  max_pages: u32,
  probs_stride: u32,
  scale: f32,
  _p0: u32,
  _p1: u32,
  _p2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> pages: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read> table: array<u32>;
@group(0) @binding(4) var<storage, read_write> part: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;
#ifdef PROBS
@group(0) @binding(6) var<storage, read_write> probs: array<f32>;
#endif

const COLS: u32 = HD / 8u;         // vec4<u32> words (8 halves) of a K or V row
const W: u32 = COLS / L;           // words of a row per invocation
const MWG: u32 = TPW * L;          // invocations of `main`
const NT: u32 = KV_PAGE / TPW;     // rows of a page per invocation
const NW: u32 = NT * W;            // K (and V) words per invocation per page
const HD4: u32 = HD / 4u;
const NEG: f32 = -3.0e38;
const LOG2E: f32 = 1.4426950408889634;
const RESCALE: f32 = 8.0;          // log2 headroom of the lazy softmax rescale

var<workgroup> q_sh: array<vec4<f32>, G * HD4>;
// one (head, word) slot of every invocation at the end of a chunk; without SG_RED also the
// score partials of a page (HB * 64 * L <= 8 * MWG floats)
var<workgroup> acc_sh: array<vec4<f32>, 2u * MWG>;
var<workgroup> m_sh: array<f32, TPW * G>;
var<workgroup> l_sh: array<f32, TPW * G>;
#ifndef SG_RED
const SN: u32 = NT * HB * TPW;     // (row, head) scores of one round
var<workgroup> sc_sh: array<f32, NT * G * TPW>;
#endif

fn f16x8(v: vec4<u32>) -> array<vec4<f32>, 2> {
  return array<vec4<f32>, 2>(vec4<f32>(unpack2x16float(v.x), unpack2x16float(v.y)), vec4<f32>(unpack2x16float(v.z), unpack2x16float(v.w)));
}

// vec4<u32> index of (row slot k, word slot w) of this invocation in a K block at `base`.
fn word_at(base: u32, rg: u32, c: u32, k: u32, w: u32, ntok: u32) -> u32 {
  return base + min(rg + k * TPW, ntok - 1u) * COLS + c + w * L;
}

@compute @workgroup_size(MWG)
fn main(ids: Ids, @builtin(workgroup_id) wid: vec3<u32>) {
  ids_setup(ids);
  let lid = ids.lid;
  let chunk = wid.x;
  let kvh = wid.y;
  let h0 = kvh * G;
  let qs = params.scale * LOG2E;
  for (var i = lid; i < G * HD4; i += MWG) {
    let o = h0 * HD + 4u * i;
    q_sh[i] = vec4<f32>(q[o], q[o + 1u], q[o + 2u], q[o + 3u]) * qs;
  }
  let c = lid % L;
  let rg = lid / L;
  var m: array<f32, G>;
  var l: array<f32, G>;
  // acc[(h * W + w) * 2 + 0/1]: dims 8 (c + L w) .. + 8 of head h
  var acc: array<vec4<f32>, 2u * G * W>;
  for (var h = 0u; h < G; h++) {
    m[h] = NEG;
    l[h] = 0.0;
  }
  for (var i = 0u; i < 2u * G * W; i++) { acc[i] = vec4<f32>(0.0); }
  let n_pages = (params.kv_len + KV_PAGE - 1u) / KV_PAGE;
  let p_begin = chunk * params.chunk_pages;
  let p_end = min(p_begin + params.chunk_pages, n_pages);
  let tab = params.table_offset + kvh * params.max_pages;
  // First page's K and V in flight.
  var ntok = min(KV_PAGE, params.kv_len - p_begin * KV_PAGE);
  let base0 = kv_page_base(table[tab + p_begin]) / 4u;
  var kk: array<vec4<u32>, NW>;
  var vv: array<vec4<u32>, NW>;
  for (var k = 0u; k < NT; k++) {
    for (var w = 0u; w < W; w++) {
      let i = word_at(base0, rg, c, k, w, ntok);
      kk[k * W + w] = pages[i];
      vv[k * W + w] = pages[i + KV_V_OFFSET / 4u];
    }
  }
  workgroupBarrier();
  for (var pg = p_begin; pg < p_end; pg++) {
    let more = pg + 1u < p_end;
    let pn = min(pg + 1u, p_end - 1u);
    let nbase = kv_page_base(table[tab + pn]) / 4u;
    let nntok = min(KV_PAGE, params.kv_len - pn * KV_PAGE);
    // Scores (row k, head h): partial dots over this invocation's dims, summed over the L lanes
    // of the row group; every lane gets the full scores.
    var s: array<f32, NT * G>;
#ifdef SG_RED
    for (var i = 0u; i < NT * G; i++) { s[i] = 0.0; }
    for (var k = 0u; k < NT; k++) {
      for (var w = 0u; w < W; w++) {
        let kf = f16x8(kk[k * W + w]);
        for (var h = 0u; h < G; h++) {
          let qo = h * HD4 + 2u * (c + w * L);
          s[k * G + h] += dot(kf[0], q_sh[qo]) + dot(kf[1], q_sh[qo + 1u]);
        }
      }
    }
    if (more) {
      for (var k = 0u; k < NT; k++) {
        for (var w = 0u; w < W; w++) { kk[k * W + w] = pages[word_at(nbase, rg, c, k, w, nntok)]; }
      }
    }
    for (var o = 1u; o < L; o <<= 1u) {
      for (var i = 0u; i < NT * G; i++) { s[i] += subgroupShuffleXor(s[i], o); }
    }
#else
    // HB heads per round: partials to acc_sh as [lane][row slot][head][row group], sums to
    // sc_sh as [row slot][head][row group] (register arrays indexed by constants only).
    for (var b = 0u; b < G; b += HB) {
      workgroupBarrier();
      for (var k = 0u; k < NT; k++) {
        for (var j = 0u; j < HB; j++) {
          let h = b + j;
          if (h < G) {
            var d = 0.0;
            for (var w = 0u; w < W; w++) {
              let kf = f16x8(kk[k * W + w]);
              let qo = h * HD4 + 2u * (c + w * L);
              d += dot(kf[0], q_sh[qo]) + dot(kf[1], q_sh[qo + 1u]);
            }
            let i = c * SN + (k * HB + j) * TPW + rg;
            acc_sh[i / 4u][i % 4u] = d;
          }
        }
      }
      workgroupBarrier();
      for (var i = lid; i < SN; i += MWG) {
        let h = b + (i / TPW) % HB;
        if (h < G) {
          var t = 0.0;
          for (var cc = 0u; cc < L; cc++) {
            let o = cc * SN + i;
            t += acc_sh[o / 4u][o % 4u];
          }
          sc_sh[((i / (HB * TPW)) * G + h) * TPW + i % TPW] = t;
        }
      }
    }
    if (more) {
      for (var k = 0u; k < NT; k++) {
        for (var w = 0u; w < W; w++) { kk[k * W + w] = pages[word_at(nbase, rg, c, k, w, nntok)]; }
      }
    }
    workgroupBarrier();
    for (var i = 0u; i < NT * G; i++) { s[i] = sc_sh[i * TPW + rg]; }
#endif
    // Online softmax per invocation (identical in the lanes of a row group).
    for (var h = 0u; h < G; h++) {
      var mx = m[h];
      for (var k = 0u; k < NT; k++) {
        let t = rg + k * TPW;
        let sv = select(NEG, s[k * G + h], t < ntok);
        s[k * G + h] = sv;
        mx = max(mx, sv);
#ifdef PROBS
        if (c == 0u && t < ntok) { probs[(h0 + h) * params.probs_stride + pg * KV_PAGE + t] = sv; }
#endif
      }
      // Lazy rescale: p = exp2(s - m) may reach 2^RESCALE before m moves (always on the first
      // valid row, rarely after), which saves the acc multiplies of most pages.
      if (mx > m[h] + RESCALE) {
        let a = exp2(m[h] - mx);
        m[h] = mx;
        l[h] *= a;
        for (var i = 0u; i < 2u * W; i++) { acc[h * 2u * W + i] *= a; }
      }
      let mu = m[h];
      for (var k = 0u; k < NT; k++) {
        let p = select(0.0, exp2(s[k * G + h] - mu), rg + k * TPW < ntok);
        s[k * G + h] = p;
        l[h] += p;
      }
    }
    for (var k = 0u; k < NT; k++) {
      for (var w = 0u; w < W; w++) {
        let vf = f16x8(vv[k * W + w]);
        for (var h = 0u; h < G; h++) {
          let p = s[k * G + h];
          acc[(h * W + w) * 2u] += p * vf[0];
          acc[(h * W + w) * 2u + 1u] += p * vf[1];
        }
      }
    }
    if (more) {
      for (var k = 0u; k < NT; k++) {
        for (var w = 0u; w < W; w++) { vv[k * W + w] = pages[word_at(nbase, rg, c, k, w, nntok) + KV_V_OFFSET / 4u]; }
      }
    }
    ntok = nntok;
  }
  // Merge the row groups and write the chunk's partials (common/decode-merge.wgsl).
  chunk_merge(&m, &l, &acc, c, rg, lid, h0, chunk);
}

const DC: u32 = DS / 4u;           // vec4 columns of a merge workgroup
const CG: u32 = WG / DC;           // chunk groups of a merge workgroup (a power of two)
var<workgroup> red4: array<vec4<f32>, WG>;
var<workgroup> red_m: array<f32, WG>;
var<workgroup> red_l: array<f32, WG>;

// Online log-sum-exp merge of head h, dims d0 .. d0 + DS, in two steps: each invocation folds
// its chunks (merge_fold: one round of independent loads each), then a tree over the chunk
// groups (merge_tree); out = acc / l.
struct MergeState {
  m: f32,
  l: f32,
  a: vec4<f32>,
}

// This invocation's chunks cg, cg + CG, ... of head h, column lid % DC of dims d0 ...
fn merge_fold(h: u32, d0: u32, lid: u32) -> MergeState {
  let row0 = h * params.max_chunks;
  let ml = params.n_heads * params.max_chunks * HD + 2u * row0;
  let col = lid % DC;
  let cg = lid / DC;
  var m = NEG;
  var l = 0.0;
  var a = vec4<f32>(0.0);
  for (var c = cg; c < params.n_chunks; c += CG) {
    let mc = part[ml + 2u * c];
    let lc = part[ml + 2u * c + 1u];
    let o = (row0 + c) * HD + d0 + 4u * col;
    let ac = vec4<f32>(part[o], part[o + 1u], part[o + 2u], part[o + 3u]);
    let mn = max(m, mc);
    let f0 = exp2(m - mn);
    let f1 = exp2(mc - mn);
    l = l * f0 + lc * f1;
    a = a * f0 + ac * f1;
    m = mn;
  }
  return MergeState(m, l, a);
}

// The tree over the chunk groups' folded states; writes out (and with PROBS, for d0 = 0, the
// head's stats). Returns out's value at the invocations of chunk group 0 (lid < DC: column lid),
// zero elsewhere. Every invocation of the workgroup calls it (barriers); it reads its workgroup
// arrays last, so a caller merging another slice next puts a barrier between the two.
fn merge_tree(st: MergeState, h: u32, d0: u32, lid: u32) -> vec4<f32> {
  let col = lid % DC;
  let cg = lid / DC;
  red4[lid] = st.a;
  red_m[lid] = st.m;
  red_l[lid] = st.l;
  for (var s = CG / 2u; s > 0u; s >>= 1u) {
    workgroupBarrier();
    if (cg < s) {
      let j = lid + s * DC;
      let mn = max(red_m[lid], red_m[j]);
      let f0 = exp2(red_m[lid] - mn);
      let f1 = exp2(red_m[j] - mn);
      red4[lid] = red4[lid] * f0 + red4[j] * f1;
      red_l[lid] = red_l[lid] * f0 + red_l[j] * f1;
      red_m[lid] = mn;
    }
  }
  var r = vec4<f32>(0.0);
  if (cg == 0u) {
    r = red4[lid] / red_l[lid];
    let o = h * HD + d0 + 4u * col;
    out[o] = r.x;
    out[o + 1u] = r.y;
    out[o + 2u] = r.z;
    out[o + 3u] = r.w;
  }
#ifdef PROBS
  if (d0 == 0u && lid == 0u) {
    let so = params.n_heads * params.max_chunks * (HD + 2u) + h * 2u;
    part[so] = red_m[0];
    part[so + 1u] = red_l[0];
  }
#endif
  return r;
}

@compute @workgroup_size(WG)
fn reduce(ids: Ids, @builtin(workgroup_id) wid: vec3<u32>) {
  ids_setup(ids);
  let d0 = wid.x * DS;
  merge_tree(merge_fold(wid.y, d0, ids.lid), wid.y, d0, ids.lid);
}

#ifdef QUANT
@group(0) @binding(7) var<storage, read_write> XQ: array<u32>;
@group(0) @binding(8) var<storage, read_write> XS: array<vec4<f32>>;
#include "common/act-quantize.wgsl"

// the QE merged outputs of a `reduce_quant` workgroup, as vec4
var<workgroup> mo: array<vec4<f32>, QE / 4u>;

// The merge and decode's attn_output activation quantization in one dispatch: workgroup b takes
// the output elements QE b .. QE b + QE - 1 (one q8_0 / q8_K block) as NS slices of DS dims,
// folds every slice's chunks first (all their loads in flight at once), then runs each slice's
// tree, both exactly as `reduce` (writing `out` too), then quantizes the QE values as
// act-quant.wgsl does (invocations 0 .. QE / 4 - 1 hold 4 elements each, the others none).
const NS: u32 = QE / DS;

@compute @workgroup_size(WG)
fn reduce_quant(ids: Ids, @builtin(workgroup_id) wid: vec3<u32>) {
  ids_setup(ids);
  let lid = ids.lid;
  let n = params.n_heads * HD;
  var st: array<MergeState, NS>;
  for (var s = 0u; s < NS; s++) {
    let e = wid.x * QE + s * DS;
    if (e < n) { st[s] = merge_fold(e / HD, e % HD, lid); }
  }
  for (var s = 0u; s < NS; s++) {
    let e = wid.x * QE + s * DS;
    if (e < n) { // uniform per workgroup
      workgroupBarrier(); // the previous slice's tree has read red4, red_m, red_l
      let r = merge_tree(st[s], e / HD, e % HD, lid);
      if (lid < DC) { mo[s * DC + lid] = r; }
    }
  }
  workgroupBarrier();
  let i = wid.x * (QE / 4u) + lid;
  let ok = lid < QE / 4u && i < n / 4u;
  var v = vec4<f32>(0.0);
  if (ok) { v = mo[lid]; }
  quantize4(i, lid, ok, v);
}
#endif

#ifdef PROBS
@compute @workgroup_size(WG)
fn probs_norm(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let h = wid.y;
  let t = wid.x * WG + lid;
  if (t >= params.kv_len) { return; }
  let st = params.n_heads * params.max_chunks * (HD + 2u) + h * 2u;
  let o = h * params.probs_stride + t;
  probs[o] = exp2(probs[o] - part[st]) / part[st + 1u];
}
#endif
