/**
 * The KV memory planner: a VRAM budget for the KV cache (the `vramBudgetBytes` setting, or a
 * probed value since WebGPU cannot report free memory) and SpeContext's adaptive policy
 * (../shared/research/techniques.md section 1, C3, Algorithms 1 and 2).
 *
 *   const plan = kvPlan({ nLayers, nKvHeads, headDim, maxTokens, budgetBytes, maxBindingBytes })
 *   plan.mode === 'gpu'     -> the whole context fits: per-layer arenas, no tiers
 *   plan.mode === 'tiered'  -> one GPU pool of plan.poolPages pages + staging slots, and
 *                              plan.thresholds[i] = the smallest sequence length that needs more
 *                              than i layers off the GPU (computed up front)
 *   const kv = await kvCacheCreatePlanned(device, shape, { budgetBytes })   // plan + create + policy
 *
 * Memory model (the paper's Eq. 7 without the draft layer and the GQA repeat buffer: our
 * kernels read GQA heads in place): resident layers hold nKvHeads * ceil(S / 64) pages each in
 * the pool; an off-GPU layer costs a staging slot of one full layer (there is no sparse
 * retrieval yet, so attention streams all its pages). With P pool pages and i layers off the
 * GPU, the pool holds S <= 64 * floor(P / ((L - i) * nKvHeads)) tokens, hence
 * thresholds[i] = 64 * floor(P / ((L - i) * nKvHeads)) + 1. At run time (kv-tiers.ts
 * kvStepBegin) the KV of whole layers leaves the GPU from the LAST layer backwards exactly when
 * a step's sequence length reaches the next threshold, and comes back when a new, shorter
 * sequence no longer needs it there.
 *
 * Extend: with sparse retrieval, an off-GPU layer costs B tokens of staging instead of a layer
 * (the paper's L_CPU * B term); change `stagingBytes` and the pool arithmetic here only.
 */

import { LongreadError } from '../errors.ts';
import { KV_PAGE_TOKENS, kvPageBytes, kvPagesFor } from '../kernels/kv-layout.ts';
import { kvCacheBytes, kvCacheCreate, type KvCache, type KvCacheShape } from './kv-cache.ts';
import { kvTiersEnable, KvTiers, type KvTierPolicy } from './kv-tiers.ts';

export interface KvPlanInput extends KvCacheShape {
  /** bytes of GPU memory the KV cache may use (pool + staging + page tables) */
  budgetBytes: number;
  /** the device's maxStorageBufferBindingSize (the pool is one binding) */
  maxBindingBytes: number;
  /** staging slots when tiered (default 2; 1 when 2 do not fit) */
  stagingSlots?: number;
}

export interface KvPlan {
  mode: 'gpu' | 'tiered';
  budgetBytes: number;
  /** bytes of the whole context's KV on the GPU (per-layer arenas + table) */
  allGpuBytes: number;
  poolPages: number;
  poolBytes: number;
  stagingSlots: number;
  stagingBytes: number;
  /** thresholds[i]: smallest sequence length needing more than i layers off the GPU (length nLayers) */
  thresholds: number[];
}

export function kvPlan(input: KvPlanInput): KvPlan {
  const { nLayers: L, nKvHeads: H, headDim, maxTokens, budgetBytes } = input;
  const allGpuBytes = kvCacheBytes(input);
  const pageBytes = kvPageBytes(headDim);
  const maxPages = kvPagesFor(maxTokens);
  if (allGpuBytes <= budgetBytes) {
    return { mode: 'gpu', budgetBytes, allGpuBytes, poolPages: 0, poolBytes: 0, stagingSlots: 0, stagingBytes: 0, thresholds: new Array<number>(L).fill(Infinity) };
  }
  const tableBytes = L * H * maxPages * 4;
  const slotBytes = H * maxPages * pageBytes;
  let slots = Math.max(1, input.stagingSlots ?? 2);
  while (slots > 1 && budgetBytes - tableBytes - slots * slotBytes - H * maxPages * 4 < 0) slots--;
  const stagingBytes = slots * slotBytes + H * maxPages * 4;
  const poolBytes0 = budgetBytes - tableBytes - stagingBytes;
  if (poolBytes0 < 0) {
    throw new LongreadError('context-too-large', `A KV budget of ${budgetBytes} bytes cannot hold the staging slot of one layer (${slotBytes} bytes) at ${maxTokens} tokens.`,
      'Raise the VRAM budget in Settings, or load the model with a shorter context.', { budgetBytes, slotBytes, contextLength: maxTokens });
  }
  const poolPages = Math.min(Math.floor(poolBytes0 / pageBytes), Math.floor(input.maxBindingBytes / pageBytes));
  const thresholds = Array.from({ length: L }, (_, i) => KV_PAGE_TOKENS * Math.floor(poolPages / ((L - i) * H)) + 1);
  return { mode: 'tiered', budgetBytes, allGpuBytes, poolPages, poolBytes: poolPages * pageBytes, stagingSlots: slots, stagingBytes, thresholds };
}

/**
 * Bytes that can be allocated now, up to `wantBytes`: buffers of `chunkBytes` inside
 * out-of-memory error scopes until one fails (all freed again before returning).
 */
export async function vramProbe(device: GPUDevice, wantBytes: number, chunkBytes = 256 << 20): Promise<number> {
  const chunk = Math.max(4, Math.min(chunkBytes, Number(device.limits.maxBufferSize)) & ~3);
  const held: GPUBuffer[] = [];
  let got = 0;
  try {
    while (got < wantBytes) {
      const size = Math.max(4, Math.min(chunk, wantBytes - got) + 3) & ~3;
      device.pushErrorScope('out-of-memory');
      const b = device.createBuffer({ size, usage: 0x80, label: 'vram-probe' }); // STORAGE
      held.push(b);
      if (await device.popErrorScope()) break;
      got += size;
    }
  } finally {
    for (const b of held) b.destroy();
  }
  return got;
}

export interface KvPlannedOptions {
  /** KV budget in bytes; null / undefined: probed (the whole context if it fits beside `reserveBytes`, else 90% of what a probe gets minus them) */
  budgetBytes?: number | null;
  /** GPU bytes the rest of the model will need (weights, activations), kept free by the probe */
  reserveBytes?: number;
  stagingSlots?: number;
  /** RAM for off-GPU layers before they go to disk (default: no limit) */
  ramBudgetBytes?: number;
  diskDir?: string;
}

/** The adaptive policy of a tiered plan: off-GPU layers go to RAM until its budget, then to disk. */
export function kvPolicy(plan: KvPlan, ramBudgetBytes?: number): KvTierPolicy {
  return {
    thresholds: plan.thresholds,
    tierFor(kv: KvCache) {
      if (ramBudgetBytes === undefined) return 'ram';
      const t = kv.tiers as KvTiers;
      const layerBytes = kv.nKvHeads * kv.maxPages * kvPageBytes(kv.headDim);
      return (t.store.ramPages * kvPageBytes(kv.headDim) + layerBytes <= ramBudgetBytes) ? 'ram' : 'disk';
    },
  };
}

async function tryCreate(device: GPUDevice, shape: KvCacheShape, poolPages?: number): Promise<KvCache | null> {
  device.pushErrorScope('out-of-memory');
  let kv: KvCache | null = null;
  let err: unknown = null;
  try {
    kv = kvCacheCreate(device, shape, poolPages === undefined ? {} : { poolPages });
  } catch (e) {
    err = e;
  }
  const oom = await device.popErrorScope();
  if (err) throw err;
  if (oom) {
    if (kv) for (const a of new Set(kv.arenas)) a.destroy();
    kv?.pageTable.destroy();
    return null;
  }
  return kv;
}

/**
 * Creates the KV cache under a budget: all on the GPU when the context fits, else a pool with
 * tiers and the adaptive policy installed. Returns the cache and its plan.
 */
export async function kvCacheCreatePlanned(device: GPUDevice, shape: KvCacheShape, opts: KvPlannedOptions = {}): Promise<{ kv: KvCache; plan: KvPlan }> {
  const maxBindingBytes = Number(device.limits.maxStorageBufferBindingSize);
  let budget = opts.budgetBytes ?? null;
  if (budget === null) {
    const allGpu = kvCacheBytes(shape);
    const reserve = opts.reserveBytes ?? 0;
    const got = await vramProbe(device, allGpu + reserve);
    budget = got >= allGpu + reserve ? allGpu : Math.max(0, Math.floor(0.9 * got) - reserve);
  }
  const plan = kvPlan({ ...shape, budgetBytes: budget, maxBindingBytes, ...(opts.stagingSlots ? { stagingSlots: opts.stagingSlots } : {}) });
  const kv = await tryCreate(device, shape, plan.mode === 'tiered' ? plan.poolPages : undefined);
  if (!kv) {
    throw new LongreadError('context-too-large', `The KV cache for ${shape.maxTokens} tokens does not fit in GPU memory under a budget of ${budget} bytes.`,
      'Lower the VRAM budget in Settings, load the model with a shorter context, or use a smaller model.', { contextLength: shape.maxTokens, budgetBytes: budget });
  }
  if (plan.mode === 'tiered') {
    const t = kvTiersEnable(kv, { stagingSlots: plan.stagingSlots, policy: kvPolicy(plan, opts.ramBudgetBytes), ...(opts.diskDir ? { diskDir: opts.diskDir } : {}) });
    t.ensureStaging();
  }
  return { kv, plan };
}
