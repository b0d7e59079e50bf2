/**
 * KV tiers benchmark: prefill and decode with the KV cache under a VRAM budget (layers leave the
 * GPU as the sequence grows, engine/kv/kv-planner.ts) against the same run all on the GPU, and
 * the cost of the per-layer submits alone (two layers off the GPU that stay in their staging
 * slots, so nothing is uploaded). Random-weight model from tools/gen-gguf.
 *
 *   node --import ./bin/register.mjs bench/kv-tiers/kv-tiers-bench.ts                        # H100: Llama-3.2-1B shape, 128K, budget 1/4
 *   node --import ./bin/register.mjs bench/kv-tiers/kv-tiers-bench.ts --shape tiny-llama --type F16 --ctx 4096 --layers 8
 *
 * Options: --shape (gen-gguf shape, default llama-3.2-1b) --type (default Q8_0) --layers N
 * (override) --ctx (prompt tokens, default 131072) --frac (budget / whole-context KV, default
 * 0.25) --decode (tokens, default 32) --chunk (prefill tokens per piece, default 2048)
 * --runs (comma list of all, pinned, budget, run in that order; default all,pinned,budget). Prints a markdown table (and writes it to $OUT/kv-tiers.md when OUT is set).
 *
 * Extend: new rows are new `run(...)` calls with their own setup.
 */

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gpuAcquire, type Gpu } from '../../engine/gpu/device.ts';
import { modelLoad, sessionCreate } from '../../engine/decode/index.ts';
import { kvCacheBytes } from '../../engine/kv/kv-cache.ts';
import { KvTiers, kvGpuBytes, kvPagesOffload, kvTierCounts, kvTiersEnable, kvOffloadedLayers } from '../../engine/kv/kv-tiers.ts';
import { ggufGenerate, type GenType } from '../../tools/gen-gguf/gen-gguf.ts';

const argv = process.argv.slice(2);
const arg = (k: string) => {
  const i = argv.indexOf(k);
  return i >= 0 ? argv[i + 1] : undefined;
};
const shape = arg('--shape') ?? 'llama-3.2-1b';
const type = (arg('--type') ?? 'Q8_0') as GenType;
const layers = arg('--layers') ? Number(arg('--layers')) : undefined;
const ctx = Number(arg('--ctx') ?? 131072);
const frac = Number(arg('--frac') ?? 0.25);
const decode = Number(arg('--decode') ?? 32);
const chunk = Number(arg('--chunk') ?? 2048);

interface Row {
  run: string;
  prefill: number;
  decode: number;
  gpuKvMiB: number;
  note: string;
}

function promptOf(n: number, vocab: number): number[] {
  let s = 11;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const lo = vocab > 4000 ? 1000 : 10;
    out.push(lo + ((s >>> 0) % (vocab - 2 * lo)));
  }
  return out;
}

async function run(gpu: Gpu, file: string, name: string, opts: { budget?: number; pin?: number }): Promise<Row> {
  const m = await modelLoad(gpu, file, { contextLength: ctx + decode + 64, chunk, ...(opts.budget !== undefined ? { vramBudgetBytes: opts.budget } : {}) });
  try {
    if (opts.pin) {
      kvTiersEnable(m.kv);
      for (let i = 0; i < opts.pin; i++) await kvPagesOffload(m.kv, m.hp.nLayers - 1 - i, 'ram');
    }
    const s = sessionCreate(m);
    await s.generate({ promptTokens: promptOf(Math.min(ctx, 256), m.hp.vocab), maxTokens: 4, temperature: 0 }); // warm-up
    s.reset();
    const t = m.kv.tiers instanceof KvTiers ? m.kv.tiers : null;
    if (t) {
      t.events.length = 0;
      t.stagedBytes = 0;
    }
    const r = await s.generate({ promptTokens: promptOf(ctx, m.hp.vocab), maxTokens: decode, temperature: 0 });
    const c = kvTierCounts(m.kv);
    const off = kvOffloadedLayers(m.kv);
    const note = [
      `${r.stats.generatedTokens} tokens decoded`,
      `layers off GPU at end: ${off.length ? off.join(',') : 'none'}`,
      t ? `moves: ${t.events.map((e) => `L${e.layer}->${e.to}@${e.tokens}`).join(' ') || 'none'}` : '',
      t ? `staged ${(t.stagedBytes / 2 ** 30).toFixed(1)} GiB` : '',
      `pages gpu/ram/disk ${c.gpuPages}/${c.ramPages}/${c.diskPages}`,
    ].filter(Boolean).join('; ');
    return { run: name, prefill: r.stats.prefillTokensPerSecond, decode: r.stats.decodeTokensPerSecond, gpuKvMiB: kvGpuBytes(m.kv) / 2 ** 20, note };
  } finally {
    m.dispose();
  }
}

async function main(): Promise<void> {
  const file = path.join(os.tmpdir(), `lr-kvbench-${shape}-${type}-${layers ?? 'all'}.gguf`);
  if (!fs.existsSync(file)) await ggufGenerate({ shape, type, out: file, seed: 1, ...(layers ? { layers } : {}) });
  const gpu = await gpuAcquire();
  const info = `${gpu.info.adapterName} (${gpu.info.backend})`;
  const probe = await modelLoad(gpu, file, { contextLength: 64 });
  const hp = probe.hp;
  probe.dispose();
  const whole = kvCacheBytes({ nLayers: hp.nLayers, nKvHeads: hp.nKvHeads, headDim: hp.headDim, maxTokens: ctx + decode + 64 });
  const rows: Row[] = [];
  const step = async (name: string, o: { budget?: number; pin?: number }) => {
    try {
      rows.push(await run(gpu, file, name, o));
    } catch (e) {
      rows.push({ run: name, prefill: NaN, decode: NaN, gpuKvMiB: NaN, note: (e as Error).message.slice(0, 160) });
    }
    process.stderr.write(`${JSON.stringify(rows.at(-1))}\n`);
  };
  const runs = (arg('--runs') ?? 'all,pinned,budget').split(',');
  for (const r of runs) {
    if (r === 'all') await step('all on GPU', {});
    else if (r === 'pinned') await step('2 layers off GPU, kept in staging (submit cost only)', { pin: 2 });
    else if (r === 'budget') await step(`budget ${frac} of the context's KV (${(whole * frac / 2 ** 20).toFixed(0)} MiB)`, { budget: Math.floor(whole * frac) });
    else throw new Error(`unknown run ${r} (all, pinned, budget)`);
  }
  const fmt = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
  const md = [
    `Device: ${info}. Model: ${shape}${layers ? ` (${layers} layers)` : ''} ${type}, random weights. Prompt ${ctx} tokens (prefill pieces of ${chunk}), then ${decode} greedy tokens. Whole-context KV: ${(whole / 2 ** 20).toFixed(0)} MiB.`,
    '',
    '| run | prefill tok/s | decode tok/s | GPU KV MiB | notes |',
    '|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.run} | ${fmt(r.prefill)} | ${fmt(r.decode, 2)} | ${fmt(r.gpuKvMiB, 0)} | ${r.note} |`),
  ].join('\n');
  process.stdout.write(`${md}\n`);
  if (process.env.OUT) fs.writeFileSync(path.join(process.env.OUT, 'kv-tiers.md'), `${md}\n`);
  gpu.dispose();
}

await main();
