// Token selection on the GPU: greedy argmax over rows, and one-row sampling with temperature,
// top-k, top-p, min-p and a seeded counter-based RNG. The only thing read back is `out`.
//
// `argmax`: one workgroup per row; out[r] = index of the row's max (lowest index on ties).
// `argmax_part` + `argmax_final`, the same for large vocabularies in two dispatches (one
// workgroup reading a 128K-logit row alone took ~195 us on an H100): grid (parts, rows), part p
// of row r reduces logits [p * ARGMAX_CHUNK, +ARGMAX_CHUNK) to (max bits, index) in `state`,
// then one workgroup per row reduces the row's parts (params.top_k carries the part count).
// `sample` (one workgroup, one row), in llama.cpp's default chain order:
//   1. m = max logit (argmax kept; temperature <= 0 returns it)
//   2. top-k: radix select (4 passes of 8 bits over order-preserving u32 keys, workgroup atomic
//      histograms of counts) -> key threshold of the k-th largest logit
//   3. top-p: the same radix select over probability mass (softmax of the top-k survivors,
//      untempered, in 2^31 fixed point) -> smallest top set with mass >= p
//   4. min-p: keep logit >= m + ln(min_p)
//   5. weights exp((l - m) / T) over the survivors; u = pcg(pcg(seed) + step) / 2^24; the token
//      is found by inverse CDF in index order (per-invocation segments, scanned). step += 1.
//
// Bindings:
//   0 params
//   1 logits f32 [rows, vocab]
//   2 out    u32 [rows] (argmax) / [1] (sample)
//   3 state  u32 [2] = (seed, step) (sample; step is advanced by the kernel), or the parts
//            u32 [rows, parts, 2] = (max bits, index) (argmax_part / argmax_final)

#define WG 256
#include "common/reduce.wgsl"

struct Params {
  vocab: u32,
  rows: u32,
  top_k: u32,
  top_p: f32,
  min_p: f32,
  temperature: f32,
  _p0: u32,
  _p1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;
@group(0) @binding(3) var<storage, read_write> state: array<u32>;

var<workgroup> am_v: array<f32, WG>;
var<workgroup> am_i: array<u32, WG>;
var<workgroup> hist: array<atomic<u32>, 256>;
var<workgroup> seg: array<f32, WG>;
var<workgroup> sh_u32: u32;
var<workgroup> sh_f32: f32;
var<workgroup> sh_rem: u32;

// Workgroup argmax of (v, i): the max value, lowest index among equal values.
fn wg_argmax(v: f32, i: u32, lid: u32) -> vec2<u32> {
#ifdef SUBGROUPS
  let mv = subgroupMax(v);
  let mi = subgroupMin(select(0xffffffffu, i, v == mv));
  workgroupBarrier();
  if (red_sg_lane == 0u) {
    am_v[lid / red_sg_size] = mv;
    am_i[lid / red_sg_size] = mi;
  }
  workgroupBarrier();
  var bv = am_v[0];
  var bi = am_i[0];
  let n = (WG + red_sg_size - 1u) / red_sg_size;
  for (var k = 1u; k < n; k++) {
    let ov = am_v[k];
    let oi = am_i[k];
    if (ov > bv || (ov == bv && oi < bi)) {
      bv = ov;
      bi = oi;
    }
  }
  return vec2<u32>(bitcast<u32>(bv), bi);
#else
  workgroupBarrier();
  am_v[lid] = v;
  am_i[lid] = i;
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    workgroupBarrier();
    if (lid < s) {
      let ov = am_v[lid + s];
      let oi = am_i[lid + s];
      if (ov > am_v[lid] || (ov == am_v[lid] && oi < am_i[lid])) {
        am_v[lid] = ov;
        am_i[lid] = oi;
      }
    }
  }
  workgroupBarrier();
  return vec2<u32>(bitcast<u32>(am_v[0]), am_i[0]);
#endif
}

// Workgroup argmax of the row at `base` over its indices [lo, hi): (max bits, index in the row).
fn row_argmax(base: u32, lo: u32, hi: u32, lid: u32) -> vec2<u32> {
  var bv = -3.4e38;
  var bi = 0xffffffffu;
  for (var i = lo + lid; i < hi; i += WG) {
    let v = logits[base + i];
    if (v > bv) { bv = v; bi = i; } // ascending i per invocation: first max wins
  }
  return wg_argmax(bv, bi, lid);
}

@compute @workgroup_size(WG)
fn argmax(ids: Ids, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  ids_setup(ids);
  let row = wg_linear(wid, nwg);
  if (row >= params.rows) { return; }
  let r = row_argmax(row * params.vocab, 0u, params.vocab, ids.lid);
  if (ids.lid == 0u) { out[row] = r.y; }
}

const ARGMAX_CHUNK: u32 = 1024u;

@compute @workgroup_size(WG)
fn argmax_part(ids: Ids, @builtin(workgroup_id) wid: vec3<u32>) {
  ids_setup(ids);
  let parts = params.top_k;
  let row = wid.y;
  let lo = wid.x * ARGMAX_CHUNK;
  let r = row_argmax(row * params.vocab, lo, min(params.vocab, lo + ARGMAX_CHUNK), ids.lid);
  if (ids.lid == 0u) {
    let o = 2u * (row * parts + wid.x);
    state[o] = r.x;
    state[o + 1u] = r.y;
  }
}

@compute @workgroup_size(WG)
fn argmax_final(ids: Ids, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  ids_setup(ids);
  let row = wg_linear(wid, nwg);
  if (row >= params.rows) { return; }
  let parts = params.top_k;
  var bv = -3.4e38;
  var bi = 0xffffffffu;
  for (var k = ids.lid; k < parts; k += WG) {
    let o = 2u * (row * parts + k);
    let v = bitcast<f32>(state[o]);
    let i = state[o + 1u];
    if (v > bv || (v == bv && i < bi)) { bv = v; bi = i; }
  }
  let r = wg_argmax(bv, bi, ids.lid);
  if (ids.lid == 0u) { out[row] = r.y; }
}

// Order-preserving u32 key of an f32 (larger float -> larger key).
fn key_of(f: f32) -> u32 {
  let b = bitcast<u32>(f);
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

fn pcg(x: u32) -> u32 {
  let s = x * 747796405u + 2891336453u;
  let w = ((s >> ((s >> 28u) + 4u)) ^ s) * 277803737u;
  return (w >> 22u) ^ w;
}

// Radix select: the largest key threshold t such that the weight of {key >= t} among
// {key >= floor_key} reaches the need. Counts (mass = false): need = `need`. Mass (mass = true):
// each element weighs its probability exp(l - m) * inv_z in 2^31 fixed point and
// need = ceil(frac * total weight), computed exactly from the first histogram.
fn radix_select(lid: u32, floor_key: u32, need: u32, mass: bool, frac: f32, m: f32, inv_z: f32) -> u32 {
  var prefix = 0u;
  var pmask = 0u;
  var remaining = need;
  for (var d = 0u; d < 4u; d++) {
    let shift = 24u - 8u * d;
    workgroupBarrier();
    atomicStore(&hist[lid], 0u);
    workgroupBarrier();
    for (var i = lid; i < params.vocab; i += WG) {
      let l = logits[i];
      let k = key_of(l);
      if (k >= floor_key && (k & pmask) == prefix) {
        var w = 1u;
        if (mass) { w = u32(exp(l - m) * inv_z * 2147483648.0); }
        atomicAdd(&hist[(k >> shift) & 255u], w);
      }
    }
    workgroupBarrier();
    if (lid == 0u) {
      var rem = remaining;
      if (mass && d == 0u) {
        var total = 0u;
        for (var b = 0u; b < 256u; b++) { total += atomicLoad(&hist[b]); }
        rem = clamp(u32(ceil(frac * f32(total))), 1u, max(total, 1u));
      }
      var acc = 0u;
      var sel = 0u;
      for (var b = 255; b >= 0; b--) {
        let h = atomicLoad(&hist[u32(b)]);
        if (h > 0u) { sel = u32(b); }
        if (acc + h >= rem) { break; }
        acc += h;
      }
      sh_u32 = sel;
      sh_rem = select(rem - acc, 1u, acc >= rem);
    }
    workgroupBarrier();
    prefix |= sh_u32 << shift;
    pmask |= 255u << shift;
    remaining = sh_rem;
  }
  return prefix;
}

@compute @workgroup_size(WG)
fn sample(ids: Ids) {
  ids_setup(ids);
  let lid = ids.lid;
  let am = row_argmax(0u, 0u, params.vocab, lid);
  let m = bitcast<f32>(am.x);
  if (params.temperature <= 0.0) {
    if (lid == 0u) {
      out[0] = am.y;
      state[1] = state[1] + 1u;
    }
    return;
  }
  // 2. top-k
  var thr = 0u;
  if (params.top_k > 0u && params.top_k < params.vocab) {
    thr = radix_select(lid, 0u, params.top_k, false, 0.0, m, 1.0);
  }
  // 3. top-p over the top-k survivors
  if (params.top_p < 1.0) {
    var z = 0.0;
    for (var i = lid; i < params.vocab; i += WG) {
      let l = logits[i];
      if (key_of(l) >= thr) { z += exp(l - m); }
    }
    z = wg_sum(z);
    thr = max(thr, radix_select(lid, thr, 0u, true, params.top_p, m, 1.0 / z));
  }
  // 4. min-p
  var lmin = -3.4e38;
  if (params.min_p > 0.0) { lmin = m + log(params.min_p); }
  // 5. inverse CDF in index order over per-invocation segments
  let inv_t = 1.0 / params.temperature;
  let seg_len = (params.vocab + WG - 1u) / WG;
  let s0 = min(params.vocab, lid * seg_len);
  let s1 = min(params.vocab, s0 + seg_len);
  var ssum = 0.0;
  for (var i = s0; i < s1; i++) {
    let l = logits[i];
    if (key_of(l) >= thr && l >= lmin) { ssum += exp((l - m) * inv_t); }
  }
  workgroupBarrier();
  seg[lid] = ssum;
  workgroupBarrier();
  if (lid == 0u) {
    var total = 0.0;
    for (var j = 0u; j < WG; j++) { total += seg[j]; }
    let st = state[1];
    let u = f32(pcg(pcg(state[0]) + st) >> 8u) / 16777216.0;
    let goal = u * total;
    var acc = 0.0;
    var owner = 0u;
    for (var j = 0u; j < WG; j++) {
      if (seg[j] > 0.0) {
        owner = j;
        if (acc + seg[j] > goal) { break; }
        acc += seg[j];
      }
    }
    sh_u32 = owner;
    sh_f32 = goal - acc;
    state[1] = st + 1u;
  }
  workgroupBarrier();
  if (lid == sh_u32) {
    let goal = sh_f32;
    var acc = 0.0;
    var pick = am.y;
    for (var i = s0; i < s1; i++) {
      let l = logits[i];
      if (key_of(l) >= thr && l >= lmin) {
        pick = i;
        acc += exp((l - m) * inv_t);
        if (acc > goal) { break; }
      }
    }
    out[0] = pick;
  }
}
