/**
 * Harness cases for act-quant.wgsl's fused inputs (activationQuantizePlan `norm` / `swiglu`):
 * decode's ffn_norm + quantize and SwiGLU + quantize in one dispatch each. Each case runs the
 * fused plan and the separate plans it replaces (rmsnorm.ts or elementwise.ts's swiglu, then
 * the plain quantization) on the same inputs into one output region, and checks
 *   - the fused int8 x and scales are bitwise those of the separate plans;
 *   - both match the CPU reference (engine/reference: rmsNorm / swiglu, then
 *     activationQuantize): the GPU's f32 sums and exp differ from the f64 reference in the last
 *     bits, which can move a value across a rounding boundary, so a few q may be off by one and
 *     a q8_0 scale by one f16 step; each 32 elements' (d, d s0, d s1, 0) must hold exactly;
 *   - the padding between the four parts (and rows past `rows` with setRows) stays untouched.
 * Shapes: rows > 1, element counts not multiples of a step (4 WG elements), both activation
 * formats, all three norm workgroup sizes (64, 128, 256).
 *
 * Extend: another fused input = a FusedInput kind, its reference and its separate plan.
 */

import { activationQuantizePlan, type ActivationFormat } from '../../engine/kernels/act-quant.ts';
import { swigluPlan } from '../../engine/kernels/elementwise.ts';
import { rmsNormPlan } from '../../engine/kernels/rmsnorm.ts';
import { gpuBinding, type BufferRef } from '../../engine/gpu/buffer-pool.ts';
import type { KernelPlan } from '../../engine/kernels/context.ts';
import { ACTIVATION_BLOCK, activationQuantize } from '../../engine/reference/ops-act-quant.ts';
import { rmsNorm, swiglu } from '../../engine/reference/ops.ts';
import type { KernelCase, OutputData, Rng } from './harness.ts';

type FusedInput = 'norm' | 'swiglu';

const EPS = 1e-5;
const align = (n: number) => Math.ceil(n / 256) * 256;

/** Byte offsets of the fused and separate (xq, xs) parts in the output region, for n elements. */
function regionLayout(n: number) {
  const fq = 0;
  const fs = align(n);
  const sq = fs + align(n / 2);
  const ss = sq + align(n);
  return { fq, fs, sq, ss, total: ss + align(n / 2) };
}

/** Row-major values with block magnitudes over 4 decades and one all-zero block (row 0). */
function spreadInput(rng: Rng, n: number, block: number, std: number): Float32Array {
  const x = rng.normal(n, std);
  for (let b = 0; b < n / block; b++) {
    const s = 10 ** (rng.next() * 4 - 2);
    for (let i = b * block; i < (b + 1) * block; i++) x[i] = Math.fround(x[i]! * s);
  }
  if (n >= 2 * block) x.fill(0, block, 2 * block);
  return x;
}

/** Differences of the int8 x and scales of one part from the CPU quantization, or null. */
export function checkAgainstRef(what: string, q: Int8Array, xs: Float32Array, ref: { q: Int8Array; d: Float32Array }, format: ActivationFormat): string | null {
  const B = ACTIVATION_BLOCK[format];
  let off = 0;
  for (let i = 0; i < ref.q.length; i++) {
    const dq = Math.abs(q[i]! - ref.q[i]!);
    if (dq > 1) return `${what}: q[${i}] = ${q[i]}, reference ${ref.q[i]}`;
    off += dq;
  }
  // a flip needs a value within ~1e-5 of a rounding boundary: a handful per case at most
  if (off > Math.max(2, ref.q.length / 500)) return `${what}: ${off} of ${ref.q.length} q off by one from the reference`;
  for (let j = 0; j < ref.q.length / 32; j++) {
    const d = xs[4 * j]!;
    const dr = ref.d[Math.floor((32 * j) / B)]!;
    if (!(Math.abs(d - dr) <= 1e-3 * Math.abs(dr))) return `${what}: scale of elements ${32 * j}.. is ${d}, reference ${dr}`;
    let s0 = 0;
    let s1 = 0;
    for (let i = 0; i < 16; i++) {
      s0 += q[32 * j + i]!;
      s1 += q[32 * j + 16 + i]!;
    }
    const want = [d, Math.fround(d * s0), Math.fround(d * s1), 0];
    for (let k = 0; k < 4; k++) {
      if (!Object.is(xs[4 * j + k], want[k])) return `${what}: xs[${j}].${'xyzw'[k]} = ${xs[4 * j + k]}, expected ${want[k]} (q sums ${s0}, ${s1})`;
    }
  }
  return null;
}

function fusedQuantCase(input: FusedInput, format: ActivationFormat, rows: number, cols: number, maxRows = rows): KernelCase {
  const n = rows * cols;
  const nMax = maxRows * cols;
  const lay = regionLayout(nMax);
  return {
    op: `act-quant-${input}-${format}`,
    name: `${rows}x${cols}${maxRows > rows ? ` setRows (max ${maxRows})` : ''}`,
    maxNmse: 0,
    build({ rng, input: upload, scratch, ctx }) {
      const B = ACTIVATION_BLOCK[format];
      const x = spreadInput(rng, nMax, B, 2);
      const other = input === 'norm' ? rng.normal(cols, 0.5, 1) : spreadInput(rng, nMax, B, 1);
      const ref = input === 'norm' ? rmsNorm(x.subarray(0, n), other, rows, cols, EPS) : swiglu(x.subarray(0, n), other.subarray(0, n));
      const refQ = activationQuantize(ref, format);
      const xBuf = upload(x);
      const oBuf = upload(other);
      const tmp = scratch(nMax * 4, 'separate-input');
      const check = (got: OutputData): string | null => {
        const bytes = new Uint8Array(got.buffer, got.byteOffset, got.byteLength);
        const part = (at: number, len: number) => bytes.subarray(at, at + len);
        // bitwise the separate plans'
        for (const [f, s, len, name] of [[lay.fq, lay.sq, n, 'int8 x'], [lay.fs, lay.ss, n / 2, 'scales']] as const) {
          const a = part(f, len);
          const b = part(s, len);
          const i = a.findIndex((v, k) => v !== b[k]);
          if (i >= 0) return `fused ${name} differ from the separate plans' at byte ${i}: ${a[i]} vs ${b[i]}`;
        }
        // untouched: padding after each part (and the rows past `rows`)
        for (const [at, len, size] of [[lay.fq, n, lay.fs - lay.fq], [lay.fs, n / 2, lay.sq - lay.fs], [lay.sq, n, lay.ss - lay.sq], [lay.ss, n / 2, lay.total - lay.ss]]) {
          const i = part(at + len, size - len).findIndex((v) => v !== 0xff);
          if (i >= 0) return `byte ${at + len + i} past a part was written`;
        }
        for (const [q, s, what] of [[lay.fq, lay.fs, 'fused'], [lay.sq, lay.ss, 'separate']] as const) {
          const e = checkAgainstRef(what, new Int8Array(got.buffer, got.byteOffset + q, n), new Float32Array(got.buffer, got.byteOffset + s, n / 8), refQ, format);
          if (e) return e;
        }
        return null;
      };
      return {
        outputs: [{ name: 'fused|separate', bytes: lay.total, expected: new Uint32Array(lay.total / 4), check }],
        plans: async ([out]) => {
          const { buffer, offset = 0 } = gpuBinding(out!);
          const sub = (at: number, size: number): BufferRef => ({ buffer, offset: offset + at, size });
          const quant = async (src: BufferRef, xq: number, xs: number, fused: boolean) => {
            const p = await activationQuantizePlan(ctx, {
              x: src,
              cols,
              format,
              maxRows,
              out: { xq: sub(xq, nMax), xs: sub(xs, nMax / 2) },
              ...(fused && input === 'norm' ? { norm: { weight: oBuf, eps: EPS } } : {}),
              ...(fused && input === 'swiglu' ? { swiglu: { up: oBuf } } : {}),
            });
            p.setRows(rows);
            return p;
          };
          const first: KernelPlan =
            input === 'norm'
              ? await rmsNormPlan(ctx, { x: xBuf, weight: oBuf, out: tmp, rows, dim: cols, eps: EPS })
              : await swigluPlan(ctx, { gate: xBuf, up: oBuf, out: tmp, n });
          return [await quant(xBuf, lay.fq, lay.fs, true), first, await quant(tmp, lay.sq, lay.ss, false)];
        },
        bytes: nMax * 8 + nMax * 1.5,
      };
    },
  };
}

export const FUSED_QUANT_CASES: KernelCase[] = [
  fusedQuantCase('norm', 'q8_0', 1, 64),
  fusedQuantCase('norm', 'q8_0', 3, 96),
  fusedQuantCase('norm', 'q8_0', 1, 896),
  fusedQuantCase('norm', 'q8_0', 2, 32 * 71),
  fusedQuantCase('norm', 'q8_0', 2, 2048, 4),
  fusedQuantCase('norm', 'q8_K', 1, 256),
  fusedQuantCase('norm', 'q8_K', 3, 256 * 17),
  fusedQuantCase('norm', 'q8_K', 1, 4096),
  // many q8_K blocks: their scales 1 / (127 / amax) show the last bit of every block maximum,
  // so a norm reduced in another order fails here first
  fusedQuantCase('norm', 'q8_K', 4, 8192),
  fusedQuantCase('swiglu', 'q8_0', 1, 32 * 37),
  fusedQuantCase('swiglu', 'q8_0', 3, 4864),
  fusedQuantCase('swiglu', 'q8_K', 1, 256 * 7),
  fusedQuantCase('swiglu', 'q8_K', 2, 8192, 3),
];
