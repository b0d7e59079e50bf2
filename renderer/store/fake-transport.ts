/**
 * A fake engine for store unit tests: a ClientTransport whose requests are answered by
 * per-method handlers (which may emit progress / token / other events first), recording every
 * request. The real EngineClient runs on top of it, so tests exercise the real request/event
 * routing. Not used by the app.
 */

import type { WireError } from '../../engine/errors.ts';
import type { ClientMessage, ClientTransport, EventName, Events, MethodName, ParamsOf, ResultOf, ServerMessage } from '../../engine/service/contract.ts';

export interface FakeCtx {
  jobId: string;
  emit<E extends EventName>(event: E, payload: Events[E]): void;
  /** Resolves when `job.cancel` names this job. */
  cancelled: Promise<void>;
}

export type FakeHandler<M extends MethodName> = (params: ParamsOf<M>, ctx: FakeCtx) => Promise<ResultOf<M>> | ResultOf<M>;

export class FakeEngineError extends Error {
  constructor(readonly wire: WireError) {
    super(wire.message);
  }
}

export class FakeEngine {
  readonly requests: ClientMessage[] = [];
  private readonly handlers = new Map<MethodName, FakeHandler<MethodName>>();
  private readonly msgHandlers = new Set<(m: ServerMessage) => void>();
  private readonly closeHandlers = new Set<() => void>();
  private readonly cancels = new Map<string, () => void>();

  readonly transport: ClientTransport = {
    send: (msg) => {
      this.requests.push(msg);
      queueMicrotask(() => void this.answer(msg));
    },
    onMessage: (h) => {
      this.msgHandlers.add(h);
      return () => this.msgHandlers.delete(h);
    },
    onClose: (h) => {
      this.closeHandlers.add(h);
      return () => this.closeHandlers.delete(h);
    },
    close: () => this.closeHandlers.forEach((h) => h()),
  };

  on<M extends MethodName>(method: M, handler: FakeHandler<M>): this {
    this.handlers.set(method, handler as unknown as FakeHandler<MethodName>);
    return this;
  }

  emit<E extends EventName>(event: E, payload: Events[E]): void {
    for (const h of this.msgHandlers) h({ kind: 'event', event, payload });
  }

  calls(method: MethodName): ClientMessage[] {
    return this.requests.filter((r) => r.method === method);
  }

  private async answer(msg: ClientMessage): Promise<void> {
    const reply = (m: ServerMessage) => this.msgHandlers.forEach((h) => h(m));
    if (msg.method === 'job.cancel') {
      const jobId = (msg.params as { jobId: string }).jobId;
      const c = this.cancels.get(jobId);
      c?.();
      reply({ kind: 'response', id: msg.id, ok: true, result: { cancelled: Boolean(c) } });
      return;
    }
    const h = this.handlers.get(msg.method);
    if (!h) {
      reply({ kind: 'response', id: msg.id, ok: false, error: { code: 'unknown-method', message: `fake engine has no ${msg.method}`, hint: 'add a handler in the test' } });
      return;
    }
    let cancel!: () => void;
    const cancelled = new Promise<void>((r) => (cancel = r));
    this.cancels.set(msg.id, cancel);
    try {
      const result = await h(msg.params as never, { jobId: msg.id, emit: (e, p) => this.emit(e, p), cancelled });
      reply({ kind: 'response', id: msg.id, ok: true, result });
    } catch (e) {
      const error: WireError = e instanceof FakeEngineError ? e.wire : { code: 'internal', message: String(e), hint: '' };
      reply({ kind: 'response', id: msg.id, ok: false, error });
    } finally {
      this.cancels.delete(msg.id);
    }
  }
}

export function fail(code: WireError['code'], message: string = code, hint = 'hint'): FakeEngineError {
  return new FakeEngineError({ code, message, hint });
}
