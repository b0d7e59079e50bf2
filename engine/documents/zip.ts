/**
 * A defensive zip reader for DOCX and EPUB containers. Everything that can be decided from
 * the central directory is checked BEFORE anything is inflated:
 *   - entry count, the sum of declared uncompressed sizes, and the uncompressed/compressed
 *     ratio of each entry larger than a grace size (Apache POI's ZipSecureFile defence);
 *   - overlapping entries (Fifield's non-recursive zip bomb reuses one compressed stream for
 *     many entries), entries pointing outside the file, encryption, unknown methods, ZIP64;
 *   - unsafe names: absolute paths, `..` segments, backslashes, drive letters, NUL (zip slip).
 * Then `read` inflates one entry in 16 KiB steps and stops as soon as the output exceeds the
 * declared size or the container's total budget (a lying header cannot get past either), and
 * verifies the CRC-32.
 *
 * Hand-written over fflate's raw `Inflate` because fflate's `unzipSync` trusts the headers and
 * inflates in one go, and JSZip (inside mammoth) has no limits at all.
 *
 * Extending: new checks go into `openZip` (directory level) or `read` (data level), each
 * throwing a LongreadError whose details name the entry and the limit.
 */

import { Inflate } from 'fflate';
import { LongreadError } from '../errors.ts';
import type { IngestLimits } from './types.ts';

export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  uncompressedSize: number;
  localOffset: number;
  dataOffset: number;
}

export interface ZipArchive {
  entries: Map<string, ZipEntry>;
  /** Inflates one entry (limits enforced while inflating). */
  read(name: string): Uint8Array;
  readText(name: string): string;
  has(name: string): boolean;
}

const u16 = (d: Uint8Array, o: number) => d[o]! | (d[o + 1]! << 8);
const u32 = (d: Uint8Array, o: number) => (d[o]! | (d[o + 1]! << 8) | (d[o + 2]! << 16) | (d[o + 3]! << 24)) >>> 0;

let CRC_TABLE: Uint32Array | null = null;
export function crc32(data: Uint8Array): number {
  if (!CRC_TABLE) {
    CRC_TABLE = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      CRC_TABLE[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function invalid(file: string, message: string, details: Record<string, unknown> = {}): LongreadError {
  return new LongreadError('document-invalid', `${file}: ${message}`, 'The file is damaged or not a real document; re-export it from the application that made it.', { file, ...details });
}

/** True when a zip entry name could escape the extraction root (zip slip) or is otherwise unsafe. */
export function isUnsafeEntryName(name: string): boolean {
  if (name.length === 0 || name.includes('\0') || name.includes('\\')) return true;
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return true;
  return name.split('/').some((seg) => seg === '..');
}

function findEocd(d: Uint8Array): number {
  const min = Math.max(0, d.length - 22 - 0xffff);
  for (let i = d.length - 22; i >= min; i--) {
    if (d[i] === 0x50 && d[i + 1] === 0x4b && d[i + 2] === 0x05 && d[i + 3] === 0x06) return i;
  }
  return -1;
}

export function openZip(file: string, d: Uint8Array, limits: IngestLimits): ZipArchive {
  const eocd = findEocd(d);
  if (eocd < 0) throw invalid(file, 'no zip end-of-central-directory record (the file is truncated or not a zip).');
  const count = u16(d, eocd + 10);
  const cdSize = u32(d, eocd + 12);
  const cdOffset = u32(d, eocd + 16);
  if (count === 0xffff || cdOffset === 0xffffffff || cdSize === 0xffffffff) {
    throw new LongreadError('document-unsupported', `${file} is a ZIP64 container.`, 'DOCX and EPUB files never need ZIP64; re-save the document from its application.', { file });
  }
  if (count > limits.maxZipEntries) {
    throw new LongreadError('document-limit', `${file} has ${count} zip entries, more than the limit of ${limits.maxZipEntries}.`, 'This is not a normal document (possibly a zip bomb). If it is genuine, raise the entry limit.', { file, limit: 'maxZipEntries', value: count });
  }
  if (cdOffset + cdSize > eocd) throw invalid(file, `central directory at offset ${cdOffset} (+${cdSize}) runs past its end record at ${eocd}.`, { offset: cdOffset });

  const entries = new Map<string, ZipEntry>();
  let declaredTotal = 0;
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > eocd || u32(d, p) !== 0x02014b50) throw invalid(file, `central directory entry ${i} at offset ${p} is corrupt.`, { offset: p });
    const flags = u16(d, p + 8);
    const method = u16(d, p + 10);
    const crc = u32(d, p + 16);
    const compressedSize = u32(d, p + 20);
    const uncompressedSize = u32(d, p + 24);
    const nameLen = u16(d, p + 28);
    const extraLen = u16(d, p + 30);
    const commentLen = u16(d, p + 32);
    const localOffset = u32(d, p + 42);
    if (p + 46 + nameLen > eocd) throw invalid(file, `entry ${i} name runs past the central directory.`, { offset: p });
    const raw = d.subarray(p + 46, p + 46 + nameLen);
    const name = flags & 0x800 ? new TextDecoder('utf-8').decode(raw) : new TextDecoder('latin1').decode(raw);
    p += 46 + nameLen + extraLen + commentLen;

    if (isUnsafeEntryName(name)) {
      throw new LongreadError('document-invalid', `${file} contains an unsafe entry name "${name.slice(0, 200)}" (absolute path or "..": a path traversal attempt).`, 'Do not open this file; it was crafted to write outside its folder.', { file, entry: name.slice(0, 200) });
    }
    if (entries.has(name)) throw invalid(file, `entry "${name}" appears twice.`, { entry: name });
    if (flags & 0x1) throw new LongreadError('document-unsupported', `${file} is encrypted (entry "${name}").`, 'Remove the password in the application that made it, then open it again.', { file, entry: name });
    if (method !== 0 && method !== 8) throw new LongreadError('document-unsupported', `${file}: entry "${name}" uses compression method ${method}.`, 'Re-save the document; only stored and deflated entries are supported.', { file, entry: name, method });
    if (compressedSize === 0xffffffff || uncompressedSize === 0xffffffff || localOffset === 0xffffffff) {
      throw new LongreadError('document-unsupported', `${file}: entry "${name}" uses ZIP64 sizes.`, 'Re-save the document from its application.', { file, entry: name });
    }
    if (method === 0 && compressedSize !== uncompressedSize) throw invalid(file, `stored entry "${name}" has different compressed and uncompressed sizes.`, { entry: name });
    declaredTotal += uncompressedSize;
    if (declaredTotal > limits.maxUncompressedBytes) {
      throw new LongreadError('document-limit', `${file} would expand to more than ${limits.maxUncompressedBytes} bytes (declared sizes; limit reached at entry "${name}").`, 'This looks like a zip bomb. If the document is genuine, raise the uncompressed-size limit.', { file, entry: name, limit: 'maxUncompressedBytes', value: declaredTotal });
    }
    if (uncompressedSize > limits.ratioGraceBytes && uncompressedSize / Math.max(1, compressedSize) > limits.maxCompressionRatio) {
      throw new LongreadError('document-limit', `${file}: entry "${name}" claims a compression ratio of ${Math.round(uncompressedSize / Math.max(1, compressedSize))}:1 (limit ${limits.maxCompressionRatio}:1).`, 'This looks like a zip bomb. If the document is genuine, raise the compression-ratio limit.', { file, entry: name, limit: 'maxCompressionRatio', value: uncompressedSize / Math.max(1, compressedSize) });
    }
    if (localOffset + 30 > cdOffset || u32(d, localOffset) !== 0x04034b50) throw invalid(file, `entry "${name}" points at offset ${localOffset}, where there is no local header.`, { entry: name, offset: localOffset });
    const dataOffset = localOffset + 30 + u16(d, localOffset + 26) + u16(d, localOffset + 28);
    if (dataOffset + compressedSize > cdOffset) throw invalid(file, `entry "${name}" data (${compressedSize} bytes at ${dataOffset}) runs into the central directory.`, { entry: name, offset: dataOffset });
    entries.set(name, { name, method, flags, crc, compressedSize, uncompressedSize, localOffset, dataOffset });
  }
  // Overlapping entries: each entry's bytes must end before the next one's local header.
  const sorted = [...entries.values()].sort((a, b) => a.localOffset - b.localOffset);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    if (prev.dataOffset + prev.compressedSize > sorted[i]!.localOffset) {
      throw new LongreadError('document-limit', `${file}: entries "${prev.name}" and "${sorted[i]!.name}" overlap (a non-recursive zip bomb construction).`, 'Do not open this file.', { file, entry: sorted[i]!.name, limit: 'overlap' });
    }
  }

  let inflatedTotal = 0;
  const read = (name: string): Uint8Array => {
    const e = entries.get(name);
    if (!e) throw invalid(file, `missing entry "${name}".`, { entry: name });
    const src = d.subarray(e.dataOffset, e.dataOffset + e.compressedSize);
    let out: Uint8Array;
    if (e.method === 0) {
      out = src;
    } else {
      out = new Uint8Array(e.uncompressedSize);
      let n = 0;
      let over = false;
      const inf = new Inflate((chunk) => {
        if (n + chunk.length > e.uncompressedSize) {
          over = true;
          return;
        }
        out.set(chunk, n);
        n += chunk.length;
      });
      const STEP = 16 * 1024;
      try {
        for (let o = 0; o < src.length && !over; o += STEP) inf.push(src.subarray(o, Math.min(src.length, o + STEP)), o + STEP >= src.length);
      } catch (err) {
        throw invalid(file, `entry "${name}" has corrupt compressed data (${err instanceof Error ? err.message : String(err)}).`, { entry: name });
      }
      if (over) {
        throw new LongreadError('document-limit', `${file}: entry "${name}" inflates to more than its declared ${e.uncompressedSize} bytes.`, 'The zip headers lie about sizes (a zip bomb construction). Do not open this file.', { file, entry: name, limit: 'declaredSize' });
      }
      if (n !== e.uncompressedSize) throw invalid(file, `entry "${name}" inflated to ${n} bytes, its header says ${e.uncompressedSize} (truncated).`, { entry: name });
    }
    inflatedTotal += out.length;
    if (inflatedTotal > limits.maxUncompressedBytes) {
      throw new LongreadError('document-limit', `${file} inflated past ${limits.maxUncompressedBytes} bytes.`, 'Raise the uncompressed-size limit if the document is genuine.', { file, limit: 'maxUncompressedBytes' });
    }
    if (crc32(out) !== e.crc) throw invalid(file, `entry "${name}" fails its CRC-32 check.`, { entry: name });
    return out;
  };
  return {
    entries,
    read,
    readText: (name) => new TextDecoder('utf-8').decode(read(name)),
    has: (name) => entries.has(name),
  };
}
