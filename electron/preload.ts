/**
 * Preload (sandboxed): exposes `window.longread`, a narrow bridge to the engine host. The engine
 * is reached over a MessagePort that main hands over; the bridge only forwards contract
 * requests for known methods and hands the renderer payloads only (never an IpcRendererEvent,
 * checklist 20). Native verbs: dialogs and the path of a dropped file.
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { isMethodName, type ClientMessage, type ServerMessage } from '../engine/service/contract.ts';

let port: MessagePort | null = null;
const queue: ClientMessage[] = [];
const messageHandlers = new Set<(m: ServerMessage) => void>();
const closeHandlers = new Set<() => void>();

ipcRenderer.on('longread:engine-port', (event) => {
  port = event.ports[0] ?? null;
  if (!port) return;
  port.onmessage = (ev: MessageEvent) => {
    for (const h of messageHandlers) h(ev.data as ServerMessage);
  };
  port.start();
  for (const m of queue.splice(0)) port.postMessage(m);
});
ipcRenderer.on('longread:engine-exited', () => {
  port = null;
  for (const h of closeHandlers) h();
});
ipcRenderer.send('longread:connect-engine');

function isRequest(m: unknown): m is ClientMessage {
  const o = m as ClientMessage;
  return typeof o === 'object' && o !== null && o.kind === 'request' && typeof o.id === 'string' && isMethodName(o.method) && typeof o.params === 'object';
}

contextBridge.exposeInMainWorld('longread', {
  send(msg: unknown): void {
    if (!isRequest(msg)) throw new Error('longread: not a contract request');
    if (port) port.postMessage(msg);
    else queue.push(msg);
  },
  onMessage(handler: (m: ServerMessage) => void): () => void {
    messageHandlers.add(handler);
    return () => messageHandlers.delete(handler);
  },
  onClose(handler: () => void): () => void {
    closeHandlers.add(handler);
    return () => closeHandlers.delete(handler);
  },
  openModelDialog: (): Promise<string | null> => ipcRenderer.invoke('longread:open-model-dialog'),
  openDocumentDialog: (): Promise<string[]> => ipcRenderer.invoke('longread:open-document-dialog'),
  pathForFile: (file: File): string => webUtils.getPathForFile(file),
});
