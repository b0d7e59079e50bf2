// Byte-level readers over the weight binding `W: array<u32>` (declared by the including kernel).
//
// GGUF blocks are 18/20/22/24/34/84/110/144/176/210 bytes, so a field's byte offset is not a
// multiple of 4 in general; every field used here sits at an EVEN byte offset (all block sizes
// and field offsets are even), so a misaligned read is a 16-bit shift of two words, chosen with
// `select` (no divergent branch). Reads may touch the word after the field; robust buffer access
// clamps that load and `select` discards it.
//
// Extend: add a reader here only if a new format needs an access width not covered below.

// Byte b (any offset) as 0..255.
fn qb_u8(b: u32) -> u32 {
  return (W[b >> 2u] >> ((b & 3u) * 8u)) & 0xFFu;
}

// 16-bit value at an even byte offset.
fn qb_u16(b: u32) -> u32 {
  return (W[b >> 2u] >> ((b & 2u) * 8u)) & 0xFFFFu;
}

// f16 at an even byte offset, as f32.
fn qb_f16(b: u32) -> f32 {
  return unpack2x16float(qb_u16(b)).x;
}

// 4 bytes at an even byte offset.
fn qb_u32(b: u32) -> u32 {
  let i = b >> 2u;
  let lo = W[i];
  let hi = W[i + 1u];
  return select((lo >> 16u) | (hi << 16u), lo, (b & 2u) == 0u);
}

// 8 bytes at an even byte offset (3 word loads).
fn qb_u64(b: u32) -> vec2<u32> {
  let i = b >> 2u;
  let w0 = W[i];
  let w1 = W[i + 1u];
  let w2 = W[i + 2u];
  let sh = vec2<u32>((w0 >> 16u) | (w1 << 16u), (w1 >> 16u) | (w2 << 16u));
  return select(sh, vec2<u32>(w0, w1), (b & 2u) == 0u);
}

// 16 bytes at an even byte offset (5 word loads).
fn qb_u128(b: u32) -> vec4<u32> {
  let i = b >> 2u;
  let w0 = W[i];
  let w1 = W[i + 1u];
  let w2 = W[i + 2u];
  let w3 = W[i + 3u];
  let w4 = W[i + 4u];
  let sh = vec4<u32>((w0 >> 16u) | (w1 << 16u), (w1 >> 16u) | (w2 << 16u), (w2 >> 16u) | (w3 << 16u), (w3 >> 16u) | (w4 << 16u));
  return select(sh, vec4<u32>(w0, w1, w2, w3), (b & 2u) == 0u);
}

// The 4 bytes of w (each already < 256) as exact floats, without integer->float conversion
// instructions (quarter rate on NVIDIA): 0x4B000000 | n is the float 2^23 + n.
fn qb_bytes_f32(w: u32) -> vec4<f32> {
  let m = 0x4B000000u;
  let v = vec4<u32>(w & 0xFFu, (w >> 8u) & 0xFFu, (w >> 16u) & 0xFFu, w >> 24u) | vec4<u32>(m);
  return bitcast<vec4<f32>>(v) - vec4<f32>(8388608.0);
}

// Spreads the low 4 bits of h to bit 0 of each byte (bit i -> byte i); no carries since h < 16.
fn qb_spread4(h: u32) -> u32 {
  return ((h & 0xFu) * 0x00204081u) & 0x01010101u;
}
