/**
 * The snapshot checksum workers: digests equal createHash's for any range of shared memory, a
 * damaged snapshot block is caught through them, a dying worker rejects (never hangs) and the
 * reader then falls back to WebCrypto, and a bundled reader (one esbuild file, as on the GPU
 * machine) hashes on the workers and exits on its own once done.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { bundleScript } from '../../test/helpers/bundle-script.ts';
import { LongreadError } from '../errors.ts';
import { ShaPool, shaPoolShared, shaPoolSharedSet } from './sha-pool.ts';
import { snapshotRead, snapshotWrite, type SnapshotHeader } from './snapshot-file.ts';

const PAGE = 4096;
const N = 40; // pages; blocks of 3 pages
let dir: string;
let pages: Uint8Array[];
let good: string; // a valid snapshot
let bad: string; // the same with one byte flipped inside page 20 (block of pages 18..20)

const header: SnapshotHeader = { fingerprint: 'fp', engineVersion: '0.1.0', nLayers: 2, nKvHeads: 2, headDim: 8, tokens: N * 16, tokenIds: [1], pageBytes: PAGE, nPages: N };
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest();
const dying = "require('node:worker_threads').parentPort.on('message', () => process.exit(3));";

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'shapool-'));
  pages = Array.from({ length: N }, () => new Uint8Array(randomBytes(PAGE)));
  good = path.join(dir, 'good.kv');
  bad = path.join(dir, 'bad.kv');
  await snapshotWrite(good, header, pages, { blockBytes: 3 * PAGE });
  const b = await readFile(good);
  const body = b.length - 40 - N * PAGE - Math.ceil(N / 3) * 32;
  const at = body + 6 * (3 * PAGE + 32) + 2 * PAGE + 77;
  b[at] = b[at]! ^ 4;
  await writeFile(bad, b);
});
afterAll(async () => rm(dir, { recursive: true, force: true }));
afterEach(() => {
  vi.restoreAllMocks();
  shaPoolSharedSet(undefined);
});

async function expectPages(file: string): Promise<void> {
  const r = await snapshotRead(file, 'fp');
  for (let i = 0; i < N; i++) expect(Buffer.from(r.page(i)).equals(Buffer.from(pages[i]!))).toBe(true);
}

async function expectInvalid(file: string, why: RegExp): Promise<void> {
  const e = await snapshotRead(file, 'fp').catch((x: unknown) => x);
  expect(e).toBeInstanceOf(LongreadError);
  expect((e as LongreadError).code).toBe('snapshot-invalid');
  expect((e as LongreadError).message).toMatch(why);
}

describe('snapshot checksum workers', () => {
  it('give createHash digests for random ranges of shared memory at odd offsets', async () => {
    const pool = new ShaPool(3);
    try {
      const mem = Buffer.from(new SharedArrayBuffer(3 << 20));
      randomBytes(mem.length).copy(mem);
      const views: Uint8Array[] = [mem.subarray(0, 0), mem.subarray(1, 2), mem.subarray(mem.length - 1)];
      for (let k = 0; k < 40; k++) {
        const from = Math.floor(Math.random() * mem.length) | 1;
        views.push(mem.subarray(from, Math.min(mem.length, from + Math.floor(Math.random() * (1 << 20)))));
      }
      const sums = await pool.digest(views);
      views.forEach((v, i) => expect(sums[i]!.toString('hex')).toBe(sha(v).toString('hex')));
      await expect(pool.digest([new Uint8Array(8)])).rejects.toMatchObject({ code: 'internal' }); // not shared memory
      expect(pool.broken).toBeNull();
    } finally {
      pool.dispose();
    }
  });

  it('catch a damaged block of a snapshot (the reader hashes on the pool)', async () => {
    const pool = new ShaPool(2);
    const digest = vi.spyOn(pool, 'digest');
    shaPoolSharedSet(pool);
    await expectPages(good);
    expect(digest).toHaveBeenCalled();
    await expectInvalid(bad, /pages 18\.\.20 checksum mismatch/);
    expect(pool.broken).toBeNull(); // the pool, not the fallback, gave every digest
    pool.dispose();
  });

  it('reject pending digests when a worker dies, and the reader falls back to WebCrypto', async () => {
    const broken = new ShaPool(2, dying);
    const mem = new Uint8Array(new SharedArrayBuffer(64));
    const e = await broken.digest([mem, mem.subarray(1)]).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LongreadError);
    expect((e as LongreadError).code).toBe('internal');
    expect((e as LongreadError).message).toMatch(/checksum worker exited \(code 3\)/);
    await expect(broken.digest([mem])).rejects.toBe(e); // stays broken

    shaPoolSharedSet(new ShaPool(2, dying));
    await expectPages(good);
    expect(shaPoolShared()).toBeNull(); // given up for this process
    await expectInvalid(bad, /pages 18\.\.20 checksum mismatch/);
  });

  it('work from a one-file bundle and never keep the process alive', async () => {
    const bundle = path.join(dir, 'reader.mjs');
    await bundleScript(
      `
          import { snapshotRead } from ${JSON.stringify(path.resolve(__dirname, 'snapshot-file.ts'))};
          import { ShaPool, shaPoolShared } from ${JSON.stringify(path.resolve(__dirname, 'sha-pool.ts'))};
          new ShaPool(3); // never used
          const r = await snapshotRead(process.argv[2], 'fp');
          const pool = shaPoolShared();
          const [d] = await pool.digest([Buffer.from(new SharedArrayBuffer(5)).fill(9)]);
          process.stdout.write(JSON.stringify({ pages: r.header.nPages, broken: pool.broken, d: d.toString('hex') }));`,
      dir,
      bundle,
    );
    const child = spawn(process.execPath, [bundle, good], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000); // a pool that kept it alive
    const code = await new Promise((res) => child.once('exit', (c, sig) => res(c ?? sig)));
    clearTimeout(timer);
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual({ pages: N, broken: null, d: sha(Buffer.alloc(5, 9)).toString('hex') });
  });
});
