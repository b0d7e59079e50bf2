/**
 * Browser-side WebSocket transport for the headless host (`longread serve`). Uses only the DOM
 * WebSocket API. The per-run token comes from the page (`<meta name="longread-token">`, injected
 * by the host) and is sent as a query parameter; the host also checks the Origin header.
 * Messages sent before the socket opens are queued.
 */

import type { ClientMessage, ClientTransport, ServerMessage } from './contract.ts';
import { wireDecode, wireEncode } from './wire-codec.ts';

export function wsClientTransport(url: string, WebSocketImpl: typeof WebSocket = WebSocket): ClientTransport {
  const ws = new WebSocketImpl(url);
  const queue: string[] = [];
  const msgHandlers = new Set<(m: ServerMessage) => void>();
  const closeHandlers = new Set<() => void>();
  ws.addEventListener('open', () => {
    for (const q of queue.splice(0)) ws.send(q);
  });
  ws.addEventListener('message', (ev: MessageEvent) => {
    if (typeof ev.data !== 'string') return;
    const m = wireDecode(ev.data) as ServerMessage;
    for (const h of msgHandlers) h(m);
  });
  ws.addEventListener('close', () => {
    for (const h of closeHandlers) h();
  });
  return {
    send(msg: ClientMessage) {
      const text = wireEncode(msg);
      if (ws.readyState === 1) ws.send(text);
      else if (ws.readyState === 0) queue.push(text);
      else throw new Error('WebSocket is closed');
    },
    onMessage(h) {
      msgHandlers.add(h);
      return () => msgHandlers.delete(h);
    },
    onClose(h) {
      closeHandlers.add(h);
      return () => closeHandlers.delete(h);
    },
    close() {
      ws.close();
    },
  };
}

/** The socket URL for the page this renderer was served from, with the page's token. */
export function wsUrlFromPage(loc: { protocol: string; host: string; search: string }, metaToken: string | null): string {
  const token = metaToken ?? new URLSearchParams(loc.search).get('token') ?? '';
  const proto = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${loc.host}/ws?token=${encodeURIComponent(token)}`;
}
