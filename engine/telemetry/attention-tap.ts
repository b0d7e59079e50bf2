/**
 * Named per-layer taps of the model runtime. Off by default: nothing here is compiled, allocated
 * or dispatched unless a generation asks for it (`taps: { attention: true }`).
 *
 * `attention` tap: for every decoded token (each generated token fed back as the query), the
 * decode attention kernel writes each head's probabilities over the KV positions
 * (probs[l]: f32 [nHeads, maxKvLen]); this tap adds them into a per-layer accumulator on the GPU
 * (one extra dispatch per layer and step, no readback), and `read()` returns the sums over the
 * prompt positions: values[(l * nHeads + h) * promptLen + j] = sum over steps of p(l, h, step, j).
 * Divide by `steps` for the mean attention. The service turns this into evidence passages and
 * heatmaps (contract.ts AttentionHeatmap).
 *
 * Extend: a new tap = a name in TAP_NAMES, a create function here that allocates only when on,
 * and a hook where the model code produces the intermediate (engine/models/gpu-forward.ts).
 */

import { STORAGE } from '../gpu/buffer-pool.ts';
import type { KernelContext, KernelPlan } from '../kernels/context.ts';
import { addPlan } from '../kernels/elementwise.ts';

export const TAP_NAMES = ['attn_scores', 'kv_pages', 'kept_tokens'] as const;

export interface TapRequest {
  /** per layer and head, attention of generated tokens over prompt positions */
  attention?: boolean;
}

export interface AttentionSums {
  layers: number;
  heads: number;
  promptLen: number;
  /** decode steps summed */
  steps: number;
  /** [layers, heads, promptLen] */
  values: Float32Array;
}

export interface AttentionTap {
  /** per layer: f32 [nHeads, maxKvLen], written by the decode attention kernel */
  probs: GPUBuffer[];
  encodeLayer(pass: GPUComputePassEncoder, layer: number): void;
  read(): Promise<AttentionSums>;
  dispose(): void;
}

export async function attentionTapCreate(ctx: KernelContext, s: { nLayers: number; nHeads: number; maxKvLen: number; promptLen: number }): Promise<AttentionTap> {
  const n = s.nHeads * s.maxKvLen;
  const probs: GPUBuffer[] = [];
  const acc: GPUBuffer[] = [];
  const adds: KernelPlan[] = [];
  for (let l = 0; l < s.nLayers; l++) {
    // zero-filled at creation: positions a step does not reach stay 0
    probs.push(ctx.device.createBuffer({ size: n * 4, usage: STORAGE, label: `tap:probs${l}` }));
    acc.push(ctx.device.createBuffer({ size: n * 4, usage: STORAGE, label: `tap:acc${l}` }));
    adds.push(await addPlan(ctx, { x: acc[l]!, delta: probs[l]!, n }));
  }
  let steps = 0;
  return {
    probs,
    encodeLayer(pass, layer) {
      if (layer === 0) steps++;
      adds[layer]!.encode(pass);
    },
    async read() {
      const values = new Float32Array(s.nLayers * s.nHeads * s.promptLen);
      const rowBytes = s.promptLen * 4;
      const staging = ctx.device.createBuffer({ size: Math.max(4, s.nLayers * s.nHeads * rowBytes), usage: 0x01 | 0x08, label: 'tap:readback' });
      const enc = ctx.device.createCommandEncoder({ label: 'tap:read' });
      for (let l = 0; l < s.nLayers; l++) {
        for (let h = 0; h < s.nHeads; h++) {
          if (rowBytes > 0) enc.copyBufferToBuffer(acc[l]!, h * s.maxKvLen * 4, staging, (l * s.nHeads + h) * rowBytes, rowBytes);
        }
      }
      ctx.device.queue.submit([enc.finish()]);
      await staging.mapAsync(0x0001);
      values.set(new Float32Array(staging.getMappedRange().slice(0, values.byteLength)));
      staging.unmap();
      staging.destroy();
      return { layers: s.nLayers, heads: s.nHeads, promptLen: s.promptLen, steps, values };
    },
    dispose() {
      for (const p of adds) p.dispose();
      for (const b of [...probs, ...acc]) b.destroy();
    },
  };
}
