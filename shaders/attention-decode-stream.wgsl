// Split-K decode attention, pass 1 variant 'stream' (a lab variant beside `main` of
// attention-decode.wgsl, chosen by DecodeAttentionArgs.variant; the merge `reduce` and the
// `probs_norm` tap of attention-decode.wgsl run after it unchanged, same `part` layout).
// Built for memory-level parallelism where `main` keeps one page per workgroup in flight:
//   - the chunk's page ids are staged in workgroup memory once, up front (one coalesced load,
//     at most MAXP pages per chunk: the plan caps chunks at that), so no K/V load waits on a
//     page-table load;
//   - the chunk is one token stream, not a walk over pages: a step takes T = TPW * U tokens,
//     row group rg the tokens tb + u * TPW + rg (u < U: consecutive row groups on consecutive
//     rows, so a subgroup's loads stay coalesced); all U * W K words and U * W V words of a
//     step are issued before the first score, so 2 U W 128-bit loads per invocation are in
//     flight at once, whatever the page size;
//   - no workgroup barrier in the token loop with SG_RED; the workgroup size TPW * L is a knob
//     (64..256), so small workgroups with more, shorter chunks can fill the SMs.
// Scores, softmax and P.V per invocation as in `main` (q pre-scaled to log2 units, lazy rescale
// by RESCALE, all G query heads of the kv head from one K/V load); at the end the TPW row
// groups merge through workgroup memory and write the chunk partial to `part`.
// Rows at or past the chunk's end are loaded clamped to its last row and given p = 0.
//
// Defines (engine/kernels/attention-decode.ts decodeStreamLayout): HD (multiple of 8, <= 128),
// G (q heads per kv head), L (lanes per row, divides HD / 8), TPW (row groups, power of two,
// TPW * L <= 256), U (tokens per row group per step), SG_RED (the L lanes of a row group are in
// one subgroup: needs SUBGROUPS), PROBS.
// Bindings (strides in elements): as attention-decode.wgsl
//   0 params
//   1 q      f32 [n_heads, HD]; head h uses kv head h / G
//   2 pages  arena as vec4<u32> (engine/kernels/kv-layout.ts)
//   3 table  u32 page table
//   4 part   f32: acc [n_heads, max_chunks, HD], then (m, l) [n_heads, max_chunks, 2]
//   6 probs  f32 [n_heads, probs_stride] (PROBS only): scaled scores, log2 units

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
#ifdef PROBS
@group(0) @binding(6) var<storage, read_write> probs: array<f32>;
#endif

const COLS: u32 = HD / 8u;         // vec4<u32> words (8 halves) of a K or V row
const W: u32 = COLS / L;           // words of a row per invocation
const MWG: u32 = TPW * L;          // invocations of the workgroup
const T: u32 = TPW * U;            // tokens per step of the workgroup
const UW: u32 = U * W;             // K (and V) words per invocation per step
const HD4: u32 = HD / 4u;
const MAXP: u32 = 64u;             // pages per chunk at most (STREAM_MAX_CHUNK_PAGES)
const NEG: f32 = -3.0e38;
const LOG2E: f32 = 1.4426950408889634;
const RESCALE: f32 = 8.0;          // log2 headroom of the lazy softmax rescale

var<workgroup> q_sh: array<vec4<f32>, G * HD4>;
var<workgroup> pid_sh: array<u32, MAXP>;   // vec4 index of each chunk page's K block
var<workgroup> acc_sh: array<vec4<f32>, 2u * MWG>;
var<workgroup> m_sh: array<f32, TPW * G>;
var<workgroup> l_sh: array<f32, TPW * G>;
#ifndef SG_RED
var<workgroup> sc_sh: array<f32, MWG * G>;  // score partials of one token slot: [rg][head][lane]
#endif

fn f16x8(v: vec4<u32>) -> array<vec4<f32>, 2> {
  return array<vec4<f32>, 2>(vec4<f32>(unpack2x16float(v.x), unpack2x16float(v.y)), vec4<f32>(unpack2x16float(v.z), unpack2x16float(v.w)));
}

@compute @workgroup_size(MWG)
fn main(ids: Ids, @builtin(workgroup_id) wid: vec3<u32>) {
  ids_setup(ids);
  let lid = ids.lid;
  let chunk = wid.x;
  let kvh = wid.y;
  let h0 = kvh * G;
  let c = lid % L;
  let rg = lid / L;
  let n_pages = (params.kv_len + KV_PAGE - 1u) / KV_PAGE;
  let p_begin = chunk * params.chunk_pages;
  let p_end = min(p_begin + params.chunk_pages, n_pages);
  let tab = params.table_offset + kvh * params.max_pages;
  for (var i = lid; i < p_end - p_begin; i += MWG) { pid_sh[i] = kv_page_base(table[tab + p_begin + i]) / 4u; }
  let qs = params.scale * LOG2E;
  for (var i = lid; i < G * HD4; i += MWG) {
    let o = h0 * HD + 4u * i;
    q_sh[i] = vec4<f32>(q[o], q[o + 1u], q[o + 2u], q[o + 3u]) * qs;
  }
  var m: array<f32, G>;
  var l: array<f32, G>;
  // acc[(h * W + w) * 2 + 0/1]: dims 8 (c + L w) .. + 8 of head h
  var acc: array<vec4<f32>, 2u * G * W>;
  for (var h = 0u; h < G; h++) {
    m[h] = NEG;
    l[h] = 0.0;
  }
  for (var i = 0u; i < 2u * G * W; i++) { acc[i] = vec4<f32>(0.0); }
  let t_begin = p_begin * KV_PAGE;
  let t_end = min(p_end * KV_PAGE, params.kv_len);
  workgroupBarrier();
  for (var tb = t_begin; tb < t_end; tb += T) {
    // Every K and V word of the step in flight before the first use.
    var kk: array<vec4<u32>, UW>;
    var vv: array<vec4<u32>, UW>;
    var at: array<u32, U>;
    for (var u = 0u; u < U; u++) {
      let r = min(tb + u * TPW + rg, t_end - 1u) - t_begin;
      at[u] = pid_sh[r / KV_PAGE] + (r % KV_PAGE) * COLS + c;
      for (var w = 0u; w < W; w++) { kk[u * W + w] = pages[at[u] + w * L]; }
    }
    for (var u = 0u; u < U; u++) {
      for (var w = 0u; w < W; w++) { vv[u * W + w] = pages[at[u] + w * L + KV_V_OFFSET / 4u]; }
    }
    // Scores (token slot u, head h): partial dots over this invocation's dims, summed over the
    // L lanes of the row group; every lane gets the full scores.
    var s: array<f32, U * G>;
    for (var u = 0u; u < U; u++) {
      for (var h = 0u; h < G; h++) {
        var d = 0.0;
        for (var w = 0u; w < W; w++) {
          let kf = f16x8(kk[u * W + w]);
          let qo = h * HD4 + 2u * (c + w * L);
          d += dot(kf[0], q_sh[qo]) + dot(kf[1], q_sh[qo + 1u]);
        }
        s[u * G + h] = d;
      }
    }
#ifdef SG_RED
    for (var o = 1u; o < L; o <<= 1u) {
      for (var i = 0u; i < U * G; i++) { s[i] += subgroupShuffleXor(s[i], o); }
    }
#else
    for (var u = 0u; u < U; u++) {
      workgroupBarrier();
      for (var h = 0u; h < G; h++) { sc_sh[(rg * G + h) * L + c] = s[u * G + h]; }
      workgroupBarrier();
      for (var h = 0u; h < G; h++) {
        var t = 0.0;
        for (var cc = 0u; cc < L; cc++) { t += sc_sh[(rg * G + h) * L + cc]; }
        s[u * G + h] = t;
      }
    }
#endif
    // Online softmax per invocation (identical in the lanes of a row group).
    for (var h = 0u; h < G; h++) {
      var mx = m[h];
      for (var u = 0u; u < U; u++) {
        let t = tb + u * TPW + rg;
        let sv = select(NEG, s[u * G + h], t < t_end);
        s[u * G + h] = sv;
        mx = max(mx, sv);
#ifdef PROBS
        if (c == 0u && t < t_end) { probs[(h0 + h) * params.probs_stride + t] = sv; }
#endif
      }
      if (mx > m[h] + RESCALE) {
        let a = exp2(m[h] - mx);
        m[h] = mx;
        l[h] *= a;
        for (var i = 0u; i < 2u * W; i++) { acc[h * 2u * W + i] *= a; }
      }
      let mu = m[h];
      for (var u = 0u; u < U; u++) {
        let p = select(0.0, exp2(s[u * G + h] - mu), tb + u * TPW + rg < t_end);
        s[u * G + h] = p;
        l[h] += p;
      }
    }
    for (var u = 0u; u < U; u++) {
      for (var w = 0u; w < W; w++) {
        let vf = f16x8(vv[u * W + w]);
        for (var h = 0u; h < G; h++) {
          let p = s[u * G + h];
          acc[(h * W + w) * 2u] += p * vf[0];
          acc[(h * W + w) * 2u + 1u] += p * vf[1];
        }
      }
    }
  }
  // Merge the row groups and write the chunk's partials (common/decode-merge.wgsl).
  chunk_merge(&m, &l, &acc, c, rg, lid, h0, chunk);
}
