/**
 * Electron main process: thin by design. It registers the app:// protocol (files from the
 * built renderer only, with a CSP), creates the one kind of window (security.ts decides every
 * policy), starts the engine host as a utilityProcess (restarted with backoff when it dies),
 * hands each window a MessagePort to it, and shows native dialogs. Untrusted input (GGUF files,
 * documents) is never parsed here: only in the engine host.
 */
import { app, BrowserWindow, dialog, ipcMain, MessageChannelMain, net, protocol, session, shell, utilityProcess, type IpcMainEvent, type IpcMainInvokeEvent, type UtilityProcess } from 'electron';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  APP_CSP, APP_ORIGIN, APP_SCHEME, IPC_CHANNELS, KNOWN_IPC_CHANNELS, RestartPolicy, ipcRefusal, isAllowedNavigation,
  permissionAllowed, resolveAppPath, sanitizeWebviewAttach, secureWebPreferences, windowOpenDecision,
} from './security.ts';

const root = path.resolve(__dirname, '..', '..');
const rendererDir = path.join(root, 'dist', 'renderer');

protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

let engine: UtilityProcess | null = null;
const restarts = new RestartPolicy();

function startEngine(): void {
  engine = utilityProcess.fork(path.join(__dirname, 'engine-host.mjs'), [], {
    serviceName: 'Longread engine',
    stdio: 'inherit',
    // libuv's thread pool (4 threads by default, fixed when the process starts) runs the KV
    // snapshot reads side by side (their checksums run on engine/kv/sha-pool.ts's workers): a
    // larger pool restores a document sooner
    env: { UV_THREADPOOL_SIZE: String(Math.min(16, Math.max(4, os.availableParallelism()))), ...process.env, LONGREAD_ROOT: root, LONGREAD_DATA_DIR: app.getPath('userData') },
  });
  engine.on('exit', (code) => {
    engine = null;
    const delay = restarts.onCrash(Date.now());
    for (const w of BrowserWindow.getAllWindows()) w.webContents.send('longread:engine-exited', { code, restarting: delay !== null });
    if (delay === null) {
      dialog.showErrorBox('Longread engine stopped', 'The engine crashed repeatedly. Restart Longread; if it keeps happening, update your GPU driver.');
      return;
    }
    setTimeout(() => {
      startEngine();
      for (const w of BrowserWindow.getAllWindows()) connectWindow(w.webContents);
    }, delay);
  });
}

function connectWindow(contents: Electron.WebContents): void {
  if (!engine) return;
  const { port1, port2 } = new MessageChannelMain();
  engine.postMessage({ type: 'connect' }, [port1]);
  contents.postMessage('longread:engine-port', null, [port2]);
}

/** One wrapper validates every IPC sender (checklist 17). */
function validated(event: IpcMainEvent | IpcMainInvokeEvent, channel: string): boolean {
  const frame = event.senderFrame;
  const refusal = ipcRefusal(channel, KNOWN_IPC_CHANNELS, {
    frameUrl: frame?.url ?? null,
    isSubFrame: Boolean(frame && frame.parent),
    hasOwnerWindow: BrowserWindow.fromWebContents(event.sender) !== null,
  });
  if (refusal) console.warn(`IPC refused on ${channel}: ${refusal}`);
  return refusal === null;
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 800,
    minWidth: 960,
    minHeight: 600,
    show: false,
    title: 'Longread',
    webPreferences: secureWebPreferences(path.join(__dirname, 'preload.cjs')),
  });
  win.once('ready-to-show', () => win.show());
  void win.loadURL(`${APP_ORIGIN}/index.html`);
  return win;
}

app.on('web-contents-created', (_e, contents) => {
  contents.on('will-navigate', (ev, url) => { if (!isAllowedNavigation(url)) ev.preventDefault(); });
  contents.on('will-redirect', (ev, url) => { if (!isAllowedNavigation(url)) ev.preventDefault(); });
  contents.on('will-attach-webview', (ev, webPreferences, params) => {
    sanitizeWebviewAttach(webPreferences as Record<string, unknown>, params as unknown as Record<string, unknown>);
    ev.preventDefault();
  });
  contents.setWindowOpenHandler(({ url }) => {
    const d = windowOpenDecision(url);
    if (d.openExternally) void shell.openExternal(url);
    return { action: d.action };
  });
});

void app.whenReady().then(() => {
  protocol.handle(APP_SCHEME, async (req) => {
    const file = resolveAppPath(rendererDir, req.url);
    if (!file) return new Response('not found', { status: 404 });
    const res = await net.fetch(pathToFileURL(file).toString()).catch(() => null);
    if (!res || !res.ok) return new Response('not found', { status: 404 });
    const headers = new Headers(res.headers);
    headers.set('Content-Security-Policy', APP_CSP);
    headers.set('X-Content-Type-Options', 'nosniff');
    return new Response(res.body, { status: 200, headers });
  });
  session.defaultSession.setPermissionRequestHandler((_wc, permission, cb, details) => cb(permissionAllowed(permission, details.requestingUrl)));
  session.defaultSession.setPermissionCheckHandler((_wc, permission, requestingOrigin) => permissionAllowed(permission, requestingOrigin));

  ipcMain.on(IPC_CHANNELS.connectEngine, (event) => {
    if (validated(event, IPC_CHANNELS.connectEngine)) connectWindow(event.sender);
  });
  ipcMain.handle(IPC_CHANNELS.openModelDialog, async (event) => {
    if (!validated(event, IPC_CHANNELS.openModelDialog)) return null;
    const r = await dialog.showOpenDialog({ title: 'Open a GGUF model', properties: ['openFile'], filters: [{ name: 'GGUF models', extensions: ['gguf'] }] });
    return r.canceled ? null : (r.filePaths[0] ?? null);
  });
  ipcMain.handle(IPC_CHANNELS.openDocumentDialog, async (event) => {
    if (!validated(event, IPC_CHANNELS.openDocumentDialog)) return [];
    const r = await dialog.showOpenDialog({
      title: 'Add documents',
      properties: ['openFile', 'multiSelections'],
      filters: [{ name: 'Documents', extensions: ['pdf', 'docx', 'epub', 'html', 'htm', 'md', 'markdown', 'txt'] }],
    });
    return r.canceled ? [] : r.filePaths;
  });

  startEngine();
  createWindow();
  app.on('activate', () => { if (BrowserWindow.getAllWindows().length === 0) createWindow(); });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
app.on('before-quit', () => engine?.kill());
