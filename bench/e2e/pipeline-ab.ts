/**
 * A/B of pipelined decode (engine/decode/session.ts: the next step submitted before the current
 * id is read) against one step at a time, on any GGUF and whatever adapter this machine has:
 *
 *   node --import ./bin/register.mjs bench/e2e/pipeline-ab.ts [--model M.gguf] [--runs 4] [--tokens 96]
 *
 * Alternates the two modes run by run (the bundled model by default, a 181-token prompt, greedy,
 * no stop) and prints decode tokens/s of every run; both modes must give the same tokens.
 */
import { parseArgs } from 'node:util';
import { gpuAcquire } from '../../engine/gpu/device.ts';
import { modelLoad, sessionCreate } from '../../engine/decode/index.ts';
import { modelPathFrom } from '../../engine/service/commands/runtime-args.ts';

const { values } = parseArgs({ options: { model: { type: 'string' }, runs: { type: 'string', default: '4' }, tokens: { type: 'string', default: '96' } } });
const gpu = await gpuAcquire();
const model = await modelLoad(gpu, modelPathFrom(values.model), { contextLength: 1024 });
const s = sessionCreate(model);
const prompt = model.tokenizer.encode('The harbour was quiet that morning. '.repeat(20), { addSpecial: true });
const tps: Record<'one step' | 'pipelined', number[]> = { 'one step': [], pipelined: [] };
let reference: number[] | null = null;
for (let r = 0; r < Number(values.runs); r++) {
  for (const mode of ['one step', 'pipelined'] as const) {
    s.reset();
    const g = await s.generate({ promptTokens: prompt, maxTokens: Number(values.tokens), temperature: 0, pipeline: mode === 'pipelined' });
    reference ??= g.tokens;
    if (g.tokens.join() !== reference.join()) throw new Error(`${mode} run ${r} gave other tokens`);
    tps[mode].push(g.stats.decodeTokensPerSecond);
  }
}
console.log(`${gpu.info.adapterName}, ${prompt.length}-token prompt, ${reference!.length} tokens per run`);
for (const [mode, v] of Object.entries(tps)) console.log(`${mode.padEnd(10)} decode tok/s: ${v.map((x) => x.toFixed(1)).join(' ')} (best ${Math.max(...v).toFixed(1)})`);
model.dispose();
gpu.dispose();
