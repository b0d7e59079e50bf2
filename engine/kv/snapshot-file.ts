/**
 * KV snapshot files: a document's prefilled KV pages on disk, so reopening the document skips
 * prefill. This module is the file format only (GPU copy-out / copy-in lives with the cache).
 *
 * Layout (little-endian), version 2:
 *   "LRKVSNAP" | u32 version | u32 headerBytes | u32 blockPages | header JSON
 *   | 32-byte sha256(the 20 bytes before the JSON + header JSON)
 *   then the pages in header order, in blocks of `blockPages` consecutive pages (the last block
 *   may be shorter): the block's page data, contiguous | 32-byte sha256(that data)
 *   "LRKVEND!" | 32-byte sha256 over all block checksums
 *
 * Version 1 had one checksum per page: a 1 GiB snapshot of 16 KiB pages meant 65,536 hashes and
 * as many GPU uploads, which made a restore cost seconds of per-page overhead. Blocks (1 MiB of
 * page data by default) cut that to ~1K hashes per GiB and let the restorer upload a block's
 * pages with one write where they map to consecutive physical pages. A version 1 file is
 * rejected as 'version 1, expected 2' and, like any invalid snapshot, discarded and the
 * document prefilled again (then saved as version 2).
 *
 * Checksums are computed on a few worker threads (sha-pool.ts) straight from the read buffers,
 * which are SharedArrayBuffers for that: WebCrypto's digest copied every block on the main
 * thread first, which cost a restore about as much main-thread time as the GPU upload.
 *
 * Crash safety: written to `<file>.tmp-*`, fsync'd, renamed, directory fsync'd; a reader accepts
 * a file only when the magic, version, header checksum, exact size, every block checksum and
 * the trailer all agree, and the header's fingerprint is the one asked for. So a process killed
 * at any moment leaves either the previous file, no file, or a stray temp file, never a file
 * that loads as valid but wrong. Snapshot files are untrusted input (CVE-2026-43629 is the
 * same bug class in llama.cpp): every size in the header is checked against the file size and
 * hard caps before anything is allocated.
 */

import { createHash, randomBytes, webcrypto } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { LongreadError } from '../errors.ts';
import { shaPoolShared } from './sha-pool.ts';

export const SNAPSHOT_VERSION = 2;
const MAGIC = Buffer.from('LRKVSNAP');
const END = Buffer.from('LRKVEND!');
const MAX_HEADER = 64 << 20;
const MAX_PAGE_BYTES = 1 << 24;
const MAX_BLOCK_BYTES = 1 << 26;
const PRE = 20;
/** Page data per checksummed block when the writer is not told otherwise. */
const BLOCK_BYTES = 1 << 20;

export interface SnapshotHeader {
  /** sha256 over model file identity + document text + engine version (snapshotFingerprint). */
  fingerprint: string;
  engineVersion: string;
  nLayers: number;
  nKvHeads: number;
  headDim: number;
  /** tokens whose K/V the pages hold */
  tokens: number;
  /** the token ids of the prefix (verified by the restorer against the prompt) */
  tokenIds: number[];
  pageBytes: number;
  /** pages in order: layer-major, then KV head, then logical page */
  nPages: number;
}

export function snapshotFingerprint(parts: { modelIdentity: string; documentText: string; engineVersion: string }): string {
  const h = createHash('sha256');
  for (const p of [parts.modelIdentity, parts.documentText, parts.engineVersion]) {
    h.update(String(Buffer.byteLength(p)));
    h.update(':');
    h.update(p);
  }
  return h.digest('hex');
}

/** A cheap, content-based identity of a model file: size + sha256 of its first and last MiB. */
export async function modelFileIdentity(file: string): Promise<string> {
  const fh = await fs.open(file, 'r');
  try {
    const { size } = await fh.stat();
    const n = Math.min(size, 1 << 20);
    const head = Buffer.alloc(n);
    const tail = Buffer.alloc(n);
    await fh.read(head, 0, n, 0);
    await fh.read(tail, 0, n, Math.max(0, size - n));
    return `${size}:${createHash('sha256').update(head).update(tail).digest('hex')}`;
  } finally {
    await fh.close();
  }
}

function sha(b: Uint8Array): Buffer {
  return createHash('sha256').update(b).digest();
}

/**
 * sha256 of many blocks at once, in parallel. Blocks in SharedArrayBuffers go to the worker pool
 * (sha-pool.ts), which reads them in place; anything else, or everything once the pool has
 * broken, goes through WebCrypto (libuv's thread pool, after a copy of each block on this thread).
 */
async function shaMany(blocks: readonly Uint8Array[]): Promise<Buffer[]> {
  const pool = blocks.every((b) => b.buffer instanceof SharedArrayBuffer) ? shaPoolShared() : null;
  if (pool) {
    try {
      return await pool.digest(blocks);
    } catch {
      /* a worker failed (if it died, shaPoolShared() returns null from now on): hash below */
    }
  }
  // WebCrypto refuses shared memory: such a block is copied first
  const sums = await Promise.all(blocks.map((p) => webcrypto.subtle.digest('SHA-256', p.buffer instanceof SharedArrayBuffer ? new Uint8Array(p) : p)));
  return sums.map((d) => Buffer.from(d));
}

/** A buffer over shared memory, so the hash workers can read it without a copy. */
function sharedAlloc(bytes: number): Buffer {
  return Buffer.from(new SharedArrayBuffer(bytes));
}

/**
 * Fills `into` from `position` of the open snapshot `file` (as many reads as it takes); a file
 * that ends first is a `snapshot-invalid` error. Also kvSnapshotRestore's 'direct' upload's.
 */
export async function snapshotReadExactly(fh: FileHandle, into: Uint8Array, position: number, file: string): Promise<void> {
  for (let got = 0; got < into.length; ) {
    const { bytesRead } = await fh.read(into, got, into.length - got, position + got);
    if (bytesRead === 0) throw invalid(file, 'it ended early (truncated while reading?)');
    got += bytesRead;
  }
}

function invalid(file: string, why: string): LongreadError {
  return new LongreadError('snapshot-invalid', `The KV snapshot ${path.basename(file)} is not usable: ${why}.`, 'It will be discarded and the document prefilled again.', { file, reason: why });
}

/** Pages per checksummed block: `blockBytes` of page data (at least one page). */
function blockPagesFor(pageBytes: number, blockBytes = BLOCK_BYTES): number {
  return Math.max(1, Math.floor(blockBytes / pageBytes));
}

/** Blocks per write or read batch: about 16 MiB, so a batch is one system call and a few parallel hashes. */
function batchBlocks(blockBytes: number, bytes = BATCH_BYTES): number {
  return Math.max(1, Math.floor(bytes / (blockBytes + 32)));
}
const BATCH_BYTES = 16 << 20;

/**
 * Writes a snapshot atomically; `pages` yields each page's bytes in header order.
 * `blockBytes` (page data per checksum, default 1 MiB) is for tests.
 */
export async function snapshotWrite(file: string, header: SnapshotHeader, pages: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, opts: { blockBytes?: number } = {}): Promise<void> {
  const json = Buffer.from(JSON.stringify(header));
  const blockPages = blockPagesFor(header.pageBytes, opts.blockBytes);
  if (blockPages * header.pageBytes > MAX_BLOCK_BYTES) throw new Error(`blocks of ${blockPages} pages exceed ${MAX_BLOCK_BYTES} bytes`);
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await fs.mkdir(path.dirname(file), { recursive: true });
  const fh = await fs.open(tmp, 'w', 0o600);
  try {
    const pre = Buffer.alloc(PRE);
    MAGIC.copy(pre, 0);
    pre.writeUInt32LE(SNAPSHOT_VERSION, 8);
    pre.writeUInt32LE(json.length, 12);
    pre.writeUInt32LE(blockPages, 16);
    await fh.write(Buffer.concat([pre, json, sha(Buffer.concat([pre, json]))]));
    const all = createHash('sha256');
    const per = batchBlocks(blockPages * header.pageBytes) * blockPages;
    // One batch of pages is copied into `out` as block | sum pairs (the sums filled in once the
    // blocks are hashed, in parallel) and written with one call; `out` is shared memory for the
    // hash workers and reused by every batch.
    const out = sharedAlloc(per * header.pageBytes + Math.ceil(per / blockPages) * 32);
    let n = 0;
    let batch: Uint8Array[] = [];
    const flush = async () => {
      const blocks: Buffer[] = [];
      let off = 0;
      batch.forEach((p, k) => {
        out.set(p, off);
        off += p.length;
        if ((k + 1) % blockPages === 0 || k === batch.length - 1) {
          const len = (k % blockPages + 1) * header.pageBytes;
          blocks.push(out.subarray(off - len, off));
          off += 32;
        }
      });
      const sums = await shaMany(blocks);
      blocks.forEach((d, i) => {
        all.update(sums[i]!);
        out.set(sums[i]!, d.byteOffset - out.byteOffset + d.length);
      });
      await fh.write(out, 0, off);
      batch = [];
    };
    for await (const page of pages) {
      if (page.length !== header.pageBytes) throw new Error(`page ${n} has ${page.length} bytes, expected ${header.pageBytes}`);
      batch.push(page);
      n++;
      if (batch.length === per) await flush();
    }
    if (batch.length) await flush();
    if (n !== header.nPages) throw new Error(`wrote ${n} pages, header says ${header.nPages}`);
    await fh.write(Buffer.concat([END, all.digest()]));
    await fh.sync();
    await fh.close();
    await fs.rename(tmp, file);
  } catch (e) {
    await fh.close().catch(() => undefined);
    await fs.rm(tmp, { force: true });
    if ((e as NodeJS.ErrnoException).code === 'ENOSPC') {
      throw new LongreadError('disk-full', `The disk is full: the KV snapshot ${path.basename(file)} was not saved.`, 'Free some disk space; the document will be prefilled again next time.', { file });
    }
    throw e;
  }
  try {
    const dh = await fs.open(path.dirname(file), 'r');
    await dh.sync();
    await dh.close();
  } catch {
    /* directory fsync unsupported */
  }
}

/**
 * A verified block: `data` holds pages `first ..` back to back (pageBytes each), in a
 * SharedArrayBuffer (the hash workers read it): Dawn's queue.writeBuffer crashes on such views.
 */
export interface SnapshotBlock {
  first: number;
  data: Uint8Array;
  /** where `data` starts in its batch's span of the file (SnapshotBatch.span) */
  at: number;
}

/** A run of consecutive verified pages, as the checksummed blocks that hold them. */
export interface SnapshotBatch {
  /** index of the batch's first page */
  first: number;
  /** its pages as whole checksummed blocks (each block's pages back to back), in order; no
   * per-page views: a 1 GiB restore would make 65,536 of them */
  blocks: SnapshotBlock[];
  /** the file bytes the batch was read from: its blocks and their checksums, back to back */
  span: { offset: number; length: number };
}

export interface SnapshotReader {
  header: SnapshotHeader;
  /** pages per checksummed block (the last block may be shorter) */
  blockPages: number;
  /**
   * The pages in order, each batch verified against its checksums before it is yielded (with
   * `verifyLate`: right after the consumer is done with it); the trailer is checked after the
   * last batch. Throws `snapshot-invalid` at the first damage, so a consumer that has already
   * used earlier batches must undo them on a throw.
   */
  batches(): AsyncGenerator<SnapshotBatch>;
  /** Closes the file without reading the pages (batches() closes it when it ends). */
  close(): Promise<void>;
}

/**
 * Where a restore's time goes on the consumer's thread (engine/kv/snapshot.ts adds its own
 * phases): waiting for reads that are not done yet, and waiting for the checksums of a batch.
 * Reads run on libuv's thread pool and hashes on worker threads (sha-pool.ts), so these are the
 * parts the consumer could not overlap with its own work.
 */
export interface SnapshotReadStats {
  readWaitMs: number;
  verifyMs: number;
  bytes: number;
}

export interface SnapshotOpenOptions {
  /** bytes read per batch, rounded to whole blocks (tests) */
  batchBytes?: number;
  /** reads in flight ahead of the batch being verified and consumed (default 4) */
  ahead?: number;
  /**
   * Reuse the read buffers: a batch's memory is only valid until the consumer asks for the next
   * one (a restore that uploads each batch at once). Saves allocating, page-faulting and freeing
   * the whole file's size in 16 MiB buffers.
   */
  recycle?: boolean;
  /**
   * Yield each batch as soon as it is read and check its checksums when the consumer asks for
   * the next one (before anything later is yielded, and before the generator ends): the hashing
   * of a batch overlaps the consumer's use of it. The damaged batch itself is yielded once, so
   * only for a consumer that undoes everything on a throw (kvSnapshotRestore empties the cache).
   */
  verifyLate?: boolean;
  /**
   * The first batches small (1, 2, 4, ... blocks up to the batch size): the reads in flight
   * share the disk and the copy threads, so a first batch as large as the others arrives only
   * when most of the window has been read, and the consumer idles until then.
   */
  ramp?: boolean;
  stats?: SnapshotReadStats;
}

/** Where the blocks are: block j starts at `body + j * stride`; `nBlocks` of them. */
interface BlockLayout {
  body: number;
  blockPages: number;
  stride: number;
  nBlocks: number;
}

/**
 * Opens a snapshot and checks everything but the page data: magic, version, header checksum,
 * header fields, fingerprint and the exact file size. The pages are read and verified by
 * `batches()` (whole blocks), with the next reads in flight while a batch is verified and
 * consumed, so a restore overlaps disk, hashing and upload instead of reading the whole file
 * first. Throws `snapshot-invalid` (with the reason) for anything wrong. `batchBytes` (bytes
 * read per batch, rounded to whole blocks) is for tests.
 */
export async function snapshotOpen(file: string, expectedFingerprint: string, opts: SnapshotOpenOptions = {}): Promise<SnapshotReader> {
  let fh: FileHandle;
  try {
    fh = await fs.open(file, 'r');
  } catch (e) {
    throw invalid(file, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : `it cannot be read (${(e as Error).message})`);
  }
  let handed = false;
  try {
    const { size } = await fh.stat();
    const pre = Buffer.alloc(PRE);
    if (size < 16 || (await fh.read(pre, 0, 16, 0)).bytesRead !== 16 || !pre.subarray(0, 8).equals(MAGIC)) throw invalid(file, 'bad magic or too short');
    const version = pre.readUInt32LE(8);
    if (version !== SNAPSHOT_VERSION) throw invalid(file, `version ${version}, expected ${SNAPSHOT_VERSION}`);
    if (size < PRE + 32 + 40 || (await fh.read(pre, 16, 4, 16)).bytesRead !== 4) throw invalid(file, 'too short');
    const hlen = pre.readUInt32LE(12);
    const blockPages = pre.readUInt32LE(16);
    if (hlen > MAX_HEADER || PRE + hlen + 32 > size) throw invalid(file, 'header length out of range');
    const hb = Buffer.alloc(hlen + 32);
    await fh.read(hb, 0, hb.length, PRE);
    const json = hb.subarray(0, hlen);
    if (!sha(Buffer.concat([pre, json])).equals(hb.subarray(hlen))) throw invalid(file, 'header checksum mismatch');
    let header: SnapshotHeader;
    try {
      header = JSON.parse(json.toString('utf8')) as SnapshotHeader;
    } catch {
      throw invalid(file, 'header is not JSON');
    }
    const ints = [header.nLayers, header.nKvHeads, header.headDim, header.tokens, header.pageBytes, header.nPages];
    if (!ints.every((v) => Number.isSafeInteger(v) && v >= 0) || header.pageBytes > MAX_PAGE_BYTES || !Array.isArray(header.tokenIds)
      || header.pageBytes < 1 || blockPages < 1 || blockPages * header.pageBytes > MAX_BLOCK_BYTES || header.nPages * header.pageBytes > size) {
      throw invalid(file, 'header fields out of range');
    }
    if (header.fingerprint !== expectedFingerprint) throw invalid(file, 'it belongs to another model, document or engine version');
    const body = PRE + hlen + 32;
    const nBlocks = Math.ceil(header.nPages / blockPages);
    if (body + header.nPages * header.pageBytes + nBlocks * 32 + 40 !== size) throw invalid(file, 'size does not match the header (truncated?)');
    handed = true;
    let closed = false;
    const close = async () => {
      if (!closed) {
        closed = true;
        await fh.close();
      }
    };
    const stride = blockPages * header.pageBytes + 32;
    shaPoolShared(); // its workers start while the caller prepares and the first reads run
    const layout: BlockLayout = { body, blockPages, stride, nBlocks };
    return { header, blockPages, batches: () => readBatches(file, fh, header, layout, { ...opts, step: batchBlocks(stride - 32, opts.batchBytes) }, close), close };
  } finally {
    if (!handed) await fh.close();
  }
}

async function* readBatches(file: string, fh: FileHandle, header: SnapshotHeader, at: BlockLayout, opts: SnapshotOpenOptions & { step: number }, close: () => Promise<void>): AsyncGenerator<SnapshotBatch> {
  const { body, blockPages, stride, nBlocks } = at;
  const { pageBytes, nPages } = header;
  const { step, stats } = opts;
  const end = body + nPages * pageBytes + nBlocks * 32; // where the trailer starts
  const spare: Buffer[] = []; // recycled read buffers (opts.recycle), all step * stride bytes
  // Batch i: blocks [starts[i], starts[i + 1]) (`step` each, or ramping up to it with opts.ramp)
  const starts: number[] = [];
  for (let j = 0, n = opts.ramp ? 1 : step; j < nBlocks; j += n, n = Math.min(step, 2 * n)) starts.push(j);
  starts.push(nBlocks);
  // Blocks [j, j + n): every block but the last is `stride` bytes, so they are one read.
  const read = async (j: number, n: number): Promise<Buffer> => {
    const from = body + j * stride;
    const len = Math.min(from + n * stride, end) - from;
    const b = (opts.recycle ? (spare.pop() ?? sharedAlloc(step * stride)) : sharedAlloc(len)).subarray(0, len);
    await snapshotReadExactly(fh, b, from, file);
    return b;
  };
  // A batch's checksums start as soon as its read completes, so batch i + 1 is hashed while the
  // consumer uploads batch i; `readAt` tells the consumer's wait apart (read vs checksums).
  const readAndHash = async (i: number) => {
    const j0 = starts[i]!;
    const b = await read(j0, starts[i + 1]! - j0);
    const readAt = performance.now();
    const blocks: SnapshotBlock[] = [];
    const stored: Buffer[] = [];
    for (let j = j0, off = 0; j < starts[i + 1]!; j++) {
      const first = j * blockPages;
      const len = Math.min(blockPages, nPages - first) * pageBytes;
      blocks.push({ first, data: b.subarray(off, off + len), at: off });
      stored.push(b.subarray(off + len, off + len + 32));
      off += len + 32;
    }
    const sums = shaMany(blocks.map((k) => k.data));
    sums.catch(() => undefined); // observed in check(); the consumer may stop early
    return { b, readAt, blocks, stored, sums, span: { offset: body + j0 * stride, length: b.length } };
  };
  type Batch = Awaited<ReturnType<typeof readAndHash>>;
  const all = createHash('sha256');
  // Checks a batch's blocks against their stored checksums (waiting for the hashes), in order.
  const check = async (x: Batch) => {
    const c0 = performance.now();
    const sums = await x.sums;
    if (stats) stats.verifyMs += performance.now() - c0; // called once the batch is read
    x.blocks.forEach((k, i) => {
      if (!sums[i]!.equals(x.stored[i]!)) throw invalid(file, `block of pages ${k.first}..${k.first + k.data.length / pageBytes - 1} checksum mismatch`);
      all.update(x.stored[i]!);
    });
  };
  try {
    const AHEAD = opts.ahead ?? 4; // batches read (and hashed) ahead of the one being consumed
    const inFlight: ReturnType<typeof readAndHash>[] = [];
    let next = 0;
    const more = () => {
      while (inFlight.length < AHEAD && next < starts.length - 1) {
        const p = readAndHash(next);
        p.catch(() => undefined); // observed when awaited; avoids an unhandled rejection if the consumer stops early
        inFlight.push(p);
        next++;
      }
    };
    more();
    for (let i = 0; i < starts.length - 1; i++) {
      const j0 = starts[i]!;
      const c0 = performance.now();
      const x = await inFlight.shift()!;
      const { b, readAt, blocks, span } = x;
      if (stats) {
        stats.readWaitMs += Math.max(0, readAt - c0);
        stats.bytes += b.length;
      }
      more();
      if (!opts.verifyLate) await check(x);
      yield { first: j0 * blockPages, blocks, span };
      // verifyLate: the batch was hashed while the consumer used it; damage throws before any
      // later batch is yielded and before the generator ends
      if (opts.verifyLate) await check(x);
      // the consumer is done with this batch (and its hashes are done): its buffer takes the next read
      if (opts.recycle && b.buffer.byteLength === step * stride) spare.push(Buffer.from(b.buffer, b.byteOffset, step * stride));
      more();
    }
    const t = Buffer.alloc(40);
    await fh.read(t, 0, 40, end);
    if (!t.subarray(0, 8).equals(END) || !all.digest().equals(t.subarray(8, 40))) throw invalid(file, 'trailer mismatch');
  } finally {
    await close();
  }
}

export interface SnapshotRead {
  header: SnapshotHeader;
  /** page i's bytes */
  page(i: number): Uint8Array;
}

/**
 * Reads and fully verifies a snapshot into memory (snapshotOpen + every batch). Throws
 * `snapshot-invalid` (with the reason) for anything wrong: missing, truncated, corrupt, other
 * version, other fingerprint.
 */
export async function snapshotRead(file: string, expectedFingerprint: string): Promise<SnapshotRead> {
  const r = await snapshotOpen(file, expectedFingerprint);
  const { pageBytes } = r.header;
  const pages: Uint8Array[] = [];
  for await (const b of r.batches()) {
    for (const k of b.blocks) for (let o = 0; o < k.data.length; o += pageBytes) pages.push(k.data.subarray(o, o + pageBytes));
  }
  return {
    header: r.header,
    page: (i: number) => {
      if (!(i >= 0 && i < r.header.nPages)) throw new RangeError(`page ${i}`);
      return pages[i]!;
    },
  };
}

/** Removes a bad snapshot (and stray temp files of it) so the next open prefills cleanly. */
export async function snapshotDiscard(file: string): Promise<void> {
  await fs.rm(file, { force: true });
  const dir = path.dirname(file);
  const base = path.basename(file) + '.tmp-';
  for (const n of await fs.readdir(dir).catch(() => [] as string[])) if (n.startsWith(base)) await fs.rm(path.join(dir, n), { force: true });
}
