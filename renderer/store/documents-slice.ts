/**
 * Documents slice: the library (document.list), the open document's content (document.get,
 * cached per id), ingest of dropped / picked files (as bytes, which works in both hosts) or of
 * a path, and the viewer's highlight: evidence spans to mark and one span to scroll to.
 *
 * `jumpTo` is the single way any feature (evidence list, heatmap) moves the viewer: it opens
 * the document if needed and bumps `highlight.nonce` so the viewer scrolls even to the same
 * span twice.
 */

import type { DocumentContent, DocumentInfo, DocumentSource, TextSpan } from '../../engine/service/contract.ts';
import type { WireError } from '../../engine/errors.ts';
import { isCancelled, toWireError } from './errors.ts';
import type { SliceCreator } from './types.ts';

export interface Highlight {
  documentId: string;
  /** All evidence spans of the selected answer (marked in the text). */
  spans: TextSpan[];
  /** The span to scroll to (and emphasise). */
  focus: TextSpan | null;
  nonce: number;
}

export interface IngestFailure {
  name: string;
  error: WireError;
}

export interface DocumentsSlice {
  documents: DocumentInfo[];
  documentsLoaded: boolean;
  openDocumentId: string | null;
  contents: Record<string, DocumentContent>;
  contentError: WireError | null;
  highlight: Highlight | null;
  ingestFailures: IngestFailure[];
  refreshDocuments(): Promise<void>;
  openDocument(id: string | null): Promise<void>;
  ingest(source: DocumentSource): Promise<DocumentInfo | null>;
  /** Files as bytes; `pathOf` (Electron) gives a file's path so the engine reads it directly. */
  ingestFiles(files: File[], pathOf?: (f: File) => string): Promise<void>;
  ingestPaths(paths: string[]): Promise<void>;
  removeDocument(id: string): Promise<void>;
  setHighlight(documentId: string, spans: TextSpan[], focus: TextSpan | null): void;
  jumpTo(documentId: string, span: TextSpan, spans?: TextSpan[]): Promise<void>;
  dismissIngestFailure(index: number): void;
}

let nonceSeq = 0;

export const createDocumentsSlice: SliceCreator<DocumentsSlice> = (set, get, { client }) => ({
  documents: [],
  documentsLoaded: false,
  openDocumentId: null,
  contents: {},
  contentError: null,
  highlight: null,
  ingestFailures: [],

  async refreshDocuments() {
    try {
      const documents = await client.call('document.list', {});
      documents.sort((a, b) => b.addedAt - a.addedAt);
      set({ documents, documentsLoaded: true });
    } catch (e) {
      get().pushNotice({ level: 'error', message: `The library could not be read: ${toWireError(e).message}`, hint: toWireError(e).hint });
    }
  },

  async openDocument(id) {
    set({ openDocumentId: id, contentError: null });
    if (id === null) return;
    if (get().settings?.lastDocumentId !== id) void get().patchSettings({ lastDocumentId: id });
    if (get().contents[id]) return;
    try {
      const content = await client.call('document.get', { id });
      set({ contents: { ...get().contents, [id]: content } });
    } catch (e) {
      if (get().openDocumentId === id) set({ contentError: toWireError(e) });
    }
  },

  async ingest(source) {
    const name = source.kind === 'path' ? source.path.split(/[\\/]/).pop() || source.path : source.name;
    try {
      const info = await get().runJob('document.ingest', { source }, { label: `Reading ${name}` });
      await get().refreshDocuments();
      await get().openDocument(info.id);
      return info;
    } catch (e) {
      if (!isCancelled(e)) set({ ingestFailures: [...get().ingestFailures, { name, error: toWireError(e) }] });
      return null;
    }
  },

  async ingestFiles(files, pathOf) {
    for (const f of files) {
      const path = pathOf?.(f) ?? '';
      if (path) await get().ingest({ kind: 'path', path });
      else await get().ingest({ kind: 'bytes', name: f.name, data: new Uint8Array(await f.arrayBuffer()) });
    }
  },

  async ingestPaths(paths) {
    for (const path of paths) await get().ingest({ kind: 'path', path });
  },

  async removeDocument(id) {
    try {
      await client.call('document.remove', { id });
      const contents = { ...get().contents };
      delete contents[id];
      set({ contents, openDocumentId: get().openDocumentId === id ? null : get().openDocumentId });
      await get().refreshDocuments();
    } catch (e) {
      get().pushNotice({ level: 'error', message: `The document could not be removed: ${toWireError(e).message}`, hint: toWireError(e).hint });
    }
  },

  setHighlight(documentId, spans, focus) {
    set({ highlight: { documentId, spans, focus, nonce: ++nonceSeq } });
  },

  async jumpTo(documentId, span, spans) {
    const cur = get().highlight;
    const keep = cur && cur.documentId === documentId ? cur.spans : [];
    get().setHighlight(documentId, spans ?? (keep.length ? keep : [span]), span);
    if (get().openDocumentId !== documentId) await get().openDocument(documentId);
  },

  dismissIngestFailure(index) {
    set({ ingestFailures: get().ingestFailures.filter((_, i) => i !== index) });
  },
});
