/**
 * EngineServer: the answering side of the contract. It validates each incoming request (known
 * method, params an object), runs the handler with a per-request context (job id = request id,
 * an AbortSignal that `job.cancel` fires, progress / token emitters), and sends one response.
 * Events go to the transport that made the request (progress, token) or to every attached
 * transport (status, telemetry, notice).
 *
 * The same server runs behind both transports: a MessagePort in the Electron utility process
 * and WebSockets in the headless host. `job.cancel` is answered here, not by the service.
 */

import { errorToWire, LongreadError } from '../errors.ts';
import {
  isMethodName,
  type ClientMessage,
  type EventName,
  type Events,
  type MethodName,
  type ParamsOf,
  type ProgressEvent,
  type ResultOf,
  type ServerTransport,
  type TokenEvent,
} from './contract.ts';

export interface RequestContext {
  jobId: string;
  signal: AbortSignal;
  progress(p: Omit<ProgressEvent, 'jobId'>): void;
  token(t: Omit<TokenEvent, 'jobId'>): void;
}

export type Handlers = {
  [M in Exclude<MethodName, 'job.cancel'>]: (params: ParamsOf<M>, ctx: RequestContext) => Promise<ResultOf<M>>;
};

export class EngineServer {
  private readonly transports = new Set<ServerTransport>();
  private readonly jobs = new Map<string, AbortController>();

  constructor(private readonly handlers: Handlers) {}

  attach(t: ServerTransport): () => void {
    this.transports.add(t);
    const offMsg = t.onMessage((m) => void this.dispatch(t, m));
    const offClose = t.onClose(() => this.transports.delete(t));
    return () => {
      offMsg();
      offClose();
      this.transports.delete(t);
    };
  }

  broadcast<E extends EventName>(event: E, payload: Events[E]): void {
    for (const t of this.transports) safeSend(t, { kind: 'event', event, payload });
  }

  /** Aborts every running job (host shutdown). */
  cancelAll(): void {
    for (const c of this.jobs.values()) c.abort();
  }

  private async dispatch(t: ServerTransport, m: ClientMessage): Promise<void> {
    if (!m || typeof m !== 'object' || m.kind !== 'request' || typeof m.id !== 'string') return;
    const { id } = m;
    try {
      if (!isMethodName(m.method)) {
        throw new LongreadError('unknown-method', `Unknown method "${String(m.method)}".`, 'Update the app and the engine together.');
      }
      if (typeof m.params !== 'object' || m.params === null || Array.isArray(m.params)) {
        throw new LongreadError('bad-request', `Parameters of ${m.method} must be an object.`, 'This is a bug in the caller.');
      }
      let result: unknown;
      if (m.method === 'job.cancel') {
        const jobId = (m.params as { jobId?: unknown }).jobId;
        const c = typeof jobId === 'string' ? this.jobs.get(jobId) : undefined;
        c?.abort();
        result = { cancelled: Boolean(c) };
      } else {
        const ctrl = new AbortController();
        this.jobs.set(id, ctrl);
        const ctx: RequestContext = {
          jobId: id,
          signal: ctrl.signal,
          progress: (p) => safeSend(t, { kind: 'event', event: 'progress', payload: { ...p, jobId: id } }),
          token: (tk) => safeSend(t, { kind: 'event', event: 'token', payload: { ...tk, jobId: id } }),
        };
        try {
          const handler = this.handlers[m.method] as (p: unknown, c: RequestContext) => Promise<unknown>;
          result = await handler(m.params, ctx);
        } finally {
          this.jobs.delete(id);
        }
      }
      safeSend(t, { kind: 'response', id, ok: true, result });
    } catch (e) {
      const wire = errorToWire(e);
      // Bugs (not typed user-facing errors) go to the host's log with their stack.
      if (wire.code === 'internal') console.error(`[engine] ${m.method} failed:`, e);
      safeSend(t, { kind: 'response', id, ok: false, error: wire });
    }
  }
}

function safeSend(t: ServerTransport, msg: Parameters<ServerTransport['send']>[0]): void {
  try {
    t.send(msg);
  } catch {
    /* the peer went away; its requests are abandoned */
  }
}
