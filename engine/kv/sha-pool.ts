/**
 * sha256 of byte ranges of SharedArrayBuffers on a few worker threads, for the KV snapshot
 * reader and writer (snapshot-file.ts). Node's async WebCrypto copies its input on the calling
 * thread before hashing on libuv's pool (a fresh malloc per call: ~1 GiB of copying and page
 * faults on the main thread per GiB restored); a worker reads the shared memory in place, so the
 * main thread only posts {id, sab, offset, length} and gets 32 bytes back.
 *
 *   const pool = shaPoolShared();                          // null once the shared pool broke
 *   const sums = await pool.digest([view1, view2]);        // views into SharedArrayBuffers
 *
 * The worker is an inline script (`eval: true`), so a bundle of any entry point (esbuild, one
 * file) carries it. Written here rather than on a general pool such as piscina: those start
 * their workers from a module file, which the one-file bundles (the GPU machine's, the engine
 * host's) do not ship, and this job is one message type of a few lines. Workers are ref'd only while they have requests, so an idle pool never keeps
 * a process alive. A worker that dies rejects its pool's pending requests with an `internal`
 * LongreadError and marks the pool broken: callers fall back to hashing another way.
 */

import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { LongreadError } from '../errors.ts';

/** The worker: one reply per request, the digest as a 32-byte transferred ArrayBuffer. */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
parentPort.on('message', ({ id, sab, offset, length }) => {
  try {
    const d = createHash('sha256').update(new Uint8Array(sab, offset, length)).digest();
    const out = d.buffer.slice(d.byteOffset, d.byteOffset + 32);
    parentPort.postMessage({ id, digest: out }, [out]);
  } catch (e) {
    parentPort.postMessage({ id, error: String((e && e.message) || e) });
  }
});
`;

interface Pending {
  resolve: (d: Buffer) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
}

type Reply = { id: number; digest: ArrayBuffer } | { id: number; error: string };

/** Workers of the shared pool: one per spare core, at least 2 (hashing overlaps the upload), at most 8. */
export function shaPoolSize(): number {
  return Math.min(8, Math.max(2, os.availableParallelism() - 1));
}

function poolError(why: string): LongreadError {
  return new LongreadError('internal', `The checksum worker ${why}.`, 'This is a bug in Longread; please report it. Snapshots are checked on the main thread meanwhile.', { why });
}

export class ShaPool {
  private readonly slots: Slot[] = [];
  private nextId = 0;
  /** set when a worker failed or the pool was disposed; every later digest() rejects */
  broken: LongreadError | null = null;

  /** `source` replaces the worker script (tests). */
  constructor(size = shaPoolSize(), source = WORKER_SOURCE) {
    for (let i = 0; i < size; i++) {
      // execArgv: [] keeps the parent's loader flags (--import of the TS loader) out of the worker
      const worker = new Worker(source, { eval: true, execArgv: [] });
      const slot: Slot = { worker, pending: new Map() };
      worker.on('message', (m: Reply) => this.settle(slot, m));
      worker.on('error', (e) => this.fail(poolError(`failed (${e.message})`)));
      worker.on('messageerror', (e) => this.fail(poolError(`sent an unreadable message (${e.message})`)));
      worker.on('exit', (code) => this.fail(poolError(`exited (code ${code})`)));
      worker.unref(); // after the listeners: adding a 'message' listener refs the worker again
      this.slots.push(slot);
    }
  }

  /** sha256 of each view; every view must lie in a SharedArrayBuffer. */
  digest(blocks: readonly Uint8Array[]): Promise<Buffer[]> {
    return Promise.all(blocks.map((b) => this.one(b)));
  }

  private one(b: Uint8Array): Promise<Buffer> {
    if (this.broken) return Promise.reject(this.broken);
    if (!(b.buffer instanceof SharedArrayBuffer)) return Promise.reject(poolError('was handed memory that is not shared'));
    let slot = this.slots[0]!; // least busy
    for (const s of this.slots) if (s.pending.size < slot.pending.size) slot = s;
    const id = this.nextId++;
    return new Promise<Buffer>((resolve, reject) => {
      if (slot.pending.size === 0) slot.worker.ref();
      slot.pending.set(id, { resolve, reject });
      slot.worker.postMessage({ id, sab: b.buffer, offset: b.byteOffset, length: b.byteLength });
    });
  }

  private settle(slot: Slot, m: Reply): void {
    const p = slot.pending.get(m.id);
    if (!p) return;
    slot.pending.delete(m.id);
    if (slot.pending.size === 0) slot.worker.unref();
    if ('error' in m) p.reject(poolError(`could not hash a block (${m.error})`));
    else p.resolve(Buffer.from(m.digest));
  }

  /** Rejects everything pending and stops the workers (first failure wins). */
  private fail(e: LongreadError): void {
    if (this.broken) return;
    this.broken = e;
    for (const s of this.slots) {
      for (const p of s.pending.values()) p.reject(e);
      s.pending.clear();
      void s.worker.terminate();
    }
  }

  /** Stops the workers; pending and later digests reject. */
  dispose(): void {
    this.fail(poolError('pool was disposed'));
  }
}

let shared: ShaPool | null | undefined;

/** The process's pool, started on first use; null once it has broken (hash some other way). */
export function shaPoolShared(): ShaPool | null {
  if (shared === undefined) {
    try {
      shared = new ShaPool();
    } catch {
      shared = null; // no worker threads here
    }
  }
  if (shared?.broken) shared = null;
  return shared;
}

/** Replaces the shared pool (tests); undefined: start a fresh one on next use. */
export function shaPoolSharedSet(p: ShaPool | null | undefined): void {
  shared = p;
}
