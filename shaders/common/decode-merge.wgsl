// The end of a split-K decode chunk, one piece of code for the pass-1 kernels of
// attention-decode.wgsl ('page') and attention-decode-stream-r.wgsl ('stream-r'):
// the workgroup's row groups merge their online-softmax states (each rescaled to the common max
// of its head) and write the chunk's partials for the `reduce` pass: per (head, chunk) row the
// unnormalised output words, its max and its sum.
// The including shader declares G, W (words of a row per invocation), L, TPW, MWG, HD, NEG,
// `params` (n_heads, max_chunks), `part`, and the workgroup arrays m_sh, l_sh (TPW * G) and
// acc_sh (2 * MWG vec4). Every invocation of the workgroup calls chunk_merge (barriers).

// Largest running max of head h over the row groups (m_sh filled).
fn groups_max(h: u32) -> f32 {
  var mh = NEG;
  for (var g = 0u; g < TPW; g++) { mh = max(mh, m_sh[g * G + h]); }
  return mh;
}

// Sums the row groups' words (c + w L) of one head (staged in acc_sh) into part row `row`.
fn part_write(row: u32, w: u32, lid: u32) {
  // vec4 i of the L words of this round: lane i / 2, half i % 2
  for (var i = lid; i < 2u * L; i += MWG) {
    var a = vec4<f32>(0.0);
    for (var g = 0u; g < TPW; g++) { a += acc_sh[g * 2u * L + i]; }
    let o = row * HD + 8u * (i / 2u + w * L) + 4u * (i % 2u);
    part[o] = a.x;
    part[o + 1u] = a.y;
    part[o + 2u] = a.z;
    part[o + 3u] = a.w;
  }
}

// m, l, acc: this invocation's running max, sum and output words (2 vec4 per word) per head;
// c: its lane in the row, rg: its row group, lid: its index in the workgroup; h0: the first of
// the G heads, chunk: the chunk. acc and l are rescaled in place.
fn chunk_merge(m: ptr<function, array<f32, G>>, l: ptr<function, array<f32, G>>, acc: ptr<function, array<vec4<f32>, 2u * G * W>>, c: u32, rg: u32, lid: u32, h0: u32, chunk: u32) {
  if (c == 0u) {
    for (var h = 0u; h < G; h++) { m_sh[rg * G + h] = (*m)[h]; }
  }
  workgroupBarrier();
  for (var h = 0u; h < G; h++) {
    let a = exp2((*m)[h] - groups_max(h));
    for (var i = 0u; i < 2u * W; i++) { (*acc)[h * 2u * W + i] *= a; }
    (*l)[h] *= a;
  }
  if (c == 0u) {
    for (var h = 0u; h < G; h++) { l_sh[rg * G + h] = (*l)[h]; }
  }
  let ml = params.n_heads * params.max_chunks * HD;
  for (var h = 0u; h < G; h++) {
    let row = (h0 + h) * params.max_chunks + chunk;
    for (var w = 0u; w < W; w++) {
      workgroupBarrier();
      acc_sh[2u * lid] = (*acc)[(h * W + w) * 2u];
      acc_sh[2u * lid + 1u] = (*acc)[(h * W + w) * 2u + 1u];
      workgroupBarrier();
      part_write(row, w, lid);
    }
    if (lid == 0u) {
      var lh = 0.0;
      for (var g = 0u; g < TPW; g++) { lh += l_sh[g * G + h]; }
      part[ml + 2u * row] = groups_max(h);
      part[ml + 2u * row + 1u] = lh;
    }
  }
}
