/**
 * GGUF fuzzing: 100,000 mutated files (bit flips, byte stores, truncation, huge counts and
 * lengths, unknown types, moved tensor offsets, alignment values) from valid seeds (two
 * hand-written, six random ones covering every value and tensor type). Each parse
 * must end in a typed error or a valid parse; no crash, no parse over 1 s, and no allocation
 * larger than the file: every file-sized allocation of the parser goes through one gate
 * (`Cursor.alloc`) whose per-parse stats are checked here (largest allocation <= file bytes; the
 * estimated heap of the whole parse <= 16x the file, JS arrays costing 8 bytes a slot), and heap
 * growth over each batch of 1000 parses is measured as a backstop.
 */
import { describe, expect, it } from 'vitest';
import { GgmlType } from '../../engine/formats/ggml-types.ts';
import { ggufParse, type GgufParseStats } from '../../engine/formats/gguf-read.ts';
import { ggufSerialize } from '../../engine/formats/gguf-write.ts';
import { quantize } from '../../engine/formats/quant.ts';
import { LongreadError } from '../../engine/errors.ts';
import { randomSpec, xorshift } from './random-spec.ts';

const N = 100_000;

async function seeds(): Promise<Uint8Array[]> {
  const x = Float32Array.from({ length: 512 }, (_, i) => Math.sin(i));
  const a = await ggufSerialize({
    metadata: {
      'general.architecture': 'llama', 'general.alignment': 32, 'llama.block_count': 2,
      'tokenizer.ggml.tokens': ['<s>', 'a', 'b', '▁c'], 'tokenizer.ggml.scores': [0, -1.5, -2.5, -3.5], 'x.u64': 7n, 'x.b': true,
    },
    types: { 'general.alignment': 4 },
    tensors: [
      { name: 'a', dims: [256, 2], type: GgmlType.Q8_0, data: quantize(GgmlType.Q8_0, x) },
      { name: 'b', dims: [256], type: GgmlType.Q4_K, data: quantize(GgmlType.Q4_K, x.subarray(0, 256)) },
      { name: 'c', dims: [32], type: GgmlType.F32, data: quantize(GgmlType.F32, x.subarray(0, 32)) },
    ],
  });
  const b = await ggufSerialize({ metadata: { 'k': 'v', 'arr': [[1, 2], [3]] }, tensors: [{ name: 't', dims: [8, 4], type: GgmlType.F16, data: quantize(GgmlType.F16, x.subarray(0, 32)) }] });
  // Plus random valid files: every metadata value type, nested arrays, every tensor type, alignments 8..256.
  const r = xorshift(31337);
  const rand: Uint8Array[] = [];
  while (rand.length < 6) {
    const spec = randomSpec(r);
    if (spec.tensors.length && Object.keys(spec.metadata).length) rand.push(await ggufSerialize(spec));
  }
  return [a, b, ...rand];
}

function mutate(src: Uint8Array, r: () => number): Uint8Array {
  const pick = Math.floor(r() * 7);
  let b = src.slice();
  const at = () => Math.floor(r() * b.length);
  const dv = () => new DataView(b.buffer);
  switch (pick) {
    case 0: for (let i = 0, n = 1 + Math.floor(r() * 4); i < n; i++) { const p = at(); b[p] = b[p]! ^ (1 << Math.floor(r() * 8)); } break;
    case 1: b = b.slice(0, Math.floor(r() * b.length)); break;
    case 2: { const p = Math.min(at(), b.length - 8); if (p >= 0) dv().setBigUint64(p, [0xffffffffffffffffn, 2n ** 63n, 2n ** 32n, 2n ** 40n + 3n][Math.floor(r() * 4)]!, true); break; }
    case 3: { const p = Math.min(at(), b.length - 4); if (p >= 0) dv().setUint32(p, [13, 99, 0xffffffff, 31, 4, 0, 3, 0x80000000][Math.floor(r() * 8)]!, true); break; }
    case 4: { const p = at(); b[p] = Math.floor(r() * 256); break; }
    case 5: { const p = Math.min(at(), b.length - 8); if (p >= 0) dv().setBigUint64(p, BigInt(Math.floor(r() * 4096)), true); break; }
    default: { const p = at(); b.copyWithin(p, at(), Math.min(b.length, at() + 16)); }
  }
  return b;
}

describe('GGUF fuzzing', () => {
  it(`${N} mutated files each end in a typed error or a valid parse`, async () => {
    const base = await seeds();
    let s = 0x9e3779b9;
    const r = () => { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; return (s >>> 0) / 4294967296; };
    let valid = 0;
    let typed = 0;
    let slowest = 0;
    let maxHeapGrowth = 0;
    let worstRatio = 0;
    for (let batch = 0; batch < N / 1000; batch++) {
      const heap0 = process.memoryUsage().heapUsed;
      for (let i = 0; i < 1000; i++) {
        const input = mutate(base[i % base.length]!, r);
        const t0 = performance.now();
        const stats: GgufParseStats = { largestFileBytes: 0, totalHeapBytes: 0 };
        try {
          const f = ggufParse(input, undefined, stats);
          for (const t of f.tensors) expect(t.offset + t.nbytes).toBeLessThanOrEqual(input.length);
          valid++;
        } catch (e) {
          if (!(e instanceof LongreadError)) throw new Error(`untyped error on mutation ${batch * 1000 + i}: ${String(e)}`, { cause: e });
          typed++;
        }
        slowest = Math.max(slowest, performance.now() - t0);
        if (stats.largestFileBytes > input.length) throw new Error(`mutation ${batch * 1000 + i}: allocation of ${stats.largestFileBytes} bytes in a ${input.length}-byte file`);
        worstRatio = Math.max(worstRatio, stats.totalHeapBytes / Math.max(1, input.length));
      }
      maxHeapGrowth = Math.max(maxHeapGrowth, process.memoryUsage().heapUsed - heap0);
    }
    expect(valid + typed).toBe(N);
    expect(typed).toBeGreaterThan(N / 10);
    expect(slowest).toBeLessThan(1000);
    expect(worstRatio).toBeGreaterThan(0); // the gate saw the allocations
    expect(worstRatio).toBeLessThanOrEqual(16);
    // 1000 parses of <2 KB files: a single allocation "larger than the file" would show as MBs.
    expect(maxHeapGrowth).toBeLessThan(64 << 20);
  });
});
