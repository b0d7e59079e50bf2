// The RoPE rotation of one pair of dims, one piece of code for rope.wgsl, rope-kv.wgsl and the
// q|k|v epilogue of matvec-q8-fused.wgsl, so that the fused paths stay bitwise the separate one.
// freq: the pair's frequency (rope.ts's table), mscale: the table's magnitude scale.

fn rope_rotate(x0: f32, x1: f32, pos: u32, freq: f32, mscale: f32) -> vec2<f32> {
  let theta = f32(pos) * freq;
  let c = cos(theta) * mscale;
  let s = sin(theta) * mscale;
  return vec2<f32>(x0 * c - x1 * s, x0 * s + x1 * c);
}
