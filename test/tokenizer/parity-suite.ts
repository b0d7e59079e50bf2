/**
 * The parity checks every real vocabulary goes through (called by parity-<vocab>.test.ts, one
 * file per vocabulary so vitest runs them in parallel): identical ids to Hugging Face and to
 * llama.cpp on PARITY_TEXTS generated texts with special parsing off, on SPECIAL_TEXTS with it
 * on, the same end-of-generation set and special ids as llama.cpp, and decode round trips.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { HfName } from './hf-to-gguf.ts';
import { fixture, mismatches, type Fixture, type PeerModel } from './parity-harness.ts';
import { parityTexts } from './texts.ts';

export const PARITY_TEXTS = 10_000;
export const SPECIAL_TEXTS = 3_000;

export interface SuiteOptions {
  /** HF applies this normalizer that llama.cpp (and the GGUF) does not have: compare HF(x) with ours(norm(x)). */
  hfNormalize?: (text: string) => string;
  /** llama.cpp's detokenize cleans spaces for this vocab (clean_spaces=true): skip decode parity. */
  peerCleansSpaces?: boolean;
}

/** Registers the checks; the returned getter gives later tests of the same file the fixture and peer. */
export function paritySuite(name: HfName, opts: SuiteOptions = {}): () => { f: Fixture; peer: PeerModel } {
  let f: Fixture;
  let peer: PeerModel;
  const texts = parityTexts(PARITY_TEXTS, 20261122);
  const specialTexts = parityTexts(SPECIAL_TEXTS, 7);
  beforeAll(async () => {
    f = fixture(name);
    peer = await f.peer();
  }, 180_000);
  afterAll(async () => { await peer?.dispose(); });

  const ours = (special: boolean) => (t: string): number[] => f.tok.encode(t, { parseSpecial: special });

  it(`${name}: same ids as Hugging Face on ${PARITY_TEXTS} texts (special parsing off)`, () => {
    const hf = f.hf('plain');
    const norm = opts.hfNormalize ?? ((t: string) => t);
    expect(mismatches(texts, (t) => f.tok.encode(norm(t)), hf)).toEqual([]);
  }, 120_000);

  it(`${name}: same ids as llama.cpp on ${PARITY_TEXTS} texts (parse_special off)`, () => {
    expect(mismatches(texts, ours(false), (t) => peer.tokenize(t, false))).toEqual([]);
  }, 120_000);

  it(`${name}: same ids as Hugging Face and llama.cpp on ${SPECIAL_TEXTS} texts with special parsing on`, () => {
    const hf = f.hf('special');
    const norm = opts.hfNormalize ?? ((t: string) => t);
    expect(mismatches(specialTexts, (t) => f.tok.encode(norm(t), { parseSpecial: true }), hf)).toEqual([]);
    expect(mismatches(specialTexts, ours(true), (t) => peer.tokenize(t, true))).toEqual([]);
  }, 120_000);

  it(`${name}: a long text tokenized in chunks gives the same ids as in one piece and as llama.cpp`, () => {
    const big = texts.slice(0, 3000).join('\n');
    const whole = f.tok.encode(big);
    f.tok.chunkChars = 500;
    try {
      expect(f.tok.encode(big)).toEqual(whole);
    } finally {
      f.tok.chunkChars = 1 << 20;
    }
    expect(whole).toEqual(peer.tokenize(big, false));
  }, 60_000);

  it(`${name}: end-of-generation set, BOS/EOS as llama.cpp`, () => {
    const eog: number[] = [];
    for (let i = 0; i < f.tok.vocabSize; i++) if (peer.isEogToken(i)) eog.push(i);
    expect([...f.tok.eogIds].sort((a, b) => a - b)).toEqual(eog);
  });

  it(`${name}: decode inverts encode${opts.peerCleansSpaces ? '' : ' and matches llama.cpp detokenize'}`, () => {
    for (const t of texts.slice(0, 2000)) {
      const ids = f.tok.encode(t);
      const back = f.tok.decode(ids);
      expect(back).toBe(t); // the corpus has no lone surrogates
      if (!opts.peerCleansSpaces) expect(back).toBe(peer.detokenize(ids, false));
    }
  });
  return () => ({ f, peer });
}
