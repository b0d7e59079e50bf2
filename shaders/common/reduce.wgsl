// Workgroup reductions with a subgroup fast path (define SUBGROUPS) and a shared-memory tree
// fallback. Requires `WG` (workgroup size, a power of two >= 64) to be defined by the includer.
//
// Usage: declare the entry point as
//   fn main(ids: Ids, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>)
// (workgroup ids stay outside `Ids`: a struct holding a per-invocation builtin is non-uniform as
// a whole for WGSL's uniformity analysis), call `ids_setup(ids)` first, then call wg_sum /
// wg_max from uniform control flow (every invocation of the workgroup must call them).
// Each call costs two workgroup barriers; results are identical in every invocation.
// The subgroup path assumes subgroups are consecutive runs of local_invocation_index
// (subgroup k = invocations k * size .. k * size + size - 1), which holds for 1-D workgroups on
// the drivers we target (NVIDIA, Mesa lavapipe); the harness runs both paths.

#ifdef SUBGROUPS
enable subgroups;
#endif

struct Ids {
  @builtin(local_invocation_index) lid: u32,
#ifdef SUBGROUPS
  @builtin(subgroup_invocation_id) sg_lane: u32,
  @builtin(subgroup_size) sg_size: u32,
#endif
}

var<workgroup> red_scratch: array<f32, WG>;
var<private> red_lid: u32;
var<private> red_sg_lane: u32;
var<private> red_sg_size: u32;

fn ids_setup(ids: Ids) {
  red_lid = ids.lid;
#ifdef SUBGROUPS
  red_sg_lane = ids.sg_lane;
  red_sg_size = ids.sg_size;
#endif
}

// Linear workgroup id for grids split with dispatch2d.
fn wg_linear(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return wid.x + wid.y * nwg.x;
}

fn wg_sum(x: f32) -> f32 {
#ifdef SUBGROUPS
  let s = subgroupAdd(x);
  workgroupBarrier();
  if (red_sg_lane == 0u) { red_scratch[red_lid / red_sg_size] = s; }
  workgroupBarrier();
  var t = 0.0;
  let n = (WG + red_sg_size - 1u) / red_sg_size;
  for (var i = 0u; i < n; i++) { t += red_scratch[i]; }
  return t;
#else
  workgroupBarrier();
  red_scratch[red_lid] = x;
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    workgroupBarrier();
    if (red_lid < s) { red_scratch[red_lid] += red_scratch[red_lid + s]; }
  }
  workgroupBarrier();
  return red_scratch[0];
#endif
}

fn wg_max(x: f32) -> f32 {
#ifdef SUBGROUPS
  let s = subgroupMax(x);
  workgroupBarrier();
  if (red_sg_lane == 0u) { red_scratch[red_lid / red_sg_size] = s; }
  workgroupBarrier();
  var t = red_scratch[0];
  let n = (WG + red_sg_size - 1u) / red_sg_size;
  for (var i = 1u; i < n; i++) { t = max(t, red_scratch[i]); }
  return t;
#else
  workgroupBarrier();
  red_scratch[red_lid] = x;
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    workgroupBarrier();
    if (red_lid < s) { red_scratch[red_lid] = max(red_scratch[red_lid], red_scratch[red_lid + s]); }
  }
  workgroupBarrier();
  return red_scratch[0];
#endif
}
