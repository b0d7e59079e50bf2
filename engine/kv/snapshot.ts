/**
 * KV snapshots of a prefilled prefix (a document and the prompt around it): copy the pages of
 * the GPU paged cache out to a snapshot file (snapshot-file.ts) and back in, so reopening a
 * document, or asking about it after a restart, skips its prefill.
 *
 *   await kvSnapshotSave(kv, tokenIds, file, fingerprint, engineVersion)   // pages of tokenIds
 *   const ids = await kvSnapshotRestore(kv, file, fingerprint)             // cache now holds ids
 *
 * Pages go out one layer at a time through a MAP_READ staging buffer (memory stays at one
 * layer's worth) and come back with queue.writeBuffer into freshly mapped physical pages, one
 * write per run of pages that are consecutive in both the file and the arena.
 * Page order in the file: layer, then KV head, then logical page. Layers whose pages live in
 * RAM / on disk (kv-tiers.ts) are read from and restored into their tier; a restore applies
 * the memory planner's policy for the snapshot's length first.
 */

import { LongreadError } from '../errors.ts';
import { KV_PAGE_TOKENS, kvPageBytes, kvPagesFor, kvTableIndex } from '../kernels/kv-layout.ts';
import { kvCacheTruncate, type KvCache } from './kv-cache.ts';
import { kvEnsure, kvHostPageRead, kvHostPageWrite, kvTierOf } from './kv-tiers.ts';
import { snapshotOpen, snapshotWrite, type SnapshotHeader } from './snapshot-file.ts';

function physPage(kv: KvCache, l: number, h: number, p: number): number {
  return kv.table[kvTableIndex(kv.views[l]!.tableOffset, kv.maxPages, h, p)]!;
}

async function* layerPages(kv: KvCache, pages: number): AsyncGenerator<Uint8Array> {
  const pageBytes = kvPageBytes(kv.headDim);
  for (let l = 0; l < kv.nLayers; l++) {
    if (kvTierOf(kv, l) !== 'gpu') {
      for (let h = 0; h < kv.nKvHeads; h++) {
        for (let p = 0; p < pages; p++) {
          const out = new Uint8Array(pageBytes);
          kvHostPageRead(kv, l, h, p, out);
          yield out;
        }
      }
      continue;
    }
    const size = kv.nKvHeads * pages * pageBytes;
    const staging = kv.device.createBuffer({ size, usage: 0x01 | 0x08, label: 'kv:snapshot-out' }); // MAP_READ | COPY_DST
    const enc = kv.device.createCommandEncoder({ label: 'kv:snapshot-out' });
    for (let h = 0; h < kv.nKvHeads; h++) {
      for (let p = 0; p < pages; p++) {
        enc.copyBufferToBuffer(kv.arenas[l]!, physPage(kv, l, h, p) * pageBytes, staging, (h * pages + p) * pageBytes, pageBytes);
      }
    }
    kv.device.queue.submit([enc.finish()]);
    await staging.mapAsync(0x0001); // GPUMapMode.READ
    const copy = new Uint8Array(staging.getMappedRange().slice(0));
    staging.unmap();
    staging.destroy();
    for (let i = 0; i < kv.nKvHeads * pages; i++) yield copy.subarray(i * pageBytes, (i + 1) * pageBytes);
  }
}

/**
 * Sends one verified block (pages first.. back to back) to the cache. Runs of pages that land on
 * consecutive physical pages of one GPU arena (what a fresh kvCacheEnsure hands out) go up as
 * one writeBuffer each, so a restore makes ~one upload per block instead of one per page; pages
 * of off-GPU layers go to their tier one by one.
 */
function uploadBlock(kv: KvCache, pages: number, first: number, data: Uint8Array): void {
  const pageBytes = kvPageBytes(kv.headDim);
  const n = data.length / pageBytes;
  const perLayer = kv.nKvHeads * pages;
  let run = 0; // pages [k - run, k) form the pending run, starting at physical page `start`
  let start = 0;
  let arena: GPUBuffer | null = null;
  const flush = (k: number) => {
    if (run) kv.device.queue.writeBuffer(arena!, start * pageBytes, data.subarray((k - run) * pageBytes, k * pageBytes) as Uint8Array<ArrayBuffer>);
    run = 0;
  };
  for (let k = 0; k < n; k++) {
    const i = first + k;
    const l = Math.floor(i / perLayer);
    const hd = Math.floor((i % perLayer) / pages);
    const p = i % pages;
    if (kvTierOf(kv, l) !== 'gpu') {
      flush(k);
      kvHostPageWrite(kv, l, hd, p, data.subarray(k * pageBytes, (k + 1) * pageBytes));
      continue;
    }
    const phys = physPage(kv, l, hd, p);
    if (run && (kv.arenas[l] !== arena || phys !== start + run)) flush(k);
    if (!run) {
      arena = kv.arenas[l]!;
      start = phys;
    }
    run++;
  }
  flush(n);
}

/** Saves the K/V of the first `tokenIds.length` tokens of the cache. */
export async function kvSnapshotSave(kv: KvCache, tokenIds: readonly number[], file: string, fingerprint: string, engineVersion: string): Promise<void> {
  const tokens = tokenIds.length;
  if (tokens === 0 || tokens > kv.mappedTokens) throw new LongreadError('internal', `Cannot snapshot ${tokens} tokens of a cache holding ${kv.mappedTokens}.`, 'This is a bug in Longread; please report it.');
  const pages = kvPagesFor(tokens);
  const header: SnapshotHeader = {
    fingerprint,
    engineVersion,
    nLayers: kv.nLayers,
    nKvHeads: kv.nKvHeads,
    headDim: kv.headDim,
    tokens,
    tokenIds: [...tokenIds],
    pageBytes: kvPageBytes(kv.headDim),
    nPages: kv.nLayers * kv.nKvHeads * pages,
  };
  await snapshotWrite(file, header, layerPages(kv, pages));
}

/**
 * Restores a snapshot into the cache (which is cleared first) and returns the token ids whose
 * K/V it now holds. Throws `snapshot-invalid` when the file is damaged, belongs to something
 * else, or does not fit this cache's shape.
 */
export async function kvSnapshotRestore(kv: KvCache, file: string, fingerprint: string): Promise<number[]> {
  const s = await snapshotOpen(file, fingerprint);
  const h = s.header;
  const pages = kvPagesFor(h.tokens);
  const shapeOk = h.nLayers === kv.nLayers && h.nKvHeads === kv.nKvHeads && h.headDim === kv.headDim && h.pageBytes === kvPageBytes(kv.headDim)
    && h.tokenIds.length === h.tokens && h.nPages === kv.nLayers * kv.nKvHeads * pages;
  const fits = h.tokens < kv.maxPages * KV_PAGE_TOKENS;
  if (!shapeOk || !fits) {
    await s.close();
    if (!shapeOk) throw new LongreadError('snapshot-invalid', 'The KV snapshot was made for a different cache shape.', 'It will be discarded and the document prefilled again.', { file });
    throw new LongreadError('snapshot-invalid', `The KV snapshot holds ${h.tokens} tokens, more than the loaded context.`, 'Load the model with a longer context, or let the document be prefilled again.', { file });
  }
  kvCacheTruncate(kv, 0);
  await kvEnsure(kv, h.tokens);
  // Blocks go to their tier as each verified batch arrives (the next batches are being read
  // meanwhile); damage found later empties the cache again before the error reaches the caller.
  try {
    for await (const b of s.batches()) for (const block of b.blocks) uploadBlock(kv, pages, block.first, block.data);
  } catch (e) {
    kvCacheTruncate(kv, 0);
    throw e;
  }
  await kv.device.queue.onSubmittedWorkDone();
  return h.tokenIds;
}
