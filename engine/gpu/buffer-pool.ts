/**
 * GPU buffer pool and the small buffer helpers every kernel and test uses.
 *
 * Pool: `acquire(size, usage)` returns a buffer of at least `size` bytes from a size class
 * (powers of two up to 1 MiB, then 8 classes per octave, so waste stays under 12.5%);
 * `release(buf)` returns it for reuse; `dispose()` destroys everything. Buffers are keyed by
 * (usage, class size). Storage buffers larger than the device's maxStorageBufferBindingSize
 * are refused with `gpu-limit` (split the tensor instead); anything over maxBufferSize too.
 *
 * Helpers: `gpuBufferFrom` (create + upload through mappedAtCreation), `gpuReadback` (copy to a
 * staging buffer, map, copy out), `gpuBinding` (normalise a buffer or a slice of one into a
 * GPUBufferBinding). Kernel APIs take `BufferRef` so callers can pass sub-ranges of one
 * allocation (the kernel harness does, to put sentinels around outputs).
 *
 * Extend: new helpers go here if two or more kernels need them.
 */

import { LongreadError } from '../errors.ts';

/** A whole buffer, or a byte range of one. Offsets must respect minStorageBufferOffsetAlignment (256 is safe). */
export type BufferRef = GPUBuffer | { buffer: GPUBuffer; offset?: number; size?: number };

export function gpuBinding(ref: BufferRef): GPUBufferBinding {
  if ('buffer' in ref) {
    const b: GPUBufferBinding = { buffer: ref.buffer };
    if (ref.offset) b.offset = ref.offset;
    if (ref.size !== undefined) b.size = ref.size;
    return b;
  }
  return { buffer: ref as GPUBuffer };
}

/** Byte size visible through a ref. */
export function gpuRefSize(ref: BufferRef): number {
  const b = gpuBinding(ref);
  return b.size ?? b.buffer.size - (b.offset ?? 0);
}

export const STORAGE = 0x80 | 0x08 | 0x04; // STORAGE | COPY_DST | COPY_SRC (GPUBufferUsage values; globals may not exist yet at import time)
export const UNIFORM = 0x40 | 0x08; // UNIFORM | COPY_DST

function sizeClass(size: number): number {
  const s = Math.max(256, size);
  const p = 2 ** Math.ceil(Math.log2(s));
  if (p <= 1 << 20) return p;
  const step = p / 16; // 8 classes between p/2 and p
  return Math.ceil(s / step) * step;
}

export class BufferPool {
  private readonly free = new Map<string, GPUBuffer[]>();
  private readonly live = new Set<GPUBuffer>();
  private readonly maxBinding: number;
  private readonly maxBuffer: number;

  constructor(readonly device: GPUDevice) {
    this.maxBinding = Number(device.limits.maxStorageBufferBindingSize);
    this.maxBuffer = Number(device.limits.maxBufferSize);
  }

  /** Bytes held by the pool (live + free). */
  get bytes(): number {
    let n = 0;
    for (const b of this.live) n += b.size;
    for (const l of this.free.values()) for (const b of l) n += b.size;
    return n;
  }

  acquire(size: number, usage: number = STORAGE, label = 'pool'): GPUBuffer {
    if (!(size > 0) || !Number.isFinite(size)) {
      throw new LongreadError('internal', `BufferPool.acquire: invalid size ${size} for "${label}".`, 'Pass a positive byte count.');
    }
    const cls = sizeClass(size);
    const storage = (usage & 0x80) !== 0;
    // A class may round past the binding limit while the request itself fits: fall back to the exact size.
    const alloc = storage && cls > this.maxBinding && size <= this.maxBinding ? Math.ceil(size / 4) * 4 : cls;
    if (storage && size > this.maxBinding) {
      throw new LongreadError('gpu-limit', `Buffer "${label}" needs ${size} bytes, over this GPU's maxStorageBufferBindingSize (${this.maxBinding}).`, 'Split the tensor into several bindings, or use a smaller model / context.', {
        field: 'maxStorageBufferBindingSize',
        size,
        limit: this.maxBinding,
      });
    }
    if (alloc > this.maxBuffer) {
      throw new LongreadError('gpu-limit', `Buffer "${label}" needs ${alloc} bytes, over this GPU's maxBufferSize (${this.maxBuffer}).`, 'Use a smaller model or context.', {
        field: 'maxBufferSize',
        size: alloc,
        limit: this.maxBuffer,
      });
    }
    const key = `${usage}:${alloc}`;
    const list = this.free.get(key);
    const buf = list?.pop() ?? this.device.createBuffer({ size: alloc, usage, label });
    this.live.add(buf);
    return buf;
  }

  release(buf: GPUBuffer): void {
    if (!this.live.delete(buf)) return; // not ours, or released twice
    const key = `${buf.usage}:${buf.size}`;
    let list = this.free.get(key);
    if (!list) this.free.set(key, (list = []));
    list.push(buf);
  }

  /** Destroys the free buffers (live ones stay with their owners). */
  trim(): void {
    for (const l of this.free.values()) for (const b of l) b.destroy();
    this.free.clear();
  }

  dispose(): void {
    this.trim();
    for (const b of this.live) b.destroy();
    this.live.clear();
  }
}

/** Creates a buffer holding `data` (padded to 4 bytes). */
export function gpuBufferFrom(device: GPUDevice, data: ArrayBufferView | ArrayBuffer, usage: number = STORAGE, label = 'data'): GPUBuffer {
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const size = Math.max(4, Math.ceil(bytes.byteLength / 4) * 4);
  const buf = device.createBuffer({ size, usage, label, mappedAtCreation: true });
  new Uint8Array(buf.getMappedRange()).set(bytes);
  buf.unmap();
  return buf;
}

/** Writes `data` at `offset` bytes of `ref` (queue.writeBuffer; byte length padded to 4). */
export function gpuUpload(device: GPUDevice, ref: BufferRef, data: ArrayBufferView, offset = 0): void {
  const b = gpuBinding(ref);
  let bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (bytes.byteLength % 4) {
    const padded = new Uint8Array(Math.ceil(bytes.byteLength / 4) * 4);
    padded.set(bytes);
    bytes = padded;
  }
  device.queue.writeBuffer(b.buffer, (b.offset ?? 0) + offset, bytes as Uint8Array<ArrayBuffer>);
}

/** Reads `size` bytes of `ref` from `offset` (both multiples of 4) back to the CPU. */
export async function gpuReadback(device: GPUDevice, ref: BufferRef, offset = 0, size?: number): Promise<ArrayBuffer> {
  const b = gpuBinding(ref);
  const start = (b.offset ?? 0) + offset;
  const n = size ?? (b.size ?? b.buffer.size - (b.offset ?? 0)) - offset;
  const staging = device.createBuffer({ size: Math.max(4, n), usage: 0x01 | 0x08, label: 'readback' }); // MAP_READ | COPY_DST
  const enc = device.createCommandEncoder({ label: 'readback' });
  enc.copyBufferToBuffer(b.buffer, start, staging, 0, n);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(0x0001); // GPUMapMode.READ
  const out = staging.getMappedRange(0, n).slice(0);
  staging.unmap();
  staging.destroy();
  return out;
}
