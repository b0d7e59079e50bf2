/**
 * Uploads a model's tensors to the GPU: matrices stay in their GGUF block layout (read as u32
 * words by the matrix kernels), norm weights, biases and rope factors become f32. Streams one
 * tensor at a time from disk (progress per tensor, cancellable between tensors) and turns an
 * out-of-memory into `model-too-large` with a hint.
 *
 * Extend: a tensor that needs a different GPU form (e.g. repacked weights) gets a branch in
 * `tensorUpload`.
 */

import { LongreadError, throwIfCancelled } from '../errors.ts';
import { STORAGE } from '../gpu/buffer-pool.ts';
import { WEIGHT_FORMATS, type WeightFormat } from '../kernels/weight-layout.ts';
import { f16BitsToF32 } from '../reference/ops-f16.ts';
import type { ModelFile, TensorInfo } from './model-file.ts';

export interface GpuTensor {
  name: string;
  buffer: GPUBuffer;
  /** GGUF format of a matrix; 'F32' for vectors converted on upload */
  format: WeightFormat;
  dims: number[];
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
  if (isMatrix(t)) {
    if (!WEIGHT_FORMATS.includes(t.type as WeightFormat)) {
      throw new LongreadError('gguf-unsupported', `${file.path}: tensor ${t.name} has type ${t.type}, which has no GPU kernel.`, `Use a model quantized as one of ${WEIGHT_FORMATS.join(', ')} (e.g. Q4_K_M or Q8_0).`, { file: file.path, field: t.name, type: t.type });
    }
    return { name: t.name, buffer: bufferFrom(device, await file.read(t.name), t.name), format: t.type as WeightFormat, dims: t.dims };
  }
  const f = await tensorToF32(file, t);
  return { name: t.name, buffer: bufferFrom(device, new Uint8Array(f.buffer), t.name), format: 'F32', dims: t.dims };
}

/**
 * Uploads `names` (all present in the file) in order. onProgress(bytesDone, bytesTotal) after
 * each tensor; `signal` is checked between tensors. Uploaded buffers are destroyed on failure.
 */
export async function weightsUpload(device: GPUDevice, file: ModelFile, names: string[], onProgress?: (done: number, total: number) => void, signal?: AbortSignal): Promise<Map<string, GpuTensor>> {
  const infos = names.map((n) => file.tensors.get(n)!);
  const total = infos.reduce((s, t) => s + t.bytes, 0);
  const out = new Map<string, GpuTensor>();
  let done = 0;
  device.pushErrorScope('out-of-memory');
  let scoped = true;
  try {
    for (const t of infos) {
      throwIfCancelled(signal, 'Loading the model');
      out.set(t.name, await tensorUpload(device, file, t));
      done += t.bytes;
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
