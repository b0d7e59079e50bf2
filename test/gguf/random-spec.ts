/**
 * Random valid GGUF specs for property tests and fuzz seeds: every metadata value type (nested
 * arrays included, with their exact types), and tensors of every ggml type with random valid
 * blocks, random dims and an alignment of 8..256.
 */
import { GgmlType, ggmlTypeInfo } from '../../engine/formats/ggml-types.ts';
import { GgufValueType, type GgufTypeSpec, type GgufValue } from '../../engine/formats/gguf-read.ts';
import type { GgufSpec } from '../../engine/formats/gguf-write.ts';
import { randomBlocks } from '../../engine/formats/quant-random.ts';

export type Rng = () => number;

export function xorshift(seed: number): Rng {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; return (s >>> 0) / 4294967296; };
}

const SCALARS = [
  GgufValueType.UINT8, GgufValueType.INT8, GgufValueType.UINT16, GgufValueType.INT16, GgufValueType.UINT32, GgufValueType.INT32,
  GgufValueType.FLOAT32, GgufValueType.BOOL, GgufValueType.STRING, GgufValueType.UINT64, GgufValueType.INT64, GgufValueType.FLOAT64,
];
const CHARS = ['a', 'Z', ' ', '▁', 'é', '世', '😀', '\n', '\u0000', '<', '|'];

function scalar(t: GgufValueType, r: Rng): GgufValue {
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  switch (t) {
    case GgufValueType.UINT8: return int(0, 255);
    case GgufValueType.INT8: return int(-128, 127);
    case GgufValueType.UINT16: return int(0, 65535);
    case GgufValueType.INT16: return int(-32768, 32767);
    case GgufValueType.UINT32: return int(0, 0xffffffff);
    case GgufValueType.INT32: return int(-0x80000000, 0x7fffffff);
    case GgufValueType.FLOAT32: return Math.fround((r() - 0.5) * 10 ** int(-5, 5));
    case GgufValueType.FLOAT64: return (r() - 0.5) * 10 ** int(-50, 50);
    case GgufValueType.BOOL: return r() < 0.5;
    case GgufValueType.UINT64: return BigInt(int(0, 0xffffffff)) * BigInt(int(0, 0xffffffff));
    case GgufValueType.INT64: return BigInt(int(-0x7fffffff, 0x7fffffff)) * BigInt(int(0, 0xffffffff));
    default: return Array.from({ length: int(0, 12) }, () => CHARS[int(0, CHARS.length - 1)]).join('');
  }
}

function value(r: Rng, depth: number): { v: GgufValue; t: GgufTypeSpec } {
  if (depth < 2 && r() < 0.3) {
    const inner = r() < 0.25 && depth < 1 ? null : SCALARS[Math.floor(r() * SCALARS.length)]!;
    const n = Math.floor(r() * 6);
    if (inner === null) {
      // array of arrays: all inner arrays share one element type (GGUF stores it per array)
      const et = SCALARS[Math.floor(r() * SCALARS.length)]!;
      return { v: Array.from({ length: n }, () => Array.from({ length: Math.floor(r() * 4) }, () => scalar(et, r))), t: { array: { array: et } } };
    }
    return { v: Array.from({ length: n }, () => scalar(inner, r)), t: { array: inner } };
  }
  const t = SCALARS[Math.floor(r() * SCALARS.length)]!;
  return { v: scalar(t, r), t };
}

const TYPES = Object.values(GgmlType).filter((v): v is GgmlType => typeof v === 'number');

export function randomSpec(r: Rng): GgufSpec {
  const metadata: Record<string, GgufValue> = {};
  const types: Record<string, GgufTypeSpec> = {};
  const nKv = Math.floor(r() * 10);
  for (let i = 0; i < nKv; i++) {
    const { v, t } = value(r, 0);
    const key = `k${i}.${scalar(GgufValueType.STRING, r) as string}`;
    metadata[key] = v;
    types[key] = t;
  }
  const nT = Math.floor(r() * 5);
  const tensors = Array.from({ length: nT }, (_, i) => {
    const type = TYPES[Math.floor(r() * TYPES.length)]!;
    const { blockSize } = ggmlTypeInfo(type);
    const nd = 1 + Math.floor(r() * 4);
    const dims = [blockSize * (1 + Math.floor(r() * 3)), ...Array.from({ length: nd - 1 }, () => 1 + Math.floor(r() * 3))];
    const nBlocks = dims.reduce((a, b) => a * b, 1) / blockSize;
    return { name: `t${i}.${'x'.repeat(Math.floor(r() * 5))}`, dims, type, data: randomBlocks(type, nBlocks, r) };
  });
  return { metadata, types, tensors, alignment: 2 ** (3 + Math.floor(r() * 6)) };
}
