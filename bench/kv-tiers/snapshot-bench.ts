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
 * --drop-caches (root: drop the OS page cache before each of the --runs reopens, so the snapshot
 * comes from disk, as after a restart; then --runs more reopens with the file in the page cache)
 * --same-model (reopen on the model that prefilled; by default the model is loaded again after
 * the save, so the reopens start from fresh pipelines and plan sets, as after a restart)
 * --no-prepare (do not build the question's prefill plans while the snapshot is read)
 * --upload write|staged|direct (how restored pages reach the GPU: queue.writeBuffer, or reused mapped
 * staging buffers + copyBufferToBuffer; default the engine's, engine/kv/snapshot.ts) --ahead N
 * (reads in flight; default the engine's) --staging N (mapped staging buffers of 'staged') --verify-first (checksums before each batch's upload, as
 * before verifyLate) --ramp / --no-ramp (the first batches small and growing, or every batch at
 * the batch size; default snapshotRampDefault: the ramp on <= 4 cores). Run with
 * UV_THREADPOOL_SIZE set to compare thread pools (reads run on
 * libuv's pool, 4 threads by default, set before Node starts; checksums on engine/kv/sha-pool.ts's workers).
 * Checks that every restored run gives the same first token as the cold one. Each reopen is
 * split into phases (main-thread time; reads and checksums run on other threads, so `read
 * wait` and `verify` are what could not be overlapped): open (header, fingerprint, size checks),
 * alloc (clear + map the cache), read wait, verify, batch wait (all the restore's waits on the
 * reader for its next batch: read wait, verify and the reader's own main-thread work; first batch:
 * the first of them), upload (writeBuffer calls), drain (queue
 * idle after the uploads), prepare wait (question plans still being built after the restore),
 * question (prefill of the question + the first token: one submit, one readback). A control row
 * prefills the same question over the same cached prefix with no restore before it. Prints a
 * markdown table (and writes $OUT/snapshot.md when OUT is set).
 *
 * --restore-only: no model, no prefill: a bare paged cache of the shape's KV (--layers 16
 * --heads 8 --head-dim 64 --ctx, the Llama-3.2-1B shape by default) filled with random pages,
 * saved, then restored --runs times (kvSnapshotRestore alone: read + verify + upload). Checks
 * the restored pages by saving them again and comparing the two files byte for byte; `after` is
 * a 4-byte copy + readback right after each restore (work the restore left to the queue). Usable on
 * CPU adapters, where prefilling a long document would take minutes:
 *
 *   node --import ./bin/register.mjs bench/kv-tiers/snapshot-bench.ts --restore-only --ctx 16384
 */

import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { APP_GPU, gpuAcquire } from '../../engine/gpu/device.ts';
import { modelInspect, modelLoad, sessionCreate } from '../../engine/decode/index.ts';
import { kvCacheCreate, kvCacheDispose, kvCacheEnsure } from '../../engine/kv/kv-cache.ts';
import { kvSnapshotRestore, kvSnapshotSave, SNAPSHOT_AHEAD_DEFAULT, SNAPSHOT_STAGING_DEFAULT, SNAPSHOT_UPLOAD_DEFAULT, snapshotRampDefault, snapshotRestoreStatsCreate, type SnapshotRestoreStats, type SnapshotUpload } from '../../engine/kv/snapshot.ts';
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
const prepare = !argv.includes('--no-prepare');
const sameModel = argv.includes('--same-model');
const upload = (arg('--upload') ?? SNAPSHOT_UPLOAD_DEFAULT) as SnapshotUpload;
const ahead = Number(arg('--ahead') ?? 0) || SNAPSHOT_AHEAD_DEFAULT; // reads in flight
// --verify-first: each batch's checksums checked before it is uploaded (the restore's default hashes a batch while it uploads)
const verifyLate = !argv.includes('--verify-first');
const staging = Number(arg('--staging') ?? 0) || SNAPSHOT_STAGING_DEFAULT; // mapped staging buffers of the 'staged' upload
const ramp = argv.includes('--ramp') ? true : argv.includes('--no-ramp') ? false : snapshotRampDefault(); // first batches small (snapshot-file.ts ramp)
const restoreOpts = { upload, verifyLate, ahead, staging, ramp };
const sec = (ms: number) => (ms / 1000).toFixed(3);

function dropPageCache(): boolean {
  try {
    writeFileSync('/proc/sys/vm/drop_caches', '3');
    return true;
  } catch {
    return false;
  }
}

/** One table row of a restore's phases (seconds). */
function phaseCells(st: SnapshotRestoreStats): string[] {
  return [st.openMs, st.allocMs, st.readWaitMs, st.verifyMs, st.batchWaitMs, st.firstBatchMs, st.uploadMs, st.drainMs, st.totalMs].map(sec);
}
const PHASE_HEAD = 'open | alloc | read wait | verify | batch wait | first batch | upload | drain | restore';

if (argv.includes('--restore-only')) await restoreOnlyBench();


/** A 4-byte copy out of `src` and its readback: one submit round trip. */
async function roundTrip(device: GPUDevice, src: GPUBuffer): Promise<void> {
  const out = device.createBuffer({ size: 4, usage: 0x01 | 0x08 }); // MAP_READ | COPY_DST
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(src, 0, out, 0, 4);
  device.queue.submit([enc.finish()]);
  await out.mapAsync(0x0001);
  out.destroy();
}

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
  const rows: string[] = [];
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const st = snapshotRestoreStatsCreate();
    if (dropCaches) dropPageCache();
    t = performance.now();
    await kvSnapshotRestore(kv, file, 'snapshot-bench', { stats: st, ...restoreOpts });
    times.push(performance.now() - t);
    t = performance.now();
    await roundTrip(gpu.device, kv.arenas[0]!);
    rows.push(`| ${i + 1} | ${phaseCells(st).join(' | ')} | ${sec(performance.now() - t)} |`);
  }
  await kvSnapshotSave(kv, ids, again, 'snapshot-bench', ENGINE_VERSION);
  const same = readFileSync(file).equals(readFileSync(again));
  const bytes = statSync(file).size;
  rmSync(dir, { recursive: true, force: true });
  process.stdout.write(`Device: ${gpu.info.adapterName}. Bare KV cache ${shapeArgs.nLayers} layers x ${shapeArgs.nKvHeads} KV heads x head dim ${shapeArgs.headDim}, ${ctx} tokens: snapshot ${(bytes / 2 ** 20).toFixed(0)} MiB, saved in ${(saveMs / 1000).toFixed(2)} s.\n`
    + `restore (read + verify + upload), ${runs} runs (s): ${times.map((x) => sec(x)).join(', ')}; best ${sec(Math.min(...times))} s = ${(bytes / 2 ** 20 / (Math.min(...times) / 1000)).toFixed(0)} MiB/s\n`
    + `upload: ${upload}, reads ahead: ${ahead}, staging buffers: ${staging}${ramp ? ', first batches ramping up' : ''}, checksums ${verifyLate ? 'while uploading' : 'before each upload'}.${dropCaches ? ' OS page cache dropped before each restore.' : ''} UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '(default 4)'}.\n`
    + `| run | ${PHASE_HEAD} | after (s) |\n|---|${'---:|'.repeat(10)}\n${rows.join('\n')}\n`
    + `restored pages saved again give the same file: ${same}\n`);
  kvCacheDispose(kv);
  process.exit(same ? 0 : 1);
}

const modelFile = path.join(tmpdir(), `snapshot-bench-${shape}-${type}.gguf`);
if (!existsSync(modelFile)) ggufGenerate({ shape, type, out: modelFile, seed: 1 });
const vocab = (await modelInspect(modelFile)).vocabSize;
const gpu = await gpuAcquire(APP_GPU); // the app's device: its prefill path (int8 where offered) is the one timed
const loadOpts = { contextLength: ctx + qLen + 64 };
let m = await modelLoad(gpu, modelFile, loadOpts);
let s = sessionCreate(m);
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

// a reopen after a restart: a freshly loaded model (no prefill plans, no pipelines beyond decode)
let reloadMs = 0;
if (!sameModel) {
  m.dispose();
  t0 = performance.now();
  m = await modelLoad(gpu, modelFile, loadOpts);
  reloadMs = performance.now() - t0;
  s = sessionCreate(m);
}

interface Reopen { cache: string; st: SnapshotRestoreStats; prepWaitMs: number; questionMs: number; totalMs: number }
const reopens: Reopen[] = [];
let dropped = false;
const plan = dropCaches ? [...Array<string>(runs).fill('dropped'), ...Array<string>(runs).fill('warm')] : Array<string>(runs).fill('as is');
for (const cache of plan) {
  s.reset();
  if (cache === 'dropped') dropped = dropPageCache();
  const st = snapshotRestoreStatsCreate();
  t0 = performance.now();
  const prepared = prepare ? s.prepare(prompt.length, doc.length) : Promise.resolve();
  const ids = await kvSnapshotRestore(m.kv, file, 'snapshot-bench', { stats: st, ...restoreOpts });
  let t = performance.now();
  await prepared;
  const prepWaitMs = performance.now() - t;
  s.adoptCache(ids);
  t = performance.now();
  const r = await s.generate(first);
  const questionMs = performance.now() - t;
  reopens.push({ cache, st, prepWaitMs, questionMs, totalMs: performance.now() - t0 });
  if (r.stats.reusedPrefix < doc.length) throw new Error(`restored run reused ${r.stats.reusedPrefix} tokens, expected >= ${doc.length}`);
  if (r.tokens[0] !== cold.tokens[0]) throw new Error(`restored run's first token ${r.tokens[0]} differs from the cold run's ${cold.tokens[0]}`);
}
// control: the same question over the same cached prefix, no restore before it
const control: number[] = [];
for (let i = 0; i < 2; i++) {
  s.adoptCache(doc);
  t0 = performance.now();
  const r = await s.generate(first);
  control.push(performance.now() - t0);
  if (r.tokens[0] !== cold.tokens[0]) throw new Error(`control run's first token ${r.tokens[0]} differs from the cold run's ${cold.tokens[0]}`);
}
rmSync(dir, { recursive: true, force: true });

const bestOf = (c: string) => {
  const xs = reopens.filter((r) => r.cache === c).map((r) => r.totalMs);
  return xs.length ? Math.min(...xs) : NaN;
};
const summary = [...new Set(plan)].map((c) => `| restore the snapshot (page cache ${c}), prefill the question: best of ${runs} | ${sec(bestOf(c))} | ${(coldMs / bestOf(c)).toFixed(1)}x |`);
const md = [
  `Device: ${gpu.info.adapterName}. Model: ${shape} ${type}, random weights. Document ${ctx} tokens + question ${qLen} tokens, first answer token (greedy). Snapshot ${(bytes / 2 ** 20).toFixed(0)} MiB, saved in ${(saveMs / 1000).toFixed(2)} s. `
    + `${sameModel ? 'Reopened on the model that prefilled.' : `Reopened on a freshly loaded model (load ${(reloadMs / 1000).toFixed(2)} s, not counted).`} Question plans ${prepare ? 'prepared while the snapshot is read' : 'built at first use'}; upload: ${upload}, reads ahead: ${ahead}, staging buffers: ${staging}${ramp ? ', first batches ramping up' : ''}, checksums ${verifyLate ? 'while uploading' : 'before each upload'}. `
    + `${dropCaches ? `OS page cache ${dropped ? 'dropped' : 'NOT dropped (not root)'} before each 'dropped' reopen.` : 'Snapshot possibly in the OS page cache.'} UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '(default 4)'}.`,
  '',
  '| path | time to first token (s) | speed-up |',
  '|---|---:|---:|',
  `| prefill the document again | ${(coldMs / 1000).toFixed(2)} | 1.0x |`,
  ...summary,
  `| control: the question alone over the cached prefix, no restore before it (best of 2) | ${sec(Math.min(...control))} | |`,
  '',
  `Reopen phases (s; main-thread time, see snapshot-bench.ts):`,
  '',
  `| run | page cache | ${PHASE_HEAD} | prepare wait | question + first token | total |`,
  `|---|---|${'---:|'.repeat(12)}`,
  ...reopens.map((r, i) => `| ${i + 1} | ${r.cache} | ${phaseCells(r.st).join(' | ')} | ${sec(r.prepWaitMs)} | ${sec(r.questionMs)} | ${sec(r.totalMs)} |`),
].join('\n');
process.stdout.write(md + '\n');
if (process.env.OUT) writeFileSync(path.join(process.env.OUT, 'snapshot.md'), md + '\n');
m.dispose();
process.exit(0);
