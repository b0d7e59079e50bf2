// SwiGLU of one element, silu(g) * u = g / (1 + e^-g) * u. The one expression shared by
// elementwise.wgsl's swiglu and act-quant.wgsl's SWIGLU input, so that the fused swiglu +
// quantize of decode quantizes exactly the values the separate swiglu kernel writes.

fn silu_mul(g: f32, u: f32) -> f32 {
  return g / (1.0 + exp(-g)) * u;
}
