/**
 * Backends of the long-document QA runner: our engine (dense mode, WebGPU through Dawn) and
 * llama.cpp through node-llama-cpp (the CPU build in .peer/, or any build the caller resolves).
 * Both receive the same prompt token ids and decode greedily until end-of-generation.
 *
 * Extend: a sparse mode of our engine is one more option passed to modelLoad/generate here.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { APP_GPU, gpuAcquire } from '../../engine/gpu/device.ts';
import { modelLoad, sessionCreate } from '../../engine/decode/index.ts';
import { LongreadError } from '../../engine/errors.ts';
import type { Backend } from './runner.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Our engine; the model is (re)loaded with a KV cache sized for each new context length. */
export async function engineBackend(modelPath: string): Promise<Backend> {
  const gpu = await gpuAcquire(APP_GPU);
  let loaded: { ctx: number; model: Awaited<ReturnType<typeof modelLoad>> } | null = null;
  return {
    name: 'longread',
    async generate(promptTokens, maxNewTokens, contextLength) {
      const need = Math.max(contextLength, promptTokens.length + maxNewTokens);
      if (!loaded || loaded.ctx < need) {
        loaded?.model.dispose();
        loaded = { ctx: need, model: await modelLoad(gpu, modelPath, { contextLength: need }) };
      }
      const r = await sessionCreate(loaded.model).generate({ promptTokens, maxTokens: maxNewTokens, temperature: 0 });
      return r.text;
    },
    async dispose() { loaded?.model.dispose(); gpu.dispose(); },
  };
}

/** llama.cpp via node-llama-cpp (import path: .peer/ by default; LONGREAD_PEER_ENTRY overrides, e.g. a Vulkan build). */
export async function llamaCppBackend(modelPath: string, opts: { gpu?: boolean; threads?: number } = {}): Promise<Backend> {
  const entry = process.env.LONGREAD_PEER_ENTRY ?? path.join(root, '.peer', 'node_modules', 'node-llama-cpp', 'dist', 'index.js');
  if (!existsSync(entry)) {
    throw new LongreadError('not-found', `llama.cpp peer not found at ${entry}.`, 'Install it with `bash tools/peer/install.sh`.');
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const lib: any = await import(entry);
  const llama = await lib.getLlama({ gpu: opts.gpu ? 'auto' : false, logLevel: 'error', build: 'never' });
  const model = await llama.loadModel({ modelPath, gpuLayers: opts.gpu ? 'max' : 0 });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let ctx: { size: number; c: any } | null = null;
  return {
    name: opts.gpu ? 'llama.cpp (gpu)' : 'llama.cpp (cpu)',
    async generate(promptTokens, maxNewTokens, contextLength) {
      const need = Math.max(contextLength, promptTokens.length + maxNewTokens);
      if (!ctx || ctx.size < need) {
        await ctx?.c.dispose();
        ctx = { size: need, c: await model.createContext({ contextSize: need, threads: opts.threads ?? 2, batchSize: 512, flashAttention: true }) };
      }
      const seq = ctx.c.getSequence();
      const out: number[] = [];
      try {
        for await (const t of seq.evaluate(promptTokens, { temperature: 0 })) {
          if (model.isEogToken(t)) break;
          out.push(t);
          if (out.length >= maxNewTokens) break;
        }
      } finally {
        await seq.clearHistory();
        seq.dispose();
      }
      return model.detokenize(out);
    },
    async dispose() { await ctx?.c.dispose(); await model.dispose(); },
  };
}
