/**
 * The model runtime's entry points for the service layer and the CLI:
 *
 *   modelInspect(path): Promise<ModelInfo>            header only, no GPU; memory estimate included
 *   modelLoad(gpu, path, { contextLength?, onProgress?(done, total), signal?, chunk? }): Promise<LoadedModel>
 *   sessionCreate(model) -> session.generate({...}) / session.reset()   (engine/decode/session.ts)
 *
 * Loading checks the requested context against the model's own (`context-too-large`), plans the
 * GPU memory (weights + KV cache at the requested context + activations, reported in
 * ModelInfo.memory) before allocating anything, then allocates the KV cache and uploads the
 * weights inside error scopes: an out-of-memory becomes `context-too-large` (KV) or
 * `model-too-large` (weights) with a hint, never a crash.
 *
 * Extend: a new architecture registers in registry.ts; nothing here changes.
 */

import path from 'node:path';
import { LongreadError, throwIfCancelled } from '../errors.ts';
import type { Gpu } from '../gpu/device.ts';
import { kernelContextCreate, type KernelContext } from '../kernels/context.ts';
import { kvBytesPerToken, kvCacheBytes, kvCacheDispose, type KvCache } from '../kv/kv-cache.ts';
import { kvCacheCreatePlanned } from '../kv/kv-planner.ts';
import type { ModelInfo } from '../service/contract.ts';
import { tokenizerFromGguf, type Tokenizer } from '../tokenizer/tokenizer.ts';
import { decodeFuseGroups, gpuForwardCreate, type GpuForward } from './gpu-forward.ts';
import { weightsUpload } from './gpu-weights.ts';
import { tensorMapCheck, type ModelHparams } from './hparams.ts';
import { modelFileOpen, type ModelFile } from './model-file.ts';
import { architectureFor } from './registry.ts';
import type { Int8Tune } from '../kernels/matmul-int8.ts';

export interface LoadedModel {
  info: ModelInfo;
  tokenizer: Tokenizer;
  /** the GGUF `tokenizer.chat_template` (Jinja), or null */
  chatTemplate: string | null;
  hp: ModelHparams;
  /** runtime internals (the session drives them) */
  forward: GpuForward;
  kv: KvCache;
  ctx: KernelContext;
  /** prefill tokens per piece (ModelLoadOptions.chunk or prefillChunkDefault) */
  chunk: number;
  dispose(): void;
}

export interface ModelLoadOptions {
  /** tokens to allocate KV for (default: the model's context, capped at 8192 to keep loads cheap) */
  contextLength?: number;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
  /** prefill chunk (tokens per submit); default: prefillChunkDefault (2048 down to 512 on GPUs, 512 on CPU adapters) */
  chunk?: number;
  /** GPU bytes the KV cache may use (the vramBudgetBytes setting); null / undefined: probed. Over budget, layers' KV moves to RAM / disk (engine/kv/kv-planner.ts) */
  vramBudgetBytes?: number | null;
  /** upload q|k|v and gate|up of each layer into shared buffers so decode runs each as one matvec, and RoPE of q and k as one dispatch (default true; gpu-weights.ts, gpu-layer-plans.ts) */
  fuseWeights?: boolean;
  /** decode's FFN side (o, ffn_norm + gate|up + SwiGLU, down) as fused kernels too (default false: slower on the H100, gpu-layer-plans.ts) */
  fuseFfn?: boolean;
  /**
   * decode's activation quantizations fused into the op before them (ffn_norm, SwiGLU:
   * gpu-decode-fused.ts; bitwise the same results); default true. false: the separate plans, for
   * A/B runs (e2e-bench --no-fuse-quant).
   */
  fuseQuant?: boolean;
  /**
   * decode's attention merge and attn_output quantization as one dispatch (76f256b; bitwise the
   * same); default false (e2e-bench --fuse-merge-quant): in its one H100 run (2026-12-07) +2.4%
   * decode at 2K, but the 32K run lost the host/GPU overlap, unexplained. Over q8_0 activations its
   * merge runs one workgroup per 32 outputs, as many as the separate merge; over q8_K (K-quant
   * attn_output) one per 256 outputs (8 for a 1B model).
   */
  fuseMergeQuant?: boolean;
  /**
   * RoPE and the KV append in the epilogue of decode's fused q|k|v matvec (matvec-fused.ts
   * ropeKv; bitwise the same as rope-kv.ts after it): one dispatch a layer fewer where it applies
   * (quantized stacked q|k|v, no q/k norm, RoPE over whole heads). Default false. On the H100
   * (2026-12-07, BENCHMARKS.md ninth and tenth runs) decode at 2K gained in five same-call
   * comparisons (1B Q8_0 +4 to +4.6%, Qwen2.5-0.5B Q4_0 +5.5 and +10.8%) and lost in two (Qwen
   * -12 and -24%); at 32K one run each gave the 1B -25% and Qwen +67%. Swings that size are more
   * than one dispatch a layer explains, so it stays opt-in until repeated runs at 32K agree.
   */
  fuseRope?: boolean;
  /**
   * prefill matmuls of Q8_0 / Q4_0 weights on the int8 tensor-core kernel where the device offers
   * subgroup matrices and its known-answer probe is exact there (needs a device acquired with
   * unsafe: true, as the app, the CLI and the benches do; matmul-int8.ts); default true since the
   * H100 run of 2026-12-07 (1B Q8_0, 2048-token prefill 12581 -> 16617 tok/s). Elsewhere the f32
   * kernel runs, so the option is safe on any device. false: always the f32 kernel (A/B runs).
   */
  int8Prefill?: boolean;
  /** Variants of the int8 prefill kernel's tiling (matmul-int8.ts Int8Tune): A/B runs (e2e-bench --int8-kb). */
  int8Tune?: Int8Tune;
}

/** Default allocated context when none is asked for. */
export const DEFAULT_CONTEXT = 8192;

interface Planned {
  file: ModelFile;
  hp: ModelHparams;
  names: string[];
  info: ModelInfo;
  /** prefill chunk the activations are planned for */
  chunk: number;
}

/** GPU bytes of the prefill activations for pieces of T tokens: the full piece set + a remainder set. */
function prefillActivationBytes(hp: ModelHparams, T: number): number {
  const floats = T * (3 * hp.dim + 2 * hp.nHeads * hp.headDim + 2 * hp.nKvHeads * hp.headDim + 3 * hp.ffnDim) + 2 * hp.vocab;
  return 2 * floats * 4;
}

/** Activations the automatic prefill chunk may take (a 1B model at 2048 tokens: 587 MB). */
const AUTO_CHUNK_BYTES = 768 << 20;

/**
 * Prefill tokens per piece when the caller does not say. On a GPU, the largest of 2048, 1024 and
 * 512 whose activations stay under AUTO_CHUNK_BYTES: a prefill matmul has (tokens / 128) x
 * (outputs / 128) tiles of work, so 512-token pieces of a Llama-3.2-1B-shaped model give its
 * q / o projections 64 tiles and k / v 16 for an H100's 132 SMs (those matmuls measured at
 * 3-12 TFLOP/s there, against 28 for ffn_up with 256 tiles; BENCHMARKS.md). On a CPU adapter
 * (lavapipe) pieces run one after another anyway: 512 keeps progress and cancellation fine-grained.
 */
export function prefillChunkDefault(hp: ModelHparams, cpuAdapter: boolean): number {
  if (cpuAdapter) return 512;
  for (const T of [2048, 1024]) if (prefillActivationBytes(hp, T) <= AUTO_CHUNK_BYTES) return T;
  return 512;
}

async function plan(p: string, contextLength: number | undefined, chunkAsked: number | undefined, cpuAdapter = true): Promise<Planned> {
  const file = await modelFileOpen(p);
  try {
    const arch = architectureFor(file.metadata, p);
    const hp = arch.hparams(file.metadata, new Set(file.tensors.keys()));
    const map = arch.tensorMap(hp);
    tensorMapCheck(map, file.tensors, p);
    const names = map.filter((s) => file.tensors.has(s.name)).map((s) => s.name);
    const ctxLen = contextLength ?? Math.min(hp.contextLength, DEFAULT_CONTEXT);
    const typeMix: Record<string, number> = {};
    const typeBytes: Record<string, number> = {};
    let params = 0;
    let weightsBytes = 0;
    for (const n of names) {
      const t = file.tensors.get(n)!;
      typeMix[t.type] = (typeMix[t.type] ?? 0) + 1;
      if (t.dims.filter((d) => d > 1).length >= 2) typeBytes[t.type] = (typeBytes[t.type] ?? 0) + t.bytes;
      params += t.elements;
      weightsBytes += t.bytes;
    }
    const quantization = Object.entries(typeBytes).sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'F32';
    const shape = { nLayers: hp.nLayers, nKvHeads: hp.nKvHeads, headDim: hp.headDim };
    const kvBytes = kvCacheBytes({ ...shape, maxTokens: ctxLen });
    const chunk = chunkAsked ?? prefillChunkDefault(hp, cpuAdapter);
    const activationBytes = prefillActivationBytes(hp, Math.min(chunk, ctxLen));
    const tmodel = file.metadata['tokenizer.ggml.model'];
    const info: ModelInfo = {
      path: p,
      name: typeof file.metadata['general.name'] === 'string' ? (file.metadata['general.name'] as string) : path.basename(p, '.gguf'),
      architecture: hp.arch,
      quantization,
      typeMix,
      parameterCount: params,
      fileBytes: file.fileBytes,
      contextLength: hp.contextLength,
      loadedContextLength: ctxLen,
      layers: hp.nLayers,
      embeddingLength: hp.dim,
      heads: hp.nHeads,
      kvHeads: hp.nKvHeads,
      headDim: hp.headDim,
      vocabSize: hp.vocab,
      tokenizer: typeof tmodel === 'string' ? tmodel : 'none',
      hasChatTemplate: typeof file.metadata['tokenizer.chat_template'] === 'string',
      memory: { weightsBytes, kvBytesPerToken: kvBytesPerToken(shape), kvBytes, activationBytes, totalBytes: weightsBytes + kvBytes + activationBytes },
      bundled: false,
    };
    return { file, hp, names, info, chunk };
  } catch (e) {
    await file.close();
    throw e;
  }
}

export async function modelInspect(p: string): Promise<ModelInfo> {
  const planned = await plan(p, undefined, 512);
  await planned.file.close();
  return planned.info;
}

export async function modelLoad(gpu: Gpu, p: string, opts: ModelLoadOptions = {}): Promise<LoadedModel> {
  const { file, hp, names, info, chunk } = await plan(p, opts.contextLength, opts.chunk, gpu.info.isFallbackAdapter);
  const device = gpu.device;
  let kv: KvCache | null = null;
  let weights: Awaited<ReturnType<typeof weightsUpload>> | null = null;
  try {
    const ctxLen = info.loadedContextLength!;
    if (!(Number.isInteger(ctxLen) && ctxLen >= 1)) throw new LongreadError('bad-request', `Context length ${ctxLen} is not a positive integer.`, 'Pass a context length of at least 1 token.');
    if (ctxLen > hp.contextLength) {
      throw new LongreadError('context-too-large', `${path.basename(p)} supports at most ${hp.contextLength} tokens of context; ${ctxLen} were requested.`,
        `Ask for at most ${hp.contextLength} tokens, or use a model trained for longer contexts.`, { file: p, contextLength: ctxLen, modelContextLength: hp.contextLength });
    }
    const tokenizer = tokenizerFromGguf(file.metadata);
    throwIfCancelled(opts.signal, 'Loading the model');
    const ctx = kernelContextCreate(gpu);
    device.pushErrorScope('out-of-memory');
    let kvError: unknown = null;
    try {
      kv = (await kvCacheCreatePlanned(device, { nLayers: hp.nLayers, nKvHeads: hp.nKvHeads, headDim: hp.headDim, maxTokens: ctxLen },
        { budgetBytes: opts.vramBudgetBytes ?? null, reserveBytes: info.memory.weightsBytes + info.memory.activationBytes })).kv;
    } catch (e) {
      kvError = e;
    }
    const oom = await device.popErrorScope();
    if (kvError) throw kvError;
    if (oom) {
      throw new LongreadError('context-too-large', `The KV cache for ${ctxLen} tokens (${info.memory.kvBytes} bytes) does not fit in GPU memory: ${oom.message}`,
        'Load the model with a shorter context, or use a smaller model.', { contextLength: ctxLen, kvBytes: info.memory.kvBytes });
    }
    const k = kv!;
    weights = await weightsUpload(device, file, names, opts.onProgress, opts.signal, opts.fuseWeights === false ? [] : decodeFuseGroups(hp.nLayers));
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    const forward = await gpuForwardCreate(ctx, hp, weights, k, { chunk, stack: opts.fuseWeights !== false, fuseFfn: opts.fuseFfn === true, fuseQuant: opts.fuseQuant !== false, fuseMergeQuant: opts.fuseMergeQuant === true, fuseRope: opts.fuseRope === true, int8Prefill: opts.int8Prefill !== false, ...(opts.int8Tune ? { int8Tune: opts.int8Tune } : {}) });
    const validation = await device.popErrorScope();
    const oomForward = await device.popErrorScope();
    if (oomForward) {
      forward.dispose();
      throw new LongreadError('model-too-large', `The model's working buffers do not fit in GPU memory: ${oomForward.message}`, 'Use a smaller model or quantization, or a shorter context.', { activationBytes: info.memory.activationBytes });
    }
    if (validation) {
      forward.dispose();
      throw new LongreadError('gpu-validation', `GPU validation error while building the forward pass: ${validation.message}`, 'This is a bug in Longread; please report it.');
    }
    await file.close();
    const w = weights;
    return {
      info,
      tokenizer,
      chatTemplate: tokenizer.vocab.chatTemplate,
      hp,
      forward,
      kv: k,
      ctx,
      chunk,
      dispose() {
        forward.dispose();
        kvCacheDispose(k);
        for (const t of w.values()) t.buffer.destroy();
        ctx.pool.dispose();
      },
    };
  } catch (e) {
    await file.close();
    if (kv) kvCacheDispose(kv);
    if (weights) for (const t of weights.values()) t.buffer.destroy();
    throw e;
  }
}
