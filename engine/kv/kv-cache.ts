/**
 * The GPU paged KV cache: one page arena per layer (f16 K+V pages of 64 tokens of one KV head,
 * layout in engine/kernels/kv-layout.ts) and one page table buffer for all layers
 * (layer l's table at tableOffset = l * nKvHeads * maxPages). Physical pages come from a
 * per-layer free list as the sequence grows (`kvCacheEnsure`) and go back when it is cut
 * (`kvCacheTruncate`), so a prefix can be kept and the rest reused.
 *
 *   const kv = kvCacheCreate(device, { nLayers, nKvHeads, headDim, maxTokens, maxBindingBytes })
 *   kvCacheEnsure(kv, 4100)        // maps pages for tokens [0, 4100) (queue.writeBuffer)
 *   kernels read kv.views[l]       // KvLayerView of layer l
 *   kvCacheTruncate(kv, 4000)      // frees pages past token 4000
 *
 * Arenas are allocated up front for `maxTokens` (the loaded context), so an over-large context
 * fails at load with `context-too-large`, never mid-generation. With `{ poolPages }` (the memory
 * planner's tiered mode, kv-planner.ts) all layers share ONE arena of that many pages and one
 * free list instead: the GPU pool of a VRAM budget.
 *
 * Tiers (kv-tiers.ts) install `kv.tiers`: a layer whose pages live in RAM / on disk has table
 * entries KV_PAGE_NONE, its `views[l]` points at a staging slot, and ensure/truncate map its
 * pages through the hooks. Every change of `views` bumps `layoutVersion` (the forward pass
 * rebuilds its bind groups when it sees a new one).
 */

import { LongreadError } from '../errors.ts';
import { STORAGE } from '../gpu/buffer-pool.ts';
import { KV_PAGE_NONE, KV_PAGE_TOKENS, kvPageBytes, kvPagesFor, kvTableIndex, type KvLayerView } from '../kernels/kv-layout.ts';

export interface KvCacheShape {
  nLayers: number;
  nKvHeads: number;
  headDim: number;
  /** tokens the cache must hold (rounded up to whole pages) */
  maxTokens: number;
}

export interface KvCache extends KvCacheShape {
  maxPages: number;
  arenas: GPUBuffer[];
  pageTable: GPUBuffer;
  views: KvLayerView[];
  /** tokens whose pages are mapped */
  mappedTokens: number;
  /** CPU copy of the page table */
  table: Uint32Array<ArrayBuffer>;
  free: number[][];
  device: GPUDevice;
  /** all layers share arenas[0] (pool mode) */
  pooled: boolean;
  /** bumped whenever `views` change (layers moving between tiers) */
  layoutVersion: number;
  /** installed by kv-tiers.ts */
  tiers?: KvTierHooks;
}

/** What ensure / truncate ask of the tier layer for layers not on the GPU. */
export interface KvTierHooks {
  /** true when layer l's pages live off the GPU */
  offGpu(l: number): boolean;
  /** maps logical page p of (l, h) in the layer's host tier */
  mapHost(l: number, h: number, p: number): void;
  /** frees logical page p of (l, h) */
  unmapHost(l: number, h: number, p: number): void;
  /** the cache was cut to `tokens` */
  truncated(tokens: number): void;
}

/** Bytes of K+V of one token over all layers (f16). */
export function kvBytesPerToken(s: Omit<KvCacheShape, 'maxTokens'>): number {
  return s.nLayers * s.nKvHeads * s.headDim * 2 * 2;
}

/** Bytes the cache allocates for `maxTokens` (whole pages). */
export function kvCacheBytes(s: KvCacheShape): number {
  return s.nLayers * s.nKvHeads * kvPagesFor(s.maxTokens) * kvPageBytes(s.headDim) + s.nLayers * s.nKvHeads * kvPagesFor(s.maxTokens) * 4;
}

export function kvCacheCreate(device: GPUDevice, s: KvCacheShape, opts: { poolPages?: number } = {}): KvCache {
  const maxPages = kvPagesFor(s.maxTokens);
  const layerBytes = s.nKvHeads * maxPages * kvPageBytes(s.headDim);
  const maxBinding = Number(device.limits.maxStorageBufferBindingSize);
  if (opts.poolPages !== undefined) return poolCreate(device, s, maxPages, opts.poolPages);
  if (layerBytes > maxBinding) {
    const fit = Math.floor(maxBinding / (s.nKvHeads * kvPageBytes(s.headDim))) * KV_PAGE_TOKENS;
    throw new LongreadError('context-too-large', `A context of ${s.maxTokens} tokens needs ${layerBytes} bytes of KV cache per layer; this GPU binds at most ${maxBinding} bytes.`,
      `Load the model with a shorter context (at most ${fit} tokens on this GPU).`, { contextLength: s.maxTokens, layerBytes, maxStorageBufferBindingSize: maxBinding, maxContext: fit });
  }
  const arenas: GPUBuffer[] = [];
  for (let l = 0; l < s.nLayers; l++) arenas.push(device.createBuffer({ size: layerBytes, usage: STORAGE, label: `kv:arena${l}` }));
  const table = new Uint32Array(s.nLayers * s.nKvHeads * maxPages).fill(KV_PAGE_NONE);
  const pageTable = device.createBuffer({ size: table.byteLength, usage: STORAGE, label: 'kv:page-table' });
  device.queue.writeBuffer(pageTable, 0, table);
  const views: KvLayerView[] = arenas.map((pages, l) => ({ pages, pageTable, tableOffset: l * s.nKvHeads * maxPages, maxPages, nKvHeads: s.nKvHeads, headDim: s.headDim }));
  // Free lists pop from the end: push in reverse so pages are handed out in ascending order.
  const free = arenas.map(() => Array.from({ length: s.nKvHeads * maxPages }, (_, i) => s.nKvHeads * maxPages - 1 - i));
  return { ...s, maxPages, arenas, pageTable, views, mappedTokens: 0, table, free, device, pooled: false, layoutVersion: 0 };
}

function poolCreate(device: GPUDevice, s: KvCacheShape, maxPages: number, poolPages: number): KvCache {
  const pageBytes = kvPageBytes(s.headDim);
  const maxBinding = Number(device.limits.maxStorageBufferBindingSize);
  if (!(Number.isInteger(poolPages) && poolPages >= 0) || poolPages * pageBytes > maxBinding) {
    throw new LongreadError('internal', `KV pool of ${poolPages} pages does not fit one binding (${maxBinding} bytes).`, 'This is a bug in the memory planner; please report it.', { poolPages, maxStorageBufferBindingSize: maxBinding });
  }
  const pool = device.createBuffer({ size: Math.max(pageBytes, poolPages * pageBytes), usage: STORAGE, label: 'kv:pool' });
  const table = new Uint32Array(s.nLayers * s.nKvHeads * maxPages).fill(KV_PAGE_NONE);
  const pageTable = device.createBuffer({ size: table.byteLength, usage: STORAGE, label: 'kv:page-table' });
  device.queue.writeBuffer(pageTable, 0, table);
  const arenas = Array.from({ length: s.nLayers }, () => pool);
  const views: KvLayerView[] = arenas.map((pages, l) => ({ pages, pageTable, tableOffset: l * s.nKvHeads * maxPages, maxPages, nKvHeads: s.nKvHeads, headDim: s.headDim }));
  const shared = Array.from({ length: poolPages }, (_, i) => poolPages - 1 - i);
  return { ...s, maxPages, arenas, pageTable, views, mappedTokens: 0, table, free: arenas.map(() => shared), device, pooled: true, layoutVersion: 0 };
}

/** Throws `context-too-large` when `tokens` do not fit the loaded context. */
export function kvCacheCheck(kv: KvCache, tokens: number): void {
  if (tokens > kv.maxPages * KV_PAGE_TOKENS) {
    throw new LongreadError('context-too-large', `The sequence of ${tokens} tokens exceeds the loaded context of ${kv.maxTokens} tokens.`, 'Shorten the document or question, or load the model with a longer context.', { tokens, contextLength: kv.maxTokens });
  }
}

/** Maps pages so that tokens [0, tokens) have a physical page in every layer and head. */
export function kvCacheEnsure(kv: KvCache, tokens: number): void {
  kvCacheCheck(kv, tokens);
  const have = kvPagesFor(kv.mappedTokens);
  const need = kvPagesFor(tokens);
  if (need > have) {
    if (have === 0) for (const f of new Set(kv.free)) sortForAscendingPops(f);
    for (let l = 0; l < kv.nLayers; l++) {
      if (kv.tiers?.offGpu(l)) {
        for (let h = 0; h < kv.nKvHeads; h++) for (let p = have; p < need; p++) kv.tiers.mapHost(l, h, p);
        continue;
      }
      for (let h = 0; h < kv.nKvHeads; h++) {
        for (let p = have; p < need; p++) {
          const phys = kv.free[l]!.pop();
          if (phys === undefined) throw new LongreadError('internal', `KV arena of layer ${l} ran out of pages.`, 'This is a bug in Longread; please report it.');
          kv.table[kvTableIndex(kv.views[l]!.tableOffset, kv.maxPages, h, p)] = phys;
        }
      }
      // one write per layer: its table rows [h * maxPages + have, ... + need)
      const off = kv.views[l]!.tableOffset;
      kv.device.queue.writeBuffer(kv.pageTable, off * 4, kv.table, off, kv.nKvHeads * kv.maxPages);
    }
  }
  kv.mappedTokens = Math.max(kv.mappedTokens, tokens);
}

/**
 * Orders a free list so that pops hand out ascending physical pages. Truncation pushes pages
 * back in table order, which would make the next ensure hand them out descending; an empty
 * cache filled again (a snapshot restore, a new document) then gets each layer's pages as one
 * ascending run, which kvSnapshotRestore uploads with one write per block instead of per page.
 */
function sortForAscendingPops(free: number[]): void {
  for (let i = 1; i < free.length; i++) {
    if (free[i - 1]! < free[i]!) {
      free.sort((a, b) => b - a);
      return;
    }
  }
}

/** Unmaps the pages past `tokens` (their contents become garbage the kernels never read). */
export function kvCacheTruncate(kv: KvCache, tokens: number): void {
  const keep = kvPagesFor(tokens);
  const have = kvPagesFor(kv.mappedTokens);
  if (keep < have) {
    for (let l = 0; l < kv.nLayers; l++) {
      if (kv.tiers?.offGpu(l)) {
        for (let h = 0; h < kv.nKvHeads; h++) for (let p = keep; p < have; p++) kv.tiers.unmapHost(l, h, p);
        continue;
      }
      for (let h = 0; h < kv.nKvHeads; h++) {
        for (let p = keep; p < have; p++) {
          const i = kvTableIndex(kv.views[l]!.tableOffset, kv.maxPages, h, p);
          kv.free[l]!.push(kv.table[i]!);
          kv.table[i] = KV_PAGE_NONE;
        }
      }
      const off = kv.views[l]!.tableOffset;
      kv.device.queue.writeBuffer(kv.pageTable, off * 4, kv.table, off, kv.nKvHeads * kv.maxPages);
    }
  }
  kv.mappedTokens = Math.min(kv.mappedTokens, tokens);
  kv.tiers?.truncated(kv.mappedTokens);
}

/** Occupancy for the `kv_pages` telemetry tap and the inspector: pages mapped / allocated. */
export function kvCacheStats(kv: KvCache): { tokens: number; pagesUsed: number; pagesTotal: number; bytesUsed: number; bytesTotal: number } {
  const perLayer = kv.nKvHeads * kv.maxPages;
  const free = kv.free.reduce((n, f) => n + f.length, 0);
  const pagesTotal = kv.nLayers * perLayer;
  const pageBytes = kvPageBytes(kv.headDim);
  return { tokens: kv.mappedTokens, pagesUsed: pagesTotal - free, pagesTotal, bytesUsed: (pagesTotal - free) * pageBytes, bytesTotal: pagesTotal * pageBytes };
}

export function kvCacheDispose(kv: KvCache): void {
  for (const a of new Set(kv.arenas)) a.destroy();
  kv.pageTable.destroy();
  (kv.tiers as { dispose?: () => void } | undefined)?.dispose?.();
}
