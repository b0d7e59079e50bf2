// RoPE of q and k plus the KV append, in one dispatch (decode), optionally after the per-head
// RMSNorm of q and k (QK_NORM, Qwen3): what rmsnorm.wgsl (INPLACE) x2, rope.wgsl and
// kv-append.wgsl do as separate dispatches, value for value: the norm reduces lane l's
// elements l, l + WG, ... with wg_sum at rmsnorm's workgroup size for HD (ropeKvPlan sets WG),
// the rotation is the same code (common/rope-rotate.wgsl) and the f16 packing the same expression.
//
// Input: the stacked activations of `tokens` tokens, token t at t * (n_q + 2 n_kv) * HD:
// q heads, then k heads, then v heads. q and k are rotated in place (k too, as rope.wgsl
// leaves it); k and v of each token go to cache slot positions[t].
// Work split: one workgroup per (token, head) over the n_q + n_kv q and k heads; the head sits
// in workgroup memory between the norm, the rotation and the stores.
//
// Bindings (strides in elements):
//   0 params
//   1 qkv        f32 [tokens, (n_q + 2 n_kv) * HD] (read_write)
//   2 positions  u32 [tokens]: RoPE position and cache slot
//   3 freqs      f32 [n_rot / 2] (rope.ts's table)
//   4 table      u32 page table (engine/kernels/kv-layout.ts)
//   5 pages      u32 arena (read_write)
//   6 q_norm     f32 [HD] (QK_NORM)
//   7 k_norm     f32 [HD] (QK_NORM)
// Defines: HD, WG (power of two >= 64), MODE (neox or norm, as rope.wgsl), QK_NORM, SUBGROUPS.

#include "common/reduce.wgsl"
#include "common/kv-page.wgsl"
#include "common/rope-rotate.wgsl"

struct Params {
  tokens: u32,
  n_q: u32,
  n_kv: u32,
  n_rot: u32,
  table_offset: u32,
  max_pages: u32,
  mscale: f32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> qkv: array<f32>;
@group(0) @binding(2) var<storage, read> positions: array<u32>;
@group(0) @binding(3) var<storage, read> freqs: array<f32>;
@group(0) @binding(4) var<storage, read> table: array<u32>;
@group(0) @binding(5) var<storage, read_write> pages: array<u32>;
#ifdef QK_NORM
@group(0) @binding(6) var<storage, read> q_norm: array<f32>;
@group(0) @binding(7) var<storage, read> k_norm: array<f32>;
#endif

var<workgroup> hx: array<f32, HD>;

@compute @workgroup_size(WG)
fn main(ids: Ids, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  ids_setup(ids);
  let lid = ids.lid;
  let heads = params.n_q + params.n_kv;
  let idx = wg_linear(wid, nwg);
  if (idx >= params.tokens * heads) { return; } // uniform per workgroup
  let t = idx / heads;
  let h = idx % heads;
  let is_q = h < params.n_q;
  let stride = (heads + params.n_kv) * HD;
  let base = t * stride + h * HD;
  for (var i = lid; i < HD; i += WG) {
    hx[i] = qkv[base + i];
  }
#ifdef QK_NORM
  var ss = 0.0;
  for (var i = lid; i < HD; i += WG) {
    let v = hx[i];
    ss += v * v;
  }
  let total = wg_sum(ss);
  let scale = inverseSqrt(total / f32(HD) + params.eps);
  for (var i = lid; i < HD; i += WG) {
    hx[i] = hx[i] * scale * select(k_norm[i], q_norm[i], is_q);
  }
#endif
  workgroupBarrier();
  let pos = positions[t];
  let half = params.n_rot / 2u;
  for (var i = lid; i < half; i += WG) {
#if MODE == neox
    let a = i;
    let b = i + half;
#else
    let a = 2u * i;
    let b = a + 1u;
#endif
    let v = rope_rotate(hx[a], hx[b], pos, freqs[i], params.mscale);
    hx[a] = v.x;
    hx[b] = v.y;
  }
  workgroupBarrier();
  for (var i = lid; i < HD; i += WG) {
    qkv[base + i] = hx[i];
  }
  if (!is_q) {
    let kh = h - params.n_q;
    let phys = table[params.table_offset + kh * params.max_pages + pos / KV_PAGE];
    let dst = kv_slot_base(phys, pos);
    let vs = t * stride + (heads + kh) * HD;
    for (var w = lid; w < KV_HW; w += WG) {
      pages[dst + w] = pack2x16float(vec2<f32>(hx[2u * w], hx[2u * w + 1u]));
      pages[dst + w + KV_V_OFFSET] = pack2x16float(vec2<f32>(qkv[vs + 2u * w], qkv[vs + 2u * w + 1u]));
    }
  }
}
