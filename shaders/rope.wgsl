// Rotary position embedding, in place, one invocation per (token, head, pair).
// theta = positions[t] * freqs[i]; (x0, x1) -> (x0 cos - x1 sin, x0 sin + x1 cos) * mscale
// (common/rope-rotate.wgsl, shared with rope-kv.wgsl and the fused q|k|v epilogue).
// Every scaling scheme (linear, Llama 3, YaRN, rope_freqs factors) is folded into `freqs` on the
// CPU (engine/reference/ops-rope.ts ropeFreqs).
//
// Variants: MODE == neox rotates (x[i], x[i + n_rot/2]); otherwise adjacent pairs (x[2i], x[2i+1]).
//
// Bindings (strides in elements):
//   0 params
//   1 x          f32, element (t, h, d) at offset + t * token_stride + h * head_dim + d (read_write)
//   2 positions  u32 [tokens]
//   3 freqs      f32 [n_rot / 2]

#define WG 256

#include "common/rope-rotate.wgsl"

struct Params {
  tokens: u32,
  heads: u32,
  head_dim: u32,
  n_rot: u32,
  token_stride: u32,
  offset: u32,
  mscale: f32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<storage, read> positions: array<u32>;
@group(0) @binding(3) var<storage, read> freqs: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let idx = (wid.x + wid.y * nwg.x) * WG + lid;
  let half = params.n_rot / 2u;
  let per_token = params.heads * half;
  if (idx >= params.tokens * per_token) { return; }
  let t = idx / per_token;
  let r = idx % per_token;
  let h = r / half;
  let i = r % half;
  let base = params.offset + t * params.token_stride + h * params.head_dim;
#if MODE == neox
  let a = base + i;
  let b = base + i + half;
#else
  let a = base + 2u * i;
  let b = a + 1u;
#endif
  let v = rope_rotate(x[a], x[b], positions[t], freqs[i], params.mscale);
  x[a] = v.x;
  x[b] = v.y;
}
