/**
 * A model file as the runtime sees it: metadata, tensor infos (name, ggml dims, type, absolute
 * byte offset and size) and streamed reads of tensor bytes. `modelFileOpen(path)` parses the
 * GGUF header (v2/v3, bounds-checked, every failure a `gguf-invalid` naming the offset/field)
 * without reading tensor data, so inspecting a 4 GB file costs only its header.
 *
 * This is the runtime's narrow view; the full GGUF reader/writer, quant formats and importers
 * live in engine/formats/. Extend: a new metadata value type = a branch in `readValue`.
 */

import fs from 'node:fs';
import { LongreadError } from '../errors.ts';

export interface TensorInfo {
  name: string;
  /** ggml dims, ne[0] contiguous */
  dims: number[];
  /** ggml type id */
  typeId: number;
  /** type name ("F32", "Q4_K", ...) or "type<N>" when unknown */
  type: string;
  /** absolute byte offset in the file */
  offset: number;
  bytes: number;
  elements: number;
}

export interface ModelFile {
  path: string;
  fileBytes: number;
  version: number;
  metadata: Record<string, unknown>;
  tensors: Map<string, TensorInfo>;
  /** Reads a tensor's bytes (a fresh copy). */
  read(name: string): Uint8Array;
  close(): void;
}

/** ggml type id -> [name, weights per block, bytes per block] */
const GGML_TYPES: Record<number, [string, number, number]> = {
  0: ['F32', 1, 4], 1: ['F16', 1, 2], 2: ['Q4_0', 32, 18], 3: ['Q4_1', 32, 20], 6: ['Q5_0', 32, 22], 7: ['Q5_1', 32, 24],
  8: ['Q8_0', 32, 34], 9: ['Q8_1', 32, 36], 10: ['Q2_K', 256, 84], 11: ['Q3_K', 256, 110], 12: ['Q4_K', 256, 144],
  13: ['Q5_K', 256, 176], 14: ['Q6_K', 256, 210], 15: ['Q8_K', 256, 292], 30: ['BF16', 1, 2],
};

export function ggmlTypeName(id: number): string {
  return GGML_TYPES[id]?.[0] ?? `type${id}`;
}

class NeedMore extends Error {}

class HeaderReader {
  pos = 0;
  private readonly view: DataView;
  constructor(readonly buf: Uint8Array, readonly file: string, readonly complete: boolean) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  private need(n: number, field: string): void {
    if (this.pos + n <= this.buf.length) return;
    if (!this.complete) throw new NeedMore();
    throw invalid(this.file, this.pos, field, `needs ${n} bytes past the end of the file`);
  }
  u8(f: string) { this.need(1, f); return this.view.getUint8(this.pos++); }
  i8(f: string) { this.need(1, f); return this.view.getInt8(this.pos++); }
  u16(f: string) { this.need(2, f); const v = this.view.getUint16(this.pos, true); this.pos += 2; return v; }
  i16(f: string) { this.need(2, f); const v = this.view.getInt16(this.pos, true); this.pos += 2; return v; }
  u32(f: string) { this.need(4, f); const v = this.view.getUint32(this.pos, true); this.pos += 4; return v; }
  i32(f: string) { this.need(4, f); const v = this.view.getInt32(this.pos, true); this.pos += 4; return v; }
  f32(f: string) { this.need(4, f); const v = this.view.getFloat32(this.pos, true); this.pos += 4; return v; }
  f64(f: string) { this.need(8, f); const v = this.view.getFloat64(this.pos, true); this.pos += 8; return v; }
  u64(f: string): number {
    this.need(8, f);
    const v = this.view.getBigUint64(this.pos, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid(this.file, this.pos, f, `value ${v} is too large`);
    this.pos += 8;
    return Number(v);
  }
  i64(f: string) { this.need(8, f); const v = Number(this.view.getBigInt64(this.pos, true)); this.pos += 8; return v; }
  str(f: string): string {
    const n = this.u64(f);
    if (n > 1 << 24) throw invalid(this.file, this.pos - 8, f, `string length ${n} is implausible`);
    this.need(n, f);
    const s = new TextDecoder('utf-8', { fatal: false }).decode(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }
}

function invalid(file: string, offset: number, field: string, why: string): LongreadError {
  return new LongreadError('gguf-invalid', `${file}: ${field} at byte ${offset} ${why}.`, 'The file is damaged or not a GGUF model; download or convert it again.', { file, offset, field });
}

function readValue(r: HeaderReader, type: number, field: string, depth = 0): unknown {
  switch (type) {
    case 0: return r.u8(field);
    case 1: return r.i8(field);
    case 2: return r.u16(field);
    case 3: return r.i16(field);
    case 4: return r.u32(field);
    case 5: return r.i32(field);
    case 6: return r.f32(field);
    case 7: return r.u8(field) !== 0;
    case 8: return r.str(field);
    case 10: return r.u64(field);
    case 11: return r.i64(field);
    case 12: return r.f64(field);
    case 9: {
      if (depth > 2) throw invalid(r.file, r.pos, field, 'nests arrays too deeply');
      const et = r.u32(field);
      const n = r.u64(field);
      if (n > 1 << 26) throw invalid(r.file, r.pos - 8, field, `array length ${n} is implausible`);
      if (et === 6) {
        const out = new Float32Array(n);
        for (let i = 0; i < n; i++) out[i] = r.f32(field);
        return out;
      }
      if (et === 5) {
        const out = new Int32Array(n);
        for (let i = 0; i < n; i++) out[i] = r.i32(field);
        return out;
      }
      const out: unknown[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = readValue(r, et, field, depth + 1);
      return out;
    }
    default:
      throw invalid(r.file, r.pos - 4, field, `has unknown value type ${type}`);
  }
}

function parseHeader(buf: Uint8Array, file: string, fileBytes: number, complete: boolean): Omit<ModelFile, 'read' | 'close' | 'path'> {
  const r = new HeaderReader(buf, file, complete);
  const magic = r.u32('magic');
  if (magic !== 0x46554747) throw invalid(file, 0, 'magic', 'is not "GGUF"');
  const version = r.u32('version');
  if (version !== 2 && version !== 3) {
    throw new LongreadError('gguf-unsupported', `${file}: GGUF version ${version} is not supported.`, 'Re-convert the model with a current llama.cpp (GGUF v3).', { file, offset: 4, field: 'version' });
  }
  const nTensors = r.u64('tensor_count');
  const nKv = r.u64('metadata_kv_count');
  const metadata: Record<string, unknown> = {};
  for (let i = 0; i < nKv; i++) {
    const key = r.str(`metadata key #${i}`);
    metadata[key] = readValue(r, r.u32(key), key);
  }
  const infos: Omit<TensorInfo, 'offset' | 'bytes'>[] = [];
  const rel: number[] = [];
  for (let i = 0; i < nTensors; i++) {
    const name = r.str(`tensor name #${i}`);
    const nd = r.u32(name);
    if (nd < 1 || nd > 4) throw invalid(file, r.pos - 4, name, `has ${nd} dims`);
    const dims: number[] = [];
    for (let d = 0; d < nd; d++) dims.push(r.u64(name));
    const typeId = r.u32(name);
    rel.push(r.u64(name));
    infos.push({ name, dims, typeId, type: ggmlTypeName(typeId), elements: dims.reduce((a, b) => a * b, 1) });
  }
  const alignment = typeof metadata['general.alignment'] === 'number' ? (metadata['general.alignment'] as number) : 32;
  const dataStart = Math.ceil(r.pos / alignment) * alignment;
  const tensors = new Map<string, TensorInfo>();
  infos.forEach((t, i) => {
    const ty = GGML_TYPES[t.typeId];
    const bytes = ty ? (t.elements / ty[1]) * ty[2] : 0;
    const offset = dataStart + rel[i]!;
    if (ty && (t.dims[0]! % ty[1] || offset + bytes > fileBytes)) throw invalid(file, offset, t.name, `(${t.type} [${t.dims.join(', ')}], ${bytes} bytes) does not fit the file`);
    tensors.set(t.name, { ...t, offset, bytes });
  });
  return { fileBytes, version, metadata, tensors };
}

/** Opens a GGUF file and parses its header (reads only as many bytes as the header needs). */
export function modelFileOpen(path: string): ModelFile {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (e) {
    throw new LongreadError('not-found', `Cannot open model file ${path}: ${(e as Error).message}`, 'Check the path; pass a .gguf file.', { file: path });
  }
  const fileBytes = fs.fstatSync(fd).size;
  let size = Math.min(fileBytes, 1 << 20);
  for (;;) {
    const buf = new Uint8Array(size);
    fs.readSync(fd, buf, 0, size, 0);
    try {
      const h = parseHeader(buf, path, fileBytes, size === fileBytes);
      return {
        ...h,
        path,
        read(name) {
          const t = h.tensors.get(name);
          if (!t) throw new LongreadError('gguf-invalid', `${path}: tensor ${name} is missing.`, 'The file is incomplete; re-convert it.', { file: path, field: name });
          const out = new Uint8Array(t.bytes);
          let done = 0;
          while (done < t.bytes) done += fs.readSync(fd, out, done, t.bytes - done, t.offset + done);
          return out;
        },
        close: () => fs.closeSync(fd),
      };
    } catch (e) {
      if (!(e instanceof NeedMore)) {
        fs.closeSync(fd);
        throw e;
      }
      size = Math.min(fileBytes, size * 4);
    }
  }
}
