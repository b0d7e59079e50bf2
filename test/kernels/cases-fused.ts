/**
 * Harness cases for the fused decode kernels: the matvec with in-kernel activation quantization
 * and its RMSNorm prologue / bias / residual / SwiGLU epilogues (matvec-fused.ts), and RoPE +
 * KV append with the optional per-head q/k norm (rope-kv.ts). Row counts are not multiples of
 * a workgroup's rows; block formats of both activation formats (q8_0, q8_K) and the 64-weight
 * unit (Q4_K) are covered; workgroup sizes 64 (cols <= 64) and 256.
 *
 * Extend: a new prologue / epilogue gets a flag in FusedOpts and a line in FUSED_CASES.
 */

import { activationFormatOf } from '../../engine/kernels/act-quant.ts';
import { KV_PAGE_NONE, kvPagesFor } from '../../engine/kernels/kv-layout.ts';
import { matvecFusedPlan } from '../../engine/kernels/matvec-fused.ts';
import type { MatvecLoop } from '../../engine/kernels/matvec.ts';
import { ropeKvPlan } from '../../engine/kernels/rope-kv.ts';
import { ropeTable } from '../../engine/kernels/rope.ts';
import type { WeightFormat } from '../../engine/kernels/weight-layout.ts';
import { activationRound } from '../../engine/reference/ops-act-quant.ts';
import { kvArenaPoisoned, kvPagesWrite } from '../../engine/reference/ops-attention.ts';
import { f16BitsToF32 } from '../../engine/reference/ops-f16.ts';
import { rope, type RopeConfig } from '../../engine/reference/ops-rope.ts';
import { rmsNorm, swiglu } from '../../engine/reference/ops.ts';
import type { KernelCase, OutputData } from './harness.ts';
import { matmulRef, randomWeights } from './weights-ref.ts';

interface FusedOpts {
  rows: number;
  cols: number;
  norm?: boolean;
  bias?: boolean;
  accumulate?: boolean;
  swiglu?: boolean;
  groupWidth?: number;
  rowsPerGroup?: number;
  loop?: MatvecLoop;
  wg?: number;
}

function fusedMatvecCase(fmt: WeightFormat, o: FusedOpts): KernelCase {
  const tag = [o.norm ? 'norm' : '', o.bias ? 'bias' : '', o.accumulate ? 'acc' : '', o.swiglu ? 'swiglu' : '', o.groupWidth ? `gw${o.groupWidth}` : '', o.rowsPerGroup ? `r${o.rowsPerGroup}` : '', o.loop ?? '', o.wg ? `wg${o.wg}` : ''].filter(Boolean).join('+');
  return {
    op: `matvec-fused-${fmt}`,
    name: `${o.rows}x${o.cols}${tag ? ` ${tag}` : ''}`,
    // with norm, the GPU's f32 sum of squares differs from the f64 reference in the last bits,
    // which can move a value across a quantization rounding boundary (~1e-7 per flip)
    maxNmse: o.norm ? 2e-6 : 1e-9,
    build({ rng, input, ctx }) {
      const wRows = o.swiglu ? 2 * o.rows : o.rows;
      const w = randomWeights(fmt, wRows, o.cols, rng);
      const x = rng.normal(o.cols).map((v) => Math.fround(v * 3));
      const nw = rng.normal(o.cols);
      const b = rng.normal(o.rows);
      const y0 = rng.normal(o.rows);
      const xn = o.norm ? rmsNorm(x, nw, 1, o.cols, 1e-5) : x;
      const prod = matmulRef(activationRound(xn, activationFormatOf(fmt)!), w.values, 1, wRows, o.cols);
      let expected: Float32Array;
      if (o.swiglu) expected = swiglu(prod.subarray(0, o.rows), prod.subarray(o.rows));
      else {
        expected = prod;
        for (let r = 0; r < o.rows; r++) expected[r] = expected[r]! + (o.bias ? b[r]! : 0) + (o.accumulate ? y0[r]! : 0);
      }
      const xBuf = input(x);
      const nwBuf = input(nw);
      const bBuf = input(b);
      const wBuf = input(w.bytes);
      return {
        outputs: [{ name: 'y', bytes: o.rows * 4, expected, ...(o.accumulate ? { init: y0 } : {}) }],
        plans: async ([y]) => {
          const p = await matvecFusedPlan(ctx, {
            format: fmt,
            rows: o.rows,
            cols: o.cols,
            weight: wBuf,
            x: xBuf,
            y: y!,
            ...(o.norm ? { norm: { weight: nwBuf, eps: 1e-5 } } : {}),
            ...(o.bias ? { bias: bBuf } : {}),
            accumulate: o.accumulate,
            swiglu: o.swiglu,
            ...(o.groupWidth ? { groupWidth: o.groupWidth } : {}),
            ...(o.rowsPerGroup ? { rowsPerGroup: o.rowsPerGroup } : {}),
            ...(o.loop ? { loop: o.loop } : {}),
            ...(o.wg ? { wg: o.wg } : {}),
          });
          if (!p) throw new Error('matvecFusedPlan declined a supported shape');
          return [p];
        },
        bytes: w.bytes.length + o.cols * 4 + o.rows * 4,
        flops: 2 * wRows * o.cols,
      };
    },
  };
}

export const FUSED_MATVEC_CASES: KernelCase[] = [
  fusedMatvecCase('Q8_0', { rows: 37, cols: 288 }),
  fusedMatvecCase('Q8_0', { rows: 29, cols: 288, accumulate: true }),
  fusedMatvecCase('Q4_0', { rows: 21, cols: 32 * 301 }),
  fusedMatvecCase('Q4_K', { rows: 45, cols: 768, bias: true }),
  fusedMatvecCase('Q6_K', { rows: 27, cols: 768, accumulate: true }),
  fusedMatvecCase('Q8_0', { rows: 67, cols: 2048, norm: true }),
  fusedMatvecCase('Q5_0', { rows: 33, cols: 64, norm: true, bias: true }),
  fusedMatvecCase('Q6_K', { rows: 27, cols: 768, norm: true }),
  fusedMatvecCase('Q4_0', { rows: 21, cols: 288, norm: true, swiglu: true }),
  fusedMatvecCase('Q4_K', { rows: 19, cols: 768, norm: true, swiglu: true }),
  fusedMatvecCase('Q8_0', { rows: 23, cols: 256, swiglu: true, groupWidth: 32, rowsPerGroup: 4 }),
  fusedMatvecCase('Q8_0', { rows: 41, cols: 256, groupWidth: 128, rowsPerGroup: 3 }),
  // the unit loop's variants (matvec.ts MatvecLoop): several row groups per workgroup share the tile array
  // (tiles take wg x rows x units per lane x unit bytes of workgroup memory: small groups here)
  fusedMatvecCase('Q4_0', { rows: 21, cols: 288, wg: 64, groupWidth: 32, rowsPerGroup: 2, loop: 'tile2' }),
  fusedMatvecCase('Q4_K', { rows: 19, cols: 768, swiglu: true, wg: 64, groupWidth: 32, rowsPerGroup: 2, loop: 'tile1' }),
  fusedMatvecCase('Q8_0', { rows: 37, cols: 2048, norm: true, groupWidth: 32, rowsPerGroup: 1, loop: 'tile1' }),
  fusedMatvecCase('Q6_K', { rows: 27, cols: 768, accumulate: true, loop: 'unroll2' }),
  fusedMatvecCase('Q4_0', { rows: 21, cols: 1056, norm: true, swiglu: true, groupWidth: 8, rowsPerGroup: 2, loop: 'unroll4' }),
  fusedMatvecCase('Q5_0', { rows: 33, cols: 544, bias: true, wg: 64, groupWidth: 32, rowsPerGroup: 2, loop: 'tile1v' }),
  fusedMatvecCase('Q8_0', { rows: 23, cols: 544, swiglu: true, wg: 64, groupWidth: 32, rowsPerGroup: 4, loop: 'tile1' }),
];

/**
 * Packed f16 pages: every NaN half (the arena's poison, so slots not to be written) stays NaN
 * and every written half is finite, and the written halves match within a normalised mean
 * squared error. Not bitwise: WGSL lets sin / cos be off by up to 2^-11 absolute (llvmpipe's
 * are), so the f16 rounding of a rotated value can land a few ulps from the f64 reference's
 * (a 1-ulp bound failed 1 run in a few hundred).
 */
function f16Nmse(bound: number) {
  return (got: OutputData, exp: OutputData): string | null => {
    let err = 0;
    let ref = 0;
    for (let i = 0; i < exp.length; i++) {
      for (const sh of [0, 16]) {
        const a = f16BitsToF32((got[i]! >>> sh) & 0xffff);
        const b = f16BitsToF32((exp[i]! >>> sh) & 0xffff);
        if (Number.isNaN(a) !== Number.isNaN(b) || (!Number.isNaN(b) && !Number.isFinite(a))) return `word ${i} is 0x${got[i]!.toString(16)}, expected 0x${exp[i]!.toString(16)}`;
        if (Number.isNaN(b)) continue;
        err += (a - b) ** 2;
        ref += b * b;
      }
    }
    const nmse = err / Math.max(ref, 1e-30);
    return nmse <= bound ? null : `f16 pages nmse ${nmse.toExponential(2)} > ${bound}`;
  };
}

/**
 * RoPE (+ q/k norm) + KV append over a stacked q|k|v of `tokens` tokens at random positions into
 * a poisoned arena with a permuted page table (as cases-attention.ts's append case).
 */
function ropeKvCase(name: string, tokens: number, nq: number, nkv: number, hd: number, cfg: RopeConfig, qkNorm = false): KernelCase {
  return {
    op: `rope-kv-${cfg.mode}`,
    name,
    maxNmse: qkNorm ? 1e-8 : 1e-9,
    build({ rng, input, ctx }) {
      const maxTokens = 300;
      const maxPages = kvPagesFor(maxTokens) + 1;
      const tableOffset = 5;
      const phys = nkv * maxPages + 2;
      const perm = [...Array(phys).keys()];
      for (let i = perm.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [perm[i], perm[j]] = [perm[j]!, perm[i]!];
      }
      const table = new Uint32Array(tableOffset + nkv * maxPages).fill(KV_PAGE_NONE);
      for (let h = 0; h < nkv; h++) for (let p = 0; p < maxPages; p++) table[tableOffset + h * maxPages + p] = perm[h * maxPages + p]!;
      const map = (h: number, p: number) => table[tableOffset + h * maxPages + p]!;
      const arena = kvArenaPoisoned(phys, hd);
      const stride = (nq + 2 * nkv) * hd;
      const qkv = rng.normal(tokens * stride, 2);
      const positions = new Uint32Array(tokens);
      for (let t = 0; t < tokens; t++) positions[t] = (t * 97 + rng.int(97)) % maxTokens; // distinct slots
      const qn = rng.normal(hd);
      const kn = rng.normal(hd);
      const expected = Float32Array.from(qkv);
      const pagesExp = Uint32Array.from(arena);
      for (let t = 0; t < tokens; t++) {
        let q: Float32Array = qkv.slice(t * stride, t * stride + nq * hd);
        let k: Float32Array = qkv.slice(t * stride + nq * hd, t * stride + (nq + nkv) * hd);
        const v = qkv.slice(t * stride + (nq + nkv) * hd, (t + 1) * stride);
        if (qkNorm) {
          q = rmsNorm(q, qn, nq, hd, 1e-6);
          k = rmsNorm(k, kn, nkv, hd, 1e-6);
        }
        q = rope(q, [positions[t]!], 1, nq, hd, cfg);
        k = rope(k, [positions[t]!], 1, nkv, hd, cfg);
        expected.set(q, t * stride);
        expected.set(k, t * stride + nq * hd);
        kvPagesWrite(pagesExp, k, v, 1, nkv, hd, map, positions[t]!);
      }
      const posBuf = input(positions);
      const tb = input(table);
      const qnBuf = input(qn);
      const knBuf = input(kn);
      const rt = ropeTable(ctx, cfg);
      return {
        outputs: [
          { name: 'qkv', bytes: qkv.byteLength, init: qkv, expected },
          { name: 'pages', bytes: arena.byteLength, init: arena, expected: pagesExp, check: f16Nmse(1e-6) },
        ],
        plans: async ([x, pages]) => [
          await ropeKvPlan(ctx, { qkv: x!, positions: posBuf, table: rt, kv: { pages: pages!, pageTable: tb, tableOffset, maxPages, nKvHeads: nkv, headDim: hd }, tokens, nHeads: nq, ...(qkNorm ? { qkNorm: { q: qnBuf, k: knBuf, eps: 1e-6 } } : {}) }),
          { encode() {}, dispose: () => rt.dispose() },
        ],
      };
    },
  };
}

const llama3 = { kind: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalContext: 8192 } as const;

export const ROPE_KV_CASES: KernelCase[] = [
  ropeKvCase('1 token q=4 kv=2 hd=64', 1, 4, 2, 64, { mode: 'norm', nRot: 64, base: 10000 }),
  ropeKvCase('3 tokens q=5 kv=1 hd=128 llama3', 3, 5, 1, 128, { mode: 'norm', nRot: 128, base: 500000, scaling: llama3 }),
  ropeKvCase('2 tokens q=6 kv=3 hd=64 partial nRot=32', 2, 6, 3, 64, { mode: 'neox', nRot: 32, base: 10000 }),
  ropeKvCase('1 token q=4 kv=2 hd=128 qk-norm', 1, 4, 2, 128, { mode: 'neox', nRot: 128, base: 1e6 }, true),
  ropeKvCase('2 tokens q=2 kv=1 hd=256 qk-norm', 2, 2, 1, 256, { mode: 'neox', nRot: 256, base: 1e6 }, true),
];
