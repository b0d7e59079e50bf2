/**
 * quant.ts against ggml itself: golden vectors written by test/gguf/oracle/gen-golden.ts from
 * node-llama-cpp's libggml-base.so (quantize_row_*_ref and dequantize_row_* on a fixed input with
 * edge-case blocks, on a wide sweep of scales and shapes, and on random blocks). Dequantizers must match bit for bit; quantizers must
 * produce the same bytes as llama.cpp (for the formats QUANTIZABLE lists).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ggmlTypeInfo, type GgmlType } from '../../engine/formats/ggml-types.ts';
import { dequantize, QUANTIZABLE, quantize } from '../../engine/formats/quant.ts';
import { goldenInput, goldenInputWide, SPECIALS } from './oracle/golden-input.ts';

interface Golden {
  type: GgmlType; quantized: string; dequantizedSha256: string; randomBlocks: string; randomDequantizedSha256: string; wideQuantizedSha256: string;
}
const golden = JSON.parse(readFileSync(path.join(__dirname, 'fixtures', 'ggml-golden.json'), 'utf8')) as { types: Record<string, Golden> };
const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));
const sha = (f: Float32Array | Uint8Array) => createHash('sha256').update(new Uint8Array(f.buffer, f.byteOffset, f.byteLength)).digest('hex');
const x = goldenInput();
const wide = goldenInputWide();
const inputFor = (name: string) => (name === 'f16' || name === 'bf16' ? Float32Array.from([...x, ...SPECIALS]) : x);

describe('quant.ts against ggml (golden vectors)', () => {
  const cases = Object.entries(golden.types);
  it('covers the 21 formats', () => expect(cases.length).toBe(21));

  it.each(cases)('%s dequantizes exactly as dequantize_row_*', (_name, g) => {
    const { blockSize } = ggmlTypeInfo(g.type);
    const q = bytes(g.quantized);
    const rb = bytes(g.randomBlocks);
    expect(sha(dequantize(g.type, q, inputFor(_name).length))).toBe(g.dequantizedSha256);
    expect(sha(dequantize(g.type, rb, (rb.length / ggmlTypeInfo(g.type).typeSize) * blockSize))).toBe(g.randomDequantizedSha256);
  });

  it.each(cases.filter(([, g]) => QUANTIZABLE.includes(g.type)))('%s quantizes to the bytes of quantize_row_*_ref', (name, g) => {
    const ours = quantize(g.type, inputFor(name));
    const want = bytes(g.quantized);
    expect(ours.length).toBe(want.length);
    const { typeSize } = ggmlTypeInfo(g.type);
    const bad: number[] = [];
    for (let i = 0; i < want.length; i++) if (ours[i] !== want[i] && !bad.includes(Math.floor(i / typeSize))) bad.push(Math.floor(i / typeSize));
    expect(bad, `blocks differing from ggml`).toEqual([]);
    expect(sha(quantize(g.type, wide)), 'wide sweep').toBe(g.wideQuantizedSha256);
  });
});
