/**
 * Kernel context and the generic "plan" every kernel module builds on.
 *
 * A `KernelContext` bundles the device, the pipeline cache, the buffer pool and the feature
 * choices (subgroups on/off) that select shader variants. A `KernelPlan` is one dispatch with
 * its pipeline, bind group and params uniform created once per shape; `encode(pass)` records it
 * into a caller-provided compute pass any number of times (so a token's whole forward fits in
 * one command buffer). Plans whose params change per step (positions, KV length) expose
 * `update(...)`, which writes the plan's own uniform through queue.writeBuffer: call it before
 * the submit that uses it.
 *
 * Binding convention for every shader in shaders/: @group(0) @binding(0) is `params`
 * (a uniform `Params` struct); buffers follow at bindings 1..n in the order the shader's header
 * lists them. Large 1-D grids use `dispatch2d` (x up to 65535, y rows) and the shader computes
 * the linear workgroup id as wid.x + wid.y * nwg.x.
 *
 * Extend: a new kernel module builds its `Params` with `ParamsWriter`, calls `planCreate`, and
 * wraps the result in a typed function (see rmsnorm.ts for the smallest example).
 */

import type { Gpu } from '../gpu/device.ts';
import { BufferPool, gpuBinding, UNIFORM, type BufferRef } from '../gpu/buffer-pool.ts';
import { PipelineCache } from '../gpu/pipeline-cache.ts';
import type { WgslDefines } from '../gpu/wgsl-loader.ts';
import '../gpu/shader-registry.ts';

export interface KernelContext {
  device: GPUDevice;
  pipelines: PipelineCache;
  pool: BufferPool;
  /** Use the subgroup variants of shaders (reductions with subgroupAdd/Max...). */
  subgroups: boolean;
  /** Device has shader-f16 (optional fast paths only; never required). */
  f16: boolean;
  maxStorageBufferBindingSize: number;
  maxWorkgroupsPerDimension: number;
}

export interface KernelContextOptions {
  /** Force subgroups off (tests of the fallback); default: on when the device has them. */
  subgroups?: boolean;
}

export function kernelContextCreate(gpu: Gpu, opts: KernelContextOptions = {}): KernelContext {
  const device = gpu.device;
  return {
    device,
    pipelines: new PipelineCache(device),
    pool: new BufferPool(device),
    subgroups: gpu.hasSubgroups && opts.subgroups !== false,
    f16: gpu.hasF16,
    maxStorageBufferBindingSize: Number(device.limits.maxStorageBufferBindingSize),
    maxWorkgroupsPerDimension: Number(device.limits.maxComputeWorkgroupsPerDimension),
  };
}

/** The subgroup sizes the device may run ({0, 0} when unknown). */
export function subgroupSizeRange(ctx: KernelContext): { min: number; max: number } {
  const info = (ctx.device as unknown as { adapterInfo?: { subgroupMinSize?: number; subgroupMaxSize?: number } }).adapterInfo;
  return { min: info?.subgroupMinSize ?? 0, max: info?.subgroupMaxSize ?? 0 };
}

/** Defines every shader receives: SUBGROUPS when enabled. */
export function baseDefines(ctx: KernelContext, extra: WgslDefines = {}): WgslDefines {
  return { SUBGROUPS: ctx.subgroups, ...extra };
}

/** Builds a uniform Params struct: 4-byte fields in declaration order, padded to 16 bytes. */
export class ParamsWriter {
  private readonly words: number[] = [];
  private readonly view = new DataView(new ArrayBuffer(4));
  u32(x: number): this {
    this.words.push(x >>> 0);
    return this;
  }
  i32(x: number): this {
    this.words.push(x | 0);
    return this;
  }
  f32(x: number): this {
    this.view.setFloat32(0, x, true);
    this.words.push(this.view.getUint32(0, true));
    return this;
  }
  bytes(): Uint8Array<ArrayBuffer> {
    const n = Math.max(4, Math.ceil(this.words.length / 4) * 4);
    const out = new Uint32Array(n);
    for (let i = 0; i < this.words.length; i++) out[i] = this.words[i]! >>> 0;
    return new Uint8Array(out.buffer);
  }
}

export interface KernelPlan {
  /** Records the dispatch(es) into `pass`. */
  encode(pass: GPUComputePassEncoder): void;
  /** Frees the plan's own buffers (not the caller's tensors). */
  dispose(): void;
}

export interface PlanSpec {
  name: string;
  source: string;
  defines?: WgslDefines;
  entryPoint?: string;
  params: Uint8Array<ArrayBuffer>;
  /**
   * A params uniform owned by the caller and shared by plans that read the same Params (several
   * entry points of one shader): the caller writes it once per update instead of each plan its
   * own (every queue.writeBuffer costs the host ~7 us a call, per step); the plan's dispose
   * leaves it.
   */
  sharedParams?: GPUBuffer;
  /** Buffers at bindings 1..n; `null` leaves a binding out (a variant that does not declare it). */
  buffers: (BufferRef | null)[];
  workgroups: [number, number?, number?];
}

/** One dispatch: pipeline + bind group + params uniform. `writeParams` updates the uniform. */
export interface DispatchPlan extends KernelPlan {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  paramsBuffer: GPUBuffer;
  workgroups: [number, number, number];
  writeParams(bytes: Uint8Array<ArrayBuffer>): void;
}

export async function planCreate(ctx: KernelContext, spec: PlanSpec): Promise<DispatchPlan> {
  const pipeline = await ctx.pipelines.get({ name: spec.name, source: spec.source, defines: spec.defines ?? {}, entryPoint: spec.entryPoint ?? 'main' });
  return planFromPipeline(ctx, spec, pipeline);
}

/** `planCreate` with a synchronously created pipeline (variants decided at update time). */
export function planCreateSync(ctx: KernelContext, spec: PlanSpec): DispatchPlan {
  const pipeline = ctx.pipelines.getSync({ name: spec.name, source: spec.source, defines: spec.defines ?? {}, entryPoint: spec.entryPoint ?? 'main' });
  return planFromPipeline(ctx, spec, pipeline);
}

function planFromPipeline(ctx: KernelContext, spec: PlanSpec, pipeline: GPUComputePipeline): DispatchPlan {
  const owned = !spec.sharedParams;
  const paramsBuffer = spec.sharedParams ?? ctx.device.createBuffer({ size: spec.params.byteLength, usage: UNIFORM, label: `${spec.name}:params` });
  if (owned) ctx.device.queue.writeBuffer(paramsBuffer, 0, spec.params);
  const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: paramsBuffer } }];
  spec.buffers.forEach((b, i) => {
    if (b) entries.push({ binding: i + 1, resource: gpuBinding(b) });
  });
  const bindGroup = ctx.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries, label: spec.name });
  const workgroups: [number, number, number] = [spec.workgroups[0], spec.workgroups[1] ?? 1, spec.workgroups[2] ?? 1];
  return {
    pipeline,
    bindGroup,
    paramsBuffer,
    workgroups,
    encode(pass) {
      if (workgroups[0] * workgroups[1] * workgroups[2] === 0) return;
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(workgroups[0], workgroups[1], workgroups[2]);
    },
    writeParams(bytes) {
      ctx.device.queue.writeBuffer(paramsBuffer, 0, bytes);
    },
    dispose() {
      if (owned) paramsBuffer.destroy();
    },
  };
}

/** Splits `n` workgroups into [x, y] with x <= the per-dimension limit. */
export function dispatch2d(ctx: KernelContext, n: number): [number, number] {
  const max = ctx.maxWorkgroupsPerDimension;
  if (n <= max) return [n, 1];
  const y = Math.ceil(n / max);
  return [Math.ceil(n / y), y];
}

/** Dispatches `plan.encode` records (into a counting stand-in for a pass: nothing runs). */
export function planDispatches(plan: KernelPlan): number {
  let n = 0;
  const count = () => void n++;
  const pass = { setPipeline() {}, setBindGroup() {}, dispatchWorkgroups: count, dispatchWorkgroupsIndirect: count };
  plan.encode(pass as unknown as GPUComputePassEncoder);
  return n;
}

/** Encodes plans into one compute pass of a fresh encoder and submits (tests, one-off work). */
export function plansSubmit(ctx: KernelContext, plans: KernelPlan[], label = 'plans'): void {
  const enc = ctx.device.createCommandEncoder({ label });
  const pass = enc.beginComputePass({ label });
  for (const p of plans) p.encode(pass);
  pass.end();
  ctx.device.queue.submit([enc.finish()]);
}

const scratchByCtx = new WeakMap<KernelContext, Map<string, GPUBuffer>>();

/**
 * A scratch storage buffer shared by every plan that asks for `key` with at most `bytes`
 * (e.g. attention partials: the layers of a forward run one after another, so one buffer
 * serves them all). A larger request replaces the shared buffer for later plans; plans made
 * earlier keep the one they bound. Plans never destroy scratch; `kernelScratchDispose` does.
 */
export function kernelScratch(ctx: KernelContext, key: string, bytes: number): GPUBuffer {
  let m = scratchByCtx.get(ctx);
  if (!m) scratchByCtx.set(ctx, (m = new Map()));
  const have = m.get(key);
  if (have && have.size >= bytes) return have;
  const b = ctx.device.createBuffer({ size: Math.max(16, Math.ceil(bytes / 16) * 16), usage: 0x80 | 0x08 | 0x04, label: `scratch:${key}` });
  m.set(key, b); // a replaced buffer stays alive for the plans bound to it (garbage-collected with them)
  return b;
}

/** Destroys the current scratch buffers of `ctx` (at teardown). */
export function kernelScratchDispose(ctx: KernelContext): void {
  const m = scratchByCtx.get(ctx);
  if (!m) return;
  for (const b of m.values()) b.destroy();
  m.clear();
}
