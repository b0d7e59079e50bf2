/**
 * Electron security policy, as pure functions with no `electron` import so every item of the
 * checklist (../shared/research/reliability.md (a)) is unit-tested without the binary:
 * web preferences, navigation / new-window / permission / webview guards, the app:// protocol's
 * path resolution, the Content-Security-Policy, safe external URLs and IPC sender validation.
 * electron/main.ts applies them; nothing else in electron/ decides policy.
 */

import path from 'node:path';

export const APP_SCHEME = 'app';
export const APP_HOST = 'longread';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/** Checklist 2-4, 6, 8-10: the only web preferences any window gets. */
export function secureWebPreferences(preloadPath: string) {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
    devTools: process.env.LONGREAD_DEVTOOLS === '1',
  } as const;
}

/** Checklist 7: CSP for every app:// document (no unsafe-eval, no remote origins). */
export const APP_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join('; ');

/** Checklist 13: only our own origin may be navigated to; parsed with URL, never startsWith. */
export function isAllowedNavigation(url: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST;
}

/** Checklist 15: external links open in the browser only if http(s) and well-formed. */
export function isSafeExternalUrl(url: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  return (u.protocol === 'https:' || u.protocol === 'http:') && u.hostname.length > 0 && !u.username && !u.password;
}

/** Checklist 5: every permission request is denied except the tiny allow-list. */
const ALLOWED_PERMISSIONS = new Set(['clipboard-sanitized-write']);
export function permissionAllowed(permission: string, requestingUrl: string): boolean {
  return ALLOWED_PERMISSIONS.has(permission) && isAllowedNavigation(requestingUrl);
}

/** Checklist 11-12: we use no webviews; the handler strips and refuses every one. */
export function sanitizeWebviewAttach(webPreferences: Record<string, unknown>, params: Record<string, unknown>): { allow: false } {
  delete webPreferences.preload;
  delete webPreferences.preloadURL;
  webPreferences.nodeIntegration = false;
  webPreferences.contextIsolation = true;
  void params;
  return { allow: false };
}

/** Checklist 14: window.open is always denied; safe http(s) links go to the system browser. */
export function windowOpenDecision(url: string): { action: 'deny'; openExternally: boolean } {
  return { action: 'deny', openExternally: isSafeExternalUrl(url) };
}

/**
 * Checklist 18: resolves an app:// request to a file inside `root`, or null (-> 404). Rejects
 * other hosts, `..` segments (also percent-encoded), absolute paths, NUL bytes and anything
 * that resolves outside root.
 */
export function resolveAppPath(root: string, requestUrl: string): string | null {
  // The URL parser silently folds `..` (also `%2e%2e`) segments; refuse them before it can.
  let raw: string;
  try {
    raw = decodeURIComponent(requestUrl);
  } catch {
    return null;
  }
  if (/(^|[/\\])\.\.([/\\]|$)/.test(raw)) return null;
  let u: URL;
  try {
    u = new URL(requestUrl);
  } catch {
    return null;
  }
  if (u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST) return null;
  let rel: string;
  try {
    rel = decodeURIComponent(u.pathname);
  } catch {
    return null;
  }
  if (rel.includes('\0') || rel.includes('\\')) return null;
  if (rel.split('/').some((seg) => seg === '..')) return null;
  if (rel === '/' || rel === '') rel = '/index.html';
  const base = path.resolve(root);
  const file = path.resolve(base, '.' + rel);
  if (file !== base && !file.startsWith(base + path.sep)) return null;
  return file;
}

export interface SenderInfo {
  /** URL of the frame that sent the message (senderFrame.url). */
  frameUrl: string | null;
  /** True when the sender is a sub-frame (senderFrame.parent !== null). */
  isSubFrame: boolean;
  /** True when the sender belongs to one of our BrowserWindows. */
  hasOwnerWindow: boolean;
}

/**
 * Checklist 17: every IPC message goes through this check: known channel, our origin, the top
 * frame, a window we created. Returns the reason for a refusal, or null when allowed.
 */
export function ipcRefusal(channel: string, knownChannels: ReadonlySet<string>, sender: SenderInfo): string | null {
  if (!knownChannels.has(channel)) return `unknown channel ${channel}`;
  if (!sender.frameUrl || !isAllowedNavigation(sender.frameUrl)) return `sender origin ${sender.frameUrl ?? '(none)'} is not ${APP_ORIGIN}`;
  if (sender.isSubFrame) return 'sender is a sub-frame';
  if (!sender.hasOwnerWindow) return 'sender has no owning window';
  return null;
}

/** IPC channels main listens on (the engine itself is reached over a MessagePort, not IPC). */
export const IPC_CHANNELS = {
  connectEngine: 'longread:connect-engine',
  openModelDialog: 'longread:open-model-dialog',
  openDocumentDialog: 'longread:open-document-dialog',
  openExternal: 'longread:open-external',
} as const;
export const KNOWN_IPC_CHANNELS: ReadonlySet<string> = new Set(Object.values(IPC_CHANNELS));

/** Supervision of the engine host: restart with backoff, give up after too many quick crashes. */
export class RestartPolicy {
  private crashes: number[] = [];
  constructor(
    private readonly maxCrashes = 5,
    private readonly windowMs = 60_000,
  ) {}
  /** Returns the delay before restarting, or null to give up. */
  onCrash(now: number): number | null {
    this.crashes = this.crashes.filter((t) => now - t < this.windowMs);
    this.crashes.push(now);
    if (this.crashes.length > this.maxCrashes) return null;
    return Math.min(8000, 250 * 2 ** (this.crashes.length - 1));
  }
}

/** Electron fuses the packaged app must have (checklist 19); electron-builder.yml sets them. */
export const REQUIRED_FUSES = {
  runAsNode: false,
  enableCookieEncryption: true,
  enableNodeOptionsEnvironmentVariable: false,
  enableNodeCliInspectArguments: false,
  enableEmbeddedAsarIntegrityValidation: true,
  onlyLoadAppFromAsar: true,
  grantFileProtocolExtraPrivileges: false,
} as const;
