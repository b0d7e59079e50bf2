/**
 * Token selection on the GPU (shaders/sample.wgsl): greedy argmax over rows, and sampling with
 * temperature / top-k / top-p / min-p from a seeded counter-based RNG. Only the token id is
 * read back, so a decode step stays one submit.
 *
 *   const g = await argmaxPlan(ctx, { logits, out, rows, vocab })          // out: u32 [rows]
 *   const s = await samplePlan(ctx, { logits, out, vocab, seed: 42 })      // out: u32 [1]
 *   s.configure({ temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05 })   // any time before a submit
 *   s.encode(pass)   // each encode+submit draws the next number of the seed's stream
 *
 * The RNG state (seed, step) lives in a small GPU buffer the kernel advances, so the n-th draw
 * of a seed is reproducible (engine/reference/ops-sample.ts computes the same draw on the CPU).
 * `reseed(seed)` restarts the stream. temperature <= 0 means greedy.
 */

import { gpuBufferFrom, STORAGE, type BufferRef } from '../gpu/buffer-pool.ts';
import { baseDefines, dispatch2d, kernelScratch, ParamsWriter, planCreate, type KernelContext, type KernelPlan } from './context.ts';
import { softwareAdapter } from './matvec.ts';
import source from '../../shaders/sample.wgsl';

export interface SamplingConfig {
  temperature: number;
  /** 0 = off */
  topK?: number;
  /** 1 = off */
  topP?: number;
  /** 0 = off */
  minP?: number;
}

/**
 * Rows longer than this take two dispatches (argmax_part over chunks, then argmax_final) on a
 * GPU. A CPU adapter (lavapipe) keeps one workgroup per row: there the split measured 1.3-1.8 ms
 * against 70-90 us for a 32,000-logit row (bench/kernels/ops.ts --only=select), while on the H100
 * one workgroup over 128,256 logits took 195 us and the split 15 us.
 */
const ARGMAX_SPLIT_ABOVE = 4096;
const ARGMAX_CHUNK = 1024; // shaders/sample.wgsl

/** `split`: force (true) or forbid (false) the two-dispatch form; default: by vocab size and adapter. */
export async function argmaxPlan(ctx: KernelContext, a: { logits: BufferRef; out: BufferRef; rows: number; vocab: number; split?: boolean }): Promise<KernelPlan> {
  const spec = (entryPoint: string, parts: number, buffers: (BufferRef | null)[], workgroups: [number, number] | [number, number, number]) => planCreate(ctx, {
    name: 'sample.wgsl',
    source,
    entryPoint,
    defines: baseDefines(ctx),
    params: new ParamsWriter().u32(a.vocab).u32(a.rows).u32(parts).f32(1).f32(0).f32(0).bytes(),
    buffers,
    workgroups,
  });
  if (!(a.split ?? (a.vocab > ARGMAX_SPLIT_ABOVE && !softwareAdapter(ctx)))) return spec('argmax', 0, [a.logits, a.out], dispatch2d(ctx, a.rows));
  const parts = Math.ceil(a.vocab / ARGMAX_CHUNK);
  const scratch = kernelScratch(ctx, 'argmax:parts', a.rows * parts * 8);
  const stages = [
    await spec('argmax_part', parts, [a.logits, null, scratch], [parts, a.rows, 1]),
    await spec('argmax_final', parts, [null, a.out, scratch], dispatch2d(ctx, a.rows)),
  ];
  return {
    encode: (pass) => stages.forEach((p) => p.encode(pass)),
    dispose: () => stages.forEach((p) => p.dispose()),
  };
}

export interface SamplePlan extends KernelPlan {
  configure(c: SamplingConfig): void;
  reseed(seed: number, step?: number): void;
  /** u32 [2] = (seed, step) */
  readonly state: GPUBuffer;
}

function sampleParams(vocab: number, c: SamplingConfig): Uint8Array<ArrayBuffer> {
  return new ParamsWriter()
    .u32(vocab)
    .u32(1)
    .u32(c.topK ?? 0)
    .f32(c.topP ?? 1)
    .f32(c.minP ?? 0)
    .f32(c.temperature)
    .bytes();
}

export async function samplePlan(ctx: KernelContext, a: { logits: BufferRef; out: BufferRef; vocab: number; seed: number; config?: SamplingConfig }): Promise<SamplePlan> {
  const state = gpuBufferFrom(ctx.device, new Uint32Array([a.seed >>> 0, 0]), STORAGE, 'sample:state');
  const plan = await planCreate(ctx, {
    name: 'sample.wgsl',
    source,
    entryPoint: 'sample',
    defines: baseDefines(ctx),
    params: sampleParams(a.vocab, a.config ?? { temperature: 1 }),
    buffers: [a.logits, a.out, state],
    workgroups: [1],
  });
  return {
    state,
    encode: (pass) => plan.encode(pass),
    configure: (c) => plan.writeParams(sampleParams(a.vocab, c)),
    reseed: (seed, step = 0) => ctx.device.queue.writeBuffer(state, 0, new Uint32Array([seed >>> 0, step >>> 0])),
    dispose() {
      plan.dispose();
      state.destroy();
    },
  };
}
