/**
 * A streaming GGUF v3 writer for generated models: the header (metadata + tensor infos) is
 * written first, then each tensor's bytes as the generator produces them, so a 2 GB file never
 * sits in memory. Tensor data is aligned to 32 bytes (general.alignment default).
 *
 *   const w = ggufStreamOpen(path, metadata, [{ name, dims, type }...])
 *   for (const t of tensors) w.write(t.name, bytes)   // in the declared order
 *   w.close()
 *
 * Metadata values: string, boolean, { u32 }, { i32 }, { f32 }, { strings }, { f32s }, { i32s }
 * (the same forms as test/tokenizer/gguf-vocab-file.ts). Extend: a new value form = a branch in
 * `value`.
 */
import fs from 'node:fs';

export type MetaValue =
  | string | boolean
  | { u32: number } | { i32: number } | { f32: number }
  | { strings: string[] } | { f32s: ArrayLike<number> } | { i32s: ArrayLike<number> };

export const GGML_TYPE_ID: Record<string, number> = { F32: 0, F16: 1, Q4_0: 2, Q4_1: 3, Q5_0: 6, Q5_1: 7, Q8_0: 8, Q2_K: 10, Q3_K: 11, Q4_K: 12, Q5_K: 13, Q6_K: 14, BF16: 30 };
/** [weights per block, bytes per block] */
export const GGML_BLOCK: Record<string, [number, number]> = { F32: [1, 4], F16: [1, 2], BF16: [1, 2], Q4_0: [32, 18], Q4_1: [32, 20], Q5_0: [32, 22], Q5_1: [32, 24], Q8_0: [32, 34], Q2_K: [256, 84], Q3_K: [256, 110], Q4_K: [256, 144], Q5_K: [256, 176], Q6_K: [256, 210] };

export interface TensorDecl {
  name: string;
  /** ggml dims, ne[0] contiguous */
  dims: number[];
  type: string;
}

export function tensorBytes(t: TensorDecl): number {
  const [bw, bb] = GGML_BLOCK[t.type]!;
  const n = t.dims.reduce((a, b) => a * b, 1);
  return (n / bw) * bb;
}

class Chunks {
  parts: Buffer[] = [];
  size = 0;
  push(b: Buffer): void { this.parts.push(b); this.size += b.length; }
  u32(v: number): void { const b = Buffer.alloc(4); b.writeUInt32LE(v >>> 0); this.push(b); }
  i32(v: number): void { const b = Buffer.alloc(4); b.writeInt32LE(v | 0); this.push(b); }
  u64(v: number): void { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); this.push(b); }
  f32(v: number): void { const b = Buffer.alloc(4); b.writeFloatLE(v); this.push(b); }
  str(s: string): void { const b = Buffer.from(s, 'utf8'); this.u64(b.length); this.push(b); }
}

function value(c: Chunks, v: MetaValue): void {
  if (typeof v === 'string') { c.u32(8); c.str(v); return; }
  if (typeof v === 'boolean') { c.u32(7); c.push(Buffer.of(v ? 1 : 0)); return; }
  if ('u32' in v) { c.u32(4); c.u32(v.u32); return; }
  if ('i32' in v) { c.u32(5); c.i32(v.i32); return; }
  if ('f32' in v) { c.u32(6); c.f32(v.f32); return; }
  if ('strings' in v) { c.u32(9); c.u32(8); c.u64(v.strings.length); for (const s of v.strings) c.str(s); return; }
  if ('f32s' in v) { c.u32(9); c.u32(6); c.u64(v.f32s.length); const b = Buffer.alloc(4 * v.f32s.length); for (let i = 0; i < v.f32s.length; i++) b.writeFloatLE(v.f32s[i]!, 4 * i); c.push(b); return; }
  c.u32(9); c.u32(5); c.u64(v.i32s.length); const b = Buffer.alloc(4 * v.i32s.length); for (let i = 0; i < v.i32s.length; i++) b.writeInt32LE(v.i32s[i]!, 4 * i); c.push(b);
}

export interface GgufStream {
  write(name: string, bytes: Uint8Array): void;
  close(): void;
}

export function ggufStreamOpen(path: string, meta: Record<string, MetaValue>, tensors: TensorDecl[]): GgufStream {
  const ALIGN = 32;
  const c = new Chunks();
  c.push(Buffer.from('GGUF', 'latin1'));
  c.u32(3);
  c.u64(tensors.length);
  c.u64(Object.keys(meta).length);
  for (const [k, v] of Object.entries(meta)) { c.str(k); value(c, v); }
  let off = 0;
  const offsets = new Map<string, number>();
  for (const t of tensors) {
    c.str(t.name);
    c.u32(t.dims.length);
    for (const d of t.dims) c.u64(d);
    const id = GGML_TYPE_ID[t.type];
    if (id === undefined) throw new Error(`gguf writer: unknown type ${t.type}`);
    c.u32(id);
    c.u64(off);
    offsets.set(t.name, off);
    off += Math.ceil(tensorBytes(t) / ALIGN) * ALIGN;
  }
  const pad = (n: number) => Buffer.alloc((ALIGN - (n % ALIGN)) % ALIGN);
  c.push(pad(c.size));
  const fd = fs.openSync(path, 'w');
  fs.writeSync(fd, Buffer.concat(c.parts));
  let next = 0;
  return {
    write(name, bytes) {
      const t = tensors[next];
      if (!t || t.name !== name) throw new Error(`gguf writer: expected tensor ${t?.name}, got ${name}`);
      if (bytes.length !== tensorBytes(t)) throw new Error(`gguf writer: ${name} has ${bytes.length} bytes, expected ${tensorBytes(t)}`);
      fs.writeSync(fd, bytes);
      fs.writeSync(fd, pad(bytes.length));
      next++;
    },
    close() {
      if (next !== tensors.length) throw new Error(`gguf writer: ${tensors.length - next} tensors not written`);
      fs.closeSync(fd);
    },
  };
}
