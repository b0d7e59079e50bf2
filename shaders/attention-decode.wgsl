// Split-K decode attention over the paged f16 KV cache: one query token, GQA.
//
// Pass 1 `main`: one workgroup per (chunk of CHUNK pages, kv head). The G query heads that share
// the KV head are processed together so each K/V page is read from memory once. Per page:
// K block staged in workgroup memory (coalesced vec4 loads, rows padded to dodge bank
// conflicts), scores for (token, head), per-head max by a tree, online softmax rescale, then
// P.V with V read as vec4<u32> (8 halves) straight from memory (all of an invocation's loads
// issued before its FMAs), accumulated by (head group, 8-dim column, token group) invocations
// that each hold HPT heads, so one V load serves HPT heads. Writes a partial (acc[HD], m, l) per
// (q head, chunk). Tokens at or past kv_len are never touched (stale pages may hold anything).
// Pass 2 `reduce`: one workgroup per q head merges the chunk partials (log-sum-exp).
// Optional tap (define PROBS): pass 1 also writes the scaled scores into `probs`, pass 2 writes
// per-head (max, sum) after the partials, pass 3 `probs_norm` turns scores into probabilities.
// Without PROBS none of this is compiled or dispatched.
//
// With SUBGROUPS the per-head page max is a subgroupMax per subgroup plus a few partials (one
// barrier) instead of a 6-step tree in workgroup memory.
//
// Defines: HD (multiple of 8, <= 128), G (q heads per kv head), HPT (heads per P.V invocation,
// divides G; (G / HPT) * HD / 8 <= WG), WG = 256, PROBS.
// Bindings (strides in elements):
//   0 params
//   1 q      f32 [n_heads, HD]; head h uses kv head h / G
//   2 pages  arena as vec4<u32> (engine/kernels/kv-layout.ts)
//   3 table  u32 page table
//   4 part   f32 [n_heads, max_chunks, HD + 2] partials (acc, m, l), then [n_heads, 2] stats
//   5 out    f32 [n_heads, HD]
//   6 probs  f32 [n_heads, probs_stride] (PROBS only)

#define WG 256
#include "common/kv-page.wgsl"
#include "common/reduce.wgsl"

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

const KS4: u32 = KV_HW / 4u + 1u;    // padded K row stride in vec4<u32>: rows t..t+7 of a 128-bit
                                     // load phase hit distinct bank groups (t * KS4 * 4 mod 32)
const COLS: u32 = HD / 8u;           // vec4<u32> columns of a row
const HG: u32 = G / HPT;             // head groups of the P.V phase (HPT heads per invocation)
const TG: u32 = min(64u, WG / (COLS * HG)); // token groups of the P.V phase (<= tokens per page)
const TPT: u32 = (64u + TG - 1u) / TG; // tokens per invocation per page
const ROWS: u32 = G * 64u;           // (head, token) pairs of a page
const PS: u32 = HD + 2u;             // partial stride
const NEG: f32 = -3.0e38;

// also holds the TG * HG * HD / 4 merge values at the end (<= 512 vec4)
var<workgroup> k_sh: array<vec4<u32>, max(64u * KS4, 512u)>;
var<workgroup> q_sh: array<vec4<f32>, G * HD / 4u>;
var<workgroup> s_sh: array<f32, ROWS>;
var<workgroup> red: array<f32, ROWS>;
var<workgroup> m_run: array<f32, G>;
var<workgroup> l_comb: array<f32, TG * HG>;

// Max score of head h on the current page (after the scores' barrier, and the tree without
// subgroups).
fn page_max(h: u32) -> f32 {
#ifdef SUBGROUPS
  var m = red[h * 64u];
  for (var j = red_sg_size; j < 64u; j += red_sg_size) { m = max(m, red[h * 64u + j]); }
  return m;
#else
  return red[h * 64u];
#endif
}

fn f16x8(v: vec4<u32>) -> array<vec4<f32>, 2> {
  return array<vec4<f32>, 2>(vec4<f32>(unpack2x16float(v.x), unpack2x16float(v.y)), vec4<f32>(unpack2x16float(v.z), unpack2x16float(v.w)));
}

@compute @workgroup_size(WG)
fn main(ids: Ids, @builtin(workgroup_id) wid: vec3<u32>) {
  ids_setup(ids);
  let lid = ids.lid;
  let chunk = wid.x;
  let kvh = wid.y;
  let h0 = kvh * G;
  for (var i = lid; i < G * HD / 4u; i += WG) {
    let o = h0 * HD + 4u * i;
    q_sh[i] = vec4<f32>(q[o], q[o + 1u], q[o + 2u], q[o + 3u]) * params.scale;
  }
  if (lid < G) { m_run[lid] = NEG; }
  let col = lid % COLS;
  let hg = (lid / COLS) % HG;
  let tg = lid / (COLS * HG);
  let acc_on = tg < TG;
  // acc[2j], acc[2j + 1]: dims col*8 .. col*8+7 of head hg * HPT + j
  var acc: array<vec4<f32>, 2u * HPT>;
  var l_part: array<f32, HPT>;
  for (var j = 0u; j < 2u * HPT; j++) { acc[j] = vec4<f32>(0.0); }
  for (var j = 0u; j < HPT; j++) { l_part[j] = 0.0; }
  let n_pages = (params.kv_len + KV_PAGE - 1u) / KV_PAGE;
  let p_begin = chunk * params.chunk_pages;
  let p_end = min(p_begin + params.chunk_pages, n_pages);
  workgroupBarrier();
  for (var pg = p_begin; pg < p_end; pg++) {
    let phys = table[params.table_offset + kvh * params.max_pages + pg];
    let base4 = kv_page_base(phys) / 4u;
    let ntok = min(KV_PAGE, params.kv_len - pg * KV_PAGE);
    // Stage K: 64 rows of HW / 4 vec4<u32> (8 * HD loads in all), coalesced.
    for (var i = lid; i < 8u * HD; i += WG) {
      k_sh[(i / (KV_HW / 4u)) * KS4 + i % (KV_HW / 4u)] = pages[base4 + i];
    }
    workgroupBarrier();
    // Scores of (head, token) pairs; a constant trip count keeps the subgroup op uniform.
    for (var k = 0u; k < (ROWS + WG - 1u) / WG; k++) {
      let i = lid + k * WG;
      let h = i / 64u;
      let t = i % 64u;
      var s = NEG;
      if (i < ROWS && t < ntok) {
        var d = vec4<f32>(0.0);
        for (var c = 0u; c < KV_HW / 4u; c++) {
          let kk = f16x8(k_sh[t * KS4 + c]);
          d += kk[0] * q_sh[h * (HD / 4u) + 2u * c] + kk[1] * q_sh[h * (HD / 4u) + 2u * c + 1u];
        }
        s = d.x + d.y + d.z + d.w;
#ifdef PROBS
        probs[(h0 + h) * params.probs_stride + pg * KV_PAGE + t] = s;
#endif
      }
      if (i < ROWS) { s_sh[i] = s; }
#ifdef SUBGROUPS
      // a subgroup is a run of consecutive tokens of one head (sizes 8..64 divide 64)
      let sm = subgroupMax(s);
      if (i < ROWS && red_sg_lane == 0u) { red[i] = sm; }
#else
      if (i < ROWS) { red[i] = s; }
#endif
    }
    workgroupBarrier();
#ifndef SUBGROUPS
    for (var step = 32u; step > 0u; step >>= 1u) {
      for (var i = lid; i < G * step; i += WG) {
        let o = (i / step) * 64u + i % step;
        red[o] = max(red[o], red[o + step]);
      }
      workgroupBarrier();
    }
#endif
    for (var i = lid; i < ROWS; i += WG) {
      let h = i / 64u;
      let mn = max(m_run[h], page_max(h));
      s_sh[i] = select(0.0, exp(s_sh[i] - mn), i % 64u < ntok);
    }
    workgroupBarrier();
    if (acc_on) {
      // All V loads of this invocation first (fixed count, clamped to valid tokens: stale slots
      // past kv_len may hold NaN), so they are in flight together; then the FMAs.
      let vbase = base4 + KV_V_OFFSET / 4u + col;
      var vv: array<vec4<u32>, TPT>;
      for (var i = 0u; i < TPT; i++) { vv[i] = pages[vbase + min(tg + i * TG, ntok - 1u) * (KV_HW / 4u)]; }
      for (var j = 0u; j < HPT; j++) {
        let h = hg * HPT + j;
        let mo = m_run[h];
        let alpha = exp(mo - max(mo, page_max(h)));
        acc[2u * j] *= alpha;
        acc[2u * j + 1u] *= alpha;
        l_part[j] *= alpha;
      }
      for (var i = 0u; i < TPT; i++) {
        let t = tg + i * TG;
        let v = f16x8(vv[i]);
        for (var j = 0u; j < HPT; j++) {
          let p = select(0.0, s_sh[(hg * HPT + j) * 64u + min(t, 63u)], t < ntok);
          acc[2u * j] += p * v[0];
          acc[2u * j + 1u] += p * v[1];
          l_part[j] += p;
        }
      }
    }
    workgroupBarrier();
    if (lid < G) { m_run[lid] = max(m_run[lid], page_max(lid)); }
  }
  // Merge the token groups through workgroup memory (k_sh reused as f32 bits), one head of
  // each head group at a time.
  for (var j = 0u; j < HPT; j++) {
    workgroupBarrier();
    if (acc_on) {
      let o = (tg * HG + hg) * (HD / 4u) + col * 2u;
      k_sh[o] = bitcast<vec4<u32>>(acc[2u * j]);
      k_sh[o + 1u] = bitcast<vec4<u32>>(acc[2u * j + 1u]);
      if (col == 0u) { l_comb[tg * HG + hg] = l_part[j]; }
    }
    workgroupBarrier();
    for (var i = lid; i < HG * HD; i += WG) {
      let g = i / HD;
      let d = i % HD;
      let h = g * HPT + j;
      var a = 0.0;
      for (var k = 0u; k < TG; k++) { a += bitcast<f32>(k_sh[(k * HG + g) * (HD / 4u) + d / 4u][d % 4u]); }
      let o = ((h0 + h) * params.max_chunks + chunk) * PS;
      part[o + d] = a;
      if (d == 0u) {
        var l = 0.0;
        for (var k = 0u; k < TG; k++) { l += l_comb[k * HG + g]; }
        part[o + HD] = m_run[h];
        part[o + HD + 1u] = l;
      }
    }
  }
}

@compute @workgroup_size(HD)
fn reduce(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) d: u32) {
  let h = wid.x;
  let base = h * params.max_chunks * PS;
  var m = NEG;
  for (var c = 0u; c < params.n_chunks; c++) { m = max(m, part[base + c * PS + HD]); }
  var l = 0.0;
  var a = 0.0;
  for (var c = 0u; c < params.n_chunks; c++) {
    let w = exp(part[base + c * PS + HD] - m);
    l += part[base + c * PS + HD + 1u] * w;
    a += part[base + c * PS + d] * w;
  }
  out[h * HD + d] = a / l;
#ifdef PROBS
  if (d == 0u) {
    let st = params.n_heads * params.max_chunks * PS + h * 2u;
    part[st] = m;
    part[st + 1u] = l;
  }
#endif
}

#ifdef PROBS
@compute @workgroup_size(WG)
fn probs_norm(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let h = wid.y;
  let t = wid.x * WG + lid;
  if (t >= params.kv_len) { return; }
  let st = params.n_heads * params.max_chunks * PS + h * 2u;
  let o = h * params.probs_stride + t;
  probs[o] = exp(probs[o] - part[st]) / part[st + 1u];
}
#endif
