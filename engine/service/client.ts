/**
 * EngineClient: the typed caller side of the contract, over any ClientTransport (the Electron
 * preload bridge, a browser WebSocket, a Node MessagePort in tests). Pure: no Node, no DOM.
 *
 *   const client = new EngineClient(transport);
 *   const status = await client.call('engine.status', {});
 *   const job = client.start('chat.ask', { chatId, question }, { onProgress, onToken });
 *   await client.call('job.cancel', { jobId: job.id });  // or job.cancel()
 *   const answer = await job.result;
 *
 * Events that belong to a request (progress, token) are routed to that call's handlers by job
 * id; every event is also delivered to `on(name, handler)` subscribers.
 */

import { errorFromWire, LongreadError } from '../errors.ts';
import type {
  ClientTransport,
  EventName,
  Events,
  MethodName,
  ParamsOf,
  ProgressEvent,
  ResultOf,
  ServerMessage,
  TokenEvent,
} from './contract.ts';

export interface CallOptions {
  onProgress?: (e: ProgressEvent) => void;
  onToken?: (e: TokenEvent) => void;
  /** Aborting sends `job.cancel` for this request. */
  signal?: AbortSignal;
}

export interface Job<M extends MethodName> {
  id: string;
  result: Promise<ResultOf<M>>;
  cancel(): Promise<void>;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  opts: CallOptions;
}

let clientCounter = 0;

export class EngineClient {
  private readonly pending = new Map<string, Pending>();
  private readonly listeners = new Map<EventName, Set<(payload: never) => void>>();
  private readonly prefix: string;
  private seq = 0;
  private closed = false;
  private readonly offMessage: () => void;
  private readonly offClose: () => void;

  constructor(private readonly transport: ClientTransport) {
    this.prefix = `c${++clientCounter}-${Math.random().toString(36).slice(2, 8)}-`;
    this.offMessage = transport.onMessage((m) => this.handle(m));
    this.offClose = transport.onClose(() => this.failAll());
  }

  /** Starts a request and returns its job handle (id usable with `job.cancel`). */
  start<M extends MethodName>(method: M, params: ParamsOf<M>, opts: CallOptions = {}): Job<M> {
    const id = this.prefix + ++this.seq;
    const result = new Promise<ResultOf<M>>((resolve, reject) => {
      if (this.closed) {
        reject(new LongreadError('transport-closed', 'The connection to the engine is closed.', 'Reload the app; if it persists, restart Longread.'));
        return;
      }
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, opts });
      try {
        this.transport.send({ kind: 'request', id, method, params });
      } catch (e) {
        this.pending.delete(id);
        reject(e);
      }
    });
    const cancel = async () => {
      if (!this.pending.has(id)) return;
      await this.call('job.cancel', { jobId: id }).catch(() => undefined);
    };
    if (opts.signal) {
      if (opts.signal.aborted) void cancel();
      else opts.signal.addEventListener('abort', () => void cancel(), { once: true });
    }
    return { id, result, cancel };
  }

  call<M extends MethodName>(method: M, params: ParamsOf<M>, opts: CallOptions = {}): Promise<ResultOf<M>> {
    return this.start(method, params, opts).result;
  }

  on<E extends EventName>(event: E, handler: (payload: Events[E]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(handler as (payload: never) => void);
    return () => set.delete(handler as (payload: never) => void);
  }

  close(): void {
    this.offMessage();
    this.offClose();
    this.transport.close();
    this.failAll();
  }

  private handle(m: ServerMessage): void {
    if (m.kind === 'response') {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(errorFromWire(m.error));
      return;
    }
    if (m.event === 'progress' || m.event === 'token') {
      const jobId = (m.payload as { jobId: string }).jobId;
      const p = this.pending.get(jobId);
      if (p && m.event === 'progress') p.opts.onProgress?.(m.payload as ProgressEvent);
      if (p && m.event === 'token') p.opts.onToken?.(m.payload as TokenEvent);
    }
    const set = this.listeners.get(m.event);
    if (set) for (const h of set) (h as (payload: unknown) => void)(m.payload);
  }

  private failAll(): void {
    this.closed = true;
    const err = new LongreadError('transport-closed', 'The connection to the engine was lost.', 'Reload the app; the engine host restarts on its own.');
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
