/**
 * Picks the transport to the engine host: the Electron preload bridge (`window.longread`,
 * exposed through contextBridge) when present, else the WebSocket of the headless host
 * (`longread serve`), authenticated with the per-run token the host injects into index.html
 * as `<meta name="longread-token">`. The only place the renderer touches a channel.
 */

import type { ClientMessage, ClientTransport, ServerMessage } from '../../engine/service/contract.ts';
import { wsClientTransport, wsUrlFromPage } from '../../engine/service/ws-client-transport.ts';

/** The verbs the Electron preload exposes (see electron/preload.ts). */
export interface PreloadBridge {
  send(msg: ClientMessage): void;
  onMessage(handler: (msg: ServerMessage) => void): (() => void) | void;
  onClose?(handler: () => void): (() => void) | void;
  /** Native open dialogs (Electron): chosen paths; null / [] when cancelled. */
  openModelDialog?(): Promise<string | null>;
  openDocumentDialog?(): Promise<string[]>;
  /** The file-system path of a dropped File (Electron's webUtils.getPathForFile); '' if none. */
  pathForFile?(file: File): string;
}

/** The host's native verbs, when it has them (Electron); null in the browser host. */
export interface NativeVerbs {
  openModelDialog(): Promise<string | null>;
  openDocumentDialog(): Promise<string[]>;
  pathForFile(file: File): string;
}

export function nativeVerbs(win: Window): NativeVerbs | null {
  const b = win.longread;
  if (!b?.openModelDialog || !b.openDocumentDialog || !b.pathForFile) return null;
  return { openModelDialog: () => b.openModelDialog!(), openDocumentDialog: () => b.openDocumentDialog!(), pathForFile: (f) => b.pathForFile!(f) };
}

declare global {
  interface Window {
    longread?: PreloadBridge;
  }
}

export function bridgeTransport(bridge: PreloadBridge): ClientTransport {
  return {
    send: (msg) => bridge.send(msg),
    onMessage(h) {
      const off = bridge.onMessage(h);
      return typeof off === 'function' ? off : () => undefined;
    },
    onClose(h) {
      const off = bridge.onClose?.(h);
      return typeof off === 'function' ? off : () => undefined;
    },
    close: () => undefined,
  };
}

export type TransportKind = 'electron' | 'websocket';

export function pickTransport(win: Window): { transport: ClientTransport; kind: TransportKind } {
  if (win.longread) return { transport: bridgeTransport(win.longread), kind: 'electron' };
  const meta = win.document.querySelector('meta[name="longread-token"]')?.getAttribute('content') ?? null;
  return { transport: wsClientTransport(wsUrlFromPage(win.location, meta)), kind: 'websocket' };
}
