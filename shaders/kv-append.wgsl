// KV append: writes new tokens' K (RoPE already applied) and V, f32, into the paged f16 cache.
// One invocation per (token, kv head, dim pair); the cache index of each new token comes from
// `cache_index` (usually n_past + t; explicit so drafts, gaps and re-writes work).
//
// Bindings (strides in elements):
//   0 params
//   1 k            f32, (t, h, d) at k_offset + t * k_stride + h * HD + d
//   2 v            f32, (t, h, d) at v_offset + t * v_stride + h * HD + d
//   3 cache_index  u32 [tokens]
//   4 table        u32 page table (engine/kernels/kv-layout.ts)
//   5 pages        u32 arena (read_write)

#define WG 256
#include "common/kv-page.wgsl"

struct Params {
  tokens: u32,
  n_kv_heads: u32,
  k_stride: u32,
  v_stride: u32,
  k_offset: u32,
  v_offset: u32,
  table_offset: u32,
  max_pages: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> k: array<f32>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
@group(0) @binding(3) var<storage, read> cache_index: array<u32>;
@group(0) @binding(4) var<storage, read> table: array<u32>;
@group(0) @binding(5) var<storage, read_write> pages: array<u32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let idx = (wid.x + wid.y * nwg.x) * WG + lid;
  let per_token = params.n_kv_heads * KV_HW;
  if (idx >= params.tokens * per_token) { return; }
  let t = idx / per_token;
  let h = (idx % per_token) / KV_HW;
  let w = idx % KV_HW;
  let pos = cache_index[t];
  let phys = table[params.table_offset + h * params.max_pages + pos / KV_PAGE];
  let dst = kv_slot_base(phys, pos) + w;
  let ks = params.k_offset + t * params.k_stride + h * HD + 2u * w;
  let vs = params.v_offset + t * params.v_stride + h * HD + 2u * w;
  pages[dst] = pack2x16float(vec2<f32>(k[ks], k[ks + 1u]));
  pages[dst + KV_V_OFFSET] = pack2x16float(vec2<f32>(v[vs], v[vs + 1u]));
}
