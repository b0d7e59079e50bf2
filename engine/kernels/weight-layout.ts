/**
 * Weight formats the matrix kernels read in their GGUF block layout, and how a tensor larger
 * than one storage binding is split by rows into several bindings (one dispatch each).
 *
 * `weightFormatLayout(fmt)` gives weights per block and bytes per block (ggml-common.h);
 * `weightSplit(...)` cuts [rows x cols] into row ranges whose bytes fit
 * maxStorageBufferBindingSize and whose offsets honour minStorageBufferOffsetAlignment.
 * Also registers the WGSL includes the matrix shaders use (common/quant*.wgsl).
 *
 * Extend: a new format = one row in LAYOUTS + one `#if FMT == ...` block in
 * shaders/common/quant.wgsl + the CPU reference in engine/formats/quant.ts.
 */

import { LongreadError } from '../errors.ts';
import type { BufferRef } from '../gpu/buffer-pool.ts';
import { wgslRegister } from '../gpu/wgsl-loader.ts';
import quantBytes from '../../shaders/common/quant-bytes.wgsl';
import quant from '../../shaders/common/quant.wgsl';
import quantDot from '../../shaders/common/quant-dot.wgsl';

wgslRegister('common/quant-bytes.wgsl', quantBytes);
wgslRegister('common/quant.wgsl', quant);
wgslRegister('common/quant-dot.wgsl', quantDot);

export type WeightFormat = 'F32' | 'F16' | 'BF16' | 'Q4_0' | 'Q4_1' | 'Q5_0' | 'Q5_1' | 'Q8_0' | 'Q2_K' | 'Q3_K' | 'Q4_K' | 'Q5_K' | 'Q6_K';

export interface WeightFormatLayout {
  /** Weights per block (1 for float formats). */
  blockWeights: number;
  /** Bytes per block. */
  blockBytes: number;
  /** Float formats allow any row length; quantized rows are whole blocks. */
  float: boolean;
}

const LAYOUTS: Record<WeightFormat, WeightFormatLayout> = {
  F32: { blockWeights: 1, blockBytes: 4, float: true },
  F16: { blockWeights: 1, blockBytes: 2, float: true },
  BF16: { blockWeights: 1, blockBytes: 2, float: true },
  Q4_0: { blockWeights: 32, blockBytes: 18, float: false },
  Q4_1: { blockWeights: 32, blockBytes: 20, float: false },
  Q5_0: { blockWeights: 32, blockBytes: 22, float: false },
  Q5_1: { blockWeights: 32, blockBytes: 24, float: false },
  Q8_0: { blockWeights: 32, blockBytes: 34, float: false },
  Q2_K: { blockWeights: 256, blockBytes: 84, float: false },
  Q3_K: { blockWeights: 256, blockBytes: 110, float: false },
  Q4_K: { blockWeights: 256, blockBytes: 144, float: false },
  Q5_K: { blockWeights: 256, blockBytes: 176, float: false },
  Q6_K: { blockWeights: 256, blockBytes: 210, float: false },
};

export const WEIGHT_FORMATS = Object.keys(LAYOUTS) as WeightFormat[];

export function weightFormatLayout(fmt: WeightFormat): WeightFormatLayout {
  const l = LAYOUTS[fmt];
  if (!l) throw new LongreadError('gguf-unsupported', `Weight format ${String(fmt)} has no GPU kernel.`, `Use one of ${WEIGHT_FORMATS.join(', ')}.`);
  return l;
}

/** Bytes of one row of `cols` weights; throws when cols is not a whole number of blocks. */
export function weightRowBytes(fmt: WeightFormat, cols: number): number {
  const l = weightFormatLayout(fmt);
  if (!(cols > 0) || cols % l.blockWeights) {
    throw new LongreadError('gguf-invalid', `A ${fmt} row of ${cols} weights is not a whole number of ${l.blockWeights}-weight blocks.`, 'The tensor shape does not match its type; the file is malformed.', {
      format: fmt,
      cols,
    });
  }
  return (cols / l.blockWeights) * l.blockBytes;
}

/** A row range of a weight tensor held by one buffer (the runtime may upload a tensor in parts). */
export interface WeightPart {
  buffer: GPUBuffer;
  /** Byte offset of the part's first row in `buffer` (a multiple of minStorageBufferOffsetAlignment). */
  offset?: number;
  rows: number;
}

/** One binding's worth of rows: bind `buffer` at [offset, offset + size), rows [rowStart, rowStart + rows). */
export interface WeightSlice {
  buffer: GPUBuffer;
  offset: number;
  size: number;
  rowStart: number;
  rows: number;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * Splits a weight tensor (one BufferRef, or parts in row order) into slices that each fit one
 * storage binding. Binding sizes are rounded up to 4 bytes (plus up to 8 slack bytes for the
 * shaders' unaligned reads) within the buffer.
 */
export function weightSplit(
  fmt: WeightFormat,
  rows: number,
  cols: number,
  weight: BufferRef | WeightPart[],
  limits: { maxStorageBufferBindingSize: number; minStorageBufferOffsetAlignment: number },
): WeightSlice[] {
  const rowBytes = weightRowBytes(fmt, cols);
  const align = limits.minStorageBufferOffsetAlignment;
  const parts: WeightPart[] = Array.isArray(weight)
    ? weight
    : isGpuBuffer(weight)
      ? [{ buffer: weight, offset: 0, rows }]
      : [{ buffer: weight.buffer, offset: weight.offset ?? 0, rows }];
  const total = parts.reduce((n, p) => n + p.rows, 0);
  if (total !== rows) throw new LongreadError('internal', `Weight parts hold ${total} rows, the tensor has ${rows}.`, 'Pass parts that cover the tensor exactly, in row order.');
  // Rows per slice: fits the binding, and every slice start stays offset-aligned.
  const step = align / gcd(rowBytes, align);
  const fit = Math.floor((limits.maxStorageBufferBindingSize - 16) / rowBytes);
  const perSlice = Math.floor(fit / step) * step;
  if (perSlice < 1) {
    throw new LongreadError('gpu-limit', `One ${fmt} weight row of ${cols} columns (${rowBytes * step} bytes per aligned group) does not fit a storage binding.`, 'This GPU cannot run this model.', { rowBytes, maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize });
  }
  const out: WeightSlice[] = [];
  let rowStart = 0;
  for (const p of parts) {
    const base = p.offset ?? 0;
    if (base % align) throw new LongreadError('internal', `Weight part offset ${base} is not a multiple of ${align}.`, 'Upload each part at an aligned offset.');
    for (let r = 0; r < p.rows; r += perSlice) {
      const n = Math.min(perSlice, p.rows - r);
      const offset = base + r * rowBytes;
      const need = Math.ceil((n * rowBytes) / 4) * 4;
      if (offset + need > p.buffer.size) {
        throw new LongreadError('internal', `Weight buffer of ${p.buffer.size} bytes is too small for rows ${rowStart}..${rowStart + n} at offset ${offset}.`, 'Allocate weight buffers rounded up to 4 bytes.');
      }
      const size = Math.min(need + 8, Math.floor((p.buffer.size - offset) / 4) * 4, Math.floor(limits.maxStorageBufferBindingSize / 4) * 4);
      out.push({ buffer: p.buffer, offset, size, rowStart, rows: n });
      rowStart += n;
    }
  }
  return out;
}

/** A bare GPUBuffer (vs a { buffer, offset, size } ref); GPUBuffer is a global only once Dawn is loaded. */
export function isGpuBuffer(r: BufferRef): r is GPUBuffer {
  return 'mapAsync' in r;
}
