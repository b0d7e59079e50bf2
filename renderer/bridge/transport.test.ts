import { describe, expect, it } from 'vitest';
import type { ClientMessage, ServerMessage } from '../../engine/service/contract.ts';
import { EngineClient } from '../../engine/service/client.ts';
import { bridgeTransport, nativeVerbs, pickTransport, type PreloadBridge } from './transport.ts';

function fakeBridge(extra: Partial<PreloadBridge> = {}) {
  const sent: ClientMessage[] = [];
  const handlers = new Set<(m: ServerMessage) => void>();
  const bridge: PreloadBridge = {
    send: (m) => {
      sent.push(m);
      // Answer like the engine host would, through the preload's message callback.
      queueMicrotask(() => handlers.forEach((h) => h({ kind: 'response', id: m.id, ok: true, result: { echoed: m.method } })));
    },
    onMessage: (h) => {
      handlers.add(h);
      return () => handlers.delete(h);
    },
    ...extra,
  };
  return { bridge, sent, handlers };
}

describe('Electron bridge transport', () => {
  it('carries contract requests and responses through window.longread', async () => {
    const { bridge, sent } = fakeBridge();
    const win = { longread: bridge } as unknown as Window;
    const picked = pickTransport(win);
    expect(picked.kind).toBe('electron');
    const client = new EngineClient(picked.transport);
    await expect(client.call('engine.status', {})).resolves.toEqual({ echoed: 'engine.status' });
    expect(sent[0]).toMatchObject({ kind: 'request', method: 'engine.status', params: {} });
  });

  it('tolerates a bridge without onClose and unsubscribes handlers', () => {
    const { bridge, handlers } = fakeBridge();
    const t = bridgeTransport(bridge);
    const offClose = t.onClose(() => undefined);
    const off = t.onMessage(() => undefined);
    expect(handlers.size).toBe(1);
    off();
    offClose();
    expect(handlers.size).toBe(0);
  });

  it('exposes native verbs only when the preload offers all of them', async () => {
    expect(nativeVerbs({} as Window)).toBeNull();
    expect(nativeVerbs({ longread: fakeBridge().bridge } as unknown as Window)).toBeNull();
    const { bridge } = fakeBridge({
      openModelDialog: async () => '/m/model.gguf',
      openDocumentDialog: async () => ['/d/a.pdf'],
      pathForFile: (f: File) => `/dropped/${f.name}`,
    });
    const verbs = nativeVerbs({ longread: bridge } as unknown as Window)!;
    await expect(verbs.openModelDialog()).resolves.toBe('/m/model.gguf');
    await expect(verbs.openDocumentDialog()).resolves.toEqual(['/d/a.pdf']);
    expect(verbs.pathForFile(new File(['x'], 'x.txt'))).toBe('/dropped/x.txt');
  });
});
