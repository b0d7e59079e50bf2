/**
 * `ingestDocument`: the one entry point the engine host calls to turn a file into
 * `DocumentContent` (normalised text + source map + metadata). The work runs in a fresh
 * worker_threads Worker per document, so the host thread keeps answering, and a hostile or
 * huge file ends in a typed error instead of taking the host down:
 *   - progress: the worker reports pages (PDF, EPUB) or bytes done; the host adds an ETA;
 *   - cancellation: `signal` aborts -> the worker is terminated -> `cancelled`;
 *   - limits (types.ts `IngestLimits`): file size (checked here before any read), zip sizes and
 *     ratio, pages and text length (in the worker), wall-clock time (here: terminate ->
 *     `document-limit`), heap (worker `resourceLimits`: OOM -> `document-limit`).
 *
 * Locating the worker (`ingestWorkerUrl`): `opts.workerUrl`, else LONGREAD_DOCUMENTS_WORKER,
 * else from sources (this module's URL ends in .ts: vitest, tsx) worker-bootstrap.mjs next to
 * this file, else (an esbuild bundle) `documents-worker.mjs` in the bundle's folder — bundlers
 * must emit engine/documents/worker.ts under that name next to the host bundle (also accepted:
 * `worker.mjs`, `engine/documents/worker.mjs` beside or one folder above).
 */

import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { errorFromWire, LongreadError } from '../errors.ts';
import type { DocumentContent, DocumentSource } from '../service/contract.ts';
import { countWords } from './text-builder.ts';
import { DEFAULT_LIMITS, type Extracted, type IngestLimits, type IngestOptions, type WorkerMessage, type WorkerRequest } from './types.ts';

export { DEFAULT_LIMITS } from './types.ts';
export type { IngestLimits, IngestOptions } from './types.ts';

const BUNDLE_CANDIDATES = ['./documents-worker.mjs', './worker.mjs', './engine/documents/worker.mjs', '../engine/documents/worker.mjs'];

export function ingestWorkerUrl(override?: string | URL): URL {
  if (override) return override instanceof URL ? override : override.startsWith('file:') ? new URL(override) : pathToFileURL(override);
  const env = process.env.LONGREAD_DOCUMENTS_WORKER;
  if (env) return pathToFileURL(env);
  const here = import.meta.url;
  if (here.endsWith('.ts')) return new URL('./worker-bootstrap.mjs', here);
  for (const rel of BUNDLE_CANDIDATES) {
    const u = new URL(rel, here);
    if (existsSync(fileURLToPath(u))) return u;
  }
  throw new LongreadError(
    'internal',
    `The document ingest worker (documents-worker.mjs) was not found next to ${fileURLToPath(here)}.`,
    'Reinstall Longread. Packagers: emit engine/documents/worker.ts as documents-worker.mjs beside the engine host bundle, or set LONGREAD_DOCUMENTS_WORKER.',
  );
}

function sourceName(source: DocumentSource): string {
  return source.kind === 'path' ? path.basename(source.path) : source.name;
}

async function checkPath(file: string, limits: IngestLimits): Promise<void> {
  let size: number;
  try {
    const st = await stat(file);
    if (!st.isFile()) throw new LongreadError('document-invalid', `${file} is not a regular file.`, 'Choose a document file, not a folder or device.', { file });
    size = st.size;
  } catch (e) {
    if (e instanceof LongreadError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new LongreadError('document-not-found', `${file} does not exist.`, 'Check the path, or choose the file again.', { file });
    throw new LongreadError('io-error', `${file} cannot be read (${code ?? String(e)}).`, 'Check that you can open the file and that it is not locked by another program.', { file });
  }
  if (size > limits.maxFileBytes) {
    throw new LongreadError('document-too-large', `${file} is ${size} bytes, more than the limit of ${limits.maxFileBytes}.`, 'Split the document, or raise the file-size limit in the ingest settings.', { file, limit: 'maxFileBytes', value: size });
  }
}

function toContent(x: Extracted, name: string, bytes: number, id: string): DocumentContent {
  const title = x.title?.trim() || name.replace(/\.[A-Za-z0-9]+$/, '');
  return {
    info: {
      id,
      name,
      format: x.format,
      title,
      author: x.author?.trim() || null,
      pages: x.pages,
      words: countWords(x.text),
      characters: x.text.length,
      bytes,
      addedAt: Date.now(),
      ...(x.encoding ? { encoding: x.encoding } : {}),
      ...(x.notes.length ? { notes: x.notes } : {}),
    },
    text: x.text,
    sourceMap: x.sourceMap,
  };
}

export async function ingestDocument(source: DocumentSource, opts: IngestOptions = {}): Promise<DocumentContent> {
  const limits: IngestLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const name = sourceName(source);
  const started = Date.now();
  if (opts.signal?.aborted) throw new LongreadError('cancelled', `Ingest of ${name} was cancelled.`, 'Start it again when you are ready.');
  if (source.kind === 'path') await checkPath(source.path, limits);
  else if (source.data.length > limits.maxFileBytes) {
    throw new LongreadError('document-too-large', `${name} is ${source.data.length} bytes, more than the limit of ${limits.maxFileBytes}.`, 'Split the document, or raise the file-size limit in the ingest settings.', { file: name, limit: 'maxFileBytes', value: source.data.length });
  }
  const req: WorkerRequest = { source, limits };
  const worker = new Worker(ingestWorkerUrl(opts.workerUrl), {
    workerData: req,
    // Not the host's flags: `--import tsx` there would load pdf.js through tsx (7x slower); the
    // bootstrap registers what the worker needs.
    execArgv: [],
    resourceLimits: { maxOldGenerationSizeMb: limits.workerHeapMb, maxYoungGenerationSizeMb: 64, stackSizeMb: 8 },
    stdout: true,
    stderr: true,
  });
  // pdf.js and mammoth warn on stderr for every oddity; keep the host's console clean.
  worker.stdout.resume();
  worker.stderr.resume();

  return new Promise<DocumentContent>((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      fn();
      void worker.terminate();
    };
    const onAbort = () => finish(() => reject(new LongreadError('cancelled', `Ingest of ${name} was cancelled.`, 'Start it again when you are ready.', { file: name })));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => {
      finish(() =>
        reject(new LongreadError('document-limit', `Ingest of ${name} took longer than ${limits.timeoutMs >= 10_000 ? `${Math.round(limits.timeoutMs / 1000)} s` : `${limits.timeoutMs} ms`} and was stopped.`, 'The document may be malformed or very large; split it, or raise the time limit in the ingest settings.', { file: name, limit: 'timeoutMs', value: limits.timeoutMs })),
      );
    }, limits.timeoutMs);

    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'progress') {
        if (!opts.onProgress || settled) return;
        const elapsed = Date.now() - started;
        const eta = m.done > 0 && m.done < m.total ? Math.round((elapsed / m.done) * (m.total - m.done)) : m.done >= m.total ? 0 : undefined;
        try {
          opts.onProgress(m.done, m.total, m.unit, eta);
        } catch {
          // A throwing progress callback must not break the ingest.
        }
      } else if (m.type === 'result') {
        finish(() => resolve(toContent(m.content, name, m.bytes, opts.id ?? randomUUID().replace(/-/g, '').slice(0, 20))));
      } else if (m.type === 'error') {
        finish(() => reject(errorFromWire(m.error)));
      }
    });
    worker.on('error', (e: Error & { code?: string }) => {
      if (e.code === 'ERR_WORKER_OUT_OF_MEMORY') {
        finish(() => reject(new LongreadError('document-limit', `Ingest of ${name} ran out of memory (worker heap limit ${limits.workerHeapMb} MiB).`, 'The document is too large or crafted to exhaust memory; split it, or raise the memory limit in the ingest settings.', { file: name, limit: 'workerHeapMb', value: limits.workerHeapMb })));
      } else {
        finish(() => reject(new LongreadError('document-invalid', `Ingest of ${name} failed: ${e.message}`, 'The file could not be parsed; re-export it from the application that made it.', { file: name, cause: e.code ?? e.name })));
      }
    });
    worker.on('exit', (code) => {
      finish(() => reject(new LongreadError('internal', `The ingest worker for ${name} exited (code ${code}) without a result.`, 'This is a bug in Longread. Please report it with the file that caused it, if you can share it.', { file: name, exitCode: code })));
    });
  });
}
