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
 * fails at load with `context-too-large`, never mid-generation. Extend: RAM / disk tiers swap a
 * page's table entry to KV_PAGE_NONE and keep its bytes elsewhere (engine/kv/ tiers).
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
}

/** Bytes of K+V of one token over all layers (f16). */
export function kvBytesPerToken(s: Omit<KvCacheShape, 'maxTokens'>): number {
  return s.nLayers * s.nKvHeads * s.headDim * 2 * 2;
}

/** Bytes the cache allocates for `maxTokens` (whole pages). */
export function kvCacheBytes(s: KvCacheShape): number {
  return s.nLayers * s.nKvHeads * kvPagesFor(s.maxTokens) * kvPageBytes(s.headDim) + s.nLayers * s.nKvHeads * kvPagesFor(s.maxTokens) * 4;
}

export function kvCacheCreate(device: GPUDevice, s: KvCacheShape): KvCache {
  const maxPages = kvPagesFor(s.maxTokens);
  const layerBytes = s.nKvHeads * maxPages * kvPageBytes(s.headDim);
  const maxBinding = Number(device.limits.maxStorageBufferBindingSize);
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
  return { ...s, maxPages, arenas, pageTable, views, mappedTokens: 0, table, free, device };
}

/** Maps pages so that tokens [0, tokens) have a physical page in every layer and head. */
export function kvCacheEnsure(kv: KvCache, tokens: number): void {
  if (tokens > kv.maxPages * KV_PAGE_TOKENS) {
    throw new LongreadError('context-too-large', `The sequence of ${tokens} tokens exceeds the loaded context of ${kv.maxTokens} tokens.`, 'Shorten the document or question, or load the model with a longer context.', { tokens, contextLength: kv.maxTokens });
  }
  const have = kvPagesFor(kv.mappedTokens);
  const need = kvPagesFor(tokens);
  if (need > have) {
    for (let l = 0; l < kv.nLayers; l++) {
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

/** Unmaps the pages past `tokens` (their contents become garbage the kernels never read). */
export function kvCacheTruncate(kv: KvCache, tokens: number): void {
  const keep = kvPagesFor(tokens);
  const have = kvPagesFor(kv.mappedTokens);
  if (keep < have) {
    for (let l = 0; l < kv.nLayers; l++) {
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
}

export function kvCacheDispose(kv: KvCache): void {
  for (const a of kv.arenas) a.destroy();
  kv.pageTable.destroy();
}
