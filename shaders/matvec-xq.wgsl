// Quantizes an activation vector to int8 per 32-element block for the integer matvec path
// (matvec-q8.wgsl): q = round(x / dx), dx = max|x| / 127.
//
// Params (uniform): blocks (cols / 32).
// Bindings: 0 uniform P, 1 X f32 [cols] (as vec4), 2 XQ u32 [cols / 4] (4 int8 per word),
//           3 XS vec4<f32> [blocks] = (dx, dx * sum(q[0..16]), dx * sum(q[16..32]), 0).
// One invocation per block.
// Extend: another activation format (e.g. per-16 scales) = a new output layout and dotq variant.

struct Params {
  blocks: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> X: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> XQW: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read_write> XS: array<vec4<f32>>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let b = gid.x;
  if (b >= P.blocks) {
    return;
  }
  var v: array<vec4<f32>, 8>;
  var amax = 0.0;
  for (var i = 0u; i < 8u; i++) {
    v[i] = X[b * 8u + i];
    let a = abs(v[i]);
    amax = max(amax, max(max(a.x, a.y), max(a.z, a.w)));
  }
  let dx = amax / 127.0;
  let inv = select(0.0, 1.0 / dx, amax > 0.0);
  var packed: array<u32, 8>;
  var sum0 = 0;
  var sum1 = 0;
  for (var i = 0u; i < 8u; i++) {
    let q = clamp(vec4<i32>(round(v[i] * inv)), vec4<i32>(-127), vec4<i32>(127));
    packed[i] = pack4xI8(q);
    let s = q.x + q.y + q.z + q.w;
    if (i < 4u) {
      sum0 += s;
    } else {
      sum1 += s;
    }
  }
  XQW[b * 2u] = vec4<u32>(packed[0], packed[1], packed[2], packed[3]);
  XQW[b * 2u + 1u] = vec4<u32>(packed[4], packed[5], packed[6], packed[7]);
  XS[b] = vec4<f32>(dx, dx * f32(sum0), dx * f32(sum1), 0.0);
}
