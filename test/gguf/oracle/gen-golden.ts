/**
 * Writes test/gguf/fixtures/ggml-golden.json: ggml's own quantizers (quantize_row_*_ref, what
 * llama-quantize runs without an imatrix) and dequantizers (dequantize_row_*) applied to a fixed
 * input, a wide sweep of scales (compared by hash) and random blocks, run through ggml-oracle.c against node-llama-cpp's libggml-base.so.
 * The tests compare quant.ts with it byte for byte (CI needs neither gcc nor the peer for that).
 *
 * Usage: bash tools/peer/install.sh && npx tsx test/gguf/oracle/gen-golden.ts
 * Extend: add a type to TYPES (its ggml row-function suffix) and regenerate.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GgmlType, ggmlTypeInfo } from '../../../engine/formats/ggml-types.ts';
import { randomBlocks } from '../../../engine/formats/quant-random.ts';
import { goldenInput, goldenInputWide, SPECIALS } from './golden-input.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..', '..');
const libDir = path.join(root, '.peer', 'node_modules', '@node-llama-cpp', 'linux-x64', 'bins', 'linux-x64');
const lib = path.join(libDir, 'libggml-base.so');
const exe = path.join(os.tmpdir(), `ggml-oracle-${process.pid}`);
execFileSync('gcc', ['-O1', '-o', exe, path.join(here, 'ggml-oracle.c'), '-ldl']);

const TYPES: [GgmlType, string][] = [
  [GgmlType.F16, 'f16'], [GgmlType.BF16, 'bf16'], [GgmlType.Q4_0, 'q4_0'], [GgmlType.Q4_1, 'q4_1'], [GgmlType.Q5_0, 'q5_0'],
  [GgmlType.Q5_1, 'q5_1'], [GgmlType.Q8_0, 'q8_0'], [GgmlType.Q2_K, 'q2_K'], [GgmlType.Q3_K, 'q3_K'], [GgmlType.Q4_K, 'q4_K'],
  [GgmlType.Q5_K, 'q5_K'], [GgmlType.Q6_K, 'q6_K'], [GgmlType.IQ4_NL, 'iq4_nl'], [GgmlType.IQ4_XS, 'iq4_xs'],
  [GgmlType.MXFP4, 'mxfp4'], [GgmlType.TQ1_0, 'tq1_0'], [GgmlType.TQ2_0, 'tq2_0'], [GgmlType.Q8_K, 'q8_K'],
  [GgmlType.NVFP4, 'nvfp4'], [GgmlType.Q1_0, 'q1_0'], [GgmlType.Q2_0, 'q2_0'],
];

function oracle(mode: 'q' | 'd', type: string, n: number, input: Uint8Array, outBytes: number): Uint8Array {
  const out = execFileSync(exe, [lib, mode, type, String(n)], {
    input, env: { ...process.env, LD_LIBRARY_PATH: libDir, ORACLE_OUT_BYTES: String(outBytes) }, maxBuffer: 1 << 26,
  });
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

const x = goldenInput();
const wide = goldenInputWide();
const out: Record<string, unknown> = { generatedBy: 'test/gguf/oracle/gen-golden.ts', n: x.length, types: {} };
for (const [t, name] of TYPES) {
  const { blockSize, typeSize } = ggmlTypeInfo(t);
  const src = t === GgmlType.F16 || t === GgmlType.BF16 ? Float32Array.from([...x, ...SPECIALS]) : x;
  const n = src.length;
  const qBytes = (n / blockSize) * typeSize;
  const q = oracle('q', name, n, new Uint8Array(src.buffer), qBytes);
  const dq = oracle('d', name, n, q, n * 4);
  let s = 0x2545f491 ^ t;
  const rng = () => { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; return (s >>> 0) / 4294967296; };
  const nBlocks = Math.max(8, 2048 / blockSize);
  const rb = randomBlocks(t, nBlocks, rng);
  const rdq = oracle('d', name, nBlocks * blockSize, rb, nBlocks * blockSize * 4);
  const wq = oracle('q', name, wide.length, new Uint8Array(wide.buffer), (wide.length / blockSize) * typeSize);
  (out.types as Record<string, unknown>)[name] = {
    type: t, quantized: b64(q), dequantizedSha256: sha(dq), randomBlocks: b64(rb), randomDequantizedSha256: sha(rdq),
    wideQuantizedSha256: sha(wq),
  };
}
mkdirSync(path.join(here, '..', 'fixtures'), { recursive: true });
writeFileSync(path.join(here, '..', 'fixtures', 'ggml-golden.json'), JSON.stringify(out, null, 1) + '\n');
console.log('wrote test/gguf/fixtures/ggml-golden.json');
