/** Document ingest for the library: runs engine/documents off the main thread. */
import { LongreadError } from '../errors.ts';
import type { DocumentContent, DocumentSource } from './contract.ts';
import type { RequestContext } from './server.ts';

export async function ingestForLibrary(source: DocumentSource, _id: string, _ctx: RequestContext): Promise<DocumentContent> {
  throw new LongreadError('document-unsupported', `Cannot ingest ${source.kind === 'path' ? source.path : source.name} yet.`, 'Update Longread.');
}
