// Model loading: inspect without a GPU (hparams, type mix, memory estimate), progress events,
// and the typed errors for contexts that cannot fit and files that are not supported models.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LongreadError } from '../errors.ts';
import { gpuAcquire, type Gpu } from '../gpu/device.ts';
import { ggufGenerate } from '../../tools/gen-gguf/gen-gguf.ts';
import { modelInspect, modelLoad } from './index.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-load-'));
async function code(p: Promise<unknown>): Promise<string> {
  const e = await p.then(() => null, (x: unknown) => x);
  expect(e).toBeInstanceOf(LongreadError);
  return (e as LongreadError).code;
}

describe('model loading', () => {
  let gpu: Gpu;
  const file = path.join(dir, 'qwen3-1m.gguf');
  beforeAll(async () => {
    gpu = await gpuAcquire();
    ggufGenerate({ shape: 'tiny-qwen3', type: 'Q8_0', out: file, context: 1 << 20 });
  });
  afterAll(() => gpu?.dispose());

  it('inspects the header: shape, types, memory estimate', async () => {
    const i = await modelInspect(file);
    expect(i).toMatchObject({ architecture: 'qwen3', layers: 2, embeddingLength: 256, heads: 4, kvHeads: 2, headDim: 128, contextLength: 1 << 20, quantization: 'Q8_0', hasChatTemplate: true });
    expect(i.memory.kvBytesPerToken).toBe(2 * 2 * 128 * 2 * 2);
    expect(i.memory.totalBytes).toBe(i.memory.weightsBytes + i.memory.kvBytes + i.memory.activationBytes);
  });

  it('reports load progress up to the weights total', async () => {
    const seen: [number, number][] = [];
    const m = await modelLoad(gpu, file, { contextLength: 128, onProgress: (d, t) => seen.push([d, t]) });
    m.dispose();
    expect(seen.length).toBeGreaterThan(5);
    expect(seen.at(-1)![0]).toBe(seen.at(-1)![1]);
    expect(seen.at(-1)![1]).toBe(m.info.memory.weightsBytes);
  });

  it('a context beyond what one KV binding holds fails with context-too-large and the largest that fits', async () => {
    const e = await modelLoad(gpu, file, { contextLength: 1 << 20 }).then(() => null, (x: unknown) => x as LongreadError);
    expect(e?.code).toBe('context-too-large');
    expect(e?.hint).toMatch(/at most \d+ tokens/);
    const fit = (e?.details as { maxContext: number }).maxContext;
    const m = await modelLoad(gpu, file, { contextLength: fit });
    expect(m.info.loadedContextLength).toBe(fit);
    m.dispose();
  });

  it('cancels a load between tensors', async () => {
    const ac = new AbortController();
    ac.abort();
    expect(await code(modelLoad(gpu, file, { contextLength: 64, signal: ac.signal }))).toBe('cancelled');
  });

  it('rejects files that are not supported models with typed errors', async () => {
    const junk = path.join(dir, 'junk.gguf');
    fs.writeFileSync(junk, 'not a gguf file at all');
    expect(await code(modelInspect(junk))).toBe('gguf-invalid');
    expect(await code(modelInspect(path.join(dir, 'missing.gguf')))).toBe('not-found');
    const other = path.join(dir, 'other-arch.gguf');
    const bytes = fs.readFileSync(file);
    // same length as "qwen3": the header stays well-formed, the architecture becomes unknown
    fs.writeFileSync(other, Buffer.from(bytes.toString('latin1').replace('general.architecture\u0008\u0000\u0000\u0000\u0005\u0000\u0000\u0000\u0000\u0000\u0000\u0000qwen3', 'general.architecture\u0008\u0000\u0000\u0000\u0005\u0000\u0000\u0000\u0000\u0000\u0000\u0000gpt2x'), 'latin1'));
    expect(await code(modelInspect(other))).toBe('model-unsupported');
  });
});
