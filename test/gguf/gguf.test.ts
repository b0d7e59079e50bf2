/**
 * GGUF reader/writer round trips, a cross-check against @huggingface/gguf, and the block
 * formats: dequantizers against an independent transcription (test/kernels/weights-ref.ts),
 * quantizers' round-trip error per format, f16/bf16 conversions.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gguf as hfGguf } from '@huggingface/gguf';
import { GgmlType, ggmlTypeInfo, ggmlTypeName } from '../../engine/formats/ggml-types.ts';
import { GgufValueType, ggufOpen, ggufParse } from '../../engine/formats/gguf-read.ts';
import { ggufSerialize, ggufWrite } from '../../engine/formats/gguf-write.ts';
import { DEQUANTIZABLE, QUANTIZABLE, dequantize, f16ToF32, f32ToBf16, f32ToF16, bf16ToF32, quantize } from '../../engine/formats/quant.ts';
import { randomBlocks } from '../../engine/formats/quant-random.ts';
import { randomSpec, xorshift } from './random-spec.ts';
import { randomWeights } from '../kernels/weights-ref.ts';
import type { WeightFormat } from '../../engine/kernels/weight-layout.ts';
import { LongreadError } from '../../engine/errors.ts';

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

describe('GGUF round trip', () => {
  it('keeps every metadata type, nested arrays and tensors', async () => {
    const r = rng(7);
    const f32 = new Float32Array(64).map(() => r() - 0.5);
    const spec = {
      metadata: {
        'general.architecture': 'llama',
        'a.u8': 200, 'a.i8': -5, 'a.u16': 60000, 'a.i16': -300, 'a.u32': 4000000000, 'a.i32': -7, 'a.f32': 1.5,
        'a.bool': true, 'a.str': 'héllo ▁ 世界', 'a.u64': 2n ** 40n, 'a.i64': -(2n ** 40n), 'a.f64': Math.PI,
        'a.arr_str': ['x', '', 'zz'], 'a.arr_f32': [0.5, -1.25], 'a.nested': [[1, 2], [3]], 'a.empty': [],
      },
      types: {
        'a.u8': GgufValueType.UINT8, 'a.i8': GgufValueType.INT8, 'a.u16': GgufValueType.UINT16, 'a.i16': GgufValueType.INT16,
        'a.i32': GgufValueType.INT32, 'a.f32': GgufValueType.FLOAT32, 'a.f64': GgufValueType.FLOAT64,
        'a.nested': { array: { array: GgufValueType.UINT8 } },
      },
      tensors: [
        { name: 'w', dims: [64], type: GgmlType.F32, data: new Uint8Array(f32.buffer) },
        { name: 'q', dims: [32, 2], type: GgmlType.Q8_0, data: quantize(GgmlType.Q8_0, f32) },
      ],
    };
    const bytes = await ggufSerialize(spec);
    const f = ggufParse(bytes);
    expect(f.version).toBe(3);
    for (const [k, v] of Object.entries(spec.metadata)) {
      if (k === 'a.f32') expect(f.metadata[k]).toBeCloseTo(1.5);
      else expect(f.metadata[k]).toEqual(v);
    }
    expect(f.metadataTypes['a.nested']).toEqual({ array: { array: GgufValueType.UINT8 } });
    expect(f.tensors.map((t) => [t.name, t.dims, t.type, t.nbytes])).toEqual([['w', [64], 0, 256], ['q', [32, 2], 8, 68]]);
    expect(f.tensors.every((t) => t.offset % f.alignment === 0)).toBe(true);
    // Re-serialising with the read types reproduces the same bytes.
    const again = await ggufSerialize({ metadata: f.metadata, types: f.metadataTypes, tensors: f.tensors.map((t) => ({ ...t, data: bytes.slice(t.offset, t.offset + t.nbytes) })) });
    expect(Buffer.from(again).equals(Buffer.from(bytes))).toBe(true);
  });

  it('streams to disk atomically, reads lazily, and agrees with @huggingface/gguf', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'gguf-'));
    const file = path.join(dir, 'm.gguf');
    const data = new Float32Array(1024).map((_, i) => i / 7);
    await ggufWrite(file, { metadata: { 'general.architecture': 'llama', 'llama.context_length': 4096 }, tensors: [{ name: 'a', dims: [32, 32], type: GgmlType.F32, data: () => new Uint8Array(data.buffer) }], alignment: 64 });
    const f = await ggufOpen(file);
    expect(f.alignment).toBe(64);
    const t = await f.readTensor(f.tensors[0]!);
    expect(new Float32Array(t.buffer)[100]).toBeCloseTo(100 / 7);
    await expect(f.readRange(f.fileSize - 4, 8)).rejects.toMatchObject({ code: 'gguf-invalid' });
    await f.close();
    await f.close(); // idempotent
    await expect(f.readTensor(f.tensors[0]!)).rejects.toMatchObject({ code: 'io-error' });
    const hf = await hfGguf(file, { allowLocalFile: true });
    expect(Number((hf.metadata as Record<string, unknown>)['llama.context_length'])).toBe(4096);
    expect(hf.tensorInfos.map((x) => [x.name, x.shape.map(Number), Number(x.offset) + f.dataOffset])).toEqual(f.tensors.map((x) => [x.name, x.dims, x.offset]));
    await rm(dir, { recursive: true, force: true });
  });

  it('reads version 2 files (same layout as v3) and names big-endian files', async () => {
    const bytes = await ggufSerialize({ metadata: { 'general.architecture': 'llama', k: 7 }, tensors: [{ name: 't', dims: [4], type: GgmlType.F32, data: new Uint8Array(16) }] });
    new DataView(bytes.buffer).setUint32(4, 2, true);
    const f = ggufParse(bytes);
    expect([f.version, f.metadata.k, f.tensors[0]!.nElements]).toEqual([2, 7, 4]);
    new DataView(bytes.buffer).setUint32(4, 3, false);
    const e = (() => { try { ggufParse(bytes); } catch (x) { return x as LongreadError; } })();
    expect([e?.code, e?.message.includes('big-endian')]).toEqual(['gguf-unsupported', true]);
  });

  it('grows its header window past 4 MiB when metadata is that large', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'gguf-'));
    const file = path.join(dir, 'big.gguf');
    const tokens = Array.from({ length: 5000 }, (_, i) => `tok${i}_${'é'.repeat(500 + (i % 13))}`);
    await ggufWrite(file, { metadata: { 'tokenizer.ggml.tokens': tokens }, tensors: [{ name: 'w', dims: [32], type: GgmlType.F32, data: new Uint8Array(128) }] });
    const f = await ggufOpen(file);
    expect(f.dataOffset).toBeGreaterThan(4 << 20);
    expect((f.metadata['tokenizer.ggml.tokens'] as string[])[4999]).toBe(tokens[4999]);
    expect((await f.readTensor(f.tensors[0]!)).length).toBe(128);
    await f.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('infers wide integer array types and refuses values that would wrap', async () => {
    const f = ggufParse(await ggufSerialize({ metadata: { a: [1, 3e9], b: [-1, 2 ** 40], c: [-5, 7] }, tensors: [] }));
    expect([f.metadataTypes.a, f.metadataTypes.b, f.metadataTypes.c]).toEqual([{ array: GgufValueType.UINT32 }, { array: GgufValueType.INT64 }, { array: GgufValueType.INT32 }]);
    expect([f.metadata.a, f.metadata.b]).toEqual([[1, 3e9], [-1n, 2n ** 40n]]);
    await expect(ggufSerialize({ metadata: { x: 300 }, types: { x: GgufValueType.UINT8 }, tensors: [] })).rejects.toThrow(/does not fit UINT8/);
    await expect(ggufSerialize({ metadata: { x: [1.5] }, types: { x: { array: GgufValueType.INT32 } }, tensors: [] })).rejects.toThrow(/does not fit INT32/);
  });

  it('round-trips 300 random files (every value type, every tensor type, alignments 8..256) byte for byte', async () => {
    const r = xorshift(2024);
    for (let i = 0; i < 300; i++) {
      const spec = randomSpec(r);
      const bytes = await ggufSerialize(spec);
      const f = ggufParse(bytes);
      expect(f.alignment).toBe(spec.alignment);
      for (const [k, v] of Object.entries(spec.metadata)) {
        expect(f.metadata[k], k).toEqual(v);
        // An empty array of arrays cannot say its inner element type: it reads as { array: ARRAY }.
        const want = Array.isArray(v) && v.length === 0 && typeof (spec.types![k] as { array: unknown }).array === 'object' ? { array: GgufValueType.ARRAY } : spec.types![k];
        expect(f.metadataTypes[k], k).toEqual(want);
      }
      expect(f.tensors.map((t) => [t.name, t.dims, t.type])).toEqual(spec.tensors.map((t) => [t.name, t.dims, t.type]));
      for (let j = 0; j < f.tensors.length; j++) {
        const t = f.tensors[j]!;
        expect(Buffer.from(bytes.subarray(t.offset, t.offset + t.nbytes)).equals(Buffer.from(spec.tensors[j]!.data as Uint8Array))).toBe(true);
      }
      const again = await ggufSerialize({ metadata: f.metadata, types: f.metadataTypes, alignment: f.alignment, tensors: f.tensors.map((t) => ({ ...t, data: bytes.slice(t.offset, t.offset + t.nbytes) })) });
      expect(Buffer.from(again).equals(Buffer.from(bytes))).toBe(true);
    }
  });

  it('agrees with @huggingface/gguf on 20 random files', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'gguf-hf-'));
    const r = xorshift(77);
    const norm = (v: unknown): unknown => (typeof v === 'bigint' ? v.toString() : Array.isArray(v) ? v.map(norm) : v);
    for (let i = 0; i < 20; i++) {
      const file = path.join(dir, `r${i}.gguf`);
      await ggufWrite(file, randomSpec(r));
      const f = await ggufOpen(file);
      await f.close();
      const hf = await hfGguf(file, { allowLocalFile: true });
      const hm = hf.metadata as Record<string, unknown>;
      for (const [k, v] of Object.entries(f.metadata)) expect(norm(hm[k]), k).toEqual(norm(v));
      expect(hf.tensorInfos.map((x) => [x.name, x.shape.map(Number), Number(x.dtype), Number(x.offset) + f.dataOffset]))
        .toEqual(f.tensors.map((x) => [x.name, x.dims, x.type, x.offset]));
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('reports a missing file or a directory as a typed error', async () => {
    const e = await ggufOpen('/nonexistent/x.gguf').catch((x: unknown) => x);
    expect((e as LongreadError).code).toBe('io-error');
    const d = await ggufOpen(os.tmpdir()).catch((x: unknown) => x);
    expect((d as LongreadError).code).toBe('io-error');
  });
});

describe('block formats', () => {
  const FORMATS: WeightFormat[] = ['Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q8_0', 'Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K', 'F16', 'BF16', 'F32'];
  it.each(FORMATS)('%s dequantizes like the independent reference', (fmt) => {
    const r = rng(fmt.length * 31 + 5);
    const harnessRng = { next: r, normal: (n: number) => Float32Array.from({ length: n }, () => (r() + r() + r() - 1.5) * 1.4), u32: (n: number) => Uint32Array.from({ length: n }, () => Math.floor(r() * 2 ** 32)) };
    const w = randomWeights(fmt, 3, 512, harnessRng as never);
    const t = GgmlType[fmt as keyof typeof GgmlType];
    const ours = dequantize(t, w.bytes, 3 * 512);
    for (let i = 0; i < ours.length; i++) expect(ours[i]).toBe(w.values[i]);
  });

  // Relative squared error on gaussian-ish data, ~1.4x what ggml's reference quantizers reach.
  const BOUNDS: Partial<Record<GgmlType, number>> = {
    [GgmlType.F32]: 0, [GgmlType.F16]: 1e-7, [GgmlType.BF16]: 4e-6, [GgmlType.Q8_0]: 3.5e-5, [GgmlType.Q4_0]: 9.5e-3,
    [GgmlType.Q4_1]: 8e-3, [GgmlType.Q5_0]: 2.4e-3, [GgmlType.Q5_1]: 2e-3, [GgmlType.Q2_K]: 0.12, [GgmlType.Q3_K]: 3e-2,
    [GgmlType.Q4_K]: 6.6e-3, [GgmlType.Q5_K]: 1.6e-3, [GgmlType.Q6_K]: 4.2e-4,
  };
  it.each(QUANTIZABLE.map((t) => [ggmlTypeName(t), t] as const))('%s quantizes within its error bound', (_n, t) => {
    const r = rng(t + 11);
    const n = 256 * 8;
    const x = Float32Array.from({ length: n }, () => (r() + r() + r() + r() - 2) * 0.8);
    const q = quantize(t, x);
    const { blockSize, typeSize } = ggmlTypeInfo(t);
    expect(q.length).toBe((n / blockSize) * typeSize);
    const y = dequantize(t, q, n);
    let err = 0;
    let pow = 0;
    for (let i = 0; i < n; i++) { err += (x[i]! - y[i]!) ** 2; pow += x[i]! ** 2; }
    expect(err / pow).toBeLessThanOrEqual(BOUNDS[t]!);
  });

  it('matches ggml on known Q8_0 and Q4_0 bytes', () => {
    const x = Float32Array.from({ length: 32 }, (_, i) => (i - 16) / 4);
    const q8 = quantize(GgmlType.Q8_0, x);
    // amax = 4, d = 4/127 -> f16 0x2808; x=-4 -> -127
    expect(q8[0]! | (q8[1]! << 8)).toBe(f32ToF16(4 / 127));
    expect((q8[2]! << 24) >> 24).toBe(-127);
    const q4 = quantize(GgmlType.Q4_0, x);
    // max by magnitude is -4 -> d = 0.5; -4 * (1/0.5) + 8.5 = 0.5 -> 0
    expect(f16ToF32(q4[0]! | (q4[1]! << 8))).toBe(0.5);
    expect(q4[2]! & 15).toBe(0);
  });

  it.each(DEQUANTIZABLE.map((t) => [ggmlTypeName(t), t] as const))('%s random blocks are valid with moderate values', (_n, t) => {
    const r = rng(t * 7 + 3);
    const { blockSize, typeSize } = ggmlTypeInfo(t);
    const nBlocks = Math.max(1, 1024 / blockSize);
    const b = randomBlocks(t, nBlocks, r);
    expect(b.length).toBe(nBlocks * typeSize);
    const y = dequantize(t, b, nBlocks * blockSize);
    let maxAbs = 0;
    const distinct = new Set<number>();
    for (const v of y) { expect(Number.isFinite(v)).toBe(true); maxAbs = Math.max(maxAbs, Math.abs(v)); distinct.add(v); }
    expect(maxAbs).toBeGreaterThan(1e-3);
    expect(maxAbs).toBeLessThan(64);
    expect(distinct.size).toBeGreaterThan(8);
  });

  it('random blocks exist for every known type, with the block size of bytes', () => {
    const r = rng(99);
    for (const t of Object.values(GgmlType).filter((v): v is GgmlType => typeof v === 'number')) {
      expect(randomBlocks(t, 3, r).length).toBe(3 * ggmlTypeInfo(t).typeSize);
    }
    // Q8_K keeps its block sums consistent with its quants.
    const q = randomBlocks(GgmlType.Q8_K, 1, r);
    const dv = new DataView(q.buffer);
    let s0 = 0;
    for (let j = 0; j < 16; j++) s0 += dv.getInt8(4 + j);
    expect(dv.getInt16(260, true)).toBe(s0);
  });

  it('converts f16 and bf16 exactly at the edges', () => {
    expect(f32ToF16(65504)).toBe(0x7bff);
    expect(f32ToF16(65520)).toBe(0x7c00); // rounds to inf
    expect(f32ToF16(2 ** -24)).toBe(1); // smallest subnormal
    expect(f32ToF16(-0)).toBe(0x8000);
    expect(Number.isNaN(f16ToF32(f32ToF16(NaN)))).toBe(true);
    expect(f32ToBf16(1)).toBe(0x3f80);
    expect(bf16ToF32(f32ToBf16(3.140625))).toBe(3.140625);
    for (const t of DEQUANTIZABLE) expect(ggmlTypeInfo(t).typeSize).toBeGreaterThan(0);
  });
});
