// The reduction and the output of a matvec's rows, one piece of code for matvec.wgsl,
// matvec-q8.wgsl (one group of WG lanes per workgroup) and matvec-q8-fused.wgsl (G groups of GW
// lanes). The including shader declares R, P (y_base), Y, B (BIAS) and `red`: per group
// R * width / 4 floats with SG_ROWS, R * width without.
// Defines: SG_ROWS (row sums through subgroups; a subgroup never spans two groups), SG_WHOLE
// (with SG_ROWS: every group is exactly one subgroup, so its sums need no workgroup memory and no
// barrier; the same subgroupAdd, so bitwise the same totals), BIAS, ACCUMULATE.

// The group's row totals: lane r (< R) gets row r's; other lanes get 0. lid: index in the
// workgroup; g: the group (its slots in `red`); sg_size / sg_lane: the subgroup builtins (read
// only with SG_ROWS). Every invocation of the workgroup calls it (barriers).
fn matvec_row_sums(acc: array<f32, R>, lid: u32, lane: u32, g: u32, width: u32, sg_size: u32, sg_lane: u32) -> f32 {
  var s = 0.0;
#ifdef SG_WHOLE
  for (var r = 0u; r < R; r++) {
    let t = subgroupAdd(acc[r]);
    if (sg_lane == r) {
      s = t;
    }
  }
#else
#ifdef SG_ROWS
  // A subgroup larger than the group (sizes up to 128 exist) holds the whole group.
  let nsg = max(1u, width / sg_size);
  let sg = lid / sg_size;
  for (var r = 0u; r < R; r++) {
    let t = subgroupAdd(acc[r]);
    if (sg_lane == 0u) {
      red[sg * R + r] = t;
    }
  }
  workgroupBarrier();
  if (lane < R) {
    for (var i = 0u; i < nsg; i++) {
      s += red[(g * nsg + i) * R + lane];
    }
  }
#else
  let base = g * R * width;
  for (var r = 0u; r < R; r++) {
    red[base + r * width + lane] = acc[r];
  }
  workgroupBarrier();
  for (var stride = width / 2u; stride > 0u; stride >>= 1u) {
    if (lane < stride) {
      for (var r = 0u; r < R; r++) {
        red[base + r * width + lane] += red[base + r * width + lane + stride];
      }
    }
    workgroupBarrier();
  }
  if (lane < R) {
    s = red[base + lane * width];
  }
#endif
#endif
  return s;
}

// y[row] = v (+ bias with BIAS, + the old y with ACCUMULATE: the residual add).
fn matvec_store(row: u32, v0: f32) {
  let yi = P.y_base + row;
  var v = v0;
#ifdef BIAS
  v += B[yi];
#endif
#ifdef ACCUMULATE
  v += Y[yi];
#endif
  Y[yi] = v;
}
