/**
 * Harness cases for the quantized matrix kernels: activation rounding and quantization (the
 * latter into the int8 matmul's scratch layout), matvec (decode) and tiled matmul (prefill)
 * for every weight format, the fused bias / residual variants, and weights split over several
 * bindings (a forced small binding limit, and a tensor given as two row parts).
 * Shapes are not multiples of the tiles: rows % 4 != 0, tokens % 64 != 0, float rows % 8 != 0.
 *
 * Extend: add a format to WEIGHT_FORMATS (weight-layout.ts) and it is covered here.
 */

import { activationFormatOf, activationQuantizePlan, activationRoundPlan, type ActivationFormat } from '../../engine/kernels/act-quant.ts';
import { gpuBinding } from '../../engine/gpu/buffer-pool.ts';
import { matvecPlan, type MatvecLoop } from '../../engine/kernels/matvec.ts';
import { matmulPlan } from '../../engine/kernels/matmul.ts';
import { int8ScratchLayout } from '../../engine/kernels/matmul-int8.ts';
import { WEIGHT_FORMATS, weightFormatLayout, weightRowBytes, type WeightFormat } from '../../engine/kernels/weight-layout.ts';
import type { KernelContext } from '../../engine/kernels/context.ts';
import type { KernelCase, Rng } from './harness.ts';
import { ACTIVATION_BLOCK, activationQuantize, activationRound } from '../../engine/reference/ops-act-quant.ts';
import { matmulRef, randomWeights } from './weights-ref.ts';

/** A row length with several blocks and, for float formats, a tail that is not a multiple of 8. */
function colsFor(fmt: WeightFormat): number {
  const l = weightFormatLayout(fmt);
  if (fmt === 'F32') return 77;
  if (fmt === 'F16') return 130;
  if (fmt === 'BF16') return 96;
  return l.blockWeights === 256 ? 768 : 288;
}

interface MatvecCaseOpts {
  rows: number;
  cols?: number;
  bias?: boolean;
  accumulate?: boolean;
  /** Forces slices of at most this many bytes (tests the row split on any device). */
  maxBinding?: number;
  /** Upload the tensor as two row parts in two buffers. */
  parts?: boolean;
  wg?: number;
  name?: string;
  /** Matvec path for quantized formats (default int8, the plan's default). */
  activation?: 'int8' | 'f32';
  unit64?: boolean;
  loop?: MatvecLoop;
  rowsPerWorkgroup?: number;
}

function matvecCase(fmt: WeightFormat, o: MatvecCaseOpts): KernelCase {
  const cols = o.cols ?? colsFor(fmt);
  const int8 = !weightFormatLayout(fmt).float && o.activation !== 'f32';
  const tag = [int8 ? '' : weightFormatLayout(fmt).float ? '' : 'f32-x', o.bias ? 'bias' : '', o.accumulate ? 'acc' : '', o.maxBinding ? 'split' : '', o.parts ? 'parts' : '', o.unit64 === false ? 'unit32' : o.unit64 ? 'unit64' : '', o.loop ?? '', o.wg ? `wg${o.wg}` : '', o.rowsPerWorkgroup ? `r${o.rowsPerWorkgroup}` : ''].filter(Boolean).join('+');
  return {
    op: `matvec-${fmt}`,
    name: o.name ?? `${o.rows}x${cols}${tag ? ` ${tag}` : ''}`,
    maxNmse: 1e-9,
    build({ rng, input, ctx }) {
      const w = randomWeights(fmt, o.rows, cols, rng);
      const x = rng.normal(cols);
      const b = rng.normal(o.rows);
      const y0 = rng.normal(o.rows);
      // The int8 path is exact up to f32 rounding given its quantized x (llama.cpp's rounding).
      const expected = matmulRef(int8 ? activationRound(x, activationFormatOf(fmt)!) : x, w.values, 1, o.rows, cols);
      for (let r = 0; r < o.rows; r++) expected[r] = expected[r]! + (o.bias ? b[r]! : 0) + (o.accumulate ? y0[r]! : 0);
      const xBuf = input(x);
      const bBuf = o.bias ? input(b) : undefined;
      let weight: Parameters<typeof matvecPlan>[1]['weight'];
      if (o.parts) {
        const rb = weightRowBytes(fmt, cols);
        const r0 = Math.floor(o.rows / 3);
        weight = [
          { buffer: input(w.bytes.slice(0, r0 * rb)), rows: r0 },
          { buffer: input(w.bytes.slice(r0 * rb)), rows: o.rows - r0 },
        ];
      } else weight = input(w.bytes);
      const kctx: KernelContext = o.maxBinding ? { ...ctx, maxStorageBufferBindingSize: o.maxBinding } : ctx;
      return {
        outputs: [{ name: 'y', bytes: o.rows * 4, expected, ...(o.accumulate ? { init: y0 } : {}) }],
        plans: async ([y]) => {
          const p = await matvecPlan(kctx, { format: fmt, rows: o.rows, cols, weight, x: xBuf, y: y!, ...(bBuf ? { bias: bBuf } : {}), accumulate: o.accumulate, ...(o.wg ? { wg: o.wg } : {}), ...(o.activation ? { activation: o.activation } : {}), ...(o.unit64 !== undefined ? { unit64: o.unit64 } : {}), ...(o.loop ? { loop: o.loop } : {}), ...(o.rowsPerWorkgroup ? { rowsPerWorkgroup: o.rowsPerWorkgroup } : {}) });
          if ((o.maxBinding || o.parts) && p.slices.length < 2) throw new Error(`expected a split weight, got ${p.slices.length} slice`);
          return [p];
        },
        bytes: w.bytes.length + cols * 4 + o.rows * 4,
        flops: 2 * o.rows * cols,
      };
    },
  };
}

/** One quantized x shared by two matvecs of different formats with one activation format (q/k/v-style). */
function sharedXCase(fa: WeightFormat, fb: WeightFormat): KernelCase {
  const cols = 768;
  const format = activationFormatOf(fa)!;
  return {
    op: 'matvec-shared-x',
    name: `${fa} 33x${cols} + ${fb} 20x${cols}`,
    maxNmse: 1e-9,
    build({ rng, input, ctx }) {
      const wa = randomWeights(fa, 33, cols, rng);
      const wb = randomWeights(fb, 20, cols, rng);
      const x = rng.normal(cols);
      const xq = activationRound(x, format);
      const xBuf = input(x);
      const aBuf = input(wa.bytes);
      const bBuf = input(wb.bytes);
      return {
        outputs: [
          { name: 'ya', bytes: 33 * 4, expected: matmulRef(xq, wa.values, 1, 33, cols) },
          { name: 'yb', bytes: 20 * 4, expected: matmulRef(xq, wb.values, 1, 20, cols) },
        ],
        plans: async ([ya, yb]) => {
          const q = await activationQuantizePlan(ctx, { x: xBuf, cols, format });
          const pa = await matvecPlan(ctx, { format: fa, rows: 33, cols, weight: aBuf, x: xBuf, y: ya!, quantizedX: q });
          const pb = await matvecPlan(ctx, { format: fb, rows: 20, cols, weight: bBuf, x: xBuf, y: yb!, quantizedX: q });
          return [q, pa, pb];
        },
      };
    },
  };
}

/**
 * Activations with block maxima over 6 decades, one all-zero block and exact ties of the
 * largest magnitude (+a and -a), rows x cols.
 */
function actInput(rng: Rng, rows: number, cols: number, format: ActivationFormat): Float32Array {
  const B = ACTIVATION_BLOCK[format];
  const x = rng.normal(rows * cols);
  for (let b = 0; b < x.length / B; b++) {
    const scale = 10 ** (rng.next() * 6 - 3);
    for (let i = b * B; i < (b + 1) * B; i++) x[i] = Math.fround(x[i]! * scale);
  }
  x.fill(0, B, 2 * B);
  if (x.length >= 3 * B) {
    x[2 * B + 3] = 4;
    x[2 * B + 9] = -4;
  }
  return x;
}

/** act-quant.wgsl, ROUND: x rounded through q8_0 / q8_K and back to f32, bit-exact. */
function actRoundCase(format: ActivationFormat, rows: number, cols: number): KernelCase {
  return {
    op: `act-round-${format}`,
    name: `${rows}x${cols}`,
    maxNmse: 0,
    build({ rng, input, ctx }) {
      const x = actInput(rng, rows, cols, format);
      const xBuf = input(x);
      return {
        outputs: [{ name: 'y', bytes: rows * cols * 4, expected: activationRound(x, format) }],
        plans: async ([y]) => [await activationRoundPlan(ctx, { x: xBuf, y: y!, cols, maxRows: rows, format })],
      };
    },
  };
}

/**
 * act-quant.wgsl, int8 output: x [rows x cols] quantized into a caller-given scratch laid out as
 * the int8 matmul's (int8ScratchLayout: int8 x, padding, scales at a 256-byte boundary), the
 * plan built for maxRows and then set to rows as matmul-int8.ts's setM does. The int8 values
 * and each 32 elements' (d, d sum(q[0..16]), d sum(q[16..32]), 0) must match the CPU
 * quantization bit for bit; the padding and the scales past `rows` stay untouched.
 */
function actQuantCase(format: ActivationFormat, rows: number, cols: number, maxRows = rows): KernelCase {
  return {
    op: `act-quant-${format}`,
    name: `${rows}x${cols}${maxRows > rows ? ` setRows (max ${maxRows})` : ''}`,
    maxNmse: 0,
    build({ rng, input, ctx }) {
      const x = actInput(rng, maxRows, cols, format);
      const xBuf = input(x);
      const lay = int8ScratchLayout(maxRows, cols);
      const { q, d } = activationQuantize(x.subarray(0, rows * cols), format);
      const B = ACTIVATION_BLOCK[format];
      const expected = new Uint32Array(lay.total / 4).fill(0xffffffff);
      expected.set(new Uint32Array(q.buffer, 0, q.length / 4));
      const xs = new Float32Array(expected.buffer, lay.xsOffset, (rows * cols) / 8);
      for (let j = 0; j < (rows * cols) / 32; j++) {
        const dj = d[Math.floor((32 * j) / B)]!;
        let s0 = 0;
        let s1 = 0;
        for (let i = 0; i < 16; i++) {
          s0 += q[32 * j + i]!;
          s1 += q[32 * j + 16 + i]!;
        }
        xs.set([dj, Math.fround(dj * s0), Math.fround(dj * s1), 0], 4 * j);
      }
      return {
        outputs: [{ name: 'scratch', bytes: lay.total, expected }],
        plans: async ([out]) => {
          const { buffer, offset = 0 } = gpuBinding(out!);
          const xq = { buffer, offset, size: lay.xqBytes };
          const xsRef = { buffer, offset: offset + lay.xsOffset, size: lay.xsBytes };
          const p = await activationQuantizePlan(ctx, { x: xBuf, cols, maxRows, format, out: { xq, xs: xsRef } });
          p.setRows(rows);
          return [p];
        },
      };
    },
  };
}

interface MatmulCaseOpts {
  m: number;
  rows: number;
  cols?: number;
  bias?: boolean;
  accumulate?: boolean;
  maxBinding?: number;
  tile?: 4 | 8;
  /** tokens-side tile (the CPU adapters' 16 x 8 default: matmulTileDefaults) */
  tileM?: 4 | 8 | 16;
  /** Plan built for more tokens, then setM(m). */
  maxM?: number;
  prefetch?: boolean;
  /** Quantized formats: 'f32' multiplies X as is (default: X rounded as llama.cpp does). */
  activation?: 'f32';
  /** matmulPlan's int8 opt-in (the tensor-core kernel where the device has it, else f32). */
  int8?: boolean;
}

function matmulCase(fmt: WeightFormat, o: MatmulCaseOpts): KernelCase {
  const cols = o.cols ?? colsFor(fmt);
  const tag = [o.bias ? 'bias' : '', o.accumulate ? 'acc' : '', o.maxBinding ? 'split' : '', o.tile ? `tile${o.tile}` : '', o.tileM ? `tileM${o.tileM}` : '', o.maxM ? 'setM' : '', o.prefetch === false ? 'no-prefetch' : '', o.activation ? 'f32-x' : ''].filter(Boolean).join('+');
  return {
    op: `matmul${o.int8 ? '-int8' : ''}-${fmt}`,
    name: `${o.m}x${o.rows}x${cols}${tag ? ` ${tag}` : ''}`,
    maxNmse: 1e-9,
    build({ rng, input, ctx }) {
      const maxM = o.maxM ?? o.m;
      const w = randomWeights(fmt, o.rows, cols, rng);
      const x = rng.normal(maxM * cols);
      const b = rng.normal(o.rows);
      const y0 = rng.normal(o.m * o.rows);
      const act = o.activation === 'f32' ? null : activationFormatOf(fmt);
      const expected = matmulRef(act ? activationRound(x, act) : x, w.values, o.m, o.rows, cols);
      for (let i = 0; i < o.m * o.rows; i++) expected[i] = expected[i]! + (o.bias ? b[i % o.rows]! : 0) + (o.accumulate ? y0[i]! : 0);
      const xBuf = input(x);
      const wBuf = input(w.bytes);
      const bBuf = o.bias ? input(b) : undefined;
      const kctx: KernelContext = o.maxBinding ? { ...ctx, maxStorageBufferBindingSize: o.maxBinding } : ctx;
      // y holds maxM rows; only the first m are checked, the rest must stay untouched (sentinels
      // cover the region end only when m == maxM, so the padded part is checked as "init" data).
      const yRows = maxM;
      const init = new Float32Array(yRows * o.rows);
      init.set(y0);
      const exp = new Float32Array(yRows * o.rows);
      exp.set(expected);
      const needInit = o.accumulate || maxM > o.m;
      return {
        outputs: [{ name: 'y', bytes: yRows * o.rows * 4, expected: exp, ...(needInit ? { init } : {}) }],
        plans: async ([y]) => {
          const p = await matmulPlan(kctx, { format: fmt, rows: o.rows, cols, maxM, weight: wBuf, x: xBuf, y: y!, ...(bBuf ? { bias: bBuf } : {}), accumulate: o.accumulate, ...(o.tile ? { tile: o.tile } : {}), ...(o.tileM ? { tileM: o.tileM } : {}), ...(o.prefetch === false ? { prefetch: false } : {}), ...(o.activation ? { activation: o.activation } : {}), ...(o.int8 ? { int8: true } : {}) });
          if (maxM !== o.m) p.setM(o.m);
          if (o.maxBinding && p.slices.length < 2) throw new Error(`expected a split weight, got ${p.slices.length} slice`);
          return [p];
        },
        bytes: w.bytes.length + maxM * cols * 4 + o.m * o.rows * 4,
        flops: 2 * o.m * o.rows * cols,
      };
    },
  };
}

export const MATVEC_CASES: KernelCase[] = [
  ...WEIGHT_FORMATS.map((f) => matvecCase(f, { rows: 37 })),
  ...WEIGHT_FORMATS.filter((f) => !weightFormatLayout(f).float).map((f) => matvecCase(f, { rows: 35, activation: 'f32' })),
  matvecCase('Q4_0', { rows: 21, cols: 32 * 301 }),
  matvecCase('Q4_K', { rows: 27, unit64: false }),
  matvecCase('Q5_K', { rows: 27, unit64: false }),
  matvecCase('Q5_K', { rows: 19, accumulate: true, bias: true, activation: 'f32' }),
  matvecCase('Q4_K', { rows: 45, bias: true }),
  matvecCase('Q8_0', { rows: 29, accumulate: true }),
  matvecCase('F16', { rows: 23, bias: true, accumulate: true, wg: 32 }),
  matvecCase('Q6_K', { rows: 300, maxBinding: 100_000 }),
  matvecCase('Q4_0', { rows: 101, parts: true }),
  matvecCase('F32', { rows: 5, cols: 1031, name: 'debug' }),
  sharedXCase('Q8_0', 'Q4_0'),
  sharedXCase('Q4_K', 'Q6_K'),
  // loop variants (matvec.ts MatvecLoop), bitwise the same as 'base': every format, ragged rows,
  // several tile chunks with a partial last one (8 lanes x 1 unit a chunk: 9 or 24 units, 12 for
  // the 64-weight units; 301 units in chunks of 32)
  ...WEIGHT_FORMATS.filter((f) => !weightFormatLayout(f).float).flatMap((f) => [matvecCase(f, { rows: 37, loop: 'tile1', wg: 8, rowsPerWorkgroup: 3 }), matvecCase(f, { rows: 37, loop: 'tile1v', wg: 8, rowsPerWorkgroup: 3 })]),
  ...(['Q8_0', 'Q2_K', 'Q4_K', 'Q6_K'] as const).map((f) => matvecCase(f, { rows: 37, loop: 'unroll2', wg: 8 })),
  ...WEIGHT_FORMATS.filter((f) => weightFormatLayout(f).float).map((f) => matvecCase(f, { rows: 23, loop: 'unroll2', wg: 8 })),
  matvecCase('Q4_0', { rows: 21, cols: 32 * 301, loop: 'tile4', wg: 8, rowsPerWorkgroup: 2 }),
  matvecCase('Q8_0', { rows: 29, cols: 544, loop: 'tile2', wg: 32, accumulate: true }),
  matvecCase('Q8_0', { rows: 21, cols: 32 * 301, loop: 'tile2v', wg: 8 }),
  matvecCase('Q6_K', { rows: 300, maxBinding: 100_000, loop: 'tile2v' }),
  matvecCase('Q8_0', { rows: 37, loop: 'unroll4', wg: 8, bias: true }),
  matvecCase('F16', { rows: 23, cols: 1030, loop: 'unroll4', wg: 16, bias: true }),
  // the GPU defaults (matvec.ts): Q4_0 unroll4 on both paths (301 units: 9 full steps of 4 x 8
  // lanes, then a ragged tail), Q4_K's tall shape wg32 r4
  matvecCase('Q4_0', { rows: 37, cols: 32 * 301, loop: 'unroll4', wg: 8, accumulate: true }),
  matvecCase('Q4_0', { rows: 23, cols: 32 * 45, loop: 'unroll4', wg: 8, activation: 'f32', bias: true }),
  matvecCase('Q4_K', { rows: 45, cols: 1024, wg: 32, rowsPerWorkgroup: 4 }),
];

export const ACT_QUANT_CASES: KernelCase[] = [
  actRoundCase('q8_0', 5, 96),
  actRoundCase('q8_0', 3, 288),
  actRoundCase('q8_K', 4, 512),
  actQuantCase('q8_0', 5, 96),
  actQuantCase('q8_0', 3, 288, 7),
  actQuantCase('q8_K', 4, 512),
  actQuantCase('q8_K', 2, 768, 3),
];

export const MATMUL_CASES: KernelCase[] = [
  ...WEIGHT_FORMATS.map((f) => matmulCase(f, { m: 19, rows: 70 })),
  matmulCase('F32', { m: 130, rows: 150, cols: 40, tile: 8 }),
  matmulCase('F16', { m: 67, rows: 140, cols: 50, tile: 8, prefetch: false }),
  matmulCase('Q4_K', { m: 21, rows: 33, bias: true, maxM: 40 }),
  matmulCase('Q5_0', { m: 7, rows: 45, accumulate: true, bias: true }),
  matmulCase('Q3_K', { m: 9, rows: 300, maxBinding: 50_000 }),
  matmulCase('Q4_0', { m: 13, rows: 40, activation: 'f32' }),
  matmulCase('Q6_K', { m: 11, rows: 24, maxM: 30, accumulate: true }),
  // the CPU adapters' tiling (tm 16 x tn 8: 256 tokens x 128 outputs a workgroup), ragged both ways
  matmulCase('Q8_0', { m: 300, rows: 150, tileM: 16, tile: 8 }),
  matmulCase('Q8_0', { m: 37, rows: 70, tileM: 16, maxM: 270, accumulate: true, bias: true }),
  matmulCase('F32', { m: 260, rows: 20, cols: 40, tileM: 16 }),
];

/**
 * The int8 tensor-core matmul (matmul-int8.ts): ragged tokens and rows around its 64 x 64 tile,
 * bias / accumulate, a split weight, setM. Where the device lacks subgroup matrices these run
 * the f32 fallback, which must then give the same result.
 */
export const MATMUL_INT8_CASES: KernelCase[] = [
  ...(['Q8_0', 'Q4_0'] as const).flatMap((f) => [
    matmulCase(f, { m: 19, rows: 70, int8: true }),
    matmulCase(f, { m: 137, rows: 100, cols: 96, int8: true, bias: true }),
    matmulCase(f, { m: 64, rows: 64, cols: 256, int8: true, accumulate: true }),
    matmulCase(f, { m: 70, rows: 130, int8: true, maxM: 150 }),
  ]),
  matmulCase('Q8_0', { m: 33, rows: 300, cols: 96, int8: true, maxBinding: 16_000 }),
];
