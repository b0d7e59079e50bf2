/**
 * The ingest worker (a worker_threads Worker): reads the document, extracts it with
 * extract.ts and posts `progress`, then one `result` or `error` message (types.ts). It holds
 * no state; the host (ingest.ts) starts one per document and terminates it on cancel or time
 * limit, so a hostile file can at worst exhaust this worker's own heap (resourceLimits).
 *
 * Runtimes: from source the host starts worker-bootstrap.mjs, which registers tsx and imports
 * this file; in the esbuild bundle this file is its own entry point (documents-worker.mjs next
 * to the host bundle) and needs no loader.
 */

import { readFile, stat } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import path from 'node:path';
import { errorToWire, LongreadError } from '../errors.ts';
import { extractBytes } from './extract.ts';
import type { ProgressUnit, WorkerMessage, WorkerRequest } from './types.ts';

async function readSource(req: WorkerRequest): Promise<{ name: string; data: Uint8Array }> {
  if (req.source.kind === 'bytes') return { name: req.source.name, data: req.source.data };
  const file = req.source.path;
  const st = await stat(file);
  if (!st.isFile()) throw new LongreadError('document-invalid', `${file} is not a regular file.`, 'Choose a document file, not a folder or device.', { file });
  if (st.size > req.limits.maxFileBytes) {
    throw new LongreadError('document-too-large', `${file} is ${st.size} bytes, more than the limit of ${req.limits.maxFileBytes}.`, 'Split the document, or raise the file-size limit in the ingest settings.', { file, limit: 'maxFileBytes', value: st.size });
  }
  return { name: path.basename(file), data: new Uint8Array(await readFile(file)) };
}

async function run(req: WorkerRequest): Promise<void> {
  const post = (m: WorkerMessage) => parentPort!.postMessage(m);
  let last = 0;
  const progress = (done: number, total: number, unit: ProgressUnit) => {
    const now = Date.now();
    if (done < total && now - last < 100) return;
    last = now;
    post({ type: 'progress', done, total, unit });
  };
  try {
    const { name, data } = await readSource(req);
    progress(0, data.length, 'bytes');
    const content = await extractBytes({ name, data, limits: req.limits, progress });
    post({ type: 'result', content, bytes: data.length, name });
  } catch (e) {
    post({ type: 'error', error: errorToWire(e) });
  }
}

if (parentPort && workerData) void run(workerData as WorkerRequest);
