/**
 * MessagePort transports: the Electron path. The renderer and the engine host (a utilityProcess)
 * talk over a MessageChannel that the main process creates and hands out; structured clone
 * carries typed arrays natively, so no codec is needed.
 *
 * Three MessagePort flavours meet here; `PortLike` covers them all:
 * - DOM MessagePort (renderer): `postMessage`, `addEventListener('message', e => e.data)`, `start()`
 * - Electron MessagePortMain (utility process: `process.parentPort` / `MessagePortMain`):
 *   `postMessage`, `on('message', e => e.data)`, `start()`
 * - Node worker_threads MessagePort (tests): `postMessage`, `on('message', data => ...)`
 * Pure module: no Node or DOM imports.
 */

import type { ClientMessage, ClientTransport, ServerMessage, ServerTransport, Transport } from './contract.ts';

export interface PortLike {
  postMessage(msg: unknown): void;
  start?(): void;
  close?(): void;
  on?(event: 'message' | 'close', fn: (arg: unknown) => void): unknown;
  off?(event: 'message' | 'close', fn: (arg: unknown) => void): unknown;
  addEventListener?(event: 'message' | 'close', fn: (arg: unknown) => void): unknown;
  removeEventListener?(event: 'message' | 'close', fn: (arg: unknown) => void): unknown;
}

/** Node's MessagePort passes the data itself; DOM and Electron pass an event with `.data`. */
function unwrap(arg: unknown, nodeStyle: boolean): unknown {
  return nodeStyle ? arg : (arg as { data: unknown }).data;
}

export function portTransport<In, Out>(port: PortLike, opts: { nodeStyle?: boolean } = {}): Transport<In, Out> {
  const nodeStyle = opts.nodeStyle ?? false;
  // Prefer EventTarget-style listeners (DOM, and Node's MessagePort too): they always pass an event with `.data`.
  const eventStyle = typeof port.addEventListener === 'function';
  const listen = (event: 'message' | 'close', fn: (a: unknown) => void): (() => void) => {
    if (eventStyle) {
      port.addEventListener!(event, fn);
      return () => port.removeEventListener?.(event, fn);
    }
    port.on?.(event, fn);
    return () => port.off?.(event, fn);
  };
  let started = false;
  return {
    send(msg: Out) {
      port.postMessage(msg);
    },
    onMessage(h: (m: In) => void) {
      const off = listen('message', (a) => h(unwrap(a, nodeStyle && !eventStyle) as In));
      if (!started) {
        started = true;
        port.start?.();
      }
      return off;
    },
    onClose(h: () => void) {
      return listen('close', () => h());
    },
    close() {
      port.close?.();
    },
  };
}

export const portClientTransport = (port: PortLike, opts?: { nodeStyle?: boolean }): ClientTransport =>
  portTransport<ServerMessage, ClientMessage>(port, opts);
export const portServerTransport = (port: PortLike, opts?: { nodeStyle?: boolean }): ServerTransport =>
  portTransport<ClientMessage, ServerMessage>(port, opts);
