/**
 * Uploads a model's tensors to the GPU: matrices stay in their GGUF block layout (read as u32
 * words by the matrix kernels), norm weights, biases and rope factors become f32. Streams one
 * tensor at a time from disk (progress per tensor, cancellable between tensors) and turns an
 * out-of-memory into `model-too-large` with a hint.
 *
 * Fused groups: tensors that decode reads with one matrix-vector product each but that could be
 * one product (a layer's q / k / v projections and their biases, ffn_gate / ffn_up) are uploaded
 * back to back into ONE buffer when they share a format and width and each segment ends on the
 * device's storage-offset alignment. Every tensor stays addressable on its own (`tensorRef`: a
 * view at its offset, what prefill's matmuls bind); decode binds the whole run as one taller
 * matrix (`fusedRef`), which saves dispatches per layer. Nothing is copied twice and no extra
 * memory is used; a group that does not qualify is uploaded tensor by tensor as before.
 *
 * Extend: a tensor that needs a different GPU form (e.g. repacked weights) gets a branch in
 * `tensorUpload`; a new fusable group is a `fuseGroups` entry in the model code.
 */

import { LongreadError, throwIfCancelled } from '../errors.ts';
import { STORAGE, type BufferRef } from '../gpu/buffer-pool.ts';
import { WEIGHT_FORMATS, type WeightFormat } from '../kernels/weight-layout.ts';
import { f16BitsToF32 } from '../reference/ops-f16.ts';
import type { ModelFile, TensorInfo } from './model-file.ts';

export interface GpuTensor {
  name: string;
  buffer: GPUBuffer;
  /** GGUF format of a matrix; 'F32' for vectors converted on upload */
  format: WeightFormat;
  dims: number[];
  /** byte offset of this tensor in `buffer` (non-zero only inside a fused group) */
  offset: number;
  /** bytes of this tensor's GPU form */
  bytes: number;
}

/** Slack bytes after each tensor that the matrix kernels may read (unaligned tail reads). */
const TAIL_SLACK = 16;

/** A binding of `bytes` at `offset` of `buffer`, with the tail slack where the buffer has it. */
function bindingView(buffer: GPUBuffer, offset: number, bytes: number): BufferRef {
  return { buffer, offset, size: Math.min(buffer.size - offset, Math.ceil(bytes / 4) * 4 + TAIL_SLACK) };
}

/** Row width of a matrix; 1 for vectors (which stack freely). */
function rowWidth(t: { dims: readonly number[] }): number {
  return t.dims.length > 1 ? t.dims[0]! : 1;
}

/** The tensor as a binding: the whole buffer, or its view inside a fused buffer. */
export function tensorRef(t: GpuTensor): BufferRef {
  if (t.offset === 0 && t.buffer.size <= Math.ceil(t.bytes / 4) * 4 + TAIL_SLACK) return t.buffer;
  return bindingView(t.buffer, t.offset, t.bytes);
}

/**
 * The tensors `ts` as ONE binding of their stacked rows, when they were uploaded as a fused group
 * (same buffer, back to back, in this order); null otherwise.
 */
export function fusedRef(ts: GpuTensor[]): BufferRef | null {
  const first = ts[0]!;
  let end = first.offset;
  for (const t of ts) {
    if (t.buffer !== first.buffer || t.offset !== end || t.format !== first.format || rowWidth(t) !== rowWidth(first)) return null;
    end += t.bytes;
  }
  return bindingView(first.buffer, first.offset, end - first.offset);
}

/** A small tensor (norm weight, bias, rope factors) as f32 (F32, F16, BF16 sources). */
export async function tensorToF32(file: ModelFile, t: TensorInfo): Promise<Float32Array> {
  const raw = await file.read(t.name);
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = new Float32Array(t.elements);
  if (t.type === 'F32') for (let i = 0; i < out.length; i++) out[i] = dv.getFloat32(i * 4, true);
  else if (t.type === 'F16') for (let i = 0; i < out.length; i++) out[i] = f16BitsToF32(dv.getUint16(i * 2, true));
  else if (t.type === 'BF16') {
    const f = new Float32Array(1);
    const u = new Uint32Array(f.buffer);
    for (let i = 0; i < out.length; i++) {
      u[0] = dv.getUint16(i * 2, true) << 16;
      out[i] = f[0]!;
    }
  } else {
    throw new LongreadError('gguf-unsupported', `${file.path}: tensor ${t.name} is ${t.type}; vectors must be F32, F16 or BF16.`, 'Re-convert the model with norm weights and biases in F32.', { file: file.path, field: t.name, type: t.type });
  }
  return out;
}

function isMatrix(t: TensorInfo): boolean {
  return t.dims.filter((d) => d > 1).length >= 2;
}

function bufferFrom(device: GPUDevice, bytes: Uint8Array, label: string): GPUBuffer {
  // rounded to 4 bytes plus slack for the kernels' unaligned tail reads
  const size = Math.ceil(bytes.byteLength / 4) * 4 + 16;
  if (size > Number(device.limits.maxBufferSize)) {
    throw new LongreadError('model-too-large', `Tensor ${label} (${bytes.byteLength} bytes) exceeds this GPU's largest buffer (${device.limits.maxBufferSize} bytes).`, 'Use a smaller model or a smaller quantization (e.g. Q4_K_M).', { field: label, bytes: bytes.byteLength });
  }
  let buf: GPUBuffer;
  try {
    buf = device.createBuffer({ size, usage: STORAGE, label, mappedAtCreation: true });
  } catch (e) {
    // mappedAtCreation allocates on the CPU side at once: failure is a RangeError, not a scope error
    throw new LongreadError('model-too-large', `Tensor ${label} (${bytes.byteLength} bytes) could not be allocated: ${(e as Error).message}`, 'Use a smaller model or a smaller quantization (e.g. Q4_K_M), or close other GPU applications.', { field: label, bytes: bytes.byteLength });
  }
  new Uint8Array(buf.getMappedRange()).set(bytes);
  buf.unmap();
  return buf;
}

export async function tensorUpload(device: GPUDevice, file: ModelFile, t: TensorInfo): Promise<GpuTensor> {
  const { bytes, format } = await gpuBytes(file, t);
  return { name: t.name, buffer: bufferFrom(device, bytes, t.name), format, dims: t.dims, offset: 0, bytes: bytes.byteLength };
}

/** GPU form of a tensor: its GGUF bytes (matrices) or f32 (vectors). */
async function gpuBytes(file: ModelFile, t: TensorInfo): Promise<{ bytes: Uint8Array; format: WeightFormat }> {
  if (isMatrix(t)) {
    if (!WEIGHT_FORMATS.includes(t.type as WeightFormat)) {
      throw new LongreadError('gguf-unsupported', `${file.path}: tensor ${t.name} has type ${t.type}, which has no GPU kernel.`, `Use a model quantized as one of ${WEIGHT_FORMATS.join(', ')} (e.g. Q4_K_M or Q8_0).`, { file: file.path, field: t.name, type: t.type });
    }
    return { bytes: await file.read(t.name), format: t.type as WeightFormat };
  }
  const f = await tensorToF32(file, t);
  return { bytes: new Uint8Array(f.buffer), format: 'F32' };
}

/**
 * Whether `infos` can share one buffer: all matrices of one type and width, or all vectors,
 * every segment but the last a multiple of `align` bytes (so each tensor's view is a legal
 * binding offset), and the whole within one storage binding.
 */
function fusable(infos: TensorInfo[], align: number, maxBinding: number): boolean {
  if (infos.length < 2) return false;
  const m = isMatrix(infos[0]!);
  const gpuSize = (t: TensorInfo) => (m ? t.bytes : t.elements * 4);
  let total = 0;
  for (let i = 0; i < infos.length; i++) {
    const t = infos[i]!;
    if (isMatrix(t) !== m) return false;
    if (m && (t.type !== infos[0]!.type || rowWidth(t) !== rowWidth(infos[0]!))) return false;
    if (i < infos.length - 1 && gpuSize(t) % align !== 0) return false;
    total += gpuSize(t);
  }
  return total + TAIL_SLACK <= maxBinding;
}

async function groupUpload(device: GPUDevice, file: ModelFile, infos: TensorInfo[]): Promise<GpuTensor[]> {
  const parts: { bytes: Uint8Array; format: WeightFormat }[] = [];
  for (const t of infos) parts.push(await gpuBytes(file, t));
  const all = new Uint8Array(parts.reduce((s, p) => s + p.bytes.byteLength, 0));
  let o = 0;
  const offsets = parts.map((p) => {
    all.set(p.bytes, o);
    o += p.bytes.byteLength;
    return o - p.bytes.byteLength;
  });
  const buffer = bufferFrom(device, all, infos.map((t) => t.name).join('+'));
  return infos.map((t, i) => ({ name: t.name, buffer, format: parts[i]!.format, dims: t.dims, offset: offsets[i]!, bytes: parts[i]!.bytes.byteLength }));
}

/**
 * Uploads `names` (all present in the file) in order; each of `fuseGroups` (names, in row order)
 * whose tensors all qualify goes into one shared buffer (see the header). onProgress(bytesDone,
 * bytesTotal) after each tensor or group; `signal` is checked between them. Uploaded buffers are
 * destroyed on failure.
 */
export async function weightsUpload(device: GPUDevice, file: ModelFile, names: string[], onProgress?: (done: number, total: number) => void, signal?: AbortSignal, fuseGroups: string[][] = []): Promise<Map<string, GpuTensor>> {
  const infos = names.map((n) => file.tensors.get(n)!);
  const total = infos.reduce((s, t) => s + t.bytes, 0);
  const align = Number(device.limits.minStorageBufferOffsetAlignment);
  const maxBinding = Number(device.limits.maxStorageBufferBindingSize);
  const groupOf = new Map<string, TensorInfo[]>();
  const wanted = new Set(names);
  for (const g of fuseGroups) {
    const gi = g.map((n) => (wanted.has(n) ? file.tensors.get(n) : undefined));
    if (gi.every((t): t is TensorInfo => t !== undefined) && !gi.some((t) => groupOf.has(t.name)) && fusable(gi, align, maxBinding)) for (const t of gi) groupOf.set(t.name, gi);
  }
  const out = new Map<string, GpuTensor>();
  let done = 0;
  device.pushErrorScope('out-of-memory');
  let scoped = true;
  try {
    for (const t of infos) {
      throwIfCancelled(signal, 'Loading the model');
      if (out.has(t.name)) continue; // uploaded with its group
      const group = groupOf.get(t.name);
      const uploaded = group ? await groupUpload(device, file, group) : [await tensorUpload(device, file, t)];
      for (const u of uploaded) out.set(u.name, u);
      done += (group ?? [t]).reduce((s, x) => s + x.bytes, 0);
      onProgress?.(done, total);
    }
    scoped = false;
    const oom = await device.popErrorScope();
    if (oom) {
      throw new LongreadError('model-too-large', `The model's weights (${total} bytes) do not fit in GPU memory: ${oom.message}`, 'Use a smaller model or a smaller quantization (e.g. Q4_K_M instead of Q8_0), or close other GPU applications.', { weightsBytes: total });
    }
    return out;
  } catch (e) {
    if (scoped) await device.popErrorScope();
    for (const g of out.values()) g.buffer.destroy();
    throw e;
  }
}
