/**
 * GGUF writer (version 3) for test fixtures, converters (llama2.c import, random models) and our
 * own trained model. Metadata types are explicit where JS values are ambiguous: pass `types`
 * (e.g. the reader's `metadataTypes` to round-trip exactly); otherwise strings are STRING,
 * booleans BOOL, bigints UINT64 (INT64 when negative), integers UINT32 (INT32 when negative),
 * other numbers FLOAT32, arrays take their elements' type from the first element.
 *
 * `ggufWrite(path, spec)` streams to `<path>.tmp-*` then renames, so a crash never leaves a
 * half-written model under the final name; tensor data may be given as bytes or produced
 * lazily (large random models). `ggufSerialize(spec)` returns the bytes of a small file.
 */

import { promises as fs } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { GgmlType, ggmlTypeInfo, ggmlTypeName } from './ggml-types.ts';
import { GGUF_DEFAULT_ALIGNMENT, GgufValueType, type GgufTypeSpec, type GgufValue } from './gguf-read.ts';

export interface GgufTensorSpec {
  name: string;
  /** ggml order (ne0 first). */
  dims: number[];
  type: GgmlType;
  /** The tensor's bytes, or a function producing them when the writer reaches it. */
  data: Uint8Array | (() => Uint8Array | Promise<Uint8Array>);
}

export interface GgufSpec {
  metadata: Record<string, GgufValue>;
  types?: Record<string, GgufTypeSpec>;
  tensors: GgufTensorSpec[];
  alignment?: number;
}

function inferSpec(v: GgufValue): GgufTypeSpec {
  if (typeof v === 'string') return GgufValueType.STRING;
  if (typeof v === 'boolean') return GgufValueType.BOOL;
  if (typeof v === 'bigint') return v < 0n ? GgufValueType.INT64 : GgufValueType.UINT64;
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return v < 0 ? GgufValueType.INT32 : v <= 0xffffffff ? GgufValueType.UINT32 : GgufValueType.UINT64;
    return GgufValueType.FLOAT32;
  }
  if (v.length === 0) return { array: GgufValueType.INT32 };
  if (v.every((x) => typeof x === 'number')) {
    const nums = v as number[];
    if (!nums.every((x) => Number.isInteger(x))) return { array: GgufValueType.FLOAT32 };
    let lo = 0;
    let hi = 0;
    for (const x of nums) { if (x < lo) lo = x; if (x > hi) hi = x; }
    if (lo >= -0x80000000 && hi <= 0x7fffffff) return { array: GgufValueType.INT32 };
    if (lo >= 0 && hi <= 0xffffffff) return { array: GgufValueType.UINT32 };
    return { array: lo < 0 ? GgufValueType.INT64 : GgufValueType.UINT64 };
  }
  return { array: inferSpec(v[0]!) };
}

class ByteSink {
  private chunks: Uint8Array[] = [];
  private cur = new Uint8Array(1 << 16);
  private view = new DataView(this.cur.buffer);
  private pos = 0;
  length = 0;
  private readonly enc = new TextEncoder();
  private ensure(n: number) {
    if (this.pos + n <= this.cur.length) return;
    this.chunks.push(this.cur.subarray(0, this.pos));
    this.cur = new Uint8Array(Math.max(1 << 16, n));
    this.view = new DataView(this.cur.buffer);
    this.pos = 0;
  }
  u8(v: number) { this.ensure(1); this.view.setUint8(this.pos, v); this.pos += 1; this.length += 1; }
  i8(v: number) { this.ensure(1); this.view.setInt8(this.pos, v); this.pos += 1; this.length += 1; }
  u16(v: number) { this.ensure(2); this.view.setUint16(this.pos, v, true); this.pos += 2; this.length += 2; }
  i16(v: number) { this.ensure(2); this.view.setInt16(this.pos, v, true); this.pos += 2; this.length += 2; }
  u32(v: number) { this.ensure(4); this.view.setUint32(this.pos, v, true); this.pos += 4; this.length += 4; }
  i32(v: number) { this.ensure(4); this.view.setInt32(this.pos, v, true); this.pos += 4; this.length += 4; }
  f32(v: number) { this.ensure(4); this.view.setFloat32(this.pos, v, true); this.pos += 4; this.length += 4; }
  f64(v: number) { this.ensure(8); this.view.setFloat64(this.pos, v, true); this.pos += 8; this.length += 8; }
  u64(v: bigint | number) {
    this.ensure(8);
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) {
      this.view.setUint32(this.pos, v >>> 0, true);
      this.view.setUint32(this.pos + 4, Math.floor(v / 4294967296), true);
    } else {
      this.view.setBigUint64(this.pos, BigInt(v), true);
    }
    this.pos += 8;
    this.length += 8;
  }
  i64(v: bigint | number) { this.ensure(8); this.view.setBigInt64(this.pos, BigInt(v), true); this.pos += 8; this.length += 8; }
  bytes(b: Uint8Array) { this.ensure(b.length); this.cur.set(b, this.pos); this.pos += b.length; this.length += b.length; }
  str(s: string) {
    // At most 3 bytes per UTF-16 unit: encode in place after the length, then fill the length in.
    this.ensure(8 + 3 * s.length);
    const { written } = this.enc.encodeInto(s, this.cur.subarray(this.pos + 8));
    this.u64(written);
    this.pos += written;
    this.length += written;
  }
  pad(to: number) { const n = (to - (this.length % to)) % to; if (n) this.bytes(new Uint8Array(n)); }
  finish(): Uint8Array {
    this.chunks.push(this.cur.subarray(0, this.pos));
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const c of this.chunks) { out.set(c, o); o += c.length; }
    return out;
  }
}

function writeValue(s: ByteSink, v: GgufValue, spec: GgufTypeSpec, key: string): void {
  if (typeof spec === 'object') {
    if (!Array.isArray(v)) throw new Error(`metadata ${key}: expected an array`);
    const et = typeof spec.array === 'object' ? GgufValueType.ARRAY : spec.array;
    s.u32(et);
    s.u64(v.length);
    for (const x of v) writeValue(s, x, spec.array, key);
    return;
  }
  const num = () => { if (typeof v !== 'number') throw new Error(`metadata ${key}: expected a number`); return v; };
  /** An integer in [lo, hi]: values that would wrap are refused rather than written wrong. */
  const int = (lo: number, hi: number) => {
    const x = num();
    if (!Number.isInteger(x) || x < lo || x > hi) throw new Error(`metadata ${key}: ${x} does not fit ${GgufValueType[spec as GgufValueType]}`);
    return x;
  };
  switch (spec) {
    case GgufValueType.UINT8: return s.u8(int(0, 0xff));
    case GgufValueType.INT8: return s.i8(int(-0x80, 0x7f));
    case GgufValueType.UINT16: return s.u16(int(0, 0xffff));
    case GgufValueType.INT16: return s.i16(int(-0x8000, 0x7fff));
    case GgufValueType.UINT32: return s.u32(int(0, 0xffffffff));
    case GgufValueType.INT32: return s.i32(int(-0x80000000, 0x7fffffff));
    case GgufValueType.FLOAT32: return s.f32(num());
    case GgufValueType.FLOAT64: return s.f64(num());
    case GgufValueType.UINT64: return s.u64(typeof v === 'bigint' ? v : num());
    case GgufValueType.INT64: return s.i64(typeof v === 'bigint' ? v : num());
    case GgufValueType.BOOL: return s.u8(v ? 1 : 0);
    case GgufValueType.STRING: if (typeof v !== 'string') throw new Error(`metadata ${key}: expected a string`); return s.str(v);
    default: throw new Error(`metadata ${key}: cannot write type ${String(spec)}`);
  }
}

interface Planned { spec: GgufTensorSpec; nbytes: number; rel: number }

function planHeader(spec: GgufSpec): { header: Uint8Array; planned: Planned[]; alignment: number } {
  const alignment = spec.alignment ?? GGUF_DEFAULT_ALIGNMENT;
  const metadata = { ...spec.metadata };
  const types: Record<string, GgufTypeSpec> = { ...(spec.types ?? {}) };
  if (alignment !== GGUF_DEFAULT_ALIGNMENT) {
    metadata['general.alignment'] = alignment;
    types['general.alignment'] = GgufValueType.UINT32;
  }
  const planned: Planned[] = [];
  let rel = 0;
  for (const t of spec.tensors) {
    const { blockSize, typeSize } = ggmlTypeInfo(t.type);
    const n = t.dims.reduce((a, b) => a * b, 1);
    if (t.dims[0]! % blockSize !== 0) throw new Error(`tensor ${t.name}: row ${t.dims[0]} not a multiple of ${ggmlTypeName(t.type)} block ${blockSize}`);
    const nbytes = (n / blockSize) * typeSize;
    planned.push({ spec: t, nbytes, rel });
    rel += Math.ceil(nbytes / alignment) * alignment;
  }
  const s = new ByteSink();
  s.u32(0x46554747);
  s.u32(3);
  s.u64(spec.tensors.length);
  const keys = Object.keys(metadata);
  s.u64(keys.length);
  for (const k of keys) {
    const v = metadata[k]!;
    const ts = types[k] ?? inferSpec(v);
    s.str(k);
    s.u32(typeof ts === 'object' ? GgufValueType.ARRAY : ts);
    writeValue(s, v, ts, k);
  }
  for (const p of planned) {
    s.str(p.spec.name);
    s.u32(p.spec.dims.length);
    for (const d of p.spec.dims) s.u64(d);
    s.u32(p.spec.type);
    s.u64(p.rel);
  }
  s.pad(alignment);
  return { header: s.finish(), planned, alignment };
}

async function tensorBytes(p: Planned): Promise<Uint8Array> {
  const d = typeof p.spec.data === 'function' ? await p.spec.data() : p.spec.data;
  if (d.length !== p.nbytes) throw new Error(`tensor ${p.spec.name}: ${d.length} bytes given, ${p.nbytes} expected`);
  return d;
}

/** The bytes of a (small) GGUF file. */
export async function ggufSerialize(spec: GgufSpec): Promise<Uint8Array> {
  const { header, planned, alignment } = planHeader(spec);
  const total = header.length + planned.reduce((a, p) => a + Math.ceil(p.nbytes / alignment) * alignment, 0);
  const out = new Uint8Array(total);
  out.set(header, 0);
  for (const p of planned) out.set(await tensorBytes(p), header.length + p.rel);
  return out;
}

/** Streams a GGUF file to disk (temp file + rename). */
export async function ggufWrite(path: string, spec: GgufSpec): Promise<void> {
  const { header, planned, alignment } = planHeader(spec);
  const tmp = `${path}.tmp-${randomBytes(4).toString('hex')}`;
  const fh = await fs.open(tmp, 'w');
  try {
    await fh.write(header, 0, header.length, 0);
    for (const p of planned) {
      const d = await tensorBytes(p);
      await fh.write(d, 0, d.length, header.length + p.rel);
    }
    const end = header.length + planned.reduce((a, p) => a + Math.ceil(p.nbytes / alignment) * alignment, 0);
    await fh.truncate(end);
    await fh.sync();
    await fh.close();
    await fs.rename(tmp, path);
  } catch (e) {
    await fh.close().catch(() => undefined);
    await fs.rm(tmp, { force: true });
    throw e;
  }
}
