/**
 * The stories260K vocabulary (512-token SentencePiece from tok512.bin), imported to GGUF by
 * engine/formats/llama2c.ts: our tokenizer and llama.cpp (loading the same GGUF) give identical
 * ids on generated texts and on the golden prompts, and the prompt ids are the ones the llama2.c
 * reference encodes (BOS + pieces).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ggufOpen } from '../../engine/formats/gguf-read.ts';
import { importLlama2c } from '../../engine/formats/llama2c.ts';
import { tokenizerFromGguf, type Tokenizer } from '../../engine/tokenizer/tokenizer.ts';
import { mismatches, peerLlama, type PeerModel } from './parity-harness.ts';
import { parityTexts } from './texts.ts';

const MODEL_DIR = path.resolve('../shared/models/stories260K');
let tok: Tokenizer;
let peer: PeerModel;
let dispose: () => Promise<void> = async () => {};

beforeAll(async () => {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'longread-s260k-')), 'stories260K.gguf');
  await importLlama2c(path.join(MODEL_DIR, 'stories260K.bin'), path.join(MODEL_DIR, 'tok512.bin'), out);
  const f = await ggufOpen(out);
  tok = tokenizerFromGguf(f.metadata);
  await f.close();
  const llama = await peerLlama();
  const m = (await llama.loadModel({ modelPath: out, vocabOnly: true })) as {
    tokenize(t: string, s: boolean): ArrayLike<number>; detokenize(ids: number[], s: boolean): string; isEogToken(id: number): boolean; dispose(): Promise<void>;
  };
  peer = { tokenize: (t, s) => Array.from(m.tokenize(t, s)), detokenize: (i, s) => m.detokenize(i, s), isEogToken: (i) => m.isEogToken(i), dispose: () => m.dispose() };
  dispose = () => m.dispose();
}, 180_000);
afterAll(async () => { await dispose(); });

it('tokenizes like llama.cpp on 3000 generated texts, special parsing off and on', () => {
  const texts = parityTexts(3000, 260);
  expect(mismatches(texts, (t) => tok.encode(t), (t) => peer.tokenize(t, false))).toEqual([]);
  expect(mismatches(texts, (t) => tok.encode(t, { parseSpecial: true }), (t) => peer.tokenize(t, true))).toEqual([]);
}, 120_000);

it('encodes the golden prompts with BOS, decodes them back, same as llama.cpp', () => {
  expect(tok.vocabSize).toBe(512);
  expect(tok.bosId).toBe(1);
  expect([...tok.eogIds]).toEqual([2]);
  for (const prompt of ['Once upon a time', 'Lily and Ben went to the park. They saw']) {
    const ids = tok.encode(prompt, { addSpecial: true });
    expect(ids[0]).toBe(1);
    expect(ids.slice(1)).toEqual(peer.tokenize(prompt, false));
    expect(tok.decode(ids)).toBe(prompt);
    expect(tok.decode(ids.slice(1))).toBe(peer.detokenize(ids.slice(1), false));
  }
  const golden = fs.readFileSync(path.join(MODEL_DIR, 'greedy-once-upon-a-time-n256.txt'), 'utf8');
  expect(tok.decode(tok.encode(golden))).toBe(golden);
});
