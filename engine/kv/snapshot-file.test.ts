/**
 * KV snapshot files: round trip, every kind of damage detected, and the crash test: a writer
 * process killed with SIGKILL at random moments (50 trials) never leaves a snapshot that loads
 * as valid but wrong.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleScript } from '../../test/helpers/bundle-script.ts';
import { LongreadError } from '../errors.ts';
import { snapshotOpen, snapshotRead, snapshotWrite, type SnapshotHeader, type SnapshotOpenOptions } from './snapshot-file.ts';

const PAGE = 4096;
let dir: string;

function pageOf(seed: number, i: number): Uint8Array {
  const b = new Uint8Array(PAGE);
  let s = (seed * 2654435761 + i * 40503 + 1) >>> 0;
  for (let k = 0; k < PAGE; k++) {
    s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
    b[k] = s & 255;
  }
  return b;
}

function header(seed: number, nPages: number): SnapshotHeader {
  return { fingerprint: 'fp', engineVersion: '0.1.0', nLayers: 2, nKvHeads: 2, headDim: 8, tokens: nPages * 16, tokenIds: [seed], pageBytes: PAGE, nPages };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kvsnap-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

async function expectInvalid(file: string, fp = 'fp'): Promise<void> {
  const e = await snapshotRead(file, fp).catch((x: unknown) => x);
  expect(e).toBeInstanceOf(LongreadError);
  expect((e as LongreadError).code).toBe('snapshot-invalid');
}

describe('KV snapshot files', () => {
  it('round-trips pages and rejects every kind of damage', async () => {
    const f = path.join(dir, 'a.kv');
    await snapshotWrite(f, header(7, 12), Array.from({ length: 12 }, (_, i) => pageOf(7, i)));
    const r = await snapshotRead(f, 'fp');
    expect(r.header.tokenIds).toEqual([7]);
    for (let i = 0; i < 12; i++) expect(Buffer.from(r.page(i)).equals(Buffer.from(pageOf(7, i)))).toBe(true);
    await expectInvalid(f, 'other-fingerprint');
    const good = await readFile(f);
    for (const at of [3, 20, 200, good.length - 10, good.length - 100, Math.floor(good.length / 2)]) {
      const bad = Buffer.from(good);
      bad[at] = bad[at]! ^ 0x40;
      await writeFile(f, bad);
      await expectInvalid(f);
    }
    for (const len of [0, 10, 100, good.length - 1, good.length - 41]) {
      await writeFile(f, good);
      await truncate(f, len);
      await expectInvalid(f);
    }
    await writeFile(f, Buffer.concat([good, Buffer.from([0])]));
    await expectInvalid(f);
    await expectInvalid(path.join(dir, 'missing.kv'));
  });

  it('checks every block: a flipped byte anywhere or a cut at any block boundary is caught', async () => {
    const f = path.join(dir, 'blocks.kv');
    await snapshotWrite(f, header(5, 12), Array.from({ length: 12 }, (_, i) => pageOf(5, i)), { blockBytes: 5 * PAGE }); // blocks of 5, 5, 2 pages
    const r = await snapshotRead(f, 'fp');
    for (let i = 0; i < 12; i++) expect(Buffer.from(r.page(i)).equals(Buffer.from(pageOf(5, i)))).toBe(true);
    const good = await readFile(f);
    const body = good.length - 40 - 12 * PAGE - 3 * 32;
    const sums = [body + 5 * PAGE, body + 10 * PAGE + 32, body + 12 * PAGE + 64]; // each block's checksum
    const at = [8, 12, 16, 19, body - 1, ...sums, ...sums.map((x) => x + 31), ...sums.map((x) => x - 1), good.length - 40, good.length - 1];
    for (let k = 0; k < good.length; k += 61) at.push(k);
    for (const a of at) {
      const bad = Buffer.from(good);
      bad[a] = bad[a]! ^ 0x10;
      await writeFile(f, bad);
      await expectInvalid(f);
    }
    for (const len of [...sums, ...sums.map((x) => x + 32), body, body + 1]) {
      await writeFile(f, good);
      await truncate(f, len);
      await expectInvalid(f);
    }
  });

  it('rejects a version 1 file (one checksum per page) by its version', async () => {
    const f = path.join(dir, 'v1.kv');
    await snapshotWrite(f, header(2, 3), Array.from({ length: 3 }, (_, i) => pageOf(2, i)));
    const old = await readFile(f);
    old.writeUInt32LE(1, 8);
    await writeFile(f, old);
    const e = await snapshotRead(f, 'fp').catch((x: unknown) => x);
    expect((e as LongreadError).code).toBe('snapshot-invalid');
    expect((e as LongreadError).message).toMatch(/version 1, expected 2/);
  });

  /** Batch starts read from `f` until the reader throws; the error (undefined: none). */
  const readUntilError = async (f: string, opts: SnapshotOpenOptions) => {
    const got: number[] = [];
    const e = await (async () => {
      for await (const b of (await snapshotOpen(f, 'fp', opts)).batches()) got.push(b.first);
    })().catch((x: unknown) => x as LongreadError);
    return { got, e };
  };

  // verifyLate: a batch is yielded before its checksums are in, so the damaged one is handed
  // over once; the error still comes before any later batch and before the end
  it.each([
    { recycle: false, verifyLate: false },
    { recycle: true, verifyLate: false },
    { recycle: true, verifyLate: true },
    { recycle: true, verifyLate: true, ramp: true },
  ])('streams pages in batches and stops at the first damaged block (%o)', async ({ recycle, verifyLate, ramp }) => {
    const f = path.join(dir, 'b.kv');
    const block = 3 * PAGE; // blocks of 3 pages: 17 blocks, the last one of 2 pages
    await snapshotWrite(f, header(3, 50), Array.from({ length: 50 }, (_, i) => pageOf(3, i)), { blockBytes: block });
    // 2 blocks = 6 pages per batch: 9 batches, the last one short; recycled: 3 buffers taking turns
    const batchBytes = 2 * (block + 32);
    // ramp: batches of 1 block, then 2 (pages 0..2, 3..8, 9..14, ...)
    const opts = { batchBytes, recycle, verifyLate, ahead: 2, ramp };
    const seen: number[] = [];
    const firsts: number[] = [];
    for await (const b of (await snapshotOpen(f, 'fp', opts)).batches()) {
      const pages = b.blocks.flatMap((k) => Array.from({ length: k.data.length / PAGE }, (_, i) => k.data.subarray(i * PAGE, (i + 1) * PAGE)));
      pages.forEach((p, k) => {
        expect(Buffer.from(p).equals(Buffer.from(pageOf(3, b.first + k)))).toBe(true);
        seen.push(b.first + k);
      });
      expect(b.blocks[0]!.first).toBe(b.first);
      firsts.push(b.first);
      for (const k of b.blocks) expect(Buffer.from(k.data).equals(Buffer.concat(Array.from({ length: k.data.length / PAGE }, (_, i) => pageOf(3, k.first + i))))).toBe(true);
    }
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(firsts).toEqual(ramp ? [0, 3, 9, 15, 21, 27, 33, 39, 45] : [0, 6, 12, 18, 24, 30, 36, 42, 48]);
    const good = await readFile(f);
    const bad = Buffer.from(good);
    const at = good.length - 40 - (2 * PAGE + 32) - 4 * (block + 32) + PAGE + 100; // inside page 37, in block 12 (pages 36..38)
    bad[at] = bad[at]! ^ 1;
    await writeFile(f, bad);
    const { got, e } = await readUntilError(f, opts);
    expect(e?.code).toBe('snapshot-invalid');
    expect(e?.message).toMatch(/pages 36\.\.38 checksum/);
    // batch 36..41 holds the damage: never yielded, or with verifyLate yielded once and nothing after it
    if (ramp) expect(got).toEqual([0, 3, 9, 15, 21, 27, 33]); // 33..38 holds it
    else expect(got).toEqual(verifyLate ? [0, 6, 12, 18, 24, 30, 36] : [0, 6, 12, 18, 24, 30]);
    // damage in the last block (pages 48..49) throws before the reader ends
    const last = Buffer.from(good);
    const tail = good.length - 40 - 100;
    last[tail] = last[tail]! ^ 1;
    await writeFile(f, last);
    expect((await readUntilError(f, opts)).e?.code).toBe('snapshot-invalid');
    // a reader closed without reading releases the file
    await (await snapshotOpen(f, 'fp')).close();
  });

  it('never leaves a snapshot that loads as valid but wrong when the writer is SIGKILLed (50 trials)', async () => {
    const bundle = path.join(dir, 'writer.mjs');
    await bundleScript(
      `
          import { snapshotWrite } from ${JSON.stringify(path.resolve(__dirname, 'snapshot-file.ts'))};
          const [file, pageBytes] = [process.argv[2], ${PAGE}];
          const pageOf = ${pageOf.toString().replace('PAGE', String(PAGE)).replace('PAGE', String(PAGE))};
          for (let seed = 1; ; seed++) {
            const n = 8 + (seed % 9);
            const header = { fingerprint: 'fp', engineVersion: '0.1.0', nLayers: 2, nKvHeads: 2, headDim: 8, tokens: n * 16, tokenIds: [seed], pageBytes, nPages: n };
            async function* pages() { for (let i = 0; i < n; i++) { if (i % 3 === 0) await new Promise((r) => setImmediate(r)); yield pageOf(seed, i); } }
            await snapshotWrite(file, header, pages(), { blockBytes: 3 * pageBytes });
            process.stdout.write('w' + seed + '\\n');
          }`,
      dir,
      bundle,
    );
    let valid = 0;
    let invalid = 0;
    let r = 12345;
    const rnd = () => { r ^= r << 13; r ^= r >>> 17; r ^= r << 5; return (r >>> 0) / 4294967296; };
    const trial = async (t: number, delay: number): Promise<void> => {
      const file = path.join(dir, `crash-${t % 5}.kv`);
      const child = spawn(process.execPath, [bundle, file], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((res) => child.stdout.once('data', () => res()));
      await new Promise((res) => setTimeout(res, delay));
      child.kill('SIGKILL');
      await new Promise((res) => child.once('exit', res));
      try {
        const s = await snapshotRead(file, 'fp');
        const seed = s.header.tokenIds[0]!;
        expect(s.header.nPages).toBe(8 + (seed % 9));
        for (let i = 0; i < s.header.nPages; i++) expect(Buffer.from(s.page(i)).equals(Buffer.from(pageOf(seed, i)))).toBe(true);
        valid++;
      } catch (e) {
        expect((e as LongreadError).code).toBe('snapshot-invalid');
        invalid++;
      }
    };
    // Five writers at a time, each on its own file, killed at random moments.
    for (let batch = 0; batch < 10; batch++) await Promise.all(Array.from({ length: 5 }, (_, k) => trial(batch * 5 + k, rnd() * 40)));
    expect(valid + invalid).toBe(50);
    expect(valid).toBeGreaterThan(0);
  });
});
