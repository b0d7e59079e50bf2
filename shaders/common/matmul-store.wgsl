// The matmul kernels' output epilogue (matmul.wgsl, matmul-int8.wgsl): y[m, n] for row n of this
// dispatch's W rows, plus bias[n] (BIAS) and the previous y (ACCUMULATE); outputs past m or n are
// skipped. Needs the including kernel's P (m, n, y_base, y_stride), Y and, with BIAS, B.

fn matmul_store(acc: f32, m: u32, n: u32) {
  if (m >= P.m || n >= P.n) {
    return;
  }
  let yi = m * P.y_stride + P.y_base + n;
  var v = acc;
#ifdef BIAS
  v += B[P.y_base + n];
#endif
#ifdef ACCUMULATE
  v += Y[yi];
#endif
  Y[yi] = v;
}
