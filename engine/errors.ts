/**
 * Typed, serialisable errors: every failure the user can meet has a closed `code`, a message
 * that names the file / offset / field, and a hint that says what to do. They cross the
 * contract intact (`errorToWire` / `errorFromWire`).
 *
 * Extend by adding a code to `ErrorCode`; nothing else is needed. Pure module: no Node
 * built-ins, so the renderer can import it.
 */

export type ErrorCode =
  // GPU
  | 'gpu-unavailable'
  | 'gpu-device-lost'
  | 'gpu-out-of-memory'
  | 'gpu-validation'
  | 'gpu-limit'
  // model files
  | 'gguf-invalid'
  | 'gguf-unsupported'
  | 'model-unsupported'
  | 'model-too-large'
  | 'context-too-large'
  | 'model-not-loaded'
  | 'tokenizer-invalid'
  | 'template-unsupported'
  | 'checkpoint-invalid'
  // documents
  | 'document-invalid'
  | 'document-unsupported'
  | 'document-too-large'
  | 'document-limit'
  | 'document-not-found'
  // storage
  | 'disk-full'
  | 'io-error'
  | 'snapshot-invalid'
  | 'storage-corrupt'
  // contract / host
  | 'bad-request'
  | 'unknown-method'
  | 'cancelled'
  | 'timeout'
  | 'transport-closed'
  | 'unauthorized'
  | 'not-found'
  | 'internal';

export interface WireError {
  code: ErrorCode;
  message: string;
  hint: string;
  /** Structured context: file, offset, field, limits. Must be JSON-serialisable. */
  details?: Record<string, unknown>;
}

export class LongreadError extends Error {
  readonly code: ErrorCode;
  readonly hint: string;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, hint: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'LongreadError';
    this.code = code;
    this.hint = hint;
    if (details !== undefined) this.details = details;
  }

  toWire(): WireError {
    const w: WireError = { code: this.code, message: this.message, hint: this.hint };
    if (this.details !== undefined) w.details = this.details;
    return w;
  }
}

/** Anything thrown -> a WireError; unknown errors become `internal` with the original message. */
export function errorToWire(e: unknown): WireError {
  if (e instanceof LongreadError) return e.toWire();
  if (isWireError(e)) return { code: e.code, message: e.message, hint: e.hint, ...(e.details ? { details: e.details } : {}) };
  const message = e instanceof Error ? e.message : String(e);
  return {
    code: 'internal',
    message,
    hint: 'This is a bug in Longread. Please report it with the steps that led here.',
  };
}

export function errorFromWire(w: WireError): LongreadError {
  return new LongreadError(w.code, w.message, w.hint, w.details);
}

export function isWireError(x: unknown): x is WireError {
  if (typeof x !== 'object' || x === null) return false;
  const o = x as Record<string, unknown>;
  return typeof o.code === 'string' && typeof o.message === 'string' && typeof o.hint === 'string';
}

/** Throws `cancelled` when the signal fired; call between units of work. */
export function throwIfCancelled(signal: AbortSignal | undefined, what = 'The operation'): void {
  if (signal?.aborted) {
    throw new LongreadError('cancelled', `${what} was cancelled.`, 'Start it again when you are ready.');
  }
}
