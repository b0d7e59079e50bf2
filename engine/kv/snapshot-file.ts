/**
 * KV snapshot files: a document's prefilled KV pages on disk, so reopening the document skips
 * prefill. This module is the file format only (GPU copy-out / copy-in lives with the cache).
 *
 * Layout (little-endian):
 *   "LRKVSNAP" | u32 version | u32 headerBytes | header JSON | 32-byte sha256(header JSON)
 *   then for each page, in header order: pageBytes of data | 32-byte sha256(data)
 *   "LRKVEND!" | 32-byte sha256 over all page checksums
 *
 * Crash safety: written to `<file>.tmp-*`, fsync'd, renamed, directory fsync'd; a reader accepts
 * a file only when the magic, version, header checksum, exact size, every page checksum and
 * the trailer all agree, and the header's fingerprint is the one asked for. So a process killed
 * at any moment leaves either the previous file, no file, or a stray temp file, never a file
 * that loads as valid but wrong. Snapshot files are untrusted input (CVE-2026-43629 is the
 * same bug class in llama.cpp): every size in the header is checked against the file size and
 * hard caps before anything is allocated.
 */

import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { LongreadError } from '../errors.ts';

export const SNAPSHOT_VERSION = 1;
const MAGIC = Buffer.from('LRKVSNAP');
const END = Buffer.from('LRKVEND!');
const MAX_HEADER = 64 << 20;
const MAX_PAGE_BYTES = 1 << 24;

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

function invalid(file: string, why: string): LongreadError {
  return new LongreadError('snapshot-invalid', `The KV snapshot ${path.basename(file)} is not usable: ${why}.`, 'It will be discarded and the document prefilled again.', { file, reason: why });
}

/** Writes a snapshot atomically; `pages` yields each page's bytes in header order. */
export async function snapshotWrite(file: string, header: SnapshotHeader, pages: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<void> {
  const json = Buffer.from(JSON.stringify(header));
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await fs.mkdir(path.dirname(file), { recursive: true });
  const fh = await fs.open(tmp, 'w', 0o600);
  try {
    const pre = Buffer.alloc(16);
    MAGIC.copy(pre, 0);
    pre.writeUInt32LE(SNAPSHOT_VERSION, 8);
    pre.writeUInt32LE(json.length, 12);
    await fh.write(pre);
    await fh.write(json);
    await fh.write(sha(json));
    const all = createHash('sha256');
    let n = 0;
    for await (const page of pages) {
      if (page.length !== header.pageBytes) throw new Error(`page ${n} has ${page.length} bytes, expected ${header.pageBytes}`);
      const sum = sha(page);
      all.update(sum);
      await fh.write(page);
      await fh.write(sum);
      n++;
    }
    if (n !== header.nPages) throw new Error(`wrote ${n} pages, header says ${header.nPages}`);
    await fh.write(END);
    await fh.write(all.digest());
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

export interface SnapshotRead {
  header: SnapshotHeader;
  /** page i's bytes */
  page(i: number): Uint8Array;
}

/**
 * Reads and fully verifies a snapshot. Throws `snapshot-invalid` (with the reason) for anything
 * wrong: missing, truncated, corrupt, other version, other fingerprint.
 */
export async function snapshotRead(file: string, expectedFingerprint: string): Promise<SnapshotRead> {
  let buf: Buffer;
  try {
    buf = await fs.readFile(file);
  } catch (e) {
    throw invalid(file, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : `it cannot be read (${(e as Error).message})`);
  }
  if (buf.length < 16 + 32 + 40 || !buf.subarray(0, 8).equals(MAGIC)) throw invalid(file, 'bad magic or too short');
  const version = buf.readUInt32LE(8);
  if (version !== SNAPSHOT_VERSION) throw invalid(file, `version ${version}, expected ${SNAPSHOT_VERSION}`);
  const hlen = buf.readUInt32LE(12);
  if (hlen > MAX_HEADER || 16 + hlen + 32 > buf.length) throw invalid(file, 'header length out of range');
  const json = buf.subarray(16, 16 + hlen);
  if (!sha(json).equals(buf.subarray(16 + hlen, 16 + hlen + 32))) throw invalid(file, 'header checksum mismatch');
  let header: SnapshotHeader;
  try {
    header = JSON.parse(json.toString('utf8')) as SnapshotHeader;
  } catch {
    throw invalid(file, 'header is not JSON');
  }
  const ints = [header.nLayers, header.nKvHeads, header.headDim, header.tokens, header.pageBytes, header.nPages];
  if (!ints.every((v) => Number.isSafeInteger(v) && v >= 0) || header.pageBytes > MAX_PAGE_BYTES || !Array.isArray(header.tokenIds)) {
    throw invalid(file, 'header fields out of range');
  }
  if (header.fingerprint !== expectedFingerprint) throw invalid(file, 'it belongs to another model, document or engine version');
  const body = 16 + hlen + 32;
  const per = header.pageBytes + 32;
  if (body + header.nPages * per + 40 !== buf.length) throw invalid(file, 'size does not match the header (truncated?)');
  const all = createHash('sha256');
  for (let i = 0; i < header.nPages; i++) {
    const o = body + i * per;
    const sum = buf.subarray(o + header.pageBytes, o + per);
    if (!sha(buf.subarray(o, o + header.pageBytes)).equals(sum)) throw invalid(file, `page ${i} checksum mismatch`);
    all.update(sum);
  }
  const t = body + header.nPages * per;
  if (!buf.subarray(t, t + 8).equals(END) || !all.digest().equals(buf.subarray(t + 8, t + 40))) throw invalid(file, 'trailer mismatch');
  return {
    header,
    page: (i: number) => {
      if (!(i >= 0 && i < header.nPages)) throw new RangeError(`page ${i}`);
      const o = body + i * per;
      return new Uint8Array(buf.buffer, buf.byteOffset + o, header.pageBytes);
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
