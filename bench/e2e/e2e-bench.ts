/**
 * End-to-end benchmark against llama.cpp on the GPU machine: the same random-weight GGUF files,
 * the same contexts, both engines in one run.
 *
 *   ../shared/device/pack.sh --peer bench/e2e/e2e-bench.ts                  # here, from the repo root
 *   source .devpack/enter.sh && node .devpack/e2e-bench.mjs [--quick] [--models a,b] [--contexts 2048,8192] [--profile 2048] [--no-fuse] [--fuse-ffn] [--fuse-rope] [--no-fuse-quant] [--fuse-merge-quant] [--no-int8-prefill] [--chunk N] [--no-pipeline] [--repeat N]
 *
 * Models (generated on the machine into /tmp by tools/gen-gguf, identical bytes for both engines):
 * Llama-3.2-1B shape at Q8_0 and Q4_K_M, Qwen2.5-0.5B shape at Q4_0. For each context length:
 * prefill tokens/s of a prompt of that many tokens, decode tokens/s of 128 tokens after it, and
 * GPU memory (Longread: its planned allocation; llama.cpp: VRAM used as the Vulkan backend reports).
 * llama.cpp runs through node-llama-cpp's Vulkan build with flash attention on, after a warm-up.
 * Prefill runs in the engine's default pieces unless --chunk N. --repeat N measures each row N
 * times per engine (same prompt, cache cleared between) and reports the medians of prefill and of
 * decode apart, with every run in e2e.json: llama.cpp's own speed moved 10-25% between runs of one
 * file on one machine (BENCHMARKS.md, 2026-12-07), too much for one run to decide a ratio near a target.
 * Prints one markdown table with the ratio Longread / llama.cpp and writes it to $OUT/e2e.md.
 *
 * Extend: add rows to MODELS, values to CONTEXTS.
 */

import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gpuAcquire, type Gpu } from '../../engine/gpu/device.ts';
import { modelInspect, modelLoad, sessionCreate } from '../../engine/decode/index.ts';
import { ggufGenerate, randomPromptTokens, type GenType } from '../../tools/gen-gguf/gen-gguf.ts';
import type { OpTime } from '../../engine/models/gpu-forward.ts';
import { int8CheckResults } from '../../engine/kernels/matmul-int8-check.ts';

const argv = process.argv.slice(2);
const arg = (k: string) => { const i = argv.indexOf(k); return i >= 0 ? argv[i + 1] : undefined; };
const quick = argv.includes('--quick');
const ALL_MODELS: { id: string; shape: string; type: GenType }[] = [
  { id: 'llama-1b-q8_0', shape: 'llama-3.2-1b', type: 'Q8_0' },
  { id: 'llama-1b-q4_k_m', shape: 'llama-3.2-1b', type: 'Q4_K_M' },
  { id: 'qwen-0.5b-q4_0', shape: 'qwen2.5-0.5b', type: 'Q4_0' },
];
// smoke tests of the script itself on a small machine: --models tiny-llama-q8_0 --contexts 512
const EXTRA_MODELS = [{ id: 'tiny-llama-q8_0', shape: 'tiny-llama', type: 'Q8_0' as GenType }];
const MODELS = arg('--models') ? [...ALL_MODELS, ...EXTRA_MODELS].filter((m) => arg('--models')!.split(',').includes(m.id)) : ALL_MODELS;
// per-op breakdowns (timestamp queries) of one decode step and one prefill piece at these contexts
const PROFILE_AT = new Set((arg('--profile') ?? '2048,32768').split(',').map(Number));
const breakdowns: { model: string; ctx: number; kind: string; stepMs: number; rows: OpTime[] }[] = [];
const CONTEXTS = (arg('--contexts') ?? (quick ? '2048' : '2048,8192,32768,131072')).split(',').map(Number);
const DECODE = 128;
// A context row asks for a prompt of that many tokens, shortened to fit the model's own context
// with the decode (Qwen2.5-0.5B: 32768; Llama-3.2-1B: 131072), and says so in its note.
const promptFor = (ctx: number, trainCtx: number) => Math.min(ctx, trainCtx - DECODE - 64);
const fitNote = (ctx: number, trainCtx: number) => (promptFor(ctx, trainCtx) < ctx ? `prompt ${promptFor(ctx, trainCtx)} tokens (model context ${trainCtx})` : undefined);
// --no-fuse: decode without stacked q|k|v / gate|up weights (A/B of engine/models/gpu-weights.ts fusion)
const NO_FUSE = argv.includes('--no-fuse');
// --fuse-ffn: decode's FFN side as fused kernels too (modelLoad fuseFfn; off by default)
const FUSE_FFN = argv.includes('--fuse-ffn');
// --fuse-rope: RoPE + KV append in decode's fused q|k|v matvec (modelLoad fuseRope; off by default)
const FUSE_ROPE = argv.includes('--fuse-rope');
// --no-fuse-quant: decode's activation quantizations as their own dispatches (modelLoad fuseQuant: false; A/B of 2b8ba6e / 76f256b)
const FUSE_QUANT = !argv.includes('--no-fuse-quant');
// --fuse-merge-quant: decode attention's merge and attn_output's quantization in one dispatch (modelLoad fuseMergeQuant; off by default, 76f256b)
const FUSE_MERGE_QUANT = argv.includes('--fuse-merge-quant');
// --no-int8-prefill: prefill matmuls always on the f32 kernel (modelLoad int8Prefill: false; the int8
// tensor-core kernel is the default where the device passes its probe). --int8-prefill is accepted (the default).
const INT8_PREFILL = !argv.includes('--no-int8-prefill') && process.env.LONGREAD_INT8_PREFILL !== '0';
// --int8-kb N: the int8 prefill kernel stages N K blocks per barrier pair (1, 2 or 4; default 1);
const INT8_KB = arg('--int8-kb') ? Number(arg('--int8-kb')) : 1;
// --no-pipeline: decode one step at a time (the id read before the next step is submitted; A/B of session.ts pipelining)
const PIPELINE = !argv.includes('--no-pipeline');
// --chunk N: prefill tokens per piece (default: the engine's, prefillChunkDefault in engine/models/index.ts)
const CHUNK = arg('--chunk') ? Number(arg('--chunk')) : undefined;
const REPEAT = Math.max(1, Number(arg('--repeat') ?? 1));

/** Medians of prefill and decode over the runs of one row (each taken apart), and the runs themselves. */
function medians(runs: { prefill: number; decode: number }[]): { prefill: number; decode: number; runs?: { prefill: number; decode: number }[] } {
  const med = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const h = s.length >> 1;
    return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
  };
  const m = { prefill: med(runs.map((r) => r.prefill)), decode: med(runs.map((r) => r.decode)) };
  return runs.length > 1 ? { ...m, runs } : m;
}

interface Row {
  model: string;
  ctx: number;
  engine: 'longread' | 'llama.cpp';
  prefill: number;
  decode: number;
  memGiB: number;
  note?: string;
  /** every run of the row with --repeat N (prefill and decode above are their medians) */
  runs?: { prefill: number; decode: number }[];
}

async function runLongread(gpu: Gpu, file: string, model: string, ctxs: number[], vocab: number, trainCtx: number): Promise<Row[]> {
  const rows: Row[] = [];
  for (const ctx of ctxs) {
    try {
      const promptLen = promptFor(ctx, trainCtx);
      const m = await modelLoad(gpu, file, { contextLength: promptLen + DECODE + 64, fuseWeights: !NO_FUSE, fuseFfn: FUSE_FFN, fuseQuant: FUSE_QUANT, fuseMergeQuant: FUSE_MERGE_QUANT, fuseRope: FUSE_ROPE, int8Prefill: INT8_PREFILL, int8Tune: { kb: INT8_KB }, chunk: CHUNK });
      const s = sessionCreate(m);
      // warm-up: pipelines compiled, caches touched
      await s.generate({ promptTokens: randomPromptTokens(Math.min(promptLen, m.chunk), vocab, 7), maxTokens: 8, temperature: 0 });
      const prompt = randomPromptTokens(promptLen, vocab, 11);
      const runs: { prefill: number; decode: number }[] = [];
      let generated = DECODE;
      for (let i = 0; i < REPEAT; i++) {
        s.reset();
        const r = await s.generate({ promptTokens: prompt, maxTokens: DECODE, temperature: 0, pipeline: PIPELINE });
        runs.push({ prefill: r.stats.prefillTokensPerSecond, decode: r.stats.decodeTokensPerSecond });
        generated = Math.min(generated, r.stats.generatedTokens);
      }
      const med = medians(runs);
      // which int8 prefill kernels passed their device check (a failed one means f32 prefill for that shape)
      const checks = await int8CheckResults(gpu.device);
      const failedChecks = checks.filter((c) => !c.endsWith(': ok'));
      if (checks.length) process.stderr.write(`int8 kernel checks: ${checks.join('; ')}\n`);
      const notes = [fitNote(ctx, trainCtx), generated < DECODE ? `${generated} tokens` : undefined, failedChecks.length ? `int8 check failed: ${failedChecks.join('; ')}` : undefined].filter(Boolean);
      rows.push({ model, ctx, engine: 'longread', ...med, memGiB: m.info.memory.totalBytes / 2 ** 30, note: notes.join('; ') || undefined });
      if (PROFILE_AT.has(ctx) && gpu.info.features.includes('timestamp-query')) {
        // second of two runs each (the first warms clocks and caches); KV written here is discarded
        const chunk = Math.min(m.chunk, promptLen);
        for (const [kind, pos, n, stepMs] of [['decode', promptLen, 1, 1000 / med.decode], ['prefill', promptLen - chunk, chunk, (1000 * chunk) / med.prefill]] as const) {
          await m.forward.profile(kind, pos, n);
          breakdowns.push({ model, ctx, kind: kind === 'decode' ? `decode step at ${ctx}` : `prefill piece of ${n} at ${pos}`, stepMs, rows: await m.forward.profile(kind, pos, n) });
        }
      }
      m.dispose();
    } catch (e) {
      rows.push({ model, ctx, engine: 'longread', prefill: NaN, decode: NaN, memGiB: NaN, note: (e as Error).message.slice(0, 80) });
    }
    process.stderr.write(`longread ${model} ${ctx}: ${JSON.stringify(rows[rows.length - 1])}\n`);
  }
  return rows;
}

let llamaWarm = false;
async function runLlamaCpp(file: string, model: string, ctxs: number[], vocab: number, trainCtx: number): Promise<Row[]> {
  const rows: Row[] = [];
  const peer = 'node-llama-cpp'; // resolved on the GPU machine from the devpack; here from .peer/
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const lib: any = await import(peer).catch(() => import(path.resolve('.peer/node_modules/node-llama-cpp/dist/index.js')));
  const llama = await lib.getLlama({ gpu: process.env.LLAMA_GPU === 'cpu' ? false : 'vulkan', build: 'never', logLevel: 'error' });
  const lm = await llama.loadModel({ modelPath: file, gpuLayers: 'max' });
  for (const ctx of ctxs) {
    try {
      const vram0 = (await llama.getVramState()).used;
      const n = promptFor(ctx, trainCtx);
      const context = await lm.createContext({ contextSize: n + DECODE + 64, batchSize: 2048, flashAttention: true, sequences: 1 });
      const seq = context.getSequence();
      // warm-up, as for Longread: a full batch (prefill shaders) and a few greedy tokens (decode
      // shaders). With only a 512-token evaluation, the 2K prefill and the decode of the first
      // context compiled Vulkan pipelines inside the timed region (2026-12-06 run: 389 tok/s).
      const warm = randomPromptTokens(Math.min(ctx, 2048), vocab, 7);
      await seq.evaluateWithoutGeneratingNewTokens(warm.slice(0, -1));
      let w = 0;
      for await (const _t of seq.evaluate(warm.slice(-1), { temperature: 0 })) if (++w >= 8) break;
      await seq.clearHistory();
      const prompt = randomPromptTokens(n, vocab, 11);
      const measure = async () => {
        await seq.clearHistory();
        const t0 = performance.now();
        await seq.evaluateWithoutGeneratingNewTokens(prompt);
        const t1 = performance.now();
        let generated = 0;
        const t2 = performance.now();
        // greedy decode: one token at a time, as Longread does
        for await (const _t of seq.evaluate([prompt[prompt.length - 1]!], { temperature: 0 })) if (++generated >= DECODE) break;
        return { prefill: (prompt.length * 1000) / (t1 - t0), decode: (generated * 1000) / (performance.now() - t2) };
      };
      // The first context of a process measured cold even after the warm-up (2026-12-06: 20.1K
      // prefill / 280 decode tok/s at 2K, against 40.2K / 403 in the next process): its first
      // full measurement is run twice and the second one kept.
      if (!llamaWarm) await measure();
      llamaWarm = true;
      const runs: { prefill: number; decode: number }[] = [];
      for (let i = 0; i < REPEAT; i++) runs.push(await measure());
      const r = medians(runs);
      const vram1 = (await llama.getVramState()).used;
      rows.push({ model, ctx, engine: 'llama.cpp', ...r, memGiB: (vram1 - vram0 + lm.size) / 2 ** 30, note: fitNote(ctx, trainCtx) });
      await context.dispose();
    } catch (e) {
      rows.push({ model, ctx, engine: 'llama.cpp', prefill: NaN, decode: NaN, memGiB: NaN, note: (e as Error).message.slice(0, 80) });
    }
    process.stderr.write(`llama.cpp ${model} ${ctx}: ${JSON.stringify(rows[rows.length - 1])}\n`);
  }
  await lm.dispose();
  return rows;
}

const fmt = (x: number, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

function table(rows: Row[], device: string): string {
  const out = [
    `Device: ${device}. Prompt of N random tokens, then ${DECODE} greedy tokens; tokens/s; memory in GiB. Longread options: ${[NO_FUSE && '--no-fuse', FUSE_FFN && '--fuse-ffn', !FUSE_QUANT && '--no-fuse-quant', FUSE_MERGE_QUANT && '--fuse-merge-quant', FUSE_ROPE && '--fuse-rope', !INT8_PREFILL && '--no-int8-prefill', INT8_KB !== 1 && `--int8-kb ${INT8_KB}`, !PIPELINE && '--no-pipeline'].filter(Boolean).join(' ') || 'defaults'}.${REPEAT > 1 ? ` Medians of ${REPEAT} runs per engine and row.` : ''}`,
    '',
    '| model | context | Longread prefill | llama.cpp prefill | ratio | Longread decode | llama.cpp decode | ratio | Longread GiB | llama.cpp GiB | notes |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  const keys = [...new Set(rows.map((r) => `${r.model}|${r.ctx}`))];
  for (const k of keys) {
    const [model, ctx] = k.split('|');
    const a = rows.find((r) => r.model === model && String(r.ctx) === ctx && r.engine === 'longread');
    const b = rows.find((r) => r.model === model && String(r.ctx) === ctx && r.engine === 'llama.cpp');
    const notes = [a?.note && `longread: ${a.note}`, b?.note && `llama.cpp: ${b.note}`].filter(Boolean).join('; ');
    out.push(`| ${model} | ${ctx} | ${fmt(a?.prefill ?? NaN)} | ${fmt(b?.prefill ?? NaN)} | ${fmt((a?.prefill ?? NaN) / (b?.prefill ?? NaN), 2)} | ${fmt(a?.decode ?? NaN, 1)} | ${fmt(b?.decode ?? NaN, 1)} | ${fmt((a?.decode ?? NaN) / (b?.decode ?? NaN), 2)} | ${fmt(a?.memGiB ?? NaN, 2)} | ${fmt(b?.memGiB ?? NaN, 2)} | ${notes} |`);
  }
  return out.join('\n');
}

function breakdownTables(): string {
  const out: string[] = [];
  for (const b of breakdowns) {
    const total = b.rows.reduce((a, r) => a + r.ms, 0);
    out.push(`${b.model}, ${b.kind}: ops sum to ${total.toFixed(3)} ms on the GPU (each op in its own timestamped pass); the timed run averaged ${b.stepMs.toFixed(3)} ms per step (from its tokens/s; the difference is submit, host and pass-boundary time)`, '', '| op | dispatches | GPU ms | % |', '|---|---:|---:|---:|');
    for (const r of [...b.rows].sort((x, y) => y.ms - x.ms)) out.push(`| ${r.op} | ${r.calls} | ${r.ms.toFixed(3)} | ${((100 * r.ms) / total).toFixed(1)} |`);
    out.push('');
  }
  return out.join('\n');
}

const gpu = await gpuAcquire({ unsafe: true }); // unquantized timestamps for the per-op profiles
const rows: Row[] = [];
/** Writes what is measured so far (a run cut short by a time limit still leaves its tables). */
function save(final: boolean): void {
  const md = table(rows, gpu.info.adapterName);
  const bd = breakdownTables();
  if (final) process.stdout.write(md + '\n\n' + bd + '\n');
  if (process.env.OUT) {
    writeFileSync(path.join(process.env.OUT, 'e2e.md'), md + '\n');
    writeFileSync(path.join(process.env.OUT, 'breakdown.md'), bd + '\n');
    writeFileSync(path.join(process.env.OUT, 'e2e.json'), JSON.stringify({ rows, breakdowns }, null, 1));
  }
}
for (const m of MODELS) {
  const file = path.join('/tmp', `${m.id}.gguf`);
  const t0 = performance.now();
  const g = existsSync(file) ? null : ggufGenerate({ shape: m.shape, type: m.type, out: file, seed: 1 });
  process.stderr.write(`${m.id}: ${g ? `generated ${(g.bytes / 2 ** 20).toFixed(0)} MiB in ${((performance.now() - t0) / 1000).toFixed(1)} s` : 'cached'}\n`);
  const info = await modelInspect(file);
  const vocab = info.vocabSize;
  rows.push(...(await runLlamaCpp(file, m.id, CONTEXTS, vocab, info.contextLength)));
  save(false);
  rows.push(...(await runLongread(gpu, file, m.id, CONTEXTS, vocab, info.contextLength)));
  save(false);
}
save(true);
process.exit(0);

