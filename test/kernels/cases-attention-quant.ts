/**
 * Harness cases for decode attention's fused merge + quantization (decodeAttentionPlan
 * `quantizeOut`: pass 2 `reduce_quant` merges the chunk partials and quantizes the output for
 * the attn_output matvec in one dispatch). Each case runs the fused plan and the separate plans
 * it replaces (the plain plan, whose `reduce` writes out, then activationQuantizePlan on out) on
 * the same inputs into one output region, and checks
 *   - the fused int8 x, its scales and its f32 out are bitwise the separate plans';
 *   - out matches the CPU attention (NMSE), and the int8 x the CPU quantization of that out
 *     (checkAgainstRef: a q off by one at a rounding boundary at most);
 *   - the padding between the parts stays untouched; with `probs`, the tap still matches.
 * Shapes: head dims 64 and 128 (and 40: a q8_0 block of 4 merge slices of 8 dims spanning two
 * heads), GQA ratios 1, 4 and 7, KV lengths that end mid-page, one chunk to past the merge's 32
 * chunk groups, both pass-1 variants, both activation formats, element counts that are not a
 * multiple of 256.
 *
 * Extend: another fused consumer of the merge = another quantizeOut format here.
 */

import { activationQuantizePlan, type ActivationFormat } from '../../engine/kernels/act-quant.ts';
import { decodeAttentionPlan, type DecodeVariant } from '../../engine/kernels/attention-decode.ts';
import { gpuBinding, type BufferRef } from '../../engine/gpu/buffer-pool.ts';
import { activationQuantize } from '../../engine/reference/ops-act-quant.ts';
import { attentionInputs } from './cases-attention.ts';
import { checkAgainstRef } from './cases-fused-quant.ts';
import { nmse, type KernelCase, type OutputData, type OutputSpec } from './harness.ts';

const align = (n: number) => Math.ceil(n / 256) * 256;

/** Byte offsets of the (xq, xs, out) parts in an output region of n outputs. */
function regionLayout(n: number) {
  return { xq: 0, xs: align(n), out: align(n) + align(n / 2), lens: { xq: n, xs: n / 2, out: 4 * n }, total: align(n) + align(n / 2) + align(4 * n) };
}

/** Index of the first differing byte of two regions' part, or -1. */
function firstDiff(a: Uint8Array, b: Uint8Array): number {
  return a.findIndex((v, j) => v !== b[j]);
}

interface QuantCaseOpts {
  target?: number;
  variant?: DecodeVariant;
  probs?: boolean;
  /** expected chunk count after update */
  chunks?: number;
}

function attentionQuantCase(name: string, format: ActivationFormat, nHeads: number, nKv: number, hd: number, kvLen: number, opts: QuantCaseOpts = {}): KernelCase {
  const n = nHeads * hd;
  const lay = regionLayout(n);
  return {
    op: `attn-decode-quant-${format}-hd${hd}`,
    name: `${name} (heads=${nHeads} kv=${nKv} len=${kvLen}${opts.variant ? ` ${opts.variant}` : ''})`,
    maxNmse: 1e-9,
    build(env) {
      const { ctx } = env;
      const { ref, qb, kv } = attentionInputs(env, nHeads, nKv, hd, kvLen - 1, 1);
      const bytesOf = (got: OutputData) => new Uint8Array(got.buffer, got.byteOffset, got.byteLength);
      // the outputs are checked in order: the fused region, the separate out, the separate xq|xs
      let fused: Uint8Array | null = null;
      const part = (bytes: Uint8Array, k: 'xq' | 'xs' | 'out') => bytes.subarray(lay[k], lay[k] + lay.lens[k]);
      const checkFused = (got: OutputData): string | null => {
        fused = bytesOf(got).slice();
        for (const k of ['xq', 'xs', 'out'] as const) {
          const at = lay[k] + lay.lens[k];
          const i = fused.subarray(at, k === 'out' ? lay.total : lay[k] + align(lay.lens[k])).findIndex((v) => v !== 0xff);
          if (i >= 0) return `byte ${at + i} past ${k} was written`;
        }
        const out = new Float32Array(fused.buffer, lay.out, n);
        const [e, err] = nmse(out, ref.out);
        if (err || !(e <= 1e-9)) return `out: ${err ?? `NMSE ${e} over 1e-9`}`;
        return checkAgainstRef('fused', new Int8Array(fused.buffer, lay.xq, n), new Float32Array(fused.buffer, lay.xs, n / 8), activationQuantize(Float32Array.from(out), format), format);
      };
      const checkSeparateOut = (got: OutputData): string | null => {
        const i = firstDiff(part(fused!, 'out'), bytesOf(got));
        return i >= 0 ? `fused out differs from the plain merge's at byte ${i}` : null;
      };
      const checkSeparateQuant = (got: OutputData): string | null => {
        for (const k of ['xq', 'xs'] as const) {
          const i = firstDiff(part(fused!, k), part(bytesOf(got), k));
          if (i >= 0) return `fused ${k} differs from the separate quantization's at byte ${i}: ${part(fused!, k)[i]} vs ${part(bytesOf(got), k)[i]}`;
        }
        return null;
      };
      const qBytes = lay.out;
      const outputs: OutputSpec[] = [
        { name: 'fused xq|xs|out', bytes: lay.total, expected: new Uint32Array(lay.total / 4), check: checkFused },
        { name: 'separate out', bytes: 4 * n, expected: new Uint32Array(n), check: checkSeparateOut },
        { name: 'separate xq|xs', bytes: qBytes, expected: new Uint32Array(qBytes / 4), check: checkSeparateQuant },
      ];
      if (opts.probs) outputs.push({ name: 'probs', bytes: nHeads * kvLen * 4, expected: ref.probs });
      return {
        outputs,
        plans: async ([fRegion, sOut, sRegion, probs]) => {
          const sub = (r: BufferRef, k: 'xq' | 'xs' | 'out'): BufferRef => {
            const { buffer, offset = 0 } = gpuBinding(r);
            return { buffer, offset: offset + lay[k], size: lay.lens[k] };
          };
          const common = { q: qb, kv, nHeads, maxKvLen: kvLen, ...(opts.target ? { targetWorkgroups: opts.target } : {}), ...(opts.variant ? { variant: opts.variant } : {}) };
          const fused = await decodeAttentionPlan(ctx, { ...common, out: sub(fRegion!, 'out'), ...(probs ? { probs } : {}), quantizeOut: { format, out: { xq: sub(fRegion!, 'xq'), xs: sub(fRegion!, 'xs') } } });
          const plain = await decodeAttentionPlan(ctx, { ...common, out: sOut! });
          const quant = await activationQuantizePlan(ctx, { x: sOut!, cols: n, format, out: { xq: sub(sRegion!, 'xq'), xs: sub(sRegion!, 'xs') } });
          for (const p of [fused, plain]) p.update(kvLen);
          if (opts.chunks !== undefined && fused.chunks !== opts.chunks) throw new Error(`expected ${opts.chunks} chunks, the plan chose ${fused.chunks}`);
          if (fused.quantized?.format !== format || fused.quantized.cols !== n) throw new Error('the fused plan does not expose its quantized output');
          return [fused, plain, quant];
        },
        bytes: kvLen * nKv * hd * 4,
      };
    },
  };
}

export const ATTENTION_QUANT_CASES: KernelCase[] = [
  attentionQuantCase('debug G=4 one chunk', 'q8_0', 8, 2, 64, 5, { chunks: 1 }),
  attentionQuantCase('G=4 q8_K one chunk', 'q8_K', 8, 2, 64, 63, { chunks: 1 }),
  attentionQuantCase('G=1 ragged', 'q8_0', 4, 4, 64, 130, { target: 8 }),
  attentionQuantCase('G=1 ragged', 'q8_K', 4, 4, 64, 130, { target: 8 }),
  attentionQuantCase('G=1 hd=128 many chunks', 'q8_0', 2, 2, 128, 3001, { target: 128, chunks: 47 }),
  attentionQuantCase('G=4 hd=128 chunked', 'q8_K', 8, 2, 128, 777, { target: 6 }),
  attentionQuantCase('G=4 hd=128 chunked', 'q8_0', 8, 2, 128, 1000, { target: 8 }),
  attentionQuantCase('Llama-1B shape G=4 (32/8 heads)', 'q8_0', 32, 8, 64, 2047, { target: 512, chunks: 32 }),
  attentionQuantCase('Llama-1B shape G=4 (32/8 heads)', 'q8_K', 32, 8, 64, 300, { target: 16 }),
  attentionQuantCase('G=4 kv=1 past 32 chunk groups', 'q8_K', 4, 1, 64, 5000, { target: 512, chunks: 79 }),
  attentionQuantCase('Qwen2.5-0.5B shape G=7', 'q8_0', 14, 2, 64, 1000, { target: 8 }),
  attentionQuantCase('G=7', 'q8_K', 28, 4, 64, 517, { target: 16 }),
  attentionQuantCase('G=7 hd=128', 'q8_0', 7, 1, 128, 300, { target: 2 }),
  attentionQuantCase('hd=40 blocks across heads', 'q8_0', 4, 2, 40, 100, { target: 8 }),
  attentionQuantCase('G=7 hd=128', 'q8_K', 14, 2, 128, 129, { target: 4 }),
  attentionQuantCase('probs', 'q8_0', 8, 2, 64, 300, { target: 4, probs: true }),
  attentionQuantCase('stream-r', 'q8_0', 8, 2, 64, 1000, { variant: 'stream-r', target: 4 }),
  attentionQuantCase('stream-r G=7', 'q8_K', 14, 2, 128, 999, { variant: 'stream-r', target: 16 }),
  attentionQuantCase('stream-r probs', 'q8_K', 8, 2, 128, 65, { variant: 'stream-r', target: 2, probs: true }),
];
