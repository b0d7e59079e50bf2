/**
 * KV snapshots of a prefilled prefix (a document and the prompt around it): copy the pages of
 * the GPU paged cache out to a snapshot file (snapshot-file.ts) and back in, so reopening a
 * document, or asking about it after a restart, skips its prefill.
 *
 *   await kvSnapshotSave(kv, tokenIds, file, fingerprint, engineVersion)   // pages of tokenIds
 *   const ids = await kvSnapshotRestore(kv, file, fingerprint)             // cache now holds ids
 *
 * Pages go out one layer at a time through a MAP_READ staging buffer (memory stays at one
 * layer's worth) and come back into freshly mapped physical pages, one upload per run of pages
 * that are consecutive in both the file and the arena: through a few reused mapped staging
 * buffers and copyBufferToBuffer ('staged', the default), read from the file straight into such
 * buffers ('direct', no main-thread copy; on the H100 a wash with 'staged': BENCHMARKS.md, ninth
 * run) or with queue.writeBuffer ('write').
 * Page order in the file: layer, then KV head, then logical page. Layers whose pages live in
 * RAM / on disk (kv-tiers.ts) are read from and restored into their tier; a restore applies
 * the memory planner's policy for the snapshot's length first.
 */

import os from 'node:os';
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { LongreadError } from '../errors.ts';
import { KV_PAGE_TOKENS, kvPageBytes, kvPagesFor, kvTableIndex } from '../kernels/kv-layout.ts';
import { kvCacheTruncate, type KvCache } from './kv-cache.ts';
import { kvEnsure, kvHostPageRead, kvHostPageWrite, kvTierOf } from './kv-tiers.ts';
import { snapshotOpen, snapshotReadExactly, snapshotWrite, type SnapshotBatch, type SnapshotBlock, type SnapshotHeader, type SnapshotReadStats } from './snapshot-file.ts';

/**
 * Where a restore's time went on the main thread (bench/kv-tiers/snapshot-bench.ts prints it):
 * open = header, fingerprint and size checks; alloc = clearing the cache and mapping its pages;
 * readWait / verify = waiting for reads and checksums (snapshot-file.ts); upload = handing the
 * pages to the GPU queue; drain = waiting for the queue to finish the uploads; batchWait = every
 * wait on the reader for its next batch (contains readWait and verify).
 */
export interface SnapshotRestoreStats extends SnapshotReadStats {
  openMs: number;
  allocMs: number;
  uploadMs: number;
  drainMs: number;
  /** Waiting on the reader for each next batch (read wait, verify and the reader's own main-thread work); firstBatchMs: the first of these waits. */
  batchWaitMs: number;
  firstBatchMs: number;
  totalMs: number;
}

export function snapshotRestoreStatsCreate(): SnapshotRestoreStats {
  return { openMs: 0, allocMs: 0, readWaitMs: 0, verifyMs: 0, uploadMs: 0, drainMs: 0, batchWaitMs: 0, firstBatchMs: 0, totalMs: 0, bytes: 0 };
}

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
 * Walks one verified block (pages first.. back to back): runs of pages that land on consecutive
 * physical pages of one GPU arena (what a fresh kvCacheEnsure hands out) are handed to `put` as
 * one range (bytes [from, to) of `data`), so a restore makes ~one upload per block instead of one
 * per page; pages of off-GPU layers go to their tier one by one.
 */
function blockRuns(kv: KvCache, pages: number, first: number, data: Uint8Array, put: (arena: GPUBuffer, dst: number, from: number, to: number) => void): void {
  const pageBytes = kvPageBytes(kv.headDim);
  const n = data.length / pageBytes;
  const perLayer = kv.nKvHeads * pages;
  let run = 0; // pages [k - run, k) form the pending run, starting at physical page `start`
  let start = 0;
  let arena: GPUBuffer | null = null;
  const flush = (k: number) => {
    if (run) put(arena!, start * pageBytes, (k - run) * pageBytes, k * pageBytes);
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

/** How restored pages reach the GPU (see kvSnapshotRestore). */
export type SnapshotUpload = 'write' | 'staged' | 'direct';

/**
 * The restore's defaults, from the H200 run of bench/kv-tiers/snapshot-bench.ts (32K-token
 * document of a 1B Q8_0, 1 GiB snapshot, 16 libuv threads, 2026-12-06, commit a5fa1cd): with 16
 * reads ahead, 'write' reopened in 0.92 s (page cache warm), 'staged' in 0.47 s: Dawn's
 * writeBuffer staging allocations were the upload's cost. Reads ahead cost their batches' RAM
 * (16 x 16 MiB here).
 */
export const SNAPSHOT_UPLOAD_DEFAULT: SnapshotUpload = 'staged';
export const SNAPSHOT_AHEAD_DEFAULT = 16;

/**
 * Whether a restore reads its first batches small (snapshot-file.ts `ramp`; opts.ramp overrides):
 * on few cores the 16 full reads started at once and the main thread compete, and the first batch
 * arrived when most of them had been read. On the 2-core CI container (`snapshot-bench
 * --restore-only --ctx 16384`, 512 MiB, page cache warm, 2026-12-07): restore 0.53-0.62 s with the
 * ramp against 0.81-1.29 s without. On the H100 host (16 cores, 1 GiB, same day, commit a6102cb)
 * it did not help: best warm reopen 0.409 s with it, 0.306 s without (restore phase 0.319 /
 * 0.270 s; the runs vary by ~0.1 s). So: on machines of up to 4 cores.
 */
export function snapshotRampDefault(): boolean {
  return os.availableParallelism() <= 4;
}

/** Mapped staging buffers of the 'staged' upload (batches in flight to the GPU); bench A/B: snapshot-bench --staging N. */
export const SNAPSHOT_STAGING_DEFAULT = 3;

/**
 * A few MAP_WRITE staging buffers taken in turn by the 'staged' and 'direct' uploads: a slot is
 * handed out mapped, the uploader fills it, moves it into the arenas with copyBufferToBuffer and
 * gives back the promise of its mapAsync (resolving once the GPU has read it), so the slot's
 * next turn waits for its previous copies. Nothing is allocated per batch, unlike
 * queue.writeBuffer, whose staging memory Dawn allocates and frees as the uploads go.
 */
class StagingRing {
  private readonly slots: { buf: GPUBuffer | null; ready: Promise<void> }[];
  private next = 0;

  constructor(private readonly device: GPUDevice, count: number) {
    this.slots = Array.from({ length: count }, () => ({ buf: null, ready: Promise.resolve() }));
  }

  /**
   * The next slot's buffer, mapped, of at least `size` bytes, once its previous turn is done (a
   * failure of that turn is thrown here); `turn` is the promise of this turn (ending mapped again).
   */
  async take(size: number, turn: (buf: GPUBuffer) => Promise<void>): Promise<void> {
    const slot = this.slots[this.next]!;
    this.next = (this.next + 1) % this.slots.length;
    await slot.ready;
    if (!slot.buf || slot.buf.size < size) {
      slot.buf?.destroy();
      slot.buf = this.device.createBuffer({ size, usage: 0x02 | 0x04, mappedAtCreation: true, label: 'kv:snapshot-in' }); // MAP_WRITE | COPY_SRC
    }
    slot.ready = turn(slot.buf);
    slot.ready.catch(() => undefined); // observed by the slot's next turn or finish()
  }

  /** Waits for every turn and frees the buffers; `rethrow`: a failed turn's error. */
  async finish(rethrow: boolean): Promise<void> {
    const r = await Promise.allSettled(this.slots.map((s) => s.ready));
    for (const s of this.slots) s.buf?.destroy();
    const bad = r.find((x) => x.status === 'rejected');
    if (rethrow && bad) throw (bad as PromiseRejectedResult).reason;
  }
}

/** Copies `runs` ([offset in buf, arena, offset in the arena, bytes]) out of the unmapped `buf` in one submit; resolves once buf is mapped again. */
function stagedCopy(device: GPUDevice, buf: GPUBuffer, runs: readonly [number, GPUBuffer, number, number][]): Promise<void> {
  const enc = device.createCommandEncoder({ label: 'kv:snapshot-in' });
  for (const [src, arena, dst, n] of runs) enc.copyBufferToBuffer(buf, src, arena, dst, n);
  device.queue.submit([enc.finish()]);
  return buf.mapAsync(0x0002); // GPUMapMode.WRITE: resolves after the copies above have run
}

/** Runs of a batch's GPU pages as [offset in the staging buffer, arena, offset in the arena, bytes], block i starting at at[i]; pages of off-GPU layers go to their tier now. */
function batchRuns(kv: KvCache, pages: number, blocks: readonly SnapshotBlock[], at: readonly number[]): [number, GPUBuffer, number, number][] {
  const runs: [number, GPUBuffer, number, number][] = [];
  blocks.forEach((k, i) => blockRuns(kv, pages, k.first, k.data, (arena, dst, from, to) => runs.push([at[i]! + from, arena, dst, to - from])));
  return runs;
}

/**
 * The 'staged' upload: each batch is copied into a ring slot (its blocks back to back) and moved
 * into the arenas from there.
 */
async function stagedBatch(ring: StagingRing, kv: KvCache, pages: number, blocks: readonly SnapshotBlock[]): Promise<void> {
  const at: number[] = [];
  let size = 0;
  for (const b of blocks) {
    at.push(size);
    size += b.data.length;
  }
  const runs = batchRuns(kv, pages, blocks, at);
  await ring.take(size, (buf) => {
    const mapped = new Uint8Array(buf.getMappedRange(0, size));
    blocks.forEach((b, i) => mapped.set(b.data, at[i]));
    buf.unmap();
    return stagedCopy(kv.device, buf, runs);
  });
}

/**
 * The 'direct' upload: each batch's span of the file is read a second time (from the page cache,
 * on libuv's pool) straight into a ring slot, so the main thread copies nothing; 'staged' spends
 * ~0.35 s per GiB of main-thread copying on an H100 host (BENCHMARKS.md, eighth run). The
 * reader's own copy is the one the checksums verify: both are the same bytes of one open file,
 * which the writer never changes in place (snapshots are replaced by rename). Pages of off-GPU
 * layers go to their tier from the verified copy at once; the ring's slots are the reads and
 * uploads in flight.
 */
async function directBatch(ring: StagingRing, kv: KvCache, pages: number, b: SnapshotBatch, fh: FileHandle, file: string): Promise<void> {
  const runs = batchRuns(kv, pages, b.blocks, b.blocks.map((k) => k.at));
  if (!runs.length) return;
  await ring.take(b.span.length, async (buf) => {
    await snapshotReadExactly(fh, new Uint8Array(buf.getMappedRange(0, b.span.length)), b.span.offset, file);
    buf.unmap();
    await stagedCopy(kv.device, buf, runs);
  });
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
export async function kvSnapshotRestore(kv: KvCache, file: string, fingerprint: string, opts: { stats?: SnapshotRestoreStats; upload?: SnapshotUpload; ahead?: number; verifyLate?: boolean; staging?: number; ramp?: boolean } = {}): Promise<number[]> {
  const t0 = performance.now();
  const stats = opts.stats;
  const s = await snapshotOpen(file, fingerprint, { recycle: true, verifyLate: opts.verifyLate !== false, ...(stats ? { stats } : {}), ahead: opts.ahead ?? SNAPSHOT_AHEAD_DEFAULT, ramp: opts.ramp ?? snapshotRampDefault() });
  let t = performance.now();
  if (stats) stats.openMs += t - t0;
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
  if (stats) stats.allocMs += performance.now() - t;
  // Blocks go to their tier as each batch arrives, while its checksums are still being computed
  // (verifyLate: the hashing overlaps the upload; the next batches are being read meanwhile);
  // damage found at any point empties the cache again before the error reaches the caller.
  // The reader recycles its buffers: a batch must be fully handed over (writeBuffer copies)
  // before the loop asks for the next one. They are shared memory (for the hash workers), which
  // Dawn's writeBuffer does not take (a segfault with webgpu 0.6.2): 'write' copies each run first.
  const upload = opts.upload ?? SNAPSHOT_UPLOAD_DEFAULT;
  const ring = upload === 'write' ? null : new StagingRing(kv.device, Math.max(1, opts.staging ?? SNAPSHOT_STAGING_DEFAULT));
  let fh: FileHandle | null = null;
  const write = (block: { first: number; data: Uint8Array }) =>
    blockRuns(kv, pages, block.first, block.data, (arena, dst, from, to) => kv.device.queue.writeBuffer(arena, dst, new Uint8Array(block.data.subarray(from, to))));
  try {
    if (upload === 'direct') fh = await fs.open(file, 'r');
    let asked = performance.now();
    let first = true;
    for await (const b of s.batches()) {
      t = performance.now();
      if (stats) {
        stats.batchWaitMs += t - asked;
        if (first) stats.firstBatchMs = t - asked;
      }
      first = false;
      if (fh) await directBatch(ring!, kv, pages, b, fh, file);
      else if (ring) await stagedBatch(ring, kv, pages, b.blocks);
      else b.blocks.forEach(write);
      asked = performance.now();
      if (stats) stats.uploadMs += asked - t;
    }
    // the last turns of the ring (drain); a failed read of 'direct' is thrown here
    t = performance.now();
    await ring?.finish(fh !== null);
  } catch (e) {
    await s.close(); // (the reader closes itself once its batches have started)
    await ring?.finish(false);
    kvCacheTruncate(kv, 0);
    throw e;
  } finally {
    await fh?.close();
  }
  await kv.device.queue.onSubmittedWorkDone();
  if (stats) {
    stats.drainMs += performance.now() - t;
    stats.totalMs += performance.now() - t0;
  }
  return h.tokenIds;
}
