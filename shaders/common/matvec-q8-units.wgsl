// The int8 row products of a decode matvec, one piece of code for matvec-q8.wgsl (one group of
// WG lanes per workgroup) and matvec-q8-fused.wgsl (G groups of GW lanes), so that both compute
// bitwise the same sums (their reduction: common/matvec-rows.wgsl).
// The including shader declares P (cols), W and common/quant-dot.wgsl, R, and names its int8 x
// (vec4<u32>, 16 int8 per word) and per-32 scales (vec4<f32>) with the defines Q8X and Q8S.
// Defines: UNIT64 (64-weight units).

// acc[r] = row r's products over the units lane, lane + width, ... (rb[r]: the row's first byte).
fn q8_row_units(rb: array<u32, R>, lane: u32, width: u32) -> array<f32, R> {
  var acc: array<f32, R>;
#ifdef UNIT64
  let units = P.cols >> 6u;
  for (var c = lane; c < units; c += width) {
    let xa = XQ(Q8X[4u * c], Q8X[4u * c + 1u], Q8S[2u * c]);
    let xb = XQ(Q8X[4u * c + 2u], Q8X[4u * c + 3u], Q8S[2u * c + 1u]);
    for (var r = 0u; r < R; r++) {
      acc[r] += dotq2(rb[r], c, xa, xb);
    }
  }
#else
  let units = P.cols >> 5u;
  for (var u = lane; u < units; u += width) {
    let x = XQ(Q8X[2u * u], Q8X[2u * u + 1u], Q8S[u]);
    for (var r = 0u; r < R; r++) {
      acc[r] += dotq(rb[r], u, x);
    }
  }
#endif
  return acc;
}

