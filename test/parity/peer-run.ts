/**
 * Runs one random-weight GGUF through both engines for the peer parity test: Longread on the GPU
 * (greedy, one-submit decode, logits read back at every step) and llama.cpp's CPU build
 * (node-llama-cpp in .peer/, gpu: false, 2 threads): llama.cpp's own greedy continuation, and its
 * logits along Longread's continuation (controlledEvaluate), so that every position compares the
 * two next-token distributions on the same input.
 *
 * Extend: more statistics go into PromptResult; the thresholds live in the test.
 */
import { modelLoad, type LoadedModel } from '../../engine/decode/index.ts';
import type { Gpu } from '../../engine/gpu/device.ts';
import { peerLlama } from '../tokenizer/parity-harness.ts';
import { klDivergence, top2 } from './compare.ts';

export interface PromptResult {
  ours: number[];
  theirs: number[];
  /** per position of our continuation: KL(llama.cpp || ours) */
  kl: number[];
  /** per position: same top-1 */
  top1: boolean[];
  /** llama.cpp's top-1/top-2 margin at the first position where the continuations differ */
  divergeMargin: number | null;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

export async function peerCompare(gpu: Gpu, file: string, prompts: number[][], steps: number): Promise<PromptResult[]> {
  const llama = (await peerLlama()) as Any;
  const pm = await llama.loadModel({ modelPath: file, gpuLayers: 0 });
  const ctx = await pm.createContext({ contextSize: 512, threads: 2, batchSize: 512, sequences: 1 });
  const seq = ctx.getSequence();
  const model: LoadedModel = await modelLoad(gpu, file, { contextLength: 256, chunk: 8 });
  const out: PromptResult[] = [];
  try {
    const V = model.hp.vocab;
    const sampler = { config: { temperature: 0 } };
    for (const prompt of prompts) {
      // Longread: greedy, logits of every step
      const ours: number[] = [await model.forward.prefill(prompt, 0, sampler)];
      const ourLogits: Float32Array[] = [await model.forward.readLogits()];
      for (let i = 1; i < steps; i++) {
        ours.push(await model.forward.decode(prompt.length + i - 1, sampler));
        ourLogits.push(await model.forward.readLogits());
      }
      // llama.cpp: its own greedy continuation
      await seq.clearHistory();
      const theirs: number[] = [];
      for await (const t of seq.evaluate(prompt, { temperature: 0 })) {
        theirs.push(t);
        if (theirs.length >= steps) break;
      }
      // llama.cpp: logits along our continuation
      await seq.clearHistory();
      const input = [...prompt, ...ours.slice(0, -1)].map((t, i) => (i >= prompt.length - 1 ? [t, { generateNext: { logits: true } }] : t));
      const res = (await seq.controlledEvaluate(input)) as Any[];
      const kl: number[] = [];
      const top1: boolean[] = [];
      for (let i = 0; i < steps; i++) {
        const m = res[prompt.length - 1 + i].next.logits as Map<number, number>;
        const row = new Float32Array(V).fill(-Infinity);
        for (const [t, v] of m) row[t] = v;
        kl.push(klDivergence(row, ourLogits[i]!));
        top1.push(top2(row).top === top2(ourLogits[i]!).top);
      }
      let divergeMargin: number | null = null;
      const d = ours.findIndex((t, i) => t !== theirs[i]);
      if (d >= 0) {
        const m = res[prompt.length - 1 + d].next.logits as Map<number, number>;
        const row = new Float32Array(V).fill(-Infinity);
        for (const [t, v] of m) row[t] = v;
        divergeMargin = top2(row).margin;
      }
      out.push({ ours, theirs, kl, top1, divergeMargin });
    }
  } finally {
    model.dispose();
    await ctx.dispose();
    await pm.dispose();
  }
  return out;
}
