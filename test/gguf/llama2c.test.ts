/**
 * The llama2.c importer against the real peer: the stories260K GGUF it writes loads in
 * llama.cpp, tokenizes the prompt as SentencePiece does, and llama.cpp's greedy continuation
 * reproduces the golden text of the reference C implementation byte for byte.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gguf as hfGguf } from '@huggingface/gguf';
import { ggufSummary } from '../../engine/formats/gguf-summary.ts';
import { ggmlTypeFromName } from '../../engine/formats/ggml-types.ts';
import { importLlama2c } from '../../engine/formats/llama2c.ts';
import { ggufOpen } from '../../engine/formats/gguf-read.ts';
import { LongreadError } from '../../engine/errors.ts';
import { llamaCpp } from '../peer/llama-cpp.ts';

const MODELS = path.resolve(__dirname, '..', '..', '..', 'shared', 'models', 'stories260K');
let dir: string;
let gguf: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'l2c-'));
  gguf = path.join(dir, 'stories260K.gguf');
  await importLlama2c(path.join(MODELS, 'stories260K.bin'), path.join(MODELS, 'tok512.bin'), gguf);
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

/** llama.cpp's greedy continuation, printed as the reference run.c prints it. */
async function greedy(file: string, prompt: string, positions: number): Promise<string> {
  const { llama } = await llamaCpp();
  const model = await llama.loadModel({ modelPath: file });
  const ctx = await model.createContext({ contextSize: 512, threads: 1 });
  try {
    const seq = ctx.getSequence();
    const toks: number[] = [model.tokens.bos, ...model.tokenize(prompt)];
    expect(toks[0]).toBe(1);
    const out = [...toks];
    for await (const t of seq.evaluate(toks, { temperature: 0 })) {
      out.push(t);
      if (out.length > positions) break; // BOS + `positions` tokens (run.c -n counts steps after BOS)
    }
    // run.c prints the pieces after BOS, dropping the first one's leading space, then a newline.
    return (model.detokenize(out.slice(1)) as string).replace(/^ /, '') + '\n';
  } finally {
    await ctx.dispose();
    await model.dispose();
  }
}

describe('llama2.c import', () => {
  it('writes a llama GGUF with the SentencePiece vocabulary', async () => {
    const f = await ggufOpen(gguf);
    expect(f.metadata['general.architecture']).toBe('llama');
    expect(f.metadata['llama.attention.head_count_kv']).toBe(4);
    const tokens = f.metadata['tokenizer.ggml.tokens'] as string[];
    expect(tokens.slice(0, 4)).toEqual(['<unk>', '<s>', '</s>', '<0x00>']);
    expect(tokens.some((t) => t.startsWith('\u2581'))).toBe(true);
    expect(f.tensors.find((t) => t.name === 'output.weight')).toBeUndefined(); // tied classifier
    await f.close();
  });

  it('reads identically with @huggingface/gguf (metadata and tensor infos)', async () => {
    const f = await ggufOpen(gguf);
    await f.close();
    const hf = await hfGguf(gguf, { allowLocalFile: true });
    const hm = hf.metadata as Record<string, unknown>;
    const norm = (v: unknown): unknown => (typeof v === 'bigint' ? Number(v) : Array.isArray(v) ? v.map(norm) : typeof v === 'number' ? Math.fround(v) : v);
    const ours = Object.keys(f.metadata);
    expect(ours.length).toBeGreaterThan(15);
    for (const k of ours) expect(norm(hm[k]), k).toEqual(norm(f.metadata[k]));
    expect(hf.tensorInfos.map((x) => [x.name, x.shape.map(Number), x.dtype, Number(x.offset) + f.dataOffset]))
      .toEqual(f.tensors.map((x) => [x.name, x.dims, x.type, x.offset]));
  });

  it('summarises as `longread info` prints it', async () => {
    const f = await ggufOpen(gguf);
    const s = ggufSummary(f);
    await f.close();
    expect(s).toMatchObject({
      architecture: 'llama', parameterCount: 260032, tensorCount: 47, typeMix: { F32: 47 }, contextLength: 512, blockCount: 5,
      headCount: 8, headCountKv: 4, tokenizer: { model: 'llama', vocabSize: 512, addBos: true }, chatTemplate: false,
      specialTokens: { bos: { id: 1, text: '<s>' }, eos: { id: 2, text: '</s>' }, unknown: { id: 0, text: '<unk>' } },
    });
    const root = path.resolve(__dirname, '..', '..');
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(root, 'bin', 'longread.mjs'), 'info', gguf], { cwd: root });
    expect(JSON.parse(stdout)).toEqual(JSON.parse(JSON.stringify(s)));
    const { stdout: withTensors } = await promisify(execFile)(process.execPath, [path.join(root, 'bin', 'longread.mjs'), 'info', gguf, '--tensors'], { cwd: root });
    const listed = JSON.parse(withTensors).tensors as { name: string; type: string; dims: number[] }[];
    expect(listed.length).toBe(47);
    expect(listed[0]).toMatchObject({ name: 'token_embd.weight', type: 'F32', dims: [64, 512] });
  });

  it('rejects a truncated checkpoint with a typed error', async () => {
    const bad = path.join(dir, 'bad.bin');
    const buf = await readFile(path.join(MODELS, 'stories260K.bin'));
    await (await import('node:fs/promises')).writeFile(bad, buf.subarray(0, 5000));
    const e = await importLlama2c(bad, path.join(MODELS, 'tok512.bin'), path.join(dir, 'x.gguf')).catch((x: unknown) => x);
    expect((e as LongreadError).code).toBe('checkpoint-invalid');
  });

  // Quantized imports: llama.cpp must read our blocks as we wrote them. Greedy text drifts from
  // the F32 golden as precision drops; the bounds are well below what was observed (f16: all 566
  // chars, q8_0: 295, q4_0: 87) and above garbage (the first sentence is 53 chars).
  it.each([
    ['f16', 300],
    ['q8_0', 100],
    ['q4_0', 53],
  ])('a %s import runs in llama.cpp close to the golden text', async (type, minPrefix) => {
    const file = path.join(dir, `s-${type}.gguf`);
    const r = await importLlama2c(path.join(MODELS, 'stories260K.bin'), path.join(MODELS, 'tok512.bin'), file, { type: ggmlTypeFromName(type)! });
    expect(r.types[type.toUpperCase()]).toBeGreaterThan(25);
    const text = await greedy(file, 'Once upon a time', 256);
    const golden = await readFile(path.join(MODELS, 'greedy-once-upon-a-time-n256.txt'), 'utf8');
    let k = 0;
    while (k < text.length && text[k] === golden[k]) k++;
    expect(k).toBeGreaterThanOrEqual(minPrefix);
  });

  it.each([
    ['Once upon a time', 'greedy-once-upon-a-time-n256.txt', 256],
    ['Lily and Ben went to the park. They saw', 'greedy-lily-and-ben-n200.txt', 200],
  ])('llama.cpp reproduces the golden text for "%s"', async (prompt, goldenFile, positions) => {
    const text = await greedy(gguf, prompt, positions);
    expect(text).toBe(await readFile(path.join(MODELS, goldenFile), 'utf8'));
  });
});
