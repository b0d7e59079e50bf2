/**
 * Test helper: writes a vocab-only GGUF v3 file (metadata only, no tensors) that llama.cpp can
 * load with `vocabOnly: true`. Only the value types tokenizer metadata needs. Used for the
 * llama.cpp parity fixtures; the engine's full writer lives in engine/formats/.
 */
import fs from 'node:fs';

export type VocabMetaValue =
  | string | boolean
  | { u32: number } | { i32: number } | { f32: number }
  | { strings: string[] } | { f32s: ArrayLike<number> } | { i32s: ArrayLike<number> };

const T_U32 = 4, T_I32 = 5, T_F32 = 6, T_BOOL = 7, T_STRING = 8, T_ARRAY = 9;

class Buf {
  private chunks: Buffer[] = [];
  u32(v: number): void { const b = Buffer.alloc(4); b.writeUInt32LE(v); this.chunks.push(b); }
  i32(v: number): void { const b = Buffer.alloc(4); b.writeInt32LE(v); this.chunks.push(b); }
  u64(v: number): void { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); this.chunks.push(b); }
  f32(v: number): void { const b = Buffer.alloc(4); b.writeFloatLE(v); this.chunks.push(b); }
  str(s: string): void { const b = Buffer.from(s, 'utf8'); this.u64(b.length); this.chunks.push(b); }
  raw(b: Buffer): void { this.chunks.push(b); }
  done(): Buffer { return Buffer.concat(this.chunks); }
}

export function ggufVocabBytes(meta: Record<string, VocabMetaValue>): Buffer {
  const w = new Buf();
  w.raw(Buffer.from('GGUF', 'latin1'));
  w.u32(3);
  w.u64(0); // tensors
  w.u64(Object.keys(meta).length);
  for (const [key, v] of Object.entries(meta)) {
    w.str(key);
    if (typeof v === 'string') { w.u32(T_STRING); w.str(v); }
    else if (typeof v === 'boolean') { w.u32(T_BOOL); w.raw(Buffer.of(v ? 1 : 0)); }
    else if ('u32' in v) { w.u32(T_U32); w.u32(v.u32); }
    else if ('i32' in v) { w.u32(T_I32); w.i32(v.i32); }
    else if ('f32' in v) { w.u32(T_F32); w.f32(v.f32); }
    else if ('strings' in v) { w.u32(T_ARRAY); w.u32(T_STRING); w.u64(v.strings.length); for (const s of v.strings) w.str(s); }
    else if ('f32s' in v) {
      w.u32(T_ARRAY); w.u32(T_F32); w.u64(v.f32s.length);
      const b = Buffer.alloc(4 * v.f32s.length);
      for (let i = 0; i < v.f32s.length; i++) b.writeFloatLE(v.f32s[i]!, 4 * i);
      w.raw(b);
    } else {
      w.u32(T_ARRAY); w.u32(T_I32); w.u64(v.i32s.length);
      const b = Buffer.alloc(4 * v.i32s.length);
      for (let i = 0; i < v.i32s.length; i++) b.writeInt32LE(v.i32s[i]!, 4 * i);
      w.raw(b);
    }
  }
  return w.done();
}

export function ggufVocabWrite(path: string, meta: Record<string, VocabMetaValue>): void {
  fs.writeFileSync(path, ggufVocabBytes(meta));
}

/** The plain metadata record the tokenizer takes (what the GGUF reader returns). */
export function plainMetadata(meta: Record<string, VocabMetaValue>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(meta)) {
    if (typeof v === 'string' || typeof v === 'boolean') out[k] = v;
    else if ('u32' in v) out[k] = v.u32;
    else if ('i32' in v) out[k] = v.i32;
    else if ('f32' in v) out[k] = Math.fround(v.f32);
    else if ('strings' in v) out[k] = v.strings;
    else if ('f32s' in v) out[k] = Array.from(v.f32s, (x) => Math.fround(x));
    else out[k] = Array.from(v.i32s);
  }
  return out;
}
