/**
 * Off-GPU homes of KV pages: RAM (one page-sized ArrayBuffer per page, recycled through a free
 * list) and a disk file per session (one file of page slots, positional reads and writes,
 * removed on dispose). The tier layer (kv-tiers.ts) keeps one handle per (layer, KV head,
 * logical page); a handle names the tier and the slot:
 *
 *   0        no page
 *   h > 0    RAM page h - 1
 *   h < 0    disk slot -h - 1 (byte offset (-h - 1) * pageBytes in the file)
 *
 *   const s = new KvHostStore(pageBytes, { diskDir })
 *   const h = s.alloc('disk'); s.write(h, bytes); s.read(h, out); s.free(h); s.dispose()
 *   await s.readMany(handles, out)   // many pages; disk reads off the main thread, coalesced
 *
 * Extend: a compressed tier (q8 KV in RAM) is a third handle range with its own alloc/read/write.
 */

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LongreadError } from '../errors.ts';

export type KvHostTier = 'ram' | 'disk';

export interface KvHostStoreOptions {
  /** folder of the per-session page file (default: the OS temp folder) */
  diskDir?: string;
}

export class KvHostStore {
  private readonly ram: (Uint8Array<ArrayBuffer> | null)[] = [];
  private readonly ramFree: number[] = [];
  private readonly diskFree: number[] = [];
  private diskSlots = 0;
  private fd: number | null = null;
  /** path of the page file once the first disk page exists */
  diskPath: string | null = null;
  ramPages = 0;
  diskPages = 0;

  constructor(readonly pageBytes: number, private readonly opts: KvHostStoreOptions = {}) {}

  static tierOf(handle: number): KvHostTier | null {
    return handle > 0 ? 'ram' : handle < 0 ? 'disk' : null;
  }

  alloc(tier: KvHostTier): number {
    if (tier === 'ram') {
      this.ramPages++;
      const id = this.ramFree.pop();
      if (id !== undefined) return id + 1;
      this.ram.push(new Uint8Array(this.pageBytes));
      return this.ram.length;
    }
    this.openDisk();
    this.diskPages++;
    const slot = this.diskFree.pop() ?? this.diskSlots++;
    return -slot - 1;
  }

  free(handle: number): void {
    if (handle > 0) {
      this.ramFree.push(handle - 1);
      this.ramPages--;
    } else if (handle < 0) {
      this.diskFree.push(-handle - 1);
      this.diskPages--;
    }
  }

  write(handle: number, data: Uint8Array): void {
    if (data.byteLength !== this.pageBytes) throw new LongreadError('internal', `KV page write of ${data.byteLength} bytes (pages are ${this.pageBytes}).`, 'This is a bug in Longread; please report it.');
    if (handle > 0) {
      this.ram[handle - 1]!.set(data);
    } else if (handle < 0) {
      const pos = (-handle - 1) * this.pageBytes;
      let done = 0;
      while (done < data.byteLength) done += fs.writeSync(this.fd!, data, done, data.byteLength - done, pos + done);
    } else {
      throw new LongreadError('internal', 'KV page write to an unmapped page.', 'This is a bug in Longread; please report it.');
    }
  }

  /** Copies the page into `out` (pageBytes long). */
  read(handle: number, out: Uint8Array): void {
    if (handle > 0) {
      out.set(this.ram[handle - 1]!);
    } else if (handle < 0) {
      const pos = (-handle - 1) * this.pageBytes;
      let done = 0;
      while (done < this.pageBytes) {
        const n = fs.readSync(this.fd!, out, done, this.pageBytes - done, pos + done);
        if (n === 0) throw new LongreadError('io-error', `The KV page file ${this.diskPath} ended at byte ${pos + done}.`, 'The file was changed by something else; reload the model.', { file: this.diskPath, offset: pos + done });
        done += n;
      }
    } else {
      throw new LongreadError('internal', 'KV page read of an unmapped page.', 'This is a bug in Longread; please report it.');
    }
  }

  /**
   * Reads pages into consecutive slices of `out` (pageBytes each), disk pages in the thread
   * pool (runs of consecutive slots as one positional read), RAM pages by copy.
   */
  async readMany(handles: ArrayLike<number>, out: Uint8Array): Promise<void> {
    const reads: Promise<void>[] = [];
    const pb = this.pageBytes;
    for (let i = 0; i < handles.length; ) {
      const h = handles[i]!;
      if (h >= 0) {
        this.read(h, out.subarray(i * pb, (i + 1) * pb));
        i++;
        continue;
      }
      let n = 1;
      while (i + n < handles.length && handles[i + n] === h - n) n++;
      reads.push(this.readAt(out.subarray(i * pb, (i + n) * pb), (-h - 1) * pb));
      i += n;
    }
    await Promise.all(reads);
  }

  private async readAt(dst: Uint8Array, pos: number): Promise<void> {
    let done = 0;
    while (done < dst.byteLength) {
      const n = await new Promise<number>((resolve, reject) => fs.read(this.fd!, dst, done, dst.byteLength - done, pos + done, (e, got) => (e ? reject(e) : resolve(got))));
      if (n === 0) throw new LongreadError('io-error', `The KV page file ${this.diskPath} ended at byte ${pos + done}.`, 'The file was changed by something else; reload the model.', { file: this.diskPath, offset: pos + done });
      done += n;
    }
  }

  /** Closes and removes the page file, drops RAM pages. */
  dispose(): void {
    if (this.fd !== null) {
      fs.closeSync(this.fd);
      this.fd = null;
    }
    if (this.diskPath) fs.rmSync(this.diskPath, { force: true });
    this.ram.length = 0;
    this.ramFree.length = 0;
    this.ramPages = 0;
    this.diskPages = 0;
  }

  private openDisk(): void {
    if (this.fd !== null) return;
    const dir = this.opts.diskDir ?? os.tmpdir();
    const p = path.join(dir, `longread-kv-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}.pages`);
    try {
      this.fd = fs.openSync(p, 'wx+', 0o600);
    } catch (e) {
      throw new LongreadError('io-error', `Cannot create the KV page file ${p}: ${(e as Error).message}`, 'Free disk space or choose another folder for KV pages.', { file: p });
    }
    this.diskPath = p;
  }
}
