/**
 * Shared types of document ingest: the limits every extractor honours, the options of
 * `ingestDocument`, and the messages between the host and the ingest worker.
 *
 * Extending: a new limit gets a field in `IngestLimits`, a default in `DEFAULT_LIMITS`, and a
 * check where the resource is consumed that throws `document-limit` (or `document-too-large`
 * for the file size) naming the limit in `details.limit`. Pure types and constants.
 */

import type { DocumentContent, DocumentFormat, DocumentSource, WireError } from '../service/contract.ts';

export interface IngestLimits {
  /** Size of the file as stored on disk (bytes). */
  maxFileBytes: number;
  /** Sum of the declared uncompressed sizes of all entries of a zip container (DOCX, EPUB). */
  maxUncompressedBytes: number;
  /** Largest uncompressed/compressed ratio of one zip entry... */
  maxCompressionRatio: number;
  /** ...checked only for entries whose uncompressed size exceeds this (small files compress well). */
  ratioGraceBytes: number;
  /** Number of entries in a zip container. */
  maxZipEntries: number;
  /** Pages of a PDF. */
  maxPages: number;
  /** Characters of normalised text the document may produce. */
  maxTextChars: number;
  /** Wall-clock time for the whole ingest, including worker start-up (ms). */
  timeoutMs: number;
  /** V8 old-generation heap of the ingest worker (MiB); exceeding it ends the worker, not the host. */
  workerHeapMb: number;
}

export const DEFAULT_LIMITS: IngestLimits = {
  maxFileBytes: 512 * 1024 * 1024,
  maxUncompressedBytes: 512 * 1024 * 1024,
  maxCompressionRatio: 200,
  ratioGraceBytes: 1024 * 1024,
  maxZipEntries: 20_000,
  maxPages: 10_000,
  maxTextChars: 64 * 1024 * 1024,
  timeoutMs: 10 * 60 * 1000,
  workerHeapMb: 2048,
};

export type ProgressUnit = 'pages' | 'bytes';

export type IngestProgress = (done: number, total: number, unit: ProgressUnit, etaMs: number | undefined) => void;

export interface IngestOptions {
  signal?: AbortSignal;
  onProgress?: IngestProgress;
  limits?: Partial<IngestLimits>;
  /** Id for `info.id`; a random one when absent. */
  id?: string;
  /** Override where the worker module lives (a file URL or path); see ingest.ts for the default search. */
  workerUrl?: string | URL;
}

/** What the extractors see: the file's bytes, its name (for the title fallback), the limits. */
export interface ExtractInput {
  name: string;
  data: Uint8Array;
  limits: IngestLimits;
  progress: (done: number, total: number, unit: ProgressUnit) => void;
}

/** The extractor's result before the host adds id/addedAt. */
export interface Extracted {
  format: DocumentFormat;
  title: string | null;
  author: string | null;
  pages: number | null;
  text: string;
  sourceMap: DocumentContent['sourceMap'];
  /** Notes about what the extractor did (encoding fallback, removed headers...). */
  notes: string[];
  encoding?: string;
}

// Host <-> worker messages --------------------------------------------------------------------

export interface WorkerRequest {
  source: DocumentSource;
  limits: IngestLimits;
}

export type WorkerMessage =
  | { type: 'progress'; done: number; total: number; unit: ProgressUnit }
  | { type: 'result'; content: Extracted; bytes: number; name: string }
  | { type: 'error'; error: WireError };
