// The activation quantization scale of act-quant.wgsl, also used by matvec-q8-fused.wgsl's
// prologue (so both round x identically): for a block with absolute maximum amax, returns
// (inv, d): q = round(x * inv), x ~ d * q.
//   q8_0 (default): d = f16(amax / 127);  q8_K (Q8_K): d = 1 / inv.
// Defines: Q8_K.

// x rounded to the nearest f16 value (ties to even), as f32. Bit arithmetic: compilers fold
// unpack2x16float(pack2x16float(x)) to x. Overflow past 65504 is not handled.
fn f16_round(x: f32) -> f32 {
  let b = bitcast<u32>(x);
  if (((b >> 23u) & 0xFFu) < 113u) {
    // below 2^-14: f16 subnormals, a multiple of 2^-24
    return round(x * 16777216.0) * 5.9604644775390625e-8;
  }
  return bitcast<f32>((b + 0xFFFu + ((b >> 13u) & 1u)) & 0xFFFFE000u);
}

fn act_scale(amax: f32) -> vec2<f32> {
  let inv = select(0.0, 127.0 / amax, amax > 0.0);
#ifdef Q8_K
  return vec2<f32>(inv, select(0.0, 1.0 / inv, amax > 0.0));
#else
  return vec2<f32>(inv, f16_round(amax / 127.0));
#endif
}
