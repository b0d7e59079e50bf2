/**
 * Layout lab (issue 4's [14336 x 4096] matvecs): what a dependent dispatch costs besides its
 * bytes, and where a matvec spends the rest, measured with the same chain as the matvec rows of
 * run.ts (640 dispatches in one timestamped pass, each writing its own output buffer, so that
 * Dawn puts a barrier before every one; inputs rotated past the 50 MB L2).
 *
 *   ... node .devpack/run.mjs --layout-lab [--quick] [--all-sizes | --shapes]
 *
 * Parts:
 *   1. Pure reads chained: read-ceiling.ts's kernel over S bytes (the Q4_0 matrix's; with
 *      --all-sizes 0.6-148 MB), one output per copy. The best any kernel can show at a size when
 *      each dispatch waits for the one before it.
 *   2. Empty dispatches chained: one workgroup, and 3584 workgroups of 32 (the Q4_0 matvec's
 *      grid), each writing one word: the launch after a barrier on its own.
 *   3. Q4_0 [14336 x 4096] matvecs on one int8 x, each checked against the CPU before it is
 *      timed: the engine's (GGUF layout) at a few work splits, and lab kernels: q40LabCode (the
 *      engine's work split, over the GGUF layout or a row-aligned one: each row's 16-byte nibble
 *      blocks first, then its f16 scales, read as vec4<u32>; diagnostic modes without store,
 *      reduction or products), q40LanesPerRowCode (a few lanes a row, shuffle reduction),
 *      q40PipelinedCode (the next rows' loads issued before this rows' reduction).
 *   4. --shapes, alone: the engine's Q4_0 default against unroll4 wg128 r2 at decode shapes.
 *
 * Results: BENCHMARKS.md, Kernels, thirteenth run.
 * Written by hand for the lab: no library times WGSL dispatches under Dawn.
 */

import { f16ToF32, f32ToF16 } from '../../engine/formats/f16.ts';
import { gpuBufferFrom, gpuReadback, STORAGE } from '../../engine/gpu/buffer-pool.ts';
import type { GpuTimer } from '../../engine/gpu/timing.ts';
import type { QuantizedActivation } from '../../engine/kernels/act-quant.ts';
import { subgroupSizeRange, type KernelContext, type KernelPlan } from '../../engine/kernels/context.ts';
import { matvecDefaults, matvecPlan, type MatvecLoop } from '../../engine/kernels/matvec.ts';
import { randomWeightBytes } from '../../test/kernels/weights-ref.ts';
import { readCeiling, readKernelCode } from './read-ceiling.ts';
import { medianPassMs } from './time.ts';
import quantBytes from '../../shaders/common/quant-bytes.wgsl';

const CEILING_GBPS = 2950;
const CHAIN = 640;

interface Row {
  part: string;
  what: string;
  bytes: number;
  us: number;
}

const pct = (bytes: number, us: number): string => `${((100 * bytes) / us / 1e3 / CEILING_GBPS).toFixed(0)}%`;

function copiesFor(bytes: number): number {
  return Math.min(64, Math.max(2, Math.ceil(256e6 / bytes)));
}

async function pipelineOf(ctx: KernelContext, code: string): Promise<GPUComputePipeline> {
  return ctx.device.createComputePipelineAsync({ layout: 'auto', compute: { module: ctx.device.createShaderModule({ code }), entryPoint: 'main' } });
}

/** Part 1: S-byte reads chained, for a few grid shapes per size. */
async function readChains(ctx: KernelContext, timer: GpuTimer, sizes: number[], quick: boolean, out: Row[]): Promise<void> {
  const wg = 256;
  for (const bytes of sizes) {
    const copies = copiesFor(bytes);
    const as = Array.from({ length: copies }, () => ctx.device.createBuffer({ size: bytes, usage: STORAGE, label: 'lab-read' }));
    const os = Array.from({ length: copies }, () => ctx.device.createBuffer({ size: 4 << 20, usage: STORAGE, label: 'lab-read-out' }));
    const vec4s = bytes / 16;
    // [unroll, workgroups]: one pass over the buffer with no loop (1 or 4 vec4 a lane), and the
    // ceiling kernel's grid-stride shape
    const shapes: [number, number][] = [
      [1, Math.ceil(vec4s / wg)],
      [4, Math.ceil(vec4s / (4 * wg))],
      [4, 1056],
    ];
    for (const [unroll, groups] of shapes) {
      if (groups > 65535) continue;
      const pipeline = await pipelineOf(ctx, readKernelCode(wg, unroll));
      const bgs = as.map((a, c) => ctx.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: a } }, { binding: 1, resource: { buffer: os[c]! } }] }));
      const iters = copies * Math.ceil(CHAIN / copies);
      const ms = await medianPassMs(ctx, timer, (pass, i) => {
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, bgs[i % copies]!);
        pass.dispatchWorkgroups(groups);
      }, iters, quick ? 3 : 5, out.length === 0 ? 1000 : 300);
      out.push({ part: 'read chain', what: `${(bytes / 1e6).toFixed(1)} MB, wg ${wg} unroll ${unroll}, ${groups} workgroups (${copies} copies)`, bytes, us: ms * 1000 });
      console.log(`  read chain ${bytes} B unroll ${unroll} x ${groups}: ${(ms * 1000).toFixed(2)} us`);
    }
    for (const b of [...as, ...os]) b.destroy();
  }
}

/** Part 2: dispatches that only write one word per invocation, chained. */
async function emptyChains(ctx: KernelContext, timer: GpuTimer, quick: boolean, out: Row[]): Promise<void> {
  const code = `
@group(0) @binding(0) var<storage, read_write> O: array<u32>;
@compute @workgroup_size(32)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  O[g.x] = g.x;
}`;
  const pipeline = await pipelineOf(ctx, code);
  const copies = 16;
  for (const groups of [1, 3584]) {
    const os = Array.from({ length: copies }, () => ctx.device.createBuffer({ size: groups * 32 * 4, usage: STORAGE, label: 'lab-empty' }));
    const bgs = os.map((o) => ctx.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: o } }] }));
    const ms = await medianPassMs(ctx, timer, (pass, i) => {
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bgs[i % copies]!);
      pass.dispatchWorkgroups(groups);
    }, CHAIN, quick ? 3 : 5, 300);
    out.push({ part: 'empty chain', what: `${groups} workgroup${groups > 1 ? 's' : ''} of 32, one word written per lane`, bytes: groups * 128, us: ms * 1000 });
    console.log(`  empty chain x ${groups}: ${(ms * 1000).toFixed(2)} us`);
    for (const o of os) o.destroy();
  }
}

/**
 * Q4_0 rows reordered: row r (18 * nb bytes, nb = cols / 32 blocks, nb % 8 == 0 so that rows
 * start on 16 bytes) holds block b's 16 nibble bytes at 16 b and its f16 scale at 16 nb + 2 b.
 */
export function q40RowAligned(gguf: Uint8Array, rows: number, cols: number): Uint8Array {
  const nb = cols / 32;
  const rowBytes = 18 * nb;
  const out = new Uint8Array(gguf.length);
  for (let r = 0; r < rows; r++) {
    const o = r * rowBytes;
    for (let b = 0; b < nb; b++) {
      const s = o + 18 * b;
      out[o + 16 * nb + 2 * b] = gguf[s]!;
      out[o + 16 * nb + 2 * b + 1] = gguf[s + 1]!;
      out.set(gguf.subarray(s + 2, s + 18), o + 16 * b);
    }
  }
  return out;
}

/**
 * What a lab matvec does besides its loads, for the diagnostics: 'full' (products, reduction,
 * store), 'no-store' (the row totals stored only if one equals a value it never takes),
 * 'no-reduce' (each lane's partial sums folded into one word, stored under the same condition),
 * 'loads-only' (the loaded words XOR-folded, no products; same condition).
 */
export type LabMode = 'full' | 'no-store' | 'no-reduce' | 'loads-only';

export interface LabKernel {
  /** 'aligned': q40RowAligned's rows read as vec4<u32>; 'gguf': the GGUF blocks, 5 words a block realigned */
  layout: 'aligned' | 'gguf';
  wg: number;
  r: number;
  /** units per lane step, all their loads issued before the first product */
  u: number;
  mode: LabMode;
  /** the row totals through subgroupAdd alone (the workgroup must be one subgroup: wg == subgroup size) */
  sgOnly: boolean;
}

/** The lab's Q4_0 matvec (int8 x as act-quant.wgsl writes it), WGSL. */
export function q40LabCode(o: LabKernel, subgroups: boolean): string {
  const aligned = o.layout === 'aligned';
  const sg = subgroups;
  const weight = aligned
    ? `fn wq(i: u32, c: u32) -> vec4<u32> { return WQ4[q4[i] + c]; }
fn wd(i: u32, c: u32) -> f32 { return unpack2x16float(W[sw[i] + (c >> 1u)] >> ((c & 1u) * 16u)).x; }`
    : `${quantBytes}
fn wq(i: u32, c: u32) -> vec4<u32> { return qb_u128(q4[i] + 18u * c + 2u); }
fn wd(i: u32, c: u32) -> f32 { return qb_f16(q4[i] + 18u * c); }`;
  const loadsOnly = o.mode === 'loads-only';
  const product = loadsOnly
    ? `fold ^= w.x ^ w.y ^ w.z ^ w.w ^ bitcast<u32>(dd) ^ xl.x ^ xh.w ^ bitcast<u32>(xs.x);`
    : `let s = dp4(w & vec4<u32>(0x0F0F0F0Fu), xl) + dp4((w >> vec4<u32>(4u)) & vec4<u32>(0x0F0F0F0Fu), xh);
        acc[i] += dd * (xs.x * f32(s) - 8.0 * (xs.y + xs.z));`;
  let tail: string;
  if (o.mode === 'loads-only' || o.mode === 'no-reduce') {
    const v = loadsOnly ? 'fold' : 'bitcast<u32>(acc[0]) ^ bitcast<u32>(acc[R - 1u])';
    tail = `  let v = ${v};
  if (v == 0x9e3779b9u) { Y[row0] = f32(v); }`;
  } else {
    const store = o.mode === 'no-store' ? 'if (t == 1234.5678) { Y[row0 + lid] = t; }' : 'Y[row0 + lid] = t;';
    if (o.sgOnly) {
      tail = `  var t = 0.0;
  for (var i = 0u; i < R; i++) {
    let v = subgroupAdd(acc[i]);
    if (lid == i) { t = v; }
  }
  if (lid < R && row0 + lid < P.rows) { ${store} }`;
    } else if (sg) {
      tail = `  let nsg = max(1u, WG / ss);
  for (var i = 0u; i < R; i++) {
    let v = subgroupAdd(acc[i]);
    if (sl == 0u) { red[(lid / ss) * R + i] = v; }
  }
  workgroupBarrier();
  if (lid < R && row0 + lid < P.rows) {
    var t = 0.0;
    for (var j = 0u; j < nsg; j++) { t += red[j * R + lid]; }
    ${store}
  }`;
    } else {
      tail = `  for (var i = 0u; i < R; i++) { red[i * WG + lid] = acc[i]; }
  workgroupBarrier();
  if (lid < R && row0 + lid < P.rows) {
    var t = 0.0;
    for (var j = 0u; j < WG; j++) { t += red[lid * WG + j]; }
    ${store}
  }`;
    }
  }
  return `${sg ? 'enable subgroups;' : ''}
struct Params { rows: u32, cols: u32, row_bytes: u32, y_base: u32 }
@group(0) @binding(0) var<uniform> P: Params;
${aligned ? '@group(0) @binding(1) var<storage, read> WQ4: array<vec4<u32>>;' : ''}
@group(0) @binding(2) var<storage, read> W: array<u32>;
@group(0) @binding(3) var<storage, read> XQW: array<vec4<u32>>;
@group(0) @binding(4) var<storage, read> XS: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> Y: array<f32>;
const WG = ${o.wg}u;
const R = ${o.r}u;
const U = ${o.u}u;
var<workgroup> red: array<f32, WG * R>;
var<private> q4: array<u32, R>;
var<private> sw: array<u32, R>;

fn dp4(a: vec4<u32>, b: vec4<u32>) -> i32 {
  return dot4I8Packed(a.x, b.x) + dot4I8Packed(a.y, b.y) + dot4I8Packed(a.z, b.z) + dot4I8Packed(a.w, b.w);
}
${weight}

@compute @workgroup_size(${o.wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32${sg ? ', @builtin(subgroup_invocation_id) sl: u32, @builtin(subgroup_size) ss: u32' : ''}) {
  let row0 = (wid.x + wid.y * nwg.x) * R;
  let nb = P.cols / 32u;
  for (var i = 0u; i < R; i++) {
    let row = min(row0 + i, P.rows - 1u);
    q4[i] = ${aligned ? 'row * (18u * nb / 16u)' : 'row * P.row_bytes'};
    sw[i] = row * (18u * nb / 4u) + 4u * nb;
  }
  var acc: array<f32, R>;
  var fold = 0u;
  var b = lid;
  for (; b + (U - 1u) * WG < nb; b += U * WG) {
    var xls: array<vec4<u32>, U>;
    var xhs: array<vec4<u32>, U>;
    var xss: array<vec4<f32>, U>;
    var q: array<vec4<u32>, U * R>;
    var d: array<f32, U * R>;
    for (var k = 0u; k < U; k++) {
      let c = b + k * WG;
      xls[k] = XQW[2u * c];
      xhs[k] = XQW[2u * c + 1u];
      xss[k] = XS[c];
      for (var i = 0u; i < R; i++) {
        q[k * R + i] = wq(i, c);
        d[k * R + i] = wd(i, c);
      }
    }
    for (var k = 0u; k < U; k++) {
      let xl = xls[k];
      let xh = xhs[k];
      let xs = xss[k];
      for (var i = 0u; i < R; i++) {
        let w = q[k * R + i];
        let dd = d[k * R + i];
        ${product}
      }
    }
  }
  for (; b < nb; b += WG) {
    let xl = XQW[2u * b];
    let xh = XQW[2u * b + 1u];
    let xs = XS[b];
    for (var i = 0u; i < R; i++) {
      let w = wq(i, b);
      let dd = wd(i, b);
      ${product}
    }
  }
${tail}
}`;
}

/**
 * The lab's Q4_0 matvec with LPR lanes per row: a workgroup of WG lanes takes WG / LPR rows, lane
 * l of a row its units l, l + LPR, ... (U per step, loads first), and the row's LPR partial sums
 * meet through log2(LPR) subgroupShuffleXor steps (LPR <= the subgroup size): one value a lane
 * to reduce, against R values over the whole group in q40LabCode. Needs subgroups.
 */
export function q40LanesPerRowCode(layout: LabKernel['layout'], wg: number, lpr: number, u: number): string {
  const aligned = layout === 'aligned';
  const full = q40LabCode({ layout, wg, r: 1, u, mode: 'full', sgOnly: true }, true);
  // reuse the weight readers (wq, wd over q4[0] / sw[0]) and declarations of the R = 1 kernel
  const head = full.slice(0, full.indexOf('@compute'));
  return `${head}
const LPR = ${lpr}u;
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = (wid.x + wid.y * nwg.x) * (WG / LPR) + lid / LPR;
  let lane = lid % LPR;
  let nb = P.cols / 32u;
  let rr = min(row, P.rows - 1u);
  q4[0] = ${aligned ? 'rr * (18u * nb / 16u)' : 'rr * P.row_bytes'};
  sw[0] = rr * (18u * nb / 4u) + 4u * nb;
  var acc = 0.0;
  var b = lane;
  for (; b + (U - 1u) * LPR < nb; b += U * LPR) {
    var xls: array<vec4<u32>, U>;
    var xhs: array<vec4<u32>, U>;
    var xss: array<vec4<f32>, U>;
    var q: array<vec4<u32>, U>;
    var d: array<f32, U>;
    for (var k = 0u; k < U; k++) {
      let c = b + k * LPR;
      xls[k] = XQW[2u * c];
      xhs[k] = XQW[2u * c + 1u];
      xss[k] = XS[c];
      q[k] = wq(0u, c);
      d[k] = wd(0u, c);
    }
    for (var k = 0u; k < U; k++) {
      let w = q[k];
      let s = dp4(w & vec4<u32>(0x0F0F0F0Fu), xls[k]) + dp4((w >> vec4<u32>(4u)) & vec4<u32>(0x0F0F0F0Fu), xhs[k]);
      acc += d[k] * (xss[k].x * f32(s) - 8.0 * (xss[k].y + xss[k].z));
    }
  }
  for (; b < nb; b += LPR) {
    let w = wq(0u, b);
    let xs = XS[b];
    let s = dp4(w & vec4<u32>(0x0F0F0F0Fu), XQW[2u * b]) + dp4((w >> vec4<u32>(4u)) & vec4<u32>(0x0F0F0F0Fu), XQW[2u * b + 1u]);
    acc += wd(0u, b) * (xs.x * f32(s) - 8.0 * (xs.y + xs.z));
  }
  for (var m = LPR / 2u; m > 0u; m >>= 1u) {
    acc += subgroupShuffleXor(acc, m);
  }
  if (lane == 0u && row < P.rows) {
    Y[row] = acc;
  }
}`;
}

/**
 * The lab's Q4_0 matvec with its reductions overlapped with loads: a workgroup of exactly one
 * subgroup (WG lanes) takes G groups of R rows one after another, and issues group g + 1's loads
 * before the products and subgroupAdd reduction of group g, so that a lane keeps loads in flight
 * while it reduces. Straight-line code per group (generated), no dynamically indexed arrays.
 * Lane l takes units l, l + WG, ... of each row (U units: cols = 32 * U * WG exactly).
 */
export function q40PipelinedCode(layout: LabKernel['layout'], wg: number, r: number, g: number, u: number, order: 'explicit' | 'compiler' = 'explicit'): string {
  const full = q40LabCode({ layout, wg, r, u, mode: 'full', sgOnly: true }, true);
  const head = full.slice(0, full.indexOf('@compute'));
  const aligned = layout === 'aligned';
  const load = (k: number) => {
    const lines: string[] = [];
    for (let i = 0; i < r; i++) lines.push(`  { let rr = min(rowg + ${k * r + i}u, P.rows - 1u); q4[${i}] = ${aligned ? 'rr * (18u * nb / 16u)' : 'rr * P.row_bytes'}; sw[${i}] = rr * (18u * nb / 4u) + 4u * nb; }`);
    for (let c = 0; c < u; c++) for (let i = 0; i < r; i++) lines.push(`  let q${k}_${c}_${i} = wq(${i}u, lid + ${c}u * WG);
  let d${k}_${c}_${i} = wd(${i}u, lid + ${c}u * WG);`);
    return lines.join('\n');
  };
  const reduce = (k: number) => {
    const lines: string[] = [];
    for (let i = 0; i < r; i++) {
      const terms = Array.from({ length: u }, (_, c) => `d${k}_${c}_${i} * (xs${c}.x * f32(dp4(q${k}_${c}_${i} & m4, xl${c}) + dp4((q${k}_${c}_${i} >> s4) & m4, xh${c})) - 8.0 * (xs${c}.y + xs${c}.z))`);
      lines.push(`  { let t = subgroupAdd(${terms.join(' + ')});
    if (lid == ${i}u && rowg + ${k * r + i}u < P.rows) { Y[rowg + ${k * r + i}u] = t; } }`);
    }
    return lines.join('\n');
  };
  // 'compiler': each group's loads and products in one statement, group k's reduction written
  // after group k + 1's products and every store at the end (one basic block): the order is the
  // driver compiler's, as a format-generic kernel calling dotq would leave it
  const products = (k: number) => {
    const lines: string[] = [];
    for (let i = 0; i < r; i++) lines.push(`  { let rr = min(rowg + ${k * r + i}u, P.rows - 1u); q4[${i}] = ${aligned ? 'rr * (18u * nb / 16u)' : 'rr * P.row_bytes'}; sw[${i}] = rr * (18u * nb / 4u) + 4u * nb; }`);
    for (let i = 0; i < r; i++) {
      const terms = Array.from({ length: u }, (_, c) => `wd(${i}u, lid + ${c}u * WG) * (xs${c}.x * f32(dp4(wq(${i}u, lid + ${c}u * WG) & m4, xl${c}) + dp4((wq(${i}u, lid + ${c}u * WG) >> s4) & m4, xh${c})) - 8.0 * (xs${c}.y + xs${c}.z))`);
      lines.push(`  let a${k}_${i} = ${terms.join(' + ')};`);
    }
    return lines.join('\n');
  };
  const sums = (k: number) => Array.from({ length: r }, (_, i) => `  t${k} = select(t${k}, subgroupAdd(a${k}_${i}), lid == ${i}u);`).join('\n');
  const body: string[] = [];
  if (order === 'explicit') {
    body.push(load(0));
    for (let k = 0; k < g; k++) {
      if (k + 1 < g) body.push(load(k + 1));
      body.push(reduce(k));
    }
  } else {
    for (let k = 0; k < g; k++) body.push(`  var t${k} = 0.0;`);
    body.push(products(0));
    for (let k = 0; k < g; k++) {
      if (k + 1 < g) body.push(products(k + 1));
      body.push(sums(k));
    }
    for (let k = 0; k < g; k++) body.push(`  if (lid < ${r}u && rowg + ${k * r}u + lid < P.rows) { Y[rowg + ${k * r}u + lid] = t${k}; }`);
  }
  const xs = Array.from({ length: u }, (_, c) => `  let xl${c} = XQW[2u * (lid + ${c}u * WG)];
  let xh${c} = XQW[2u * (lid + ${c}u * WG) + 1u];
  let xs${c} = XS[lid + ${c}u * WG];`).join('\n');
  return `${head}
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let rowg = (wid.x + wid.y * nwg.x) * ${r * g}u;
  let nb = P.cols / 32u;
  let m4 = vec4<u32>(0x0F0F0F0Fu);
  let s4 = vec4<u32>(4u);
${xs}
${body.join('\n')}
}`;
}

interface Q40Case {
  n: number;
  k: number;
  gguf: Uint8Array;
  xq: Int8Array;
  /** per 32: (d, d * sum(q[0..16]), d * sum(q[16..32]), 0) as act-quant.wgsl writes it */
  xs: Float32Array;
}

function q40Case(n: number, k: number): Q40Case {
  const gguf = randomWeightBytes('Q4_0', n, k, 4242);
  let s = 0x9e3779b9;
  const rnd = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
  // scales of every size, so that a scale read from the wrong block shows
  for (let b = 0; b < (n * k) / 32; b++) {
    const h = f32ToF16((rnd() < 0.5 ? -1 : 1) * (0.005 + 0.1 * rnd()));
    gguf[18 * b] = h & 255;
    gguf[18 * b + 1] = h >> 8;
  }
  const xq = new Int8Array(k).map(() => Math.floor(rnd() * 255) - 127);
  const xs = new Float32Array((k / 32) * 4);
  for (let b = 0; b < k / 32; b++) {
    const d = 0.001 + 0.02 * rnd();
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 16; i++) {
      lo += xq[32 * b + i]!;
      hi += xq[32 * b + 16 + i]!;
    }
    xs.set([d, d * lo, d * hi, 0], 4 * b);
  }
  return { n, k, gguf, xq, xs };
}

/** y = W x over the int8 x, as the kernels compute it (f64 here). */
function q40Ref(c: Q40Case): Float64Array {
  const nb = c.k / 32;
  const y = new Float64Array(c.n);
  for (let r = 0; r < c.n; r++) {
    let acc = 0;
    for (let b = 0; b < nb; b++) {
      const o = (r * nb + b) * 18;
      const d = f16ToF32(c.gguf[o]! | (c.gguf[o + 1]! << 8));
      let dot = 0;
      for (let j = 0; j < 16; j++) {
        const byte = c.gguf[o + 2 + j]!;
        dot += (byte & 15) * c.xq[32 * b + j]! + (byte >> 4) * c.xq[32 * b + 16 + j]!;
      }
      acc += d * (c.xs[4 * b]! * dot - 8 * (c.xs[4 * b + 1]! + c.xs[4 * b + 2]!));
    }
    y[r] = acc;
  }
  return y;
}

/** Largest |gpu - ref| over the reference's RMS (NaN/Inf fail). */
function relErr(gpu: Float32Array, ref: Float64Array): number {
  let rms = 0;
  let worst = 0;
  for (let i = 0; i < ref.length; i++) {
    rms += ref[i]! ** 2;
    const e = Math.abs(gpu[i]! - ref[i]!);
    worst = Number.isFinite(gpu[i]) ? Math.max(worst, e) : Infinity;
  }
  return worst / Math.sqrt(rms / ref.length);
}

interface Q40Variant {
  label: string;
  /** the engine's matvec over the GGUF layout */
  engine?: { wg: number; r: number; loop: MatvecLoop; sgWhole?: boolean };
  /** a lab kernel */
  lab?: LabKernel;
  /** a lab kernel with lanes per row (q40LanesPerRowCode) */
  lpr?: { layout: LabKernel['layout']; wg: number; lpr: number; u: number };
  /** a lab kernel with loads overlapping reductions (q40PipelinedCode) */
  pipe?: { layout: LabKernel['layout']; wg: number; r: number; g: number; u: number; order: 'explicit' | 'compiler' };
}

/** Part 3: one [n x k] Q4_0 matrix, the engine's kernels and the row-aligned ones, chained. */
async function q40Matvecs(ctx: KernelContext, timer: GpuTimer, c: Q40Case, variants: Q40Variant[], quick: boolean, out: Row[]): Promise<boolean> {
  const { n, k } = c;
  const bytes = c.gguf.length;
  const copies = copiesFor(bytes);
  // the row-aligned copies only where a variant reads them
  const needAligned = variants.some((v) => (v.lab ?? v.lpr ?? v.pipe)?.layout === 'aligned');
  const aligned = needAligned ? q40RowAligned(c.gguf, n, k) : new Uint8Array(0);
  const ref = q40Ref(c);
  const wsG = Array.from({ length: copies }, () => gpuBufferFrom(ctx.device, c.gguf, STORAGE, 'lab-q40'));
  const wsA = needAligned ? Array.from({ length: copies }, () => gpuBufferFrom(ctx.device, aligned, STORAGE, 'lab-q40-aligned')) : [];
  const ys = Array.from({ length: copies }, () => ctx.device.createBuffer({ size: n * 4, usage: STORAGE, label: 'lab-y' }));
  const xq = gpuBufferFrom(ctx.device, new Uint8Array(c.xq.buffer), STORAGE, 'lab-xq');
  const xs = gpuBufferFrom(ctx.device, c.xs, STORAGE, 'lab-xs');
  const x = ctx.device.createBuffer({ size: k * 4, usage: STORAGE, label: 'lab-x' }); // required by the plan, not read
  const qx: QuantizedActivation = { cols: k, format: 'q8_0', xq, xs };
  const params = gpuBufferFrom(ctx.device, new Uint32Array([n, k, 18 * (k / 32), 0]), 0x40 | 0x08, 'lab-params');
  let ok = true;
  try {
    for (const v of variants) {
      let plans: KernelPlan[] = [];
      if (v.engine) {
        for (let i = 0; i < copies; i++) plans.push(await matvecPlan(ctx, { format: 'Q4_0', rows: n, cols: k, weight: wsG[i]!, x, y: ys[i]!, quantizedX: qx, wg: v.engine.wg, rowsPerWorkgroup: v.engine.r, loop: v.engine.loop, sgWhole: v.engine.sgWhole ?? true }));
      } else {
        // a lab kernel: its WGSL and the rows one workgroup takes
        const [layout, code, rowsPerWg] = v.lpr
          ? [v.lpr.layout, q40LanesPerRowCode(v.lpr.layout, v.lpr.wg, v.lpr.lpr, v.lpr.u), v.lpr.wg / v.lpr.lpr]
          : v.pipe
            ? [v.pipe.layout, q40PipelinedCode(v.pipe.layout, v.pipe.wg, v.pipe.r, v.pipe.g, v.pipe.u, v.pipe.order), v.pipe.r * v.pipe.g]
            : [v.lab!.layout, q40LabCode(v.lab!, ctx.subgroups), v.lab!.r];
        const groups = Math.ceil(n / rowsPerWg);
        if (groups > 65535) throw new Error(`layout lab: ${groups} workgroups in one dimension`);
        const pipeline = await pipelineOf(ctx, code);
        plans = (layout === 'aligned' ? wsA : wsG).map((w, i) => {
          const entries: GPUBindGroupEntry[] = [
            { binding: 0, resource: { buffer: params } },
            { binding: 2, resource: { buffer: w } },
            { binding: 3, resource: { buffer: xq } },
            { binding: 4, resource: { buffer: xs } },
            { binding: 5, resource: { buffer: ys[i]! } },
          ];
          if (layout === 'aligned') entries.push({ binding: 1, resource: { buffer: w } });
          const bg = ctx.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
          return {
            encode(pass: GPUComputePassEncoder) {
              pass.setPipeline(pipeline);
              pass.setBindGroup(0, bg);
              pass.dispatchWorkgroups(groups);
            },
            dispose() {},
          };
        });
      }
      // check copy 0's output first: a wrong kernel reports no time (diagnostic modes write nothing)
      const checked = !v.lab || v.lab.mode === 'full';
      ctx.device.queue.writeBuffer(ys[0]!, 0, new Float32Array(n).fill(Number.NaN));
      const enc = ctx.device.createCommandEncoder();
      const pass = enc.beginComputePass();
      plans[0]!.encode(pass);
      pass.end();
      ctx.device.queue.submit([enc.finish()]);
      const err = checked ? relErr(new Float32Array(await gpuReadback(ctx.device, ys[0]!)), ref) : NaN;
      if (checked && !(err < 1e-4)) {
        ok = false;
        out.push({ part: 'Q4_0 matvec', what: `${n}x${k} ${v.label}: WRONG (max error ${err.toExponential(2)} of the RMS)`, bytes, us: NaN });
        console.log(`  ${v.label}: WRONG, error ${err}`);
      } else {
        const iters = copies * Math.ceil(CHAIN / copies);
        const ms = await medianPassMs(ctx, timer, (p, i) => plans[i % copies]!.encode(p), iters, quick ? 3 : 5, 300);
        out.push({ part: 'Q4_0 matvec', what: `${n}x${k} ${v.label} (${checked ? `max error ${err.toExponential(1)} of the RMS` : 'diagnostic, not checked'})`, bytes, us: ms * 1000 });
        console.log(`  ${n}x${k} ${v.label}: ${(ms * 1000).toFixed(2)} us`);
      }
      for (const p of plans) p.dispose();
    }
  } finally {
    for (const b of [...wsG, ...wsA, ...ys, xq, xs, x, params]) b.destroy();
  }
  return ok;
}

/** The lab's variants: the engine's default and the last sweep's best, then the aligned layout. */
function q40Variants(n: number, k: number, subgroups: boolean, sg: number): Q40Variant[] {
  const d = matvecDefaults('Q4_0', k, 'int8', false, n);
  const lab = (layout: LabKernel['layout'], wg: number, r: number, u: number, mode: LabMode = 'full', sgOnly = false): Q40Variant => ({
    label: `lab, ${layout === 'aligned' ? 'row-aligned layout, vec4 loads' : 'GGUF layout'}, wg${wg} r${r} u${u}${sgOnly ? ', subgroup-only reduction' : ''}${mode === 'full' ? '' : `, ${mode}`}`,
    lab: { layout, wg, r, u, mode, sgOnly },
  });
  const engine = (wg: number, r: number, loop: MatvecLoop, note = '', sgWhole = true): Q40Variant => ({
    label: `engine, GGUF layout, ${loop} wg${wg} r${r}${sgWhole ? '' : ', sgWhole off'}${note}`,
    engine: { wg, r, loop, sgWhole },
  });
  const lpr = (layout: LabKernel['layout'], wg: number, l: number, u: number): Q40Variant => ({
    label: `lab, ${layout === 'aligned' ? 'row-aligned layout, vec4 loads' : 'GGUF layout'}, wg${wg}, ${l} lanes a row (${wg / l} rows a workgroup), u${u}, shuffle reduction`,
    lpr: { layout, wg, lpr: l, u },
  });
  const pipe = (layout: LabKernel['layout'], r: number, g: number, order: 'explicit' | 'compiler' = 'explicit'): Q40Variant => ({
    label: `lab, ${layout === 'aligned' ? 'row-aligned layout, vec4 loads' : 'GGUF layout'}, wg${sg}, ${g} groups of ${r} rows, ${order === 'explicit' ? "the next group's loads before this one's reduction" : "the next group's products before this one's reduction, stores last"}`,
    pipe: { layout, wg: sg, r, g, u: k / 32 / sg, order },
  });
  const pipeOk = sg > 0 && (k / 32) % sg === 0;
  return [
    // the first variant of a run warms the clocks up and reads slow (second run: 17.9 against 14.8 us)
    engine(d.wg, d.rowsPerWorkgroup, d.loop, ' (default; first of the run)'),
    engine(128, 2, 'unroll4'),
    lab('gguf', 128, 2, 1, 'no-reduce'),
    ...(pipeOk
      ? [
          pipe('gguf', 2, 2),
          pipe('gguf', 2, 4),
          pipe('gguf', 4, 2),
          pipe('gguf', 1, 4),
          pipe('gguf', 1, 8),
          pipe('gguf', 2, 8),
          pipe('gguf', 2, 2, 'compiler'),
          pipe('gguf', 2, 4, 'compiler'),
          pipe('gguf', 1, 4, 'compiler'),
          pipe('aligned', 2, 2),
          pipe('aligned', 2, 4),
          pipe('aligned', 4, 2),
          pipe('aligned', 1, 4),
          pipe('aligned', 2, 8),
          pipe('aligned', 1, 8),
        ]
      : []),
    ...(subgroups ? [lpr('aligned', 32, 8, 4)] : []),
    ...(sg === 32 ? [lab('aligned', 32, 4, 4, 'full', true)] : []),
    engine(128, 2, 'unroll4', ' (again)'),
    engine(d.wg, d.rowsPerWorkgroup, d.loop, ' (default, again)'),
  ];
}

/** Runs the three parts; returns the markdown table and whether every kernel checked out. */
/**
 * Part 4 (`--shapes`, alone): the engine's Q4_0 default against unroll4 wg128 r2 (the lead at
 * [14336 x 4096]) at decode shapes around it, A/B/A: Llama 3 8B's gate, gate and up stacked,
 * q/o and k/v; Qwen2.5-0.5B's down projection.
 */
async function q40Shapes(ctx: KernelContext, timer: GpuTimer, quick: boolean, out: Row[]): Promise<boolean> {
  const shapes: [number, number][] = quick ? [[264, 1024]] : [[14336, 4096], [28672, 4096], [4096, 4096], [1024, 4096], [896, 4864]];
  let ok = true;
  for (const [n, k] of shapes) {
    const d = matvecDefaults('Q4_0', k, 'int8', false, n);
    const def: Q40Variant = { label: `engine, ${d.loop} wg${d.wg} r${d.rowsPerWorkgroup} (default)`, engine: { wg: d.wg, r: d.rowsPerWorkgroup, loop: d.loop } };
    const alt: Q40Variant = { label: 'engine, unroll4 wg128 r2', engine: { wg: 128, r: 2, loop: 'unroll4' } };
    ok = (await q40Matvecs(ctx, timer, q40Case(n, k), [def, alt, { ...def, label: `${def.label}, again` }], quick, out)) && ok;
  }
  return ok;
}

export async function benchLayoutLab(ctx: KernelContext, timer: GpuTimer, quick: boolean, allSizes = false, shapesOnly = false): Promise<{ table: string; ok: boolean }> {
  const rows: Row[] = [];
  const ceiling = await readCeiling(ctx, timer);
  console.log(`  read ceiling ${ceiling.gbps.toFixed(0)} GB/s (${ceiling.best})`);
  const [n, k] = quick ? [264, 1024] : [14336, 4096];
  const q40Bytes = n * 18 * (k / 32);
  const sizes = quick || !allSizes ? [q40Bytes] : [264 * 2304, 2048 * 4608, q40Bytes, 14336 * 3360, 2 * q40Bytes, 128256 * 1152];
  let ok: boolean;
  if (shapesOnly) {
    ok = await q40Shapes(ctx, timer, quick, rows);
  } else {
    await readChains(ctx, timer, sizes, quick, rows);
    await emptyChains(ctx, timer, quick, rows);
    ok = await q40Matvecs(ctx, timer, q40Case(n, k), q40Variants(n, k, ctx.subgroups, ctx.subgroups && subgroupSizeRange(ctx).min === subgroupSizeRange(ctx).max ? subgroupSizeRange(ctx).min : 0), quick, rows);
  }
  const table = [
    `Layout lab (bench/kernels/layout-lab.ts): GPU us per dispatch, ${CHAIN} dispatches chained in one pass (a barrier before each), median of ${quick ? 3 : 5} passes; GB/s over the bytes read (matvecs: the weights); % of the H100's ${CEILING_GBPS} GB/s and of this device's read ceiling.`,
    '',
    `Read ceiling on this device (read-ceiling.ts, ${(ceiling.bytes / 2 ** 20).toFixed(0)} MiB read once): ${ceiling.gbps.toFixed(0)} GB/s (${ceiling.best}).`,
    '',
    '| part | what | us | GB/s | % of 2.95 TB/s | % of ceiling |',
    '|---|---|---:|---:|---:|---:|',
    ...rows.map((r) => {
      const t = Number.isFinite(r.us);
      return `| ${r.part} | ${r.what} | ${t ? r.us.toFixed(2) : '—'} | ${t ? (r.bytes / r.us / 1e3).toFixed(0) : '—'} | ${t ? pct(r.bytes, r.us) : '—'} | ${t ? `${((100 * r.bytes) / r.us / 1e3 / ceiling.gbps).toFixed(0)}%` : '—'} |`;
    }),
  ].join('\n');
  return { table, ok };
}
