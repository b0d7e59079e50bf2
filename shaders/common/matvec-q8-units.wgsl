// The int8 row products of a decode matvec, one piece of code for matvec-q8.wgsl (one group of
// WG lanes per workgroup) and matvec-q8-fused.wgsl (G groups of GW lanes), so that both compute
// bitwise the same sums (their reduction: common/matvec-rows.wgsl).
// The including shader declares P (cols), W and common/quant-dot.wgsl, R, and names its int8 x
// (vec4<u32>, 16 int8 per word) and per-32 scales (vec4<f32>) with the defines Q8X and Q8S.
// Defines: UNIT64 (64-weight units), and the loop variant (matvec.ts matvecLoopDefines):
//   (none)  lane l takes units l, l + width, ... one at a time;
//   UNROLL  U units per step, all their weight and x loads issued before the first product
//           (more bytes in flight per lane);
//   TILE    the group stages its R rows chunk by chunk in workgroup memory (TILE_UNITS units a
//           chunk, consecutive lanes reading consecutive words: fully coalesced whatever the
//           block size), then runs dotq on the staged words. The including shader then names
//           its weight binding WQ, and W is this file's tile (TROW words per row, TLW staged
//           words per lane and row, BB bytes per block, UPB units per block).
//   TILE + TILE_VEC4: the staging loads are vec4<u32> (WQ4, the same buffer bound a second
//           time as array<vec4<u32>>, from the 16-byte boundary at or before the chunk; TLW
//           then counts vec4 per lane and row); the bytes past the last whole vec4 of the
//           binding come through WQ.
// Every variant adds each row's unit products in the same order (units l, l + width, ...), so
// all three give bitwise the same acc.

struct XU {
  a: XQ,
  b: XQ,
}

#ifdef UNIT64
const USHIFT = 6u;
fn q8_x(c: u32) -> XU {
  return XU(XQ(Q8X[4u * c], Q8X[4u * c + 1u], Q8S[2u * c]), XQ(Q8X[4u * c + 2u], Q8X[4u * c + 3u], Q8S[2u * c + 1u]));
}
fn q8_dot(rb: u32, c: u32, x: XU) -> f32 {
  return dotq2(rb, c, x.a, x.b);
}
#else
const USHIFT = 5u;
fn q8_x(u: u32) -> XU {
  let x = XQ(Q8X[2u * u], Q8X[2u * u + 1u], Q8S[u]);
  return XU(x, x);
}
fn q8_dot(rb: u32, u: u32, x: XU) -> f32 {
  return dotq(rb, u, x.a);
}
#endif

#ifdef TILE
// [groups][R][TROW] staged weight words
var<workgroup> W: array<u32, TILE_GROUPS * R * TROW>;
#endif

#ifdef TILE_VEC4
fn wq4(i: u32) -> vec4<u32> {
  if (i < arrayLength(&WQ4)) {
    return WQ4[i];
  }
  return vec4<u32>(WQ[4u * i], WQ[4u * i + 1u], WQ[4u * i + 2u], WQ[4u * i + 3u]);
}
#endif

// acc[r] = row r's products over the units lane, lane + width, ... (rb[r]: the row's first
// byte); g: the group (its tile with TILE). Every invocation of the group calls it (barriers).
fn q8_row_units(rb: array<u32, R>, lane: u32, width: u32, g: u32) -> array<f32, R> {
  var acc: array<f32, R>;
  let units = P.cols >> USHIFT;
#ifdef TILE
  let tbase = g * R * TROW;
  for (var c0 = 0u; c0 < units; c0 += TILE_UNITS) {
    let n = min(TILE_UNITS, units - c0);
    let cb = (c0 / UPB) * BB;
    // every load of the chunk first (independent, coalesced), then the stores
#ifdef TILE_VEC4
    var v: array<vec4<u32>, R * TLW>;
    var wa: array<u32, R>;
    for (var r = 0u; r < R; r++) {
      wa[r] = ((rb[r] + cb) >> 2u) & ~3u;
      let nv = ((((rb[r] + cb + (n / UPB) * BB + 3u) >> 2u) - wa[r]) + 3u) >> 2u;
      for (var k = 0u; k < TLW; k++) {
        let i = lane + k * width;
        if (i < nv) {
          v[r * TLW + k] = wq4((wa[r] >> 2u) + i);
        }
      }
    }
    workgroupBarrier();
    for (var r = 0u; r < R; r++) {
      for (var k = 0u; k < TLW; k++) {
        let i = lane + k * width;
        if (4u * i < TROW) {
          let o = tbase + r * TROW + 4u * i;
          W[o] = v[r * TLW + k].x;
          W[o + 1u] = v[r * TLW + k].y;
          W[o + 2u] = v[r * TLW + k].z;
          W[o + 3u] = v[r * TLW + k].w;
        }
      }
    }
    workgroupBarrier();
    var tb: array<u32, R>;
    for (var r = 0u; r < R; r++) {
      tb[r] = (tbase + r * TROW) * 4u + rb[r] + cb - 4u * wa[r];
    }
#else
    var v: array<u32, R * TLW>;
    for (var r = 0u; r < R; r++) {
      let w0 = (rb[r] + cb) >> 2u;
      let nw = ((rb[r] + cb + (n / UPB) * BB + 3u) >> 2u) - w0;
      for (var k = 0u; k < TLW; k++) {
        let i = lane + k * width;
        if (i < nw) {
          v[r * TLW + k] = WQ[w0 + i];
        }
      }
    }
    workgroupBarrier();
    for (var r = 0u; r < R; r++) {
      for (var k = 0u; k < TLW; k++) {
        let i = lane + k * width;
        if (i < TROW) {
          W[tbase + r * TROW + i] = v[r * TLW + k];
        }
      }
    }
    workgroupBarrier();
    var tb: array<u32, R>;
    for (var r = 0u; r < R; r++) {
      tb[r] = (tbase + r * TROW) * 4u + ((rb[r] + cb) & 3u);
    }
#endif
    for (var u = lane; u < n; u += width) {
      let x = q8_x(c0 + u);
      for (var r = 0u; r < R; r++) {
        acc[r] += q8_dot(tb[r], u, x);
      }
    }
  }
#else
  var u = lane;
#ifdef UNROLL
  for (; u + (UNROLL - 1u) * width < units; u += UNROLL * width) {
    var x: array<XU, UNROLL>;
    var d: array<f32, UNROLL * R>;
    for (var k = 0u; k < UNROLL; k++) {
      x[k] = q8_x(u + k * width);
    }
    for (var k = 0u; k < UNROLL; k++) {
      for (var r = 0u; r < R; r++) {
        d[k * R + r] = q8_dot(rb[r], u + k * width, x[k]);
      }
    }
    for (var k = 0u; k < UNROLL; k++) {
      for (var r = 0u; r < R; r++) {
        acc[r] += d[k * R + r];
      }
    }
  }
#endif
  for (; u < units; u += width) {
    let x = q8_x(u);
    for (var r = 0u; r < R; r++) {
      acc[r] += q8_dot(rb[r], u, x);
    }
  }
#endif
  return acc;
}
