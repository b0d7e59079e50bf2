/**
 * A raw GGUF byte builder for hostile test files: unlike the writer it lets every field be
 * wrong (counts, lengths, types, dims, offsets), so each advisory can be reproduced exactly.
 */
export class RawGguf {
  private parts: number[] = [];
  u8(v: number) { this.parts.push(v & 255); return this; }
  u32(v: number) { for (let i = 0; i < 4; i++) this.parts.push((v >>> (8 * i)) & 255); return this; }
  i32(v: number) { return this.u32(v >>> 0); }
  u64(v: bigint | number) { let x = BigInt.asUintN(64, BigInt(v)); for (let i = 0; i < 8; i++) { this.parts.push(Number(x & 255n)); x >>= 8n; } return this; }
  f32(v: number) { const b = new Uint8Array(new Float32Array([v]).buffer); this.parts.push(...b); return this; }
  bytes(b: Iterable<number>) { for (const x of b) this.parts.push(x); return this; }
  str(s: string, len?: bigint | number) { const b = new TextEncoder().encode(s); this.u64(len ?? b.length); return this.bytes(b); }
  header(nTensors: bigint | number, nKv: bigint | number, version = 3) { return this.u32(0x46554747).u32(version).u64(nTensors).u64(nKv); }
  /** A KV with a u32 value. */
  kvU32(key: string, v: number, type = 4) { return this.str(key).u32(type).u32(v); }
  tensor(name: string, dims: (bigint | number)[], type: number, offset: bigint | number) {
    this.str(name).u32(dims.length);
    for (const d of dims) this.u64(d);
    return this.u32(type).u64(offset);
  }
  padTo(align: number) { while (this.parts.length % align) this.parts.push(0); return this; }
  zeros(n: number) { for (let i = 0; i < n; i++) this.parts.push(0); return this; }
  get length() { return this.parts.length; }
  build(): Uint8Array { return Uint8Array.from(this.parts); }
}
