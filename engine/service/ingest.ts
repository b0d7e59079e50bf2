/**
 * Document ingest for the library: runs engine/documents' worker-based ingest with the request's
 * cancellation and reports progress (pages or bytes, with ETA) through the contract.
 */
import { ingestDocument } from '../documents/ingest.ts';
import type { DocumentContent, DocumentSource, ProgressEvent } from './contract.ts';
import type { RequestContext } from './server.ts';

export async function ingestForLibrary(source: DocumentSource, id: string, ctx: RequestContext): Promise<DocumentContent> {
  return ingestDocument(source, {
    id,
    signal: ctx.signal,
    onProgress: (done, total, unit, etaMs) => {
      ctx.progress({ stage: 'ingest', done, total, unit: unit as ProgressEvent['unit'], ...(etaMs !== undefined ? { etaMs } : {}) });
    },
  });
}
