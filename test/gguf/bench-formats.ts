/**
 * CPU throughput of engine/formats: dequantize and quantize per format (4 Mi values), and
 * parsing a GGUF header the size of a Llama 3 vocabulary (128,256 tokens + scores + types +
 * 280,147 merges). Wall time and process CPU time (steadier on a shared machine), best of N.
 *
 * Usage: npx tsx test/gguf/bench-formats.ts [--runs 3]
 */
import { parseArgs } from 'node:util';
import { GgmlType, ggmlTypeInfo, ggmlTypeName } from '../../engine/formats/ggml-types.ts';
import { ggufParse } from '../../engine/formats/gguf-read.ts';
import { ggufSerialize } from '../../engine/formats/gguf-write.ts';
import { DEQUANTIZABLE, QUANTIZABLE, dequantize, quantize } from '../../engine/formats/quant.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
const runs = Number(values.runs);

function time(fn: () => void): { wall: number; cpu: number } {
  let best = { wall: Infinity, cpu: Infinity };
  for (let r = 0; r < runs; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    const wall = performance.now() - t0;
    const c = process.cpuUsage(c0);
    const cpu = (c.user + c.system) / 1000;
    if (cpu < best.cpu) best = { wall, cpu };
  }
  return best;
}

let s = 12345;
const rnd = () => { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; return (s >>> 0) / 4294967296; };
const N = 4 << 20;
const x = Float32Array.from({ length: N }, () => (rnd() + rnd() + rnd() - 1.5) * 0.05);
const rows: string[] = [];
for (const t of DEQUANTIZABLE) {
  const q = QUANTIZABLE.includes(t) ? quantize(t, x) : new Uint8Array((N / ggmlTypeInfo(t).blockSize) * ggmlTypeInfo(t).typeSize);
  const dq = time(() => dequantize(t, q, N));
  const qt = QUANTIZABLE.includes(t) && t !== GgmlType.F32 ? time(() => quantize(t, x)) : null;
  const mvs = (ms: number) => (N / 1e6 / (ms / 1000)).toFixed(0);
  rows.push(`| ${ggmlTypeName(t)} | ${dq.cpu.toFixed(0)} ms (${mvs(dq.cpu)} M/s) | ${qt ? `${qt.cpu.toFixed(0)} ms (${mvs(qt.cpu)} M/s)` : '—'} |`);
}
console.log('| type | dequantize 4 Mi values, CPU | quantize 4 Mi values, CPU |\n|---|---|---|\n' + rows.join('\n'));

const tokens = Array.from({ length: 128256 }, (_, i) => `Ġtok${i.toString(36)}${'abc'.slice(0, i % 4)}`);
const merges = Array.from({ length: 280147 }, (_, i) => `Ġt ok${i.toString(36)}`);
const file = await ggufSerialize({
  metadata: {
    'general.architecture': 'llama', 'tokenizer.ggml.model': 'gpt2', 'tokenizer.ggml.tokens': tokens,
    'tokenizer.ggml.token_type': tokens.map(() => 1), 'tokenizer.ggml.merges': merges,
  },
  tensors: [],
});
const p = time(() => ggufParse(file));
console.log(`\nheader of ${(file.length / 1e6).toFixed(1)} MB (128,256 tokens, types, 280,147 merges): parse ${p.wall.toFixed(0)} ms wall, ${p.cpu.toFixed(0)} ms CPU`);
