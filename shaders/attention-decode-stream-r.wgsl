// Split-K decode attention, pass 1 variant 'stream-r' (beside `main` of attention-decode.wgsl,
// chosen by DecodeAttentionArgs.variant; the GPU default, decodeVariantDefault; the merge
// `reduce` and the `probs_norm` tap of attention-decode.wgsl run after it unchanged, same `part`
// layout). Built for memory-level parallelism where `main` keeps one page per workgroup in flight:
//   - the chunk's page ids are staged in workgroup memory once, up front (one coalesced load,
//     at most MAXP pages per chunk: the plan caps chunks at that), so no K/V load waits on a
//     page-table load;
//   - the chunk is one token stream, not a walk over pages: a step takes T = TPW * U tokens,
//     row group rg the tokens tb + u * TPW + rg (u < U: consecutive row groups on consecutive
//     rows, so a subgroup's loads stay coalesced); all U * W K words and U * W V words of a
//     step are issued before the first score, so 2 U W 128-bit loads per invocation are in
//     flight at once, whatever the page size;
//   - no workgroup barrier in the token loop with SG_RED; the workgroup size TPW * L is a knob
//     (32..256), so small workgroups with more, shorter chunks can fill the SMs;
//   - every per-invocation value is its own variable: the loader's #for unrolls every loop over
//     tokens (u < U), row words (w < W) and heads (h < G) into k{u}_{w}, v{u}_{w} (vec4<u32>, 8
//     halves), s{u}_{h} (score, then p), m{h} / l{h} (softmax state), acc{h}_{w}_0 / _1 (dims
//     8 (c + L w) .. + 4 and + 4 .. + 8 of head h). Function-scope arrays indexed by loop
//     variables (the removed rolled 'stream' variant) may be placed in local (spilled) memory,
//     so the loads of a step need not overlap: that form ran 1.2-3.4x slower in the H200 sweep
//     (2026-12-06, best of each variant per shape; engine/kernels/attention-decode.ts).
// Per step: every row address, then every K word, then every V word, then the first score.
// Scores, softmax and P.V per invocation as in `main` (q pre-scaled to log2 units, lazy rescale
// by RESCALE, all G query heads of the kv head from one K/V load); at the end the TPW row
// groups merge through workgroup memory and write the chunk partial to `part`. Only that merge
// (once per chunk) copies the state into arrays and runs loops: unrolled, its G * W barrier
// rounds took lavapipe's LLVM 4x longer to compile (14/2 heads, hd 64, 8 tokens: 9.6 s against
// 2.2 s). Rows at or past the chunk's end are loaded clamped to its last row and given p = 0.
//
// Defines (engine/kernels/attention-decode.ts decodeStreamLayout): HD (multiple of 8, <= 128),
// G (q heads per kv head), L (lanes per row, divides HD / 8), W (= HD / 8 / L, words of a row
// per invocation), TPW (row groups, power of two, TPW * L <= 256), U (tokens per row group per
// step), SG_RED (the L lanes of a row group are in one subgroup: needs SUBGROUPS), PROBS.
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
const MWG: u32 = TPW * L;          // invocations of the workgroup
const T: u32 = TPW * U;            // tokens per step of the workgroup
const HD4: u32 = HD / 4u;
const VW: u32 = KV_V_OFFSET / 4u;  // vec4 words from a page's K block to its V block
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

fn f16lo(v: vec4<u32>) -> vec4<f32> {
  return vec4<f32>(unpack2x16float(v.x), unpack2x16float(v.y));
}

fn f16hi(v: vec4<u32>) -> vec4<f32> {
  return vec4<f32>(unpack2x16float(v.z), unpack2x16float(v.w));
}

#ifndef SG_RED
// Full score of (row group rg, head h) from the L lane partials in sc_sh, lanes in order.
fn lanes_sum(rg: u32, h: u32) -> f32 {
  var t = 0.0;
  for (var cc = 0u; cc < L; cc++) { t += sc_sh[(rg * G + h) * L + cc]; }
  return t;
}
#endif

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
#for h < G
  var m{h} = NEG;
  var l{h} = 0.0;
#for w < W
  var acc{h}_{w}_0 = vec4<f32>(0.0);
  var acc{h}_{w}_1 = vec4<f32>(0.0);
#endfor
#endfor
  let t_begin = p_begin * KV_PAGE;
  let t_end = min(p_end * KV_PAGE, params.kv_len);
  workgroupBarrier();
  for (var tb = t_begin; tb < t_end; tb += T) {
    // The step's rows (clamped to the chunk's last), then every K and every V word in flight
    // before the first use.
#for u < U
    let t{u} = tb + {u}u * TPW + rg;
    let r{u} = min(t{u}, t_end - 1u) - t_begin;
    let at{u} = pid_sh[r{u} / KV_PAGE] + (r{u} % KV_PAGE) * COLS + c;
#endfor
#for u < U
#for w < W
    let k{u}_{w} = pages[at{u} + {w}u * L];
#endfor
#endfor
#for u < U
#for w < W
    let v{u}_{w} = pages[at{u} + {w}u * L + VW];
#endfor
#endfor
    // Scores (token slot u, head h): partial dots over this invocation's dims (words in order,
    // each q word read from workgroup memory once per step), summed over the L lanes of the row
    // group; every lane gets the full scores.
#for u < U
#for h < G
    var s{u}_{h} = 0.0;
#endfor
#endfor
#for w < W
    {
#for u < U
      let k{u}lo = f16lo(k{u}_{w});
      let k{u}hi = f16hi(k{u}_{w});
#endfor
#for h < G
      {
        let qo = {h}u * HD4 + 2u * (c + {w}u * L);
        let q0 = q_sh[qo];
        let q1 = q_sh[qo + 1u];
#for u < U
        s{u}_{h} += dot(k{u}lo, q0) + dot(k{u}hi, q1);
#endfor
      }
#endfor
    }
#endfor
#ifdef SG_RED
    for (var o = 1u; o < L; o <<= 1u) {
#for u < U
#for h < G
      s{u}_{h} += subgroupShuffleXor(s{u}_{h}, o);
#endfor
#endfor
    }
#else
#for u < U
    workgroupBarrier();
#for h < G
    sc_sh[(rg * G + {h}u) * L + c] = s{u}_{h};
#endfor
    workgroupBarrier();
#for h < G
    s{u}_{h} = lanes_sum(rg, {h}u);
#endfor
#endfor
#endif
    // Online softmax per invocation (identical in the lanes of a row group).
#for h < G
    {
      var mx = m{h};
#for u < U
      s{u}_{h} = select(NEG, s{u}_{h}, t{u} < t_end);
      mx = max(mx, s{u}_{h});
#ifdef PROBS
      if (c == 0u && t{u} < t_end) { probs[(h0 + {h}u) * params.probs_stride + t{u}] = s{u}_{h}; }
#endif
#endfor
      if (mx > m{h} + RESCALE) {
        let a = exp2(m{h} - mx);
        m{h} = mx;
        l{h} *= a;
#for w < W
        acc{h}_{w}_0 *= a;
        acc{h}_{w}_1 *= a;
#endfor
      }
#for u < U
      s{u}_{h} = select(0.0, exp2(s{u}_{h} - m{h}), t{u} < t_end);
      l{h} += s{u}_{h};
#endfor
    }
#endfor
#for u < U
#for w < W
    {
      let vlo = f16lo(v{u}_{w});
      let vhi = f16hi(v{u}_{w});
#for h < G
      acc{h}_{w}_0 += s{u}_{h} * vlo;
      acc{h}_{w}_1 += s{u}_{h} * vhi;
#endfor
    }
#endfor
#endfor
  }
  // Merge the row groups and write the chunk's partials (common/decode-merge.wgsl, as 'page';
  // the state goes back into arrays for it: once per chunk, and its barriers stay in loops,
  // which lavapipe compiles far faster than unrolled).
  var m: array<f32, G>;
  var l: array<f32, G>;
  var acc: array<vec4<f32>, 2u * G * W>;
#for h < G
  m[{h}] = m{h};
  l[{h}] = l{h};
#for w < W
  acc[({h} * W + {w}) * 2] = acc{h}_{w}_0;
  acc[({h} * W + {w}) * 2 + 1] = acc{h}_{w}_1;
#endfor
#endfor
  chunk_merge(&m, &l, &acc, c, rg, lid, h0, chunk);
}
