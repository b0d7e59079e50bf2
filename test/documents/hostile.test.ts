/**
 * The hostile corpus (test/documents/hostile/, see its README.md) and every ingest limit, all
 * through `ingestDocument`, i.e. through the worker: each case ends in a typed LongreadError
 * (or a clean result), and the host keeps answering: its event loop is never blocked for long
 * and a normal document ingests fine afterwards.
 */
import { existsSync, rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { ingestDocument } from '../../engine/documents/ingest.ts';
import type { IngestOptions } from '../../engine/documents/types.ts';
import { LongreadError, type ErrorCode } from '../../engine/errors.ts';

const H = 'test/documents/hostile/';
const CVE_MARK = '/tmp/longread-cve-2024-4367';
const SLIP_MARK = '/tmp/longread-zip-slip.txt';
rmSync(CVE_MARK, { force: true });
rmSync(SLIP_MARK, { force: true });

/** Runs an ingest while measuring the host's event-loop responsiveness. */
async function run(path: string, opts: IngestOptions = {}) {
  let maxLag = 0;
  let last = Date.now();
  const tick = setInterval(() => {
    const now = Date.now();
    maxLag = Math.max(maxLag, now - last - 10);
    last = now;
  }, 10);
  try {
    const doc = await ingestDocument({ kind: 'path', path }, opts);
    return { doc, error: null as LongreadError | null, maxLag };
  } catch (e) {
    return { doc: null, error: e as LongreadError, maxLag };
  } finally {
    clearInterval(tick);
  }
}

async function expectError(path: string, code: ErrorCode, message: RegExp, opts: IngestOptions = {}) {
  const r = await run(path, opts);
  expect(r.doc, `${path} should fail`).toBeNull();
  expect(r.error).toBeInstanceOf(LongreadError);
  expect(r.error!.code).toBe(code);
  expect(r.error!.message).toMatch(message);
  expect(r.error!.hint.length).toBeGreaterThan(10);
  // The host thread stayed responsive (the work happened in the worker).
  expect(r.maxLag).toBeLessThan(1000);
  return r.error!;
}

describe('hostile corpus', () => {
  afterAll(async () => {
    // After everything: the host still ingests a normal document.
    const ok = await run('test/documents/fixtures/utf8.txt');
    expect(ok.doc?.text).toMatch(/^Café crème/);
  });

  it('zip bomb (ratio ~1000:1) is refused from the central directory', async () => {
    const e = await expectError(H + 'zip-bomb.docx', 'document-limit', /compression ratio of \d+:1/);
    expect(e.details).toMatchObject({ limit: 'maxCompressionRatio', entry: 'word/document.xml' });
  });

  it('zip total uncompressed size limit', async () => {
    await expectError('test/documents/fixtures/handbook.docx', 'document-limit', /would expand to more than 4096 bytes/, { limits: { maxUncompressedBytes: 4096 } });
  });

  it('zip entry whose header lies about its size is stopped while inflating', async () => {
    await expectError(H + 'lying-sizes.epub', 'document-limit', /inflates to more than its declared 1000 bytes/);
  });

  it('overlapping zip entries (non-recursive bomb)', async () => {
    await expectError(H + 'overlap.epub', 'document-limit', /overlap/);
  });

  it('DOCX and EPUB with path traversal names, EPUB spine escaping the container', async () => {
    await expectError(H + 'traversal.docx', 'document-invalid', /unsafe entry name "\.\.\/\.\.\/\.\.\/\.\.\/tmp\/longread-zip-slip\.txt"/);
    await expectError(H + 'traversal.epub', 'document-invalid', /unsafe entry name "\/etc\/longread-absolute\.xhtml"/);
    await expectError(H + 'spine-escape.epub', 'document-invalid', /points outside the container/);
    expect(existsSync(SLIP_MARK)).toBe(false);
  });

  it('malformed, truncated and header-only PDFs', async () => {
    await expectError(H + 'malformed.pdf', 'document-invalid', /could not be read as a PDF/);
    await expectError(H + 'truncated.pdf', 'document-invalid', /could not be read as a PDF/);
    await expectError(H + 'header-only.pdf', 'document-invalid', /could not be read as a PDF/);
  });

  it('password-protected PDF', async () => {
    await expectError(H + 'encrypted.pdf', 'document-unsupported', /protected by a password/);
  });

  it('CVE-2024-4367: a JavaScript payload in FontMatrix never runs', async () => {
    const r = await run(H + 'cve-2024-4367.pdf');
    expect(r.error).toBeNull();
    expect(r.doc!.text).toBe('The payload must never run.');
    expect(existsSync(CVE_MARK)).toBe(false);
  });

  it('invalid UTF-8 falls back to windows-1252 and says so', async () => {
    const r = await run(H + 'invalid-utf8.txt');
    expect(r.doc!.info.encoding).toBe('windows-1252');
    expect(r.doc!.text).toBe('Valid start, then Ã( an invalid pair and a lone ÿ byte; Café.');
    expect(r.doc!.info.notes?.[0]).toMatch(/first invalid byte at offset 18/);
  });

  it('0-byte file', async () => {
    await expectError(H + 'empty.txt', 'document-invalid', /is empty \(0 bytes\)/);
  });

  it('wrong extensions: detected by content, not by name', async () => {
    const pdf = await run(H + 'really-a-pdf.txt');
    expect(pdf.doc!.info.format).toBe('pdf');
    expect(pdf.doc!.info.pages).toBe(5);
    const docx = await run(H + 'really-a-docx.pdf');
    expect(docx.doc!.info.format).toBe('docx');
    await expectError(H + 'really-a-png.epub', 'document-unsupported', /is a PNG image/);
    await expectError(H + 'spreadsheet.docx', 'document-unsupported', /is an Excel workbook/);
    await expectError(H + 'random.bin', 'document-unsupported', /looks like a binary file/);
  });
});

describe('ingest limits, cancellation and failures', () => {
  it('file size', async () => {
    const e = await expectError('test/documents/fixtures/report.pdf', 'document-too-large', /more than the limit of 1000/, { limits: { maxFileBytes: 1000 } });
    expect(e.details).toMatchObject({ limit: 'maxFileBytes' });
  });

  it('page count', async () => {
    await expectError('test/documents/fixtures/report.pdf', 'document-limit', /has 9 pages, more than the limit of 3/, { limits: { maxPages: 3 } });
  });

  it('text length', async () => {
    await expectError('test/documents/fixtures/report.pdf', 'document-limit', /exceeds the limit of 2000 characters/, { limits: { maxTextChars: 2000 } });
  });

  it('time: the worker is stopped at the deadline', async () => {
    const t0 = Date.now();
    await expectError('test/documents/fixtures/report.pdf', 'document-limit', /took longer than 200 ms/, { limits: { timeoutMs: 200 } });
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('memory: a worker that exhausts its heap becomes a typed error', async () => {
    const e = await expectError('test/documents/fixtures/report.pdf', 'document-limit', /ran out of memory/, { limits: { workerHeapMb: 4 } });
    expect(e.details).toMatchObject({ limit: 'workerHeapMb' });
  });

  it('cancellation through an AbortSignal, with progress and ETA before it', async () => {
    const ctrl = new AbortController();
    const seen: Array<[number, number, string, number | undefined]> = [];
    const p = run('test/documents/fixtures/report.pdf', {
      signal: ctrl.signal,
      onProgress: (done, total, unit, eta) => {
        seen.push([done, total, unit, eta]);
        if (unit === 'pages' && done >= 1) ctrl.abort();
      },
    });
    const r = await p;
    expect(r.error?.code).toBe('cancelled');
    expect(seen.some(([, total, unit]) => unit === 'pages' && total === 9)).toBe(true);
    expect(seen.find(([d, , u]) => u === 'pages' && d >= 1)?.[3]).toBeGreaterThan(0);
  });

  it('a missing file', async () => {
    await expectError('test/documents/fixtures/no-such-file.pdf', 'document-not-found', /does not exist/);
  });
});
