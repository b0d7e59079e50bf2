/**
 * Named per-layer taps of the model runtime. Off by default: nothing here is compiled, allocated
 * or dispatched unless a generation asks for it (`taps: { attention: true }`).
 *
 * `attention` tap: for every decoded token (each generated token fed back as the query), the
 * decode attention kernel writes each head's probabilities over the KV positions
 * (probs[l]: f32 [nHeads, maxKvLen]); this tap adds them into a per-layer accumulator on the GPU
 * (one extra dispatch per layer and step, no readback), and `read()` returns the sums over the
 * prompt positions: values[(l * nHeads + h) * promptLen + j] = sum over steps of p(l, h, step, j).
 * Divide by `steps` for the mean attention. The service turns this into evidence passages.
 *
 * Per answer token (`binned`): the same tap also bins each step's probabilities over prompt token
 * ranges (bins, `binBounds`; default the whole prompt in up to 128 uniform bins) into a row of
 * binned[row, layer, head, bin] on the GPU (engine/kernels/attention-bin.ts, one dispatch per
 * layer and step). Decode step k (query = generated token k, fed back) goes to row
 * floor(k / group), where group = ceil(maxSteps / rows) is fixed at creation from the most steps
 * the generation can take, so long answers fold consecutive tokens into at most `maxRows` (128)
 * rows. Nothing is read back until `read()`, which copies the summed tap and the used rows in one
 * submit. The service turns the rows into the heatmap (contract.ts AttentionHeatmap).
 *
 * Memory (only while the tap is on): probs + acc = 2 * layers * heads * maxKvLen * 4 bytes, and
 * binned = rows * layers * heads * bins * 4 bytes with rows <= 128 and bins <= 256, further
 * capped so that binned stays <= min(64 MiB, maxStorageBufferBindingSize) (fewer rows, more steps
 * per row); e.g. 16 layers x 32 heads x 64 bins x 128 rows = 16 MiB. `read()` stages the used
 * part once more, transiently.
 *
 * Extend: a new tap = a name in TAP_NAMES, a create function here that allocates only when on,
 * and a hook where the model code produces the intermediate (engine/models/gpu-forward.ts).
 */

import { LongreadError } from '../errors.ts';
import { gpuBufferFrom, STORAGE } from '../gpu/buffer-pool.ts';
import type { KernelContext, KernelPlan } from '../kernels/context.ts';
import { attentionBinPlan } from '../kernels/attention-bin.ts';
import { addPlan } from '../kernels/elementwise.ts';

export const TAP_NAMES = ['attn_scores', 'kv_pages', 'kept_tokens'] as const;

export interface TapRequest {
  /** per layer and head, attention of generated tokens over prompt positions */
  attention?: boolean;
  /**
   * Bins of the per-row attention: bin b covers prompt tokens [attentionBins[b], attentionBins[b+1])
   * (increasing, at most 257 entries). Default: the whole prompt in min(128, promptLen) uniform bins.
   */
  attentionBins?: number[];
  /** Most rows of the per-row attention (default and at most 128). */
  attentionRows?: number;
}

/** Largest binned accumulator (bytes); rows shrink to fit. */
export const TAP_BINNED_MAX_BYTES = 64 * 1024 * 1024;
export const TAP_MAX_ROWS = 128;
export const TAP_MAX_BINS = 256;
export const TAP_DEFAULT_BINS = 128;

/** Attention of each answer-token row over prompt token bins. */
export interface AttentionBinned {
  /** bin b covers prompt tokens [bounds[b], bounds[b+1]) */
  bounds: number[];
  bins: number;
  /** rows holding data: ceil(steps / group) */
  rows: number;
  /** decode steps per row: row r holds steps [r * group, min((r + 1) * group, steps)) */
  group: number;
  /** [rows, layers, heads, bins]: sum over the row's steps of the attention mass in each bin */
  values: Float32Array;
}

export interface AttentionSums {
  layers: number;
  heads: number;
  promptLen: number;
  /** decode steps summed */
  steps: number;
  /** [layers, heads, promptLen] */
  values: Float32Array;
  /** per answer-token row, binned over prompt positions */
  binned?: AttentionBinned;
}

export interface AttentionTap {
  /** per layer: f32 [nHeads, maxKvLen], written by the decode attention kernel */
  probs: GPUBuffer[];
  encodeLayer(pass: GPUComputePassEncoder, layer: number): void;
  read(): Promise<AttentionSums>;
  dispose(): void;
}

export interface AttentionTapShape {
  nLayers: number;
  nHeads: number;
  maxKvLen: number;
  promptLen: number;
  /** most decode steps of the generation (fixes the rows' grouping); default 1 */
  maxSteps?: number;
  binBounds?: number[];
  maxRows?: number;
}

/** Bin bounds: the request's, validated, else min(128, promptLen) uniform bins over the prompt. */
export function tapBinBounds(promptLen: number, req?: number[]): number[] {
  if (req) {
    const ok = req.length >= 2 && req.length <= TAP_MAX_BINS + 1 && req.every((v, i) => Number.isInteger(v) && v >= 0 && v <= promptLen && (i === 0 || v >= req[i - 1]!));
    if (!ok) throw new LongreadError('bad-request', `Attention bins must be 2 to ${TAP_MAX_BINS + 1} increasing token offsets within the prompt (${promptLen} tokens).`, 'Pass bin bounds such as [0, 64, 128, ...] up to the prompt length.');
    return req.slice();
  }
  const n = Math.max(1, Math.min(TAP_DEFAULT_BINS, promptLen));
  return Array.from({ length: n + 1 }, (_, i) => Math.floor((i * promptLen) / n));
}

/** Rows and steps per row for `maxSteps` steps, within `maxRows` and the memory cap. */
export function tapRowPlan(s: { nLayers: number; nHeads: number; bins: number; maxSteps: number; maxRows?: number; maxBytes: number }): { rows: number; group: number } {
  const rowBytes = s.nLayers * s.nHeads * s.bins * 4;
  const fit = Math.floor(s.maxBytes / rowBytes);
  if (fit < 1) throw new LongreadError('internal', `One row of the attention tap needs ${rowBytes} bytes; the cap is ${s.maxBytes}.`, 'Ask for fewer attention bins.');
  const cap = Math.max(1, Math.min(s.maxRows ?? TAP_MAX_ROWS, TAP_MAX_ROWS, fit));
  const steps = Math.max(1, s.maxSteps);
  const group = Math.ceil(steps / cap);
  return { rows: Math.ceil(steps / group), group };
}

export async function attentionTapCreate(ctx: KernelContext, s: AttentionTapShape): Promise<AttentionTap> {
  const n = s.nHeads * s.maxKvLen;
  const bounds = tapBinBounds(s.promptLen, s.binBounds);
  const bins = bounds.length - 1;
  const { rows, group } = tapRowPlan({ nLayers: s.nLayers, nHeads: s.nHeads, bins, maxSteps: s.maxSteps ?? 1, ...(s.maxRows !== undefined ? { maxRows: s.maxRows } : {}), maxBytes: Math.min(TAP_BINNED_MAX_BYTES, ctx.maxStorageBufferBindingSize) });
  const rowElems = s.nLayers * s.nHeads * bins;
  const probs: GPUBuffer[] = [];
  const acc: GPUBuffer[] = [];
  const plans: KernelPlan[] = [];
  // zero-filled at creation: positions a step does not reach stay 0, rows start at 0
  const binned = ctx.device.createBuffer({ size: rows * rowElems * 4, usage: STORAGE, label: 'tap:binned' });
  const boundsBuf = gpuBufferFrom(ctx.device, Uint32Array.from(bounds), STORAGE, 'tap:bounds');
  const rowBuf = ctx.device.createBuffer({ size: 16, usage: STORAGE, label: 'tap:row' });
  for (let l = 0; l < s.nLayers; l++) {
    probs.push(ctx.device.createBuffer({ size: n * 4, usage: STORAGE, label: `tap:probs${l}` }));
    acc.push(ctx.device.createBuffer({ size: n * 4, usage: STORAGE, label: `tap:acc${l}` }));
    plans.push(await addPlan(ctx, { x: acc[l]!, delta: probs[l]!, n }));
    plans.push(await attentionBinPlan(ctx, { probs: probs[l]!, bounds: boundsBuf, row: rowBuf, out: binned, nHeads: s.nHeads, maxKvLen: s.maxKvLen, nBins: bins, rows, layers: s.nLayers, layer: l }));
  }
  let steps = 0;
  return {
    probs,
    encodeLayer(pass, layer) {
      if (layer === 0) {
        // queued before this step's submit and after the previous step's (decode awaits each token)
        ctx.device.queue.writeBuffer(rowBuf, 0, Uint32Array.of(Math.min(rows - 1, Math.floor(steps / group))));
        steps++;
      }
      plans[2 * layer]!.encode(pass);
      plans[2 * layer + 1]!.encode(pass);
    },
    async read() {
      const values = new Float32Array(s.nLayers * s.nHeads * s.promptLen);
      const usedRows = Math.min(rows, Math.ceil(steps / group));
      const binnedValues = new Float32Array(usedRows * rowElems);
      const rowBytes = s.promptLen * 4;
      const staging = ctx.device.createBuffer({ size: Math.max(4, values.byteLength + binnedValues.byteLength), usage: 0x01 | 0x08, label: 'tap:readback' });
      const enc = ctx.device.createCommandEncoder({ label: 'tap:read' });
      for (let l = 0; l < s.nLayers; l++) {
        for (let h = 0; h < s.nHeads; h++) {
          if (rowBytes > 0) enc.copyBufferToBuffer(acc[l]!, h * s.maxKvLen * 4, staging, (l * s.nHeads + h) * rowBytes, rowBytes);
        }
      }
      if (binnedValues.byteLength > 0) enc.copyBufferToBuffer(binned, 0, staging, values.byteLength, binnedValues.byteLength);
      ctx.device.queue.submit([enc.finish()]);
      await staging.mapAsync(0x0001);
      const all = staging.getMappedRange();
      values.set(new Float32Array(all, 0, values.length));
      binnedValues.set(new Float32Array(all, values.byteLength, binnedValues.length));
      staging.unmap();
      staging.destroy();
      return { layers: s.nLayers, heads: s.nHeads, promptLen: s.promptLen, steps, values, binned: { bounds, bins, rows: usedRows, group, values: binnedValues } };
    },
    dispose() {
      for (const p of plans) p.dispose();
      for (const b of [...probs, ...acc, binned, boundsBuf, rowBuf]) b.destroy();
    },
  };
}
