/**
 * Snapshot reopen benchmark (issue 10): time to the first answer token for a long document
 * prefilled from scratch against the same document restored from its KV snapshot, the way the
 * app does it (engine/service/chat-runner.ts: restore the pages, adopt them as the cached prefix,
 * prefill only the question). Also the save time and the snapshot's size. Random-weight model
 * from tools/gen-gguf, random document tokens.
 *
 *   node --import ./bin/register.mjs bench/kv-tiers/snapshot-bench.ts                              # H100: Llama-3.2-1B shape, 32K
 *   node --import ./bin/register.mjs bench/kv-tiers/snapshot-bench.ts --shape tiny-llama --type F16 --ctx 2048
 *
 * Options: --shape (default llama-3.2-1b) --type (default Q8_0) --ctx (document tokens, default
 * 32768) --question (question tokens, default 64) --runs (reopen repetitions, default 3)
 * --drop-caches (root: drop the OS page cache before each reopen, so the snapshot comes from
 * disk, as after a restart). Checks that the restored run gives the same first token as the
 * cold one. Prints a markdown table (and writes $OUT/snapshot.md when OUT is set).
 *
 * --restore-only: no model, no prefill: a bare paged cache of the shape's KV (--layers 16
 * --heads 8 --head-dim 64 --ctx, the Llama-3.2-1B shape by default) filled with random pages,
 * saved, then restored --runs times (kvSnapshotRestore alone: read + verify + upload). Checks
 * the restored pages by saving them again and comparing the two files byte for byte. Usable on
 * CPU adapters, where prefilling a long document would take minutes:
 *
 *   node --import ./bin/register.mjs bench/kv-tiers/snapshot-bench.ts --restore-only --ctx 16384
 */

import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gpuAcquire } from '../../engine/gpu/device.ts';
import { modelInspect, modelLoad, sessionCreate } from '../../engine/decode/index.ts';
import { kvCacheCreate, kvCacheDispose, kvCacheEnsure } from '../../engine/kv/kv-cache.ts';
import { kvSnapshotRestore, kvSnapshotSave } from '../../engine/kv/snapshot.ts';
import { ENGINE_VERSION } from '../../engine/service/version.ts';
import { ggufGenerate, randomPromptTokens, type GenType } from '../../tools/gen-gguf/gen-gguf.ts';

const argv = process.argv.slice(2);
const arg = (k: string) => { const i = argv.indexOf(k); return i >= 0 ? argv[i + 1] : undefined; };
const shape = arg('--shape') ?? 'llama-3.2-1b';
const type = (arg('--type') ?? 'Q8_0') as GenType;
const ctx = Number(arg('--ctx') ?? 32768);
const qLen = Number(arg('--question') ?? 64);
const runs = Number(arg('--runs') ?? 3);
const dropCaches = argv.includes('--drop-caches');

function dropPageCache(): boolean {
  try {
    writeFileSync('/proc/sys/vm/drop_caches', '3');
    return true;
  } catch {
    return false;
  }
}

if (argv.includes('--restore-only')) await restoreOnlyBench();

/** The --restore-only mode: kvSnapshotRestore of a bare cache, timed apart from any model. */
async function restoreOnlyBench(): Promise<never> {
  const shapeArgs = { nLayers: Number(arg('--layers') ?? 16), nKvHeads: Number(arg('--heads') ?? 8), headDim: Number(arg('--head-dim') ?? 64) };
  const gpu = await gpuAcquire();
  const kv = kvCacheCreate(gpu.device, { ...shapeArgs, maxTokens: ctx + 64 });
  kvCacheEnsure(kv, ctx);
  const chunk = new Uint8Array(1 << 20);
  for (const a of kv.arenas) {
    for (let off = 0; off < a.size; off += chunk.length) {
      for (let i = 0; i < chunk.length; i += 4096) chunk[i] = (off + i) * 2654435761 >>> 24; // cheap, page-distinct contents
      gpu.device.queue.writeBuffer(a, off, chunk, 0, Math.min(chunk.length, a.size - off));
    }
  }
  const ids = randomPromptTokens(ctx, 32000, 11);
  const dir = mkdtempSync(path.join(tmpdir(), 'lr-snap-'));
  const [file, again] = [path.join(dir, 'doc.kvsnap'), path.join(dir, 'again.kvsnap')];
  let t = performance.now();
  await kvSnapshotSave(kv, ids, file, 'snapshot-bench', ENGINE_VERSION);
  const saveMs = performance.now() - t;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    t = performance.now();
    await kvSnapshotRestore(kv, file, 'snapshot-bench');
    times.push(performance.now() - t);
  }
  await kvSnapshotSave(kv, ids, again, 'snapshot-bench', ENGINE_VERSION);
  const same = readFileSync(file).equals(readFileSync(again));
  const bytes = statSync(file).size;
  rmSync(dir, { recursive: true, force: true });
  process.stdout.write(`Device: ${gpu.info.adapterName}. Bare KV cache ${shapeArgs.nLayers} layers x ${shapeArgs.nKvHeads} KV heads x head dim ${shapeArgs.headDim}, ${ctx} tokens: snapshot ${(bytes / 2 ** 20).toFixed(0)} MiB, saved in ${(saveMs / 1000).toFixed(2)} s.\n`
    + `restore (read + verify + upload), ${runs} runs (s): ${times.map((x) => (x / 1000).toFixed(3)).join(', ')}; best ${(Math.min(...times) / 1000).toFixed(3)} s = ${(bytes / 2 ** 20 / (Math.min(...times) / 1000)).toFixed(0)} MiB/s\n`
    + `restored pages saved again give the same file: ${same}\n`);
  kvCacheDispose(kv);
  process.exit(same ? 0 : 1);
}

const modelFile = path.join(tmpdir(), `snapshot-bench-${shape}-${type}.gguf`);
if (!existsSync(modelFile)) ggufGenerate({ shape, type, out: modelFile, seed: 1 });
const vocab = (await modelInspect(modelFile)).vocabSize;
const gpu = await gpuAcquire();
const m = await modelLoad(gpu, modelFile, { contextLength: ctx + qLen + 64 });
const s = sessionCreate(m);
const doc = randomPromptTokens(ctx, vocab, 11);
const prompt = [...doc, ...randomPromptTokens(qLen, vocab, 5)];
const first = { promptTokens: prompt, maxTokens: 1, temperature: 0 };

// warm-up (pipelines), then the cold run: the whole document prefilled
await s.generate({ ...first, promptTokens: prompt.slice(0, 600) });
s.reset();
let t0 = performance.now();
const cold = await s.generate(first);
const coldMs = performance.now() - t0;

const dir = mkdtempSync(path.join(tmpdir(), 'lr-snap-'));
const file = path.join(dir, 'doc.kvsnap');
t0 = performance.now();
await kvSnapshotSave(m.kv, doc, file, 'snapshot-bench', ENGINE_VERSION);
const saveMs = performance.now() - t0;
const bytes = statSync(file).size;

const warm: number[] = [];
const restoreOnly: number[] = [];
let dropped = false;
for (let i = 0; i < runs; i++) {
  s.reset();
  if (dropCaches) dropped = dropPageCache();
  t0 = performance.now();
  const ids = await kvSnapshotRestore(m.kv, file, 'snapshot-bench');
  restoreOnly.push(performance.now() - t0);
  s.adoptCache(ids);
  const r = await s.generate(first);
  warm.push(performance.now() - t0);
  if (r.stats.reusedPrefix < doc.length) throw new Error(`restored run reused ${r.stats.reusedPrefix} tokens, expected >= ${doc.length}`);
  if (r.tokens[0] !== cold.tokens[0]) throw new Error(`restored run's first token ${r.tokens[0]} differs from the cold run's ${cold.tokens[0]}`);
}
rmSync(dir, { recursive: true, force: true });

const best = Math.min(...warm);
const md = [
  `Device: ${gpu.info.adapterName}. Model: ${shape} ${type}, random weights. Document ${ctx} tokens + question ${qLen} tokens, first answer token (greedy). Snapshot ${(bytes / 2 ** 20).toFixed(0)} MiB, saved in ${(saveMs / 1000).toFixed(2)} s.${dropCaches ? ` OS page cache ${dropped ? 'dropped' : 'NOT dropped (not root)'} before each reopen.` : ' Snapshot possibly in the OS page cache.'}`,
  '',
  '| path | time to first token (s) | speed-up |',
  '|---|---:|---:|',
  `| prefill the document again | ${(coldMs / 1000).toFixed(2)} | 1.0x |`,
  `| restore the snapshot, prefill the question (best of ${runs}) | ${(best / 1000).toFixed(3)} | ${(coldMs / best).toFixed(1)}x |`,
  `| same, each run (s) | ${warm.map((w) => (w / 1000).toFixed(3)).join(', ')} | |`,
  `| of which reading, verifying and uploading the snapshot (s) | ${restoreOnly.map((w) => (w / 1000).toFixed(3)).join(', ')} | |`,
].join('\n');
process.stdout.write(md + '\n');
if (process.env.OUT) writeFileSync(path.join(process.env.OUT, 'snapshot.md'), md + '\n');
m.dispose();
process.exit(0);
