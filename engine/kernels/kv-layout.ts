/**
 * THE paged KV cache layout: the one definition the KV append, decode attention and prefill
 * attention kernels, the runtime (engine/models/) and the KV tiers (engine/kv/) all share.
 *
 * Page: KV_PAGE_TOKENS = 64 consecutive tokens of ONE (layer, KV head), K and V together:
 *
 *   word offset in the page (u32 words; f16 packed two per word, low half = even dim)
 *   [0,              64 * hd/2)   K block: token slot s, dims (2w, 2w+1) at  s * hd/2 + w
 *   [64 * hd/2,      64 * hd)     V block: same layout, offset by 64 * hd/2
 *
 *   page size: 64 * hd words = 256 * hd bytes (16 KiB at hd 64, 32 KiB at hd 128).
 *   K is stored with RoPE already applied.
 *
 * Arena: a GPU buffer of physical pages, physical page p at word p * kvPageWords(hd). One arena
 * must fit one storage binding (maxStorageBufferBindingSize); a model may use one arena for all
 * layers or one per layer / group of layers, as the memory planner likes.
 *
 * Page table: u32 entries, one table per layer (a layer's table may sit at `tableOffset`
 * elements inside a larger buffer):
 *
 *   table[tableOffset + kvHead * maxPages + logicalPage] = physical page index in the arena
 *
 * where logicalPage = token / 64 and the slot in the page = token % 64. Entries of pages not
 * resident are KV_PAGE_NONE (kernels never read pages at or beyond the current KV length).
 * Per-head tables let sparse policies and tiers evict / load pages per head.
 *
 * Extend: kernels read only through the helpers in shaders/common/kv-page.wgsl and the
 * functions here; change the layout in both places or nowhere.
 */

export const KV_PAGE_TOKENS = 64;
export const KV_PAGE_NONE = 0xffffffff;

/** u32 words of one page (K + V). */
export function kvPageWords(headDim: number): number {
  return KV_PAGE_TOKENS * headDim;
}

export function kvPageBytes(headDim: number): number {
  return kvPageWords(headDim) * 4;
}

/** Logical pages per head needed for `tokens`. */
export function kvPagesFor(tokens: number): number {
  return Math.ceil(tokens / KV_PAGE_TOKENS);
}

/** Word offset of (token slot, dim pair w) of K or V inside the arena. */
export function kvWordOffset(physPage: number, slot: number, w: number, headDim: number, which: 'k' | 'v'): number {
  return physPage * kvPageWords(headDim) + (which === 'v' ? (KV_PAGE_TOKENS * headDim) / 2 : 0) + slot * (headDim / 2) + w;
}

/** Index of (kvHead, logicalPage) in a layer's page table. */
export function kvTableIndex(tableOffset: number, maxPages: number, kvHead: number, logicalPage: number): number {
  return tableOffset + kvHead * maxPages + logicalPage;
}

/** Largest number of pages one arena may hold on this device. */
export function kvArenaMaxPages(maxStorageBufferBindingSize: number, headDim: number): number {
  return Math.floor(maxStorageBufferBindingSize / kvPageBytes(headDim));
}

/** Description of one layer's view of the cache, as the attention kernels take it. */
export interface KvLayerView {
  /** u32 arena of pages */
  pages: GPUBuffer | { buffer: GPUBuffer; offset?: number; size?: number };
  /** u32 page table buffer */
  pageTable: GPUBuffer | { buffer: GPUBuffer; offset?: number; size?: number };
  /** elements before this layer's table in `pageTable` */
  tableOffset: number;
  /** logical pages per head in the table (row stride) */
  maxPages: number;
  nKvHeads: number;
  headDim: number;
}
