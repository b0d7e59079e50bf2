/**
 * Split GGUF models (gguf-split naming and split.* keys): opened from any part as one model,
 * tensors read from the right file, and the loader's consistency checks as typed errors.
 */
import { mkdtemp, readFile, rm, rename } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GgmlType } from '../../engine/formats/ggml-types.ts';
import { GgufValueType, type GgufValue } from '../../engine/formats/gguf-read.ts';
import { ggufOpenModel, splitPartPath } from '../../engine/formats/gguf-split.ts';
import { ggufWrite } from '../../engine/formats/gguf-write.ts';
import { ggufOpen } from '../../engine/formats/gguf-read.ts';
import { importLlama2c } from '../../engine/formats/llama2c.ts';
import { llamaCpp } from '../peer/llama-cpp.ts';
import { ggufSummary } from '../../engine/formats/gguf-summary.ts';

let dir: string;
const SPLIT_TYPES = { 'split.no': GgufValueType.UINT16, 'split.count': GgufValueType.UINT16, 'split.tensors.count': GgufValueType.INT32 };
const f32 = (v: number, n: number) => new Uint8Array(new Float32Array(n).fill(v).buffer);

async function writeSplit(prefix: string, parts: string[][], opts: { no?: (i: number) => number; total?: number } = {}) {
  const count = parts.length;
  const total = opts.total ?? parts.flat().length;
  for (let i = 0; i < count; i++) {
    const metadata: Record<string, GgufValue> = { 'split.no': opts.no ? opts.no(i) : i, 'split.count': count, 'split.tensors.count': total };
    if (i === 0) Object.assign(metadata, { 'general.architecture': 'llama', 'llama.block_count': 2 });
    await ggufWrite(splitPartPath(`${prefix}-00001-of-00001.gguf`, i, count), {
      metadata, types: SPLIT_TYPES,
      tensors: parts[i]!.map((name, j) => ({ name, dims: [8], type: GgmlType.F32, data: f32(i * 10 + j, 8) })),
    });
  }
}

beforeAll(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'gguf-split-')); });
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('split GGUF models', () => {
  it('names parts as gguf-split does', () => {
    expect(splitPartPath('/m/llama-00002-of-00003.gguf', 0, 3)).toBe('/m/llama-00001-of-00003.gguf');
    expect(() => splitPartPath('/m/llama.gguf', 0, 3)).toThrow(/NNNNN-of-NNNNN/);
  });

  it('opens all parts from any part and reads each tensor from its file', async () => {
    const prefix = path.join(dir, 'ok');
    await writeSplit(prefix, [['a', 'b'], ['c'], ['d', 'e']]);
    const m = await ggufOpenModel(`${prefix}-00003-of-00003.gguf`);
    expect([m.parts, m.metadata['general.architecture'], m.tensors.map((t) => `${t.name}@${t.part}`)]).toEqual([3, 'llama', ['a@0', 'b@0', 'c@1', 'd@2', 'e@2']]);
    const e = m.tensors.find((t) => t.name === 'e')!;
    expect(new Float32Array((await m.readTensor(e)).buffer)[0]).toBe(21);
    await m.close();
    const single = await ggufOpenModel(`${prefix}-00001-of-00003.gguf`);
    expect(single.paths[2]).toBe(`${prefix}-00003-of-00003.gguf`);
    await single.close();
  });

  it('llama.cpp loads a stories260K split we wrote and reads the same weights', async () => {
    const MODELS = path.resolve(__dirname, '..', '..', '..', 'shared', 'models', 'stories260K');
    const whole = path.join(dir, 'whole.gguf');
    await importLlama2c(path.join(MODELS, 'stories260K.bin'), path.join(MODELS, 'tok512.bin'), whole);
    const src = await ggufOpen(whole);
    const prefix = path.join(dir, 'stories');
    const cut = [src.tensors.slice(0, 20), src.tensors.slice(20)];
    for (let i = 0; i < 2; i++) {
      const metadata: Record<string, GgufValue> = { ...(i === 0 ? src.metadata : {}), 'split.no': i, 'split.count': 2, 'split.tensors.count': src.tensors.length };
      await ggufWrite(splitPartPath(`${prefix}-00001-of-00002.gguf`, i, 2), {
        metadata, types: { ...(i === 0 ? src.metadataTypes : {}), ...SPLIT_TYPES },
        tensors: cut[i]!.map((t) => ({ name: t.name, dims: t.dims, type: t.type, data: () => src.readTensor(t) })),
      });
    }
    const m = await ggufOpenModel(`${prefix}-00002-of-00002.gguf`);
    expect(ggufSummary(m)).toMatchObject({ architecture: 'llama', tensorCount: 47, parameterCount: 260032 });
    for (const t of src.tensors) {
      const mine = m.tensors.find((x) => x.name === t.name)!;
      expect(Buffer.from(await m.readTensor(mine)).equals(Buffer.from(await src.readTensor(t)))).toBe(true);
    }
    await m.close();
    await src.close();
    const { llama } = await llamaCpp();
    const model = await llama.loadModel({ modelPath: `${prefix}-00001-of-00002.gguf` });
    const ctx = await model.createContext({ contextSize: 128, threads: 1 });
    const seq = ctx.getSequence();
    const toks: number[] = [model.tokens.bos, ...model.tokenize('Once upon a time')];
    const out: number[] = [];
    for await (const t of seq.evaluate(toks, { temperature: 0 })) { out.push(t); if (out.length >= 30) break; }
    const golden = await readFile(path.join(MODELS, 'greedy-once-upon-a-time-n256.txt'), 'utf8');
    const text = 'Once upon a time' + (model.detokenize(out) as string);
    expect(text.length).toBeGreaterThan(100);
    expect(golden.startsWith(text)).toBe(true);
    await ctx.dispose();
    await model.dispose();
  });

  it('rejects a missing part, a misnumbered part, duplicated tensors and a wrong tensor total', async () => {
    const p1 = path.join(dir, 'missing');
    await writeSplit(p1, [['a'], ['b']]);
    await rm(`${p1}-00002-of-00002.gguf`);
    await expect(ggufOpenModel(`${p1}-00001-of-00002.gguf`)).rejects.toMatchObject({ code: 'io-error' });

    const p2 = path.join(dir, 'misnumbered');
    await writeSplit(p2, [['a'], ['b'], ['c']], { no: (i) => (i === 2 ? 1 : i) });
    await expect(ggufOpenModel(`${p2}-00001-of-00003.gguf`)).rejects.toMatchObject({ code: 'gguf-invalid', details: { field: 'split.no' } });

    const p3 = path.join(dir, 'dup');
    await writeSplit(p3, [['a'], ['a']]);
    await expect(ggufOpenModel(`${p3}-00001-of-00002.gguf`)).rejects.toMatchObject({ code: 'gguf-invalid', details: { field: 'tensor name' } });

    const p4 = path.join(dir, 'total');
    await writeSplit(p4, [['a'], ['b']], { total: 3 });
    await expect(ggufOpenModel(`${p4}-00001-of-00002.gguf`)).rejects.toMatchObject({ code: 'gguf-invalid', details: { field: 'split.tensors.count' } });

    const p5 = path.join(dir, 'renamed');
    await writeSplit(p5, [['a'], ['b']]);
    await rename(`${p5}-00001-of-00002.gguf`, `${p5}.gguf`);
    await expect(ggufOpenModel(`${p5}.gguf`)).rejects.toMatchObject({ code: 'gguf-invalid' });
  });
});
