/**
 * GGUF reader (versions 2 and 3), hardened for hostile files.
 *
 * Hand-written rather than @huggingface/gguf because a desktop app opens files from anywhere:
 * every count, string length, array length, dimension, type, alignment and tensor byte range is
 * validated against the bytes that remain BEFORE anything is allocated (the defences for the
 * GGUF advisories in reliability.md (b): huge counts/lengths, integer overflow in sizes,
 * out-of-file and overlapping tensors, bad alignment), allocation never exceeds the file size,
 * and every failure is a typed `gguf-invalid` / `gguf-unsupported` error naming the offset and
 * field. @huggingface/gguf serves as a cross-check in the tests.
 *
 * `ggufOpen(path)` reads only the header region (growing its window as needed); tensor data is
 * read lazily by byte range. `ggufParse(bytes)` parses an in-memory file.
 */

import { promises as fs } from 'node:fs';
import { LongreadError } from '../errors.ts';
import { GgmlType, ggmlTypeInfo, ggmlTypeName, isKnownGgmlType } from './ggml-types.ts';

export enum GgufValueType {
  UINT8 = 0,
  INT8 = 1,
  UINT16 = 2,
  INT16 = 3,
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  UINT64 = 10,
  INT64 = 11,
  FLOAT64 = 12,
}

export type GgufValue = string | number | bigint | boolean | GgufValue[];

/** Exact stored type of a metadata value: a scalar type, or an array of an element type. */
export type GgufTypeSpec = GgufValueType | { array: GgufTypeSpec };

export interface GgufTensorInfo {
  name: string;
  /** ggml order: dims[0] (ne0) is the contiguous row length. */
  dims: number[];
  type: GgmlType;
  /** Absolute offset in the file. */
  offset: number;
  nbytes: number;
  nElements: number;
  /** Which file of a split model holds it (ggufOpenModel in gguf-split.ts); absent or 0 otherwise. */
  part?: number;
}

export interface GgufFile {
  version: number;
  metadata: Record<string, GgufValue>;
  metadataTypes: Record<string, GgufTypeSpec>;
  tensors: GgufTensorInfo[];
  alignment: number;
  /** Absolute offset where tensor data starts. */
  dataOffset: number;
  fileSize: number;
  path?: string;
}

export interface GgufHandle extends GgufFile {
  readRange(offset: number, length: number): Promise<Uint8Array>;
  readTensor(t: GgufTensorInfo): Promise<Uint8Array>;
  close(): Promise<void>;
}

const MAGIC = 0x46554747; // "GGUF" little-endian
const MAX_DIMS = 4;
const MAX_NESTING = 4;
/**
 * Caps below what JS can hold (a string of ~2^29 UTF-16 units, an array of 2^32-1 slots): a
 * string or array past them is a typed `gguf-unsupported` rather than a RangeError. Real files
 * are far below (chat templates are kilobytes, vocabularies under a million entries); llama.cpp
 * caps both at 1 GiB (GGUF_MAX_STRING_LENGTH / GGUF_MAX_ARRAY_ELEMENTS).
 */
export const GGUF_MAX_STRING_BYTES = 256 << 20;
export const GGUF_MAX_ARRAY_ELEMENTS = 64 << 20;
export const GGUF_DEFAULT_ALIGNMENT = 32;
const SCALAR_SIZE: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

/**
 * What one parse allocated, for the fuzzer: every allocation whose size comes from the file goes
 * through `Cursor.alloc`, which records the on-disk bytes that back it (never more than remain:
 * checked before allocating) and an estimate of the JS heap it costs (8 bytes per array slot or
 * object entry, 2 per string byte).
 */
export interface GgufParseStats {
  /** Largest single allocation, in the file bytes that back it. */
  largestFileBytes: number;
  /** Sum of the estimated heap bytes of all allocations. */
  totalHeapBytes: number;
}

/** Thrown internally when the header window ends early but the file has more bytes. */
class NeedMore extends Error {}

function invalid(msg: string, offset: number, field: string, file?: string): LongreadError {
  return new LongreadError(
    'gguf-invalid',
    `${file ? file + ': ' : ''}invalid GGUF at byte ${offset} (${field}): ${msg}`,
    'The file is damaged or not a GGUF model. Download it again, or convert the model with llama.cpp\'s convert_hf_to_gguf.py.',
    { offset, field, ...(file ? { file } : {}) },
  );
}

class Cursor {
  pos = 0;
  private readonly view: DataView;
  private readonly dec = new TextDecoder('utf-8');
  constructor(
    private readonly buf: Uint8Array,
    /** Total file size: bounds checks use it; reads past `buf` ask for a bigger window. */
    readonly fileSize: number,
    readonly file?: string,
    readonly stats: GgufParseStats = { largestFileBytes: 0, totalHeapBytes: 0 },
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.nodeBuf = typeof Buffer === 'function' ? Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength) : null;
  }
  private readonly nodeBuf: Buffer | null;
  /** The one gate for file-sized allocations: `fileBytes` must still be in the file. */
  alloc(fileBytes: number, heapBytes: number, field: string): void {
    if (fileBytes > this.remaining()) throw invalid(`needs ${fileBytes} bytes but only ${this.remaining()} remain`, this.pos, field, this.file);
    this.stats.largestFileBytes = Math.max(this.stats.largestFileBytes, fileBytes);
    this.stats.totalHeapBytes += heapBytes;
  }
  remaining(): number {
    return this.fileSize - this.pos;
  }
  need(n: number, field: string): void {
    if (n > this.remaining()) throw invalid(`needs ${n} bytes but only ${this.remaining()} remain`, this.pos, field, this.file);
    if (this.pos + n > this.buf.length) throw new NeedMore();
  }
  u8(f: string) { this.need(1, f); return this.view.getUint8(this.pos++); }
  i8(f: string) { this.need(1, f); return this.view.getInt8(this.pos++); }
  u16(f: string) { this.need(2, f); const v = this.view.getUint16(this.pos, true); this.pos += 2; return v; }
  i16(f: string) { this.need(2, f); const v = this.view.getInt16(this.pos, true); this.pos += 2; return v; }
  u32(f: string) { this.need(4, f); const v = this.view.getUint32(this.pos, true); this.pos += 4; return v; }
  i32(f: string) { this.need(4, f); const v = this.view.getInt32(this.pos, true); this.pos += 4; return v; }
  f32(f: string) { this.need(4, f); const v = this.view.getFloat32(this.pos, true); this.pos += 4; return v; }
  f64(f: string) { this.need(8, f); const v = this.view.getFloat64(this.pos, true); this.pos += 8; return v; }
  u64(f: string) { this.need(8, f); const v = this.view.getBigUint64(this.pos, true); this.pos += 8; return v; }
  i64(f: string) { this.need(8, f); const v = this.view.getBigInt64(this.pos, true); this.pos += 8; return v; }
  /** A u64 count/length that must fit in the remaining bytes at `minEach` bytes per item. */
  count(field: string, minEach: number, max = Number.MAX_SAFE_INTEGER): number {
    const at = this.pos;
    this.need(8, field);
    // Two u32 halves rather than a BigInt: this runs for every string of a 100k-token vocabulary.
    const lo = this.view.getUint32(at, true);
    const hi = this.view.getUint32(at + 4, true);
    this.pos += 8;
    const v = hi * 4294967296 + lo;
    if (v > max) {
      throw new LongreadError('gguf-unsupported', `${this.file ? this.file + ': ' : ''}${field} at byte ${at} is ${v}, above Longread's limit of ${max}.`,
        'No real model needs metadata this large; the file is damaged or hostile.', { offset: at, field, limit: max });
    }
    if (hi > 0x1fffff || v * minEach > this.remaining()) {
      const exact = (BigInt(hi) << 32n) | BigInt(lo);
      throw invalid(`count ${exact} cannot fit in the ${this.remaining()} bytes that remain`, at, field, this.file);
    }
    return v;
  }
  str(field: string): string {
    const n = this.count(field, 1, GGUF_MAX_STRING_BYTES);
    this.need(n, field);
    this.alloc(n, 2 * n, field);
    const start = this.pos;
    this.pos += n;
    // Node's native slice decoder is several times faster than TextDecoder on the short strings
    // of a 100k-token vocabulary (same replacement of invalid UTF-8).
    if (this.nodeBuf) return this.nodeBuf.toString('utf8', start, start + n);
    return this.dec.decode(this.buf.subarray(start, start + n));
  }
}

function readValue(c: Cursor, type: number, field: string, depth: number): { value: GgufValue; spec: GgufTypeSpec } {
  switch (type) {
    case GgufValueType.UINT8: return { value: c.u8(field), spec: type };
    case GgufValueType.INT8: return { value: c.i8(field), spec: type };
    case GgufValueType.UINT16: return { value: c.u16(field), spec: type };
    case GgufValueType.INT16: return { value: c.i16(field), spec: type };
    case GgufValueType.UINT32: return { value: c.u32(field), spec: type };
    case GgufValueType.INT32: return { value: c.i32(field), spec: type };
    case GgufValueType.FLOAT32: return { value: c.f32(field), spec: type };
    case GgufValueType.FLOAT64: return { value: c.f64(field), spec: type };
    case GgufValueType.UINT64: return { value: c.u64(field), spec: type };
    case GgufValueType.INT64: return { value: c.i64(field), spec: type };
    case GgufValueType.BOOL: {
      const at = c.pos;
      const b = c.u8(field);
      if (b > 1) throw invalid(`boolean byte is ${b}`, at, field, c.file);
      return { value: b === 1, spec: type };
    }
    case GgufValueType.STRING: return { value: c.str(field), spec: type };
    case GgufValueType.ARRAY: {
      if (depth >= MAX_NESTING) throw invalid(`arrays nested deeper than ${MAX_NESTING}`, c.pos, field, c.file);
      const at = c.pos;
      const et = c.u32(`${field}[type]`);
      if (!(et in SCALAR_SIZE) && et !== GgufValueType.STRING && et !== GgufValueType.ARRAY) {
        throw unsupportedType(et, at, field, c.file);
      }
      const minEach = et === GgufValueType.STRING ? 8 : et === GgufValueType.ARRAY ? 12 : SCALAR_SIZE[et]!;
      const n = c.count(`${field}[count]`, minEach, GGUF_MAX_ARRAY_ELEMENTS);
      c.alloc(n * minEach, 8 * n, `${field}[count]`);
      const out: GgufValue[] = new Array(n);
      let inner: GgufTypeSpec = et;
      for (let i = 0; i < n; i++) {
        const r = readValue(c, et, field, depth + 1);
        out[i] = r.value;
        inner = r.spec;
      }
      return { value: out, spec: { array: et === GgufValueType.ARRAY ? inner : et } };
    }
    default:
      throw unsupportedType(type, c.pos - 4, field, c.file);
  }
}

function unsupportedType(t: number, at: number, field: string, file?: string): LongreadError {
  return new LongreadError('gguf-invalid', `${file ? file + ': ' : ''}unknown metadata value type ${t} at byte ${at} (${field})`, 'The file is damaged or uses a GGUF extension Longread does not know. Re-export it with a current llama.cpp.', { offset: at, field });
}

function parseHeader(buf: Uint8Array, fileSize: number, file?: string, stats?: GgufParseStats): GgufFile {
  const c = new Cursor(buf, fileSize, file, stats);
  if (fileSize < 24) throw invalid(`file is only ${fileSize} bytes`, 0, 'header', file);
  const magic = c.u32('magic');
  if (magic !== MAGIC) throw invalid('not a GGUF file (bad magic)', 0, 'magic', file);
  const version = c.u32('version');
  if (version === 1) {
    throw new LongreadError('gguf-unsupported', `${file ?? 'file'}: GGUF version 1 is not supported.`, 'Convert the model again with a current llama.cpp (GGUF v3).', { field: 'version' });
  }
  if (version !== 0 && (version & 0xffff) === 0) {
    throw new LongreadError('gguf-unsupported', `${file ?? 'file'}: this is a big-endian GGUF (version field ${version >>> 24} byte-swapped).`, 'Longread reads little-endian GGUF files only: download the little-endian build of the model.', { field: 'version', offset: 4 });
  }
  if (version !== 2 && version !== 3) {
    throw new LongreadError('gguf-unsupported', `${file ?? 'file'}: GGUF version ${version} is not supported (2 and 3 are).`, 'Update Longread, or re-export the model with llama.cpp.', { field: 'version', offset: 4 });
  }
  // Minimum sizes: a tensor info is >= 8 (name len) + 4 (n_dims) + 4 (type) + 8 (offset); a KV >= 8 + 4 + 1.
  const nTensors = c.count('tensor_count', 24);
  const nKv = c.count('metadata_kv_count', 13);
  c.alloc(24 * nTensors + 13 * nKv, 64 * nTensors + 16 * nKv, 'counts');
  const metadata: Record<string, GgufValue> = Object.create(null) as Record<string, GgufValue>;
  const metadataTypes: Record<string, GgufTypeSpec> = Object.create(null) as Record<string, GgufTypeSpec>;
  for (let i = 0; i < nKv; i++) {
    const at = c.pos;
    const key = c.str(`metadata[${i}].key`);
    if (key.length === 0) throw invalid('empty metadata key', at, 'metadata key', file);
    if (key in metadata) throw invalid(`duplicate metadata key "${key}"`, at, 'metadata key', file);
    const type = c.u32(`${key}.type`);
    const r = readValue(c, type, key, 0);
    metadata[key] = r.value;
    metadataTypes[key] = r.spec;
  }
  let alignment = GGUF_DEFAULT_ALIGNMENT;
  if ('general.alignment' in metadata) {
    const a = metadata['general.alignment'];
    if (metadataTypes['general.alignment'] !== GgufValueType.UINT32 || typeof a !== 'number' || a === 0 || (a & (a - 1)) !== 0 || a > 1 << 24) {
      throw invalid(`general.alignment must be a power-of-two u32 (at most 16 MiB), got ${String(a)}`, 0, 'general.alignment', file);
    }
    alignment = a;
  }
  const infos: { name: string; dims: number[]; type: GgmlType; rel: bigint; at: number }[] = [];
  const names = new Set<string>();
  for (let i = 0; i < nTensors; i++) {
    const at = c.pos;
    const name = c.str(`tensor[${i}].name`);
    if (name.length === 0 || name.length > 256) throw invalid(`tensor name length ${name.length} (1..256 allowed)`, at, 'tensor name', file);
    if (names.has(name)) throw invalid(`duplicate tensor name "${name}"`, at, 'tensor name', file);
    names.add(name);
    const nd = c.u32(`${name}.n_dims`);
    if (nd === 0 || nd > MAX_DIMS) throw invalid(`tensor ${name} has ${nd} dimensions (1..${MAX_DIMS} allowed)`, at, 'n_dims', file);
    const dims: number[] = [];
    for (let d = 0; d < nd; d++) {
      const dpos = c.pos;
      const v = c.u64(`${name}.dims[${d}]`);
      if (v === 0n || v > BigInt(2 ** 40)) throw invalid(`tensor ${name} dimension ${d} is ${v}`, dpos, 'dims', file);
      dims.push(Number(v));
    }
    const tpos = c.pos;
    const type = c.u32(`${name}.type`);
    if (!isKnownGgmlType(type)) {
      throw new LongreadError('gguf-unsupported', `${file ? file + ': ' : ''}tensor ${name} has unknown type ${type} (byte ${tpos}).`, 'The model uses a tensor type Longread cannot read; use a Q4_K_M, Q8_0 or F16 file.', { offset: tpos, field: 'type', tensor: name });
    }
    const rel = c.u64(`${name}.offset`);
    infos.push({ name, dims, type, rel, at });
  }
  const dataOffset = Math.ceil(c.pos / alignment) * alignment;
  if (dataOffset > fileSize && infos.length > 0) throw invalid('tensor data would start past the end of the file', c.pos, 'data offset', file);
  const dataBytes = Math.max(0, fileSize - dataOffset);
  const tensors: GgufTensorInfo[] = [];
  for (const t of infos) {
    const { blockSize, typeSize } = ggmlTypeInfo(t.type);
    let n = 1;
    for (const d of t.dims) {
      n *= d;
      if (n > Number.MAX_SAFE_INTEGER / 8) throw invalid(`tensor ${t.name} has too many elements`, t.at, 'dims', file);
    }
    if (t.dims[0]! % blockSize !== 0) {
      throw invalid(`tensor ${t.name} row length ${t.dims[0]} is not a multiple of ${ggmlTypeName(t.type)}'s block size ${blockSize}`, t.at, 'dims', file);
    }
    const nbytes = (n / blockSize) * typeSize;
    if (t.rel % BigInt(alignment) !== 0n) throw invalid(`tensor ${t.name} offset ${t.rel} is not aligned to ${alignment}`, t.at, 'offset', file);
    if (t.rel > BigInt(dataBytes) || Number(t.rel) + nbytes > dataBytes) {
      throw invalid(`tensor ${t.name} (${nbytes} bytes at data offset ${t.rel}) extends past the end of the file`, t.at, 'offset', file);
    }
    tensors.push({ name: t.name, dims: t.dims, type: t.type, offset: dataOffset + Number(t.rel), nbytes, nElements: n });
  }
  const sorted = [...tensors].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const p = sorted[i - 1]!;
    const q = sorted[i]!;
    if (q.offset < p.offset + p.nbytes) throw invalid(`tensors ${p.name} and ${q.name} overlap`, q.offset, 'offset', file);
  }
  return { version, metadata, metadataTypes, tensors, alignment, dataOffset, fileSize, ...(file ? { path: file } : {}) };
}

/** Parses a whole GGUF file held in memory (`stats`, if given, receives what the parse allocated). */
export function ggufParse(bytes: Uint8Array, file?: string, stats?: GgufParseStats): GgufFile {
  try {
    return parseHeader(bytes, bytes.length, file, stats);
  } catch (e) {
    if (e instanceof NeedMore) throw invalid('truncated', bytes.length, 'header', file);
    throw e;
  }
}

/** Opens a GGUF file: parses the header (reading only as much as needed), data read lazily. */
export async function ggufOpen(path: string): Promise<GgufHandle> {
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(path, 'r');
  } catch (e) {
    throw new LongreadError('io-error', `Cannot open ${path}: ${(e as Error).message}`, 'Check the path and that the file is readable.', { file: path });
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new LongreadError('io-error', `${path} is not a regular file.`, 'Pass the path of a .gguf model file.', { file: path });
    const size = st.size;
    let window = Math.min(size, 4 << 20);
    let parsed: GgufFile | null = null;
    while (!parsed) {
      const buf = new Uint8Array(window);
      let got = 0;
      try {
        while (got < window) {
          const { bytesRead } = await fh.read(buf, got, window - got, got);
          if (bytesRead === 0) break;
          got += bytesRead;
        }
      } catch (e) {
        throw new LongreadError('io-error', `Cannot read ${path}: ${(e as Error).message}`, 'Check that the file is readable.', { file: path });
      }
      if (got < window) throw invalid('file shrank while reading its header', got, 'header', path);
      try {
        parsed = parseHeader(buf, size, path);
      } catch (e) {
        if (!(e instanceof NeedMore)) throw e;
        window = Math.min(size, window * 4);
      }
    }
    const file = parsed;
    let closed = false;
    const readRange = async (offset: number, length: number): Promise<Uint8Array> => {
      if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
        throw invalid(`range ${offset}+${length} is outside the file`, offset, 'read', path);
      }
      if (closed) throw new LongreadError('io-error', `${path} was closed before reading bytes ${offset}+${length}.`, 'Open the model file again.', { file: path, offset });
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        let bytesRead: number;
        try {
          ({ bytesRead } = await fh.read(out, done, Math.min(length - done, 1 << 30), offset + done));
        } catch (e) {
          throw new LongreadError('io-error', `Cannot read ${path} at byte ${offset + done}: ${(e as Error).message}`, 'Check that the file is still there and the disk is readable.', { file: path, offset: offset + done });
        }
        if (bytesRead === 0) throw invalid('file shrank while reading', offset + done, 'read', path);
        done += bytesRead;
      }
      return out;
    };
    const close = async () => {
      if (closed) return;
      closed = true;
      await fh.close();
    };
    return { ...file, readRange, readTensor: (t) => readRange(t.offset, t.nbytes), close };
  } catch (e) {
    await fh.close();
    throw e;
  }
}

// Typed metadata getters --------------------------------------------------------------------

export function metaString(f: Pick<GgufFile, 'metadata'>, key: string): string | undefined {
  const v = f.metadata[key];
  return typeof v === 'string' ? v : undefined;
}

export function metaNumber(f: Pick<GgufFile, 'metadata'>, key: string): number | undefined {
  const v = f.metadata[key];
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint' && v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER)) return Number(v);
  return undefined;
}

export function metaBool(f: Pick<GgufFile, 'metadata'>, key: string): boolean | undefined {
  const v = f.metadata[key];
  return typeof v === 'boolean' ? v : undefined;
}

export function metaArray(f: Pick<GgufFile, 'metadata'>, key: string): GgufValue[] | undefined {
  const v = f.metadata[key];
  return Array.isArray(v) ? v : undefined;
}

export function tensorByName(f: GgufFile, name: string): GgufTensorInfo | undefined {
  return f.tensors.find((t) => t.name === name);
}
