/**
 * Runs one random-weight GGUF through both engines for the peer parity test: Longread on the GPU
 * (greedy, one-submit decode, logits read back at every step) and llama.cpp's CPU build
 * (node-llama-cpp in .peer/, gpu: false, 2 threads): llama.cpp's own greedy continuation, and its
 * logits along Longread's continuation (controlledEvaluate), so that every position compares the
 * two next-token distributions on the same input.
 *
 * With `diagnostics` it also runs two continuations that bound what parity can reach (see the
 * test's header): llama.cpp's own with flash attention off (the same CPU build, another
 * attention path), and the CPU reference forward with llama.cpp's CPU attention numerics
 * emulated (engine/reference/ops-attention-ggml.ts) and its activation rounding.
 *
 * Extend: more statistics go into PromptResult; the thresholds live in the test.
 */
import { modelLoad, type LoadedModel } from '../../engine/decode/index.ts';
import type { Gpu } from '../../engine/gpu/device.ts';
import { refModelLoad } from '../../engine/models/reference-load.ts';
import { refGreedy } from '../../engine/reference/forward.ts';
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
  /** diagnostics: llama.cpp's greedy continuation with flash attention off */
  theirsNoFa?: number[];
  /** diagnostics: the reference's greedy continuation with llama.cpp's attention numerics */
  emulated?: number[];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

async function greedy(seq: Any, prompt: number[], steps: number): Promise<number[]> {
  await seq.clearHistory();
  const out: number[] = [];
  for await (const t of seq.evaluate(prompt, { temperature: 0 })) {
    out.push(t);
    if (out.length >= steps) break;
  }
  return out;
}

export async function peerCompare(gpu: Gpu, file: string, prompts: number[][], steps: number, opts: { diagnostics?: boolean; eog?: readonly number[] } = {}): Promise<PromptResult[]> {
  const llama = (await peerLlama()) as Any;
  const pm = await llama.loadModel({ modelPath: file, gpuLayers: 0 });
  const ctx = await pm.createContext({ contextSize: 512, threads: 2, batchSize: 512, sequences: 1 });
  const seq = ctx.getSequence();
  const ctxNoFa = opts.diagnostics ? await pm.createContext({ contextSize: 512, threads: 2, batchSize: 512, sequences: 1, flashAttention: false }) : null;
  const seqNoFa = ctxNoFa?.getSequence();
  const emu = opts.diagnostics ? await refModelLoad(file, { attention: 'ggml-cpu' }) : null;
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
      const theirs = await greedy(seq, prompt, steps);
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
      const r: PromptResult = { ours, theirs, kl, top1, divergeMargin };
      if (seqNoFa) r.theirsNoFa = await greedy(seqNoFa, prompt, steps);
      if (emu) {
        const stop = (id: number) => opts.eog?.includes(id) ?? false;
        r.emulated = refGreedy(emu.create(), prompt, prompt.length + steps, stop).slice(prompt.length);
      }
      out.push(r);
    }
  } finally {
    model.dispose();
    await ctxNoFa?.dispose();
    await ctx.dispose();
    await pm.dispose();
  }
  return out;
}
