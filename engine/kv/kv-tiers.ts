/**
 * KV tiers: every layer's pages live either in the GPU arena / pool (kv-cache.ts) or off the
 * GPU, page by page in RAM or in the session's disk file (kv-host-store.ts). A per-page handle
 * table says where each (layer, KV head, logical page) of an off-GPU layer is. Moving pages
 * never changes their bytes, so generation is identical with any mix of tiers.
 *
 *   kvTiersEnable(kv, { stagingSlots: 2, diskDir, policy })    // once, after kvCacheCreate
 *   await kvPagesOffload(kv, layer, 'ram' | 'disk')            // GPU -> host, or RAM <-> disk
 *   await kvPagesFetch(kv, layer)                              // host -> GPU
 *   kvTierCounts(kv)                                           // pages per tier (telemetry)
 *
 * Attention over an off-GPU layer streams its pages into a GPU staging slot (a one-layer arena
 * with an identity page table; `views[l]` of the layer points at it). The forward pass drives
 * a step like this (engine/models/gpu-forward.ts):
 *
 *   await kvStepBegin(kv, from, to)    // memory policy (kv-planner.ts), then maps pages [from, to)
 *   await kvStageIn(kv, l)             // queue.writeBuffer of the layer's pages [0, from) into its slot
 *   ...submit the command buffer that runs layer l (its K/V append goes into the slot)...
 *   kvEncodeWriteBack(kv, enc, l)      // in that command buffer: copy pages touched by [from, to) out
 *   await kvStepEnd(kv)                // after the step's last submit: map them, store them in RAM/disk
 *
 * WebGPU has one queue, so the forward pass submits per off-GPU layer and writes the pages of
 * the layer after next (slot k % stagingSlots) right after submitting the current one: the
 * copies are prepared on the CPU while the GPU runs. A slot remembers which layer and how many
 * tokens it holds, so a layer that still sits in its slot is not uploaded again.
 *
 * Extend: sparse retrieval (SpeContext C2) replaces kvStageIn's "all pages [0, from)" by the
 * selected pages and a compacted page table; nothing else here changes.
 */

import { LongreadError } from '../errors.ts';
import { STORAGE } from '../gpu/buffer-pool.ts';
import { KV_PAGE_NONE, KV_PAGE_TOKENS, kvPageBytes, kvPagesFor, kvTableIndex, type KvLayerView } from '../kernels/kv-layout.ts';
import { kvCacheEnsure, type KvCache, type KvTierHooks } from './kv-cache.ts';
import { KvHostStore, type KvHostTier } from './kv-host-store.ts';

export type KvTier = 'gpu' | KvHostTier;

/** The adaptive policy (kv-planner.ts): whole layers leave the GPU from the last one backwards. */
export interface KvTierPolicy {
  /** thresholds[i] = the smallest sequence length that needs more than i layers off the GPU */
  thresholds: number[];
  /** host tier for a layer the policy moves off the GPU */
  tierFor(kv: KvCache, layer: number): KvHostTier;
}

export interface KvTierEvent {
  /** sequence length of the step that moved the layer */
  tokens: number;
  layer: number;
  to: KvTier;
}

export interface KvTiersOptions {
  /** staging slots for off-GPU layers (2: stage the next layer while the GPU runs one) */
  stagingSlots?: number;
  diskDir?: string;
  policy?: KvTierPolicy;
}

interface Readback {
  layer: number;
  buf: GPUBuffer;
  firstPage: number;
  pages: number;
}

export class KvTiers implements KvTierHooks {
  readonly store: KvHostStore;
  readonly layerTier: KvTier[];
  /** host handle per (layer, head, page), indexed like the page table */
  readonly handles: Int32Array;
  readonly slots: number;
  staging: GPUBuffer[] = [];
  stagingTable: GPUBuffer | null = null;
  /** which layer and how many of its tokens each staging slot holds */
  slotHolds: { layer: number; tokens: number }[];
  slotOf: number[];
  policy: KvTierPolicy | undefined;
  readonly events: KvTierEvent[] = [];
  step: { from: number; to: number } | null = null;
  pending: Readback[] = [];
  readbackBufs = new Map<number, GPUBuffer>();
  /** per-layer arenas destroyed while their layer is off the GPU (non-pooled caches) */
  dropped: boolean[];
  /** bytes uploaded into staging slots (bench counter) */
  stagedBytes = 0;

  constructor(private readonly kv: KvCache, opts: KvTiersOptions) {
    this.store = new KvHostStore(kvPageBytes(kv.headDim), opts.diskDir ? { diskDir: opts.diskDir } : {});
    this.layerTier = new Array<KvTier>(kv.nLayers).fill('gpu');
    this.handles = new Int32Array(kv.nLayers * kv.nKvHeads * kv.maxPages);
    this.slots = Math.max(1, opts.stagingSlots ?? 2);
    this.slotHolds = Array.from({ length: this.slots }, () => ({ layer: -1, tokens: 0 }));
    this.slotOf = new Array<number>(kv.nLayers).fill(-1);
    this.policy = opts.policy;
    this.dropped = new Array<boolean>(kv.nLayers).fill(false);
  }

  idx(l: number, h: number, p: number): number {
    return kvTableIndex(l * this.kv.nKvHeads * this.kv.maxPages, this.kv.maxPages, h, p);
  }

  offGpu(l: number): boolean {
    return this.layerTier[l] !== 'gpu';
  }

  mapHost(l: number, h: number, p: number): void {
    const i = this.idx(l, h, p);
    if (this.handles[i] === 0) this.handles[i] = this.store.alloc(this.layerTier[l] as KvHostTier);
  }

  unmapHost(l: number, h: number, p: number): void {
    const i = this.idx(l, h, p);
    this.store.free(this.handles[i]!);
    this.handles[i] = 0;
  }

  truncated(tokens: number): void {
    for (const s of this.slotHolds) s.tokens = Math.min(s.tokens, tokens);
  }

  /** Bytes of the staging slots (allocated at the first off-GPU layer). */
  stagingBytes(): number {
    return this.staging.reduce((a, b) => a + b.size, 0);
  }

  ensureStaging(): void {
    if (this.staging.length) return;
    const kv = this.kv;
    const bytes = kv.nKvHeads * kv.maxPages * kvPageBytes(kv.headDim);
    const maxBinding = Number(kv.device.limits.maxStorageBufferBindingSize);
    if (bytes > maxBinding) {
      throw new LongreadError('context-too-large', `A staging slot for one layer of ${kv.maxTokens} tokens needs ${bytes} bytes; this GPU binds at most ${maxBinding}.`, 'Load the model with a shorter context.', { layerBytes: bytes, maxStorageBufferBindingSize: maxBinding });
    }
    for (let s = 0; s < this.slots; s++) this.staging.push(kv.device.createBuffer({ size: bytes, usage: STORAGE, label: `kv:staging${s}` }));
    const ident = new Uint32Array(kv.nKvHeads * kv.maxPages).map((_, i) => i);
    this.stagingTable = kv.device.createBuffer({ size: ident.byteLength, usage: STORAGE, label: 'kv:staging-table' });
    kv.device.queue.writeBuffer(this.stagingTable, 0, ident);
  }

  /** Points views at arenas or staging slots and bumps the layout version. */
  relayout(): void {
    const kv = this.kv;
    const off = this.offLayers();
    if (off.length) this.ensureStaging();
    this.slotOf.fill(-1);
    off.forEach((l, k) => (this.slotOf[l] = k % this.slots));
    for (let l = 0; l < kv.nLayers; l++) {
      const s = this.slotOf[l]!;
      const v: KvLayerView = s >= 0
        ? { pages: this.staging[s]!, pageTable: this.stagingTable!, tableOffset: 0, maxPages: kv.maxPages, nKvHeads: kv.nKvHeads, headDim: kv.headDim }
        : { pages: kv.arenas[l]!, pageTable: kv.pageTable, tableOffset: l * kv.nKvHeads * kv.maxPages, maxPages: kv.maxPages, nKvHeads: kv.nKvHeads, headDim: kv.headDim };
      kv.views[l] = v;
    }
    for (const h of this.slotHolds) h.layer = -1;
    kv.layoutVersion++;
  }

  offLayers(): number[] {
    const out: number[] = [];
    for (let l = 0; l < this.kv.nLayers; l++) if (this.layerTier[l] !== 'gpu') out.push(l);
    return out;
  }

  dispose(): void {
    for (const b of this.staging) b.destroy();
    this.stagingTable?.destroy();
    for (const b of this.readbackBufs.values()) b.destroy();
    this.store.dispose();
  }
}

export function kvTiersEnable(kv: KvCache, opts: KvTiersOptions = {}): KvTiers {
  if (kv.tiers) throw new LongreadError('internal', 'KV tiers are already enabled on this cache.', 'This is a bug in Longread; please report it.');
  const t = new KvTiers(kv, opts);
  kv.tiers = t;
  return t;
}

function tiersOf(kv: KvCache): KvTiers {
  if (!(kv.tiers instanceof KvTiers)) throw new LongreadError('internal', 'KV tiers are not enabled on this cache.', 'Call kvTiersEnable first.');
  return kv.tiers;
}

export function kvTierOf(kv: KvCache, layer: number): KvTier {
  return kv.tiers instanceof KvTiers ? kv.tiers.layerTier[layer]! : 'gpu';
}

/** Pages per tier (a page = 64 tokens of one layer and KV head). */
export function kvTierCounts(kv: KvCache): { gpuPages: number; ramPages: number; diskPages: number } {
  const perLayer = kv.nKvHeads * kvPagesFor(kv.mappedTokens);
  const t = kv.tiers instanceof KvTiers ? kv.tiers : null;
  const gpuLayers = t ? t.layerTier.filter((x) => x === 'gpu').length : kv.nLayers;
  return { gpuPages: gpuLayers * perLayer, ramPages: t?.store.ramPages ?? 0, diskPages: t?.store.diskPages ?? 0 };
}

/** GPU bytes the cache holds now: arenas or pool, page tables, staging slots. */
export function kvGpuBytes(kv: KvCache): number {
  const t = kv.tiers instanceof KvTiers ? kv.tiers : null;
  let bytes = kv.pageTable.size;
  const seen = new Set<GPUBuffer>();
  kv.arenas.forEach((a, l) => {
    if (!seen.has(a) && !t?.dropped[l]) bytes += a.size;
    seen.add(a);
  });
  if (t) bytes += t.stagingBytes() + (t.stagingTable?.size ?? 0);
  return bytes;
}

/** Staging slots of the cache's tiers (0 without tiers). */
export function kvStagingSlots(kv: KvCache): number {
  return kv.tiers instanceof KvTiers ? kv.tiers.slots : 0;
}

/** Layers whose pages are off the GPU, ascending. */
export function kvOffloadedLayers(kv: KvCache): number[] {
  return kv.tiers instanceof KvTiers ? kv.tiers.offLayers() : [];
}

async function readPages(device: GPUDevice, src: GPUBuffer, offsets: number[], pageBytes: number): Promise<Uint8Array> {
  const buf = device.createBuffer({ size: Math.max(4, offsets.length * pageBytes), usage: 0x01 | 0x08, label: 'kv:offload' }); // MAP_READ | COPY_DST
  const enc = device.createCommandEncoder({ label: 'kv:offload' });
  offsets.forEach((o, i) => enc.copyBufferToBuffer(src, o, buf, i * pageBytes, pageBytes));
  device.queue.submit([enc.finish()]);
  await buf.mapAsync(0x0001);
  const out = new Uint8Array(buf.getMappedRange().slice(0));
  buf.unmap();
  buf.destroy();
  return out;
}

/** Moves all pages of `layer` to `tier` (GPU -> RAM/disk, or between RAM and disk). */
export async function kvPagesOffload(kv: KvCache, layer: number, tier: KvHostTier): Promise<void> {
  const t = tiersOf(kv);
  const cur = t.layerTier[layer]!;
  if (cur === tier) return;
  const pages = kvPagesFor(kv.mappedTokens);
  const pageBytes = kvPageBytes(kv.headDim);
  if (cur === 'gpu') {
    const off = kv.views[layer]!.tableOffset;
    for (let h = 0; h < kv.nKvHeads; h++) {
      const phys = Array.from({ length: pages }, (_, p) => kv.table[kvTableIndex(off, kv.maxPages, h, p)]!);
      const bytes = await readPages(kv.device, kv.arenas[layer]!, phys.map((x) => x * pageBytes), pageBytes);
      for (let p = 0; p < pages; p++) {
        const handle = t.store.alloc(tier);
        t.store.write(handle, bytes.subarray(p * pageBytes, (p + 1) * pageBytes));
        t.handles[t.idx(layer, h, p)] = handle;
        kv.free[layer]!.push(phys[p]!);
        kv.table[kvTableIndex(off, kv.maxPages, h, p)] = KV_PAGE_NONE;
      }
    }
    kv.device.queue.writeBuffer(kv.pageTable, off * 4, kv.table, off, kv.nKvHeads * kv.maxPages);
    if (!kv.pooled) {
      kv.arenas[layer]!.destroy();
      t.dropped[layer] = true;
    }
  } else {
    const scratch = new Uint8Array(pageBytes);
    for (let h = 0; h < kv.nKvHeads; h++) {
      for (let p = 0; p < pages; p++) {
        const i = t.idx(layer, h, p);
        t.store.read(t.handles[i]!, scratch);
        t.store.free(t.handles[i]!);
        const handle = t.store.alloc(tier);
        t.store.write(handle, scratch);
        t.handles[i] = handle;
      }
    }
  }
  t.layerTier[layer] = tier;
  t.relayout();
}

/** Moves all pages of `layer` back into the GPU arena / pool. */
export async function kvPagesFetch(kv: KvCache, layer: number): Promise<void> {
  const t = tiersOf(kv);
  if (t.layerTier[layer] === 'gpu') return;
  const pages = kvPagesFor(kv.mappedTokens);
  const pageBytes = kvPageBytes(kv.headDim);
  const off = layer * kv.nKvHeads * kv.maxPages;
  if (kv.free[layer]!.length < kv.nKvHeads * pages) {
    throw new LongreadError('gpu-out-of-memory', `The GPU KV pool has ${kv.free[layer]!.length} free pages; layer ${layer} needs ${kv.nKvHeads * pages}.`, 'Move another layer off the GPU first, or raise the VRAM budget.');
  }
  if (t.dropped[layer]) {
    kv.arenas[layer] = kv.device.createBuffer({ size: kv.nKvHeads * kv.maxPages * pageBytes, usage: STORAGE, label: `kv:arena${layer}` });
    t.dropped[layer] = false;
  }
  const scratch = new Uint8Array(pageBytes);
  for (let h = 0; h < kv.nKvHeads; h++) {
    for (let p = 0; p < pages; p++) {
      const phys = kv.free[layer]!.pop()!;
      const i = t.idx(layer, h, p);
      t.store.read(t.handles[i]!, scratch);
      kv.device.queue.writeBuffer(kv.arenas[layer]!, phys * pageBytes, scratch);
      t.store.free(t.handles[i]!);
      t.handles[i] = 0;
      kv.table[kvTableIndex(off, kv.maxPages, h, p)] = phys;
    }
  }
  kv.device.queue.writeBuffer(kv.pageTable, off * 4, kv.table, off, kv.nKvHeads * kv.maxPages);
  t.layerTier[layer] = 'gpu';
  t.relayout();
}

/** Number of layers the policy keeps off the GPU at sequence length `tokens`. */
export function kvOffloadCount(thresholds: readonly number[], tokens: number): number {
  let i = 0;
  while (i < thresholds.length && tokens >= thresholds[i]!) i++;
  return i;
}

async function applyPolicy(kv: KvCache, t: KvTiers, p: KvTierPolicy, tokens: number): Promise<void> {
  const want = Math.min(kv.nLayers, kvOffloadCount(p.thresholds, tokens));
  // off the GPU from the last layer backwards, one layer per crossed threshold
  for (let i = 0; i < want; i++) {
    const l = kv.nLayers - 1 - i;
    if (t.layerTier[l] !== 'gpu') continue;
    const tier = p.tierFor(kv, l);
    await kvPagesOffload(kv, l, tier);
    t.events.push({ tokens, layer: l, to: tier });
  }
  // a shorter sequence (a new prompt after a cut) brings layers back, first layer first
  for (let i = kv.nLayers - 1; i >= want; i--) {
    const l = kv.nLayers - 1 - i;
    if (t.layerTier[l] === 'gpu') continue;
    await kvPagesFetch(kv, l);
    t.events.push({ tokens, layer: l, to: 'gpu' });
  }
}

/** Maps pages for tokens [0, tokens) after applying the policy for that length (snapshot restore). */
export async function kvEnsure(kv: KvCache, tokens: number): Promise<void> {
  const t = kv.tiers instanceof KvTiers ? kv.tiers : null;
  if (t?.policy) await applyPolicy(kv, t, t.policy, tokens);
  kvCacheEnsure(kv, tokens);
}

/** Starts a step that writes tokens [from, to): applies the policy, then maps the pages. */
export async function kvStepBegin(kv: KvCache, from: number, to: number): Promise<void> {
  await kvEnsure(kv, to);
  if (kv.tiers instanceof KvTiers) {
    kv.tiers.step = { from, to };
    kv.tiers.pending = []; // a step that failed before kvStepEnd leaves nothing behind
  }
}

/** Reads page p of (layer, head) of an off-GPU layer into `out` (pageBytes). */
export function kvHostPageRead(kv: KvCache, layer: number, head: number, page: number, out: Uint8Array): void {
  const t = tiersOf(kv);
  t.store.read(t.handles[t.idx(layer, head, page)]!, out);
}

/** Writes page p of (layer, head) of an off-GPU layer (mapped by kvEnsure). */
export function kvHostPageWrite(kv: KvCache, layer: number, head: number, page: number, data: Uint8Array): void {
  const t = tiersOf(kv);
  t.store.write(t.handles[t.idx(layer, head, page)]!, data);
}

/**
 * Uploads the pages [0, from) of off-GPU `layer` into its staging slot (queue.writeBuffer, so
 * ordered before the next submit). Disk pages are read in the thread pool while the GPU runs
 * what was submitted before; pages the slot still holds are skipped.
 */
export async function kvStageIn(kv: KvCache, layer: number): Promise<void> {
  const t = tiersOf(kv);
  const from = t.step!.from;
  const s = t.slotOf[layer]!;
  const hold = t.slotHolds[s]!;
  const have = hold.layer === layer ? hold.tokens : 0;
  // claim the slot first: a later layer sharing it waits for the submit in between anyway
  t.slotHolds[s] = { layer, tokens: Math.max(from, have) };
  if (have >= from) return;
  const pageBytes = kvPageBytes(kv.headDim);
  const p0 = Math.floor(have / KV_PAGE_TOKENS);
  const p1 = kvPagesFor(from);
  const run = Math.max(1, Math.min(p1 - p0, Math.floor((8 << 20) / pageBytes)));
  const scratch = new Uint8Array(run * pageBytes);
  const handles = new Int32Array(run);
  for (let h = 0; h < kv.nKvHeads; h++) {
    for (let a = p0; a < p1; a += run) {
      const n = Math.min(run, p1 - a);
      for (let p = 0; p < n; p++) handles[p] = t.handles[t.idx(layer, h, a + p)]!;
      await t.store.readMany(handles.subarray(0, n), scratch);
      kv.device.queue.writeBuffer(t.staging[s]!, (h * kv.maxPages + a) * pageBytes, scratch, 0, n * pageBytes);
      t.stagedBytes += n * pageBytes;
    }
  }
}

/** Records the copy of the pages that the step wrote in off-GPU `layer` out of its slot. */
export function kvEncodeWriteBack(kv: KvCache, enc: GPUCommandEncoder, layer: number): void {
  const t = tiersOf(kv);
  const { from, to } = t.step!;
  const pageBytes = kvPageBytes(kv.headDim);
  const firstPage = Math.floor(from / KV_PAGE_TOKENS);
  const pages = kvPagesFor(to) - firstPage;
  const size = kv.nKvHeads * pages * pageBytes;
  let buf = t.readbackBufs.get(layer);
  if (!buf || buf.size < size) {
    buf?.destroy();
    buf = kv.device.createBuffer({ size, usage: 0x01 | 0x08, label: `kv:writeback${layer}` }); // MAP_READ | COPY_DST
    t.readbackBufs.set(layer, buf);
  }
  const s = t.slotOf[layer]!;
  for (let h = 0; h < kv.nKvHeads; h++) enc.copyBufferToBuffer(t.staging[s]!, (h * kv.maxPages + firstPage) * pageBytes, buf, h * pages * pageBytes, pages * pageBytes);
  t.pending.push({ layer, buf, firstPage, pages });
  t.slotHolds[s] = { layer, tokens: to };
}

/** After the step's last submit: stores the written pages of off-GPU layers in RAM / on disk. */
export async function kvStepEnd(kv: KvCache): Promise<void> {
  const t = kv.tiers instanceof KvTiers ? kv.tiers : null;
  if (!t) return;
  const pageBytes = kvPageBytes(kv.headDim);
  const pending = t.pending;
  t.pending = [];
  t.step = null;
  // all maps at once: each one waits for the device, so sequential maps add up
  await Promise.all(pending.map((r) => r.buf.mapAsync(0x0001, 0, kv.nKvHeads * r.pages * pageBytes)));
  for (const r of pending) {
    const size = kv.nKvHeads * r.pages * pageBytes;
    const bytes = new Uint8Array(r.buf.getMappedRange(0, size));
    for (let h = 0; h < kv.nKvHeads; h++) {
      for (let p = 0; p < r.pages; p++) {
        const o = (h * r.pages + p) * pageBytes;
        t.store.write(t.handles[t.idx(r.layer, h, r.firstPage + p)]!, bytes.subarray(o, o + pageBytes));
      }
    }
    r.buf.unmap();
  }
}
