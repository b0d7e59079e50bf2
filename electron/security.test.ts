/**
 * The Electron security checklist (reliability.md (a)), every item that can be checked without
 * the Electron binary: the window factory, CSP, guards, app:// path resolution, IPC sender
 * validation, the preload's surface, packaging fuses, and the engine-host restart policy.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  APP_CSP, IPC_CHANNELS, KNOWN_IPC_CHANNELS, REQUIRED_FUSES, RestartPolicy, ipcRefusal, isAllowedNavigation, isSafeExternalUrl,
  permissionAllowed, resolveAppPath, sanitizeWebviewAttach, secureWebPreferences, windowOpenDecision,
} from './security.ts';

const root = path.resolve(__dirname, '..');

describe('window factory (checklist 2-4, 6, 8-10)', () => {
  const wp = secureWebPreferences('/x/preload.cjs') as Record<string, unknown>;
  it('isolates and sandboxes every renderer', () => {
    expect(wp.contextIsolation).toBe(true);
    expect(wp.sandbox).toBe(true);
    expect(wp.nodeIntegration).toBe(false);
    expect(wp.nodeIntegrationInWorker).toBe(false);
    expect(wp.nodeIntegrationInSubFrames).toBe(false);
  });
  it('never weakens web security', () => {
    expect(wp.webSecurity).toBe(true);
    expect(wp.allowRunningInsecureContent).toBe(false);
    expect(wp.experimentalFeatures).toBe(false);
    expect(wp.webviewTag).toBe(false);
    expect('enableBlinkFeatures' in wp).toBe(false);
  });
  it('is the only BrowserWindow construction in electron/', () => {
    const main = readFileSync(path.join(root, 'electron', 'main.ts'), 'utf8');
    expect(main.match(/new BrowserWindow\(/g)?.length).toBe(1);
    expect(main).toContain('webPreferences: secureWebPreferences(');
    for (const f of ['main.ts', 'preload.ts', 'security.ts']) {
      const src = readFileSync(path.join(root, 'electron', f), 'utf8');
      expect(src).not.toMatch(/enableBlinkFeatures\s*:/);
      expect(src).not.toMatch(/webSecurity\s*:\s*false/);
    }
  });
});

describe('content security policy (checklist 7)', () => {
  it('has no unsafe-eval and no remote origins', () => {
    expect(APP_CSP).not.toContain('unsafe-eval');
    expect(APP_CSP).toContain("script-src 'self'");
    expect(APP_CSP).not.toMatch(/https?:/);
    expect(APP_CSP).toContain("object-src 'none'");
  });
});

describe('navigation and new windows (checklist 13, 14)', () => {
  it('allows only app://longread', () => {
    expect(isAllowedNavigation('app://longread/index.html')).toBe(true);
    expect(isAllowedNavigation('app://longread.attacker.com/index.html')).toBe(false);
    expect(isAllowedNavigation('https://example.com')).toBe(false);
    expect(isAllowedNavigation('https://example.com.attacker.com')).toBe(false);
    expect(isAllowedNavigation('file:///etc/passwd')).toBe(false);
    expect(isAllowedNavigation('javascript:alert(1)')).toBe(false);
    expect(isAllowedNavigation('not a url')).toBe(false);
  });
  it('denies every window.open, opening only safe links externally', () => {
    expect(windowOpenDecision('https://example.com')).toEqual({ action: 'deny', openExternally: true });
    expect(windowOpenDecision('file:///etc/passwd')).toEqual({ action: 'deny', openExternally: false });
  });
});

describe('external URLs (checklist 15)', () => {
  it.each([
    ['https://example.com/a', true],
    ['http://example.com', true],
    ['javascript:alert(1)', false],
    ['file:///etc/passwd', false],
    ['smb://host/share', false],
    ['ms-msdt:/id', false],
    ['/relative/path', false],
    ['https://user:pw@example.com', false],
    ['', false],
  ])('%s -> %s', (url, ok) => expect(isSafeExternalUrl(url)).toBe(ok));
});

describe('permissions (checklist 5)', () => {
  it.each(['media', 'geolocation', 'notifications', 'openExternal', 'midi', 'clipboard-read', 'display-capture', 'unknown-thing'])('denies %s', (p) => {
    expect(permissionAllowed(p, 'app://longread/index.html')).toBe(false);
  });
  it('allows sanitized clipboard writes from our origin only', () => {
    expect(permissionAllowed('clipboard-sanitized-write', 'app://longread/index.html')).toBe(true);
    expect(permissionAllowed('clipboard-sanitized-write', 'https://example.com')).toBe(false);
  });
});

describe('webviews (checklist 11, 12)', () => {
  it('strips preload, forces isolation and refuses', () => {
    const wp: Record<string, unknown> = { preload: '/evil.js', nodeIntegration: true, contextIsolation: false };
    expect(sanitizeWebviewAttach(wp, { src: 'https://example.com', allowpopups: 'true' })).toEqual({ allow: false });
    expect(wp.preload).toBeUndefined();
    expect(wp.nodeIntegration).toBe(false);
    expect(wp.contextIsolation).toBe(true);
  });
});

describe('app:// protocol (checklist 18)', () => {
  const dir = '/opt/longread/renderer';
  it('serves files inside the renderer directory', () => {
    expect(resolveAppPath(dir, 'app://longread/index.html')).toBe(path.join(dir, 'index.html'));
    expect(resolveAppPath(dir, 'app://longread/')).toBe(path.join(dir, 'index.html'));
    expect(resolveAppPath(dir, 'app://longread/assets/a.js')).toBe(path.join(dir, 'assets', 'a.js'));
  });
  it.each([
    'app://longread/../../etc/passwd',
    'app://longread/%2e%2e/%2e%2e/etc/passwd',
    'app://longread/assets/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    'app://longread/..%5c..%5cwindows',
    'app://longread/a%00.js',
    'app://other/index.html',
    'file:///etc/passwd',
    'app://longread/%E0%A4%A',
  ])('refuses %s', (u) => expect(resolveAppPath(dir, u)).toBeNull());
});

describe('IPC sender validation (checklist 17)', () => {
  const good = { frameUrl: 'app://longread/index.html', isSubFrame: false, hasOwnerWindow: true };
  it('accepts a known channel from our top frame', () => {
    expect(ipcRefusal(IPC_CHANNELS.connectEngine, KNOWN_IPC_CHANNELS, good)).toBeNull();
  });
  it('refuses unknown channels, foreign origins, sub-frames and windowless senders', () => {
    expect(ipcRefusal('longread:eval', KNOWN_IPC_CHANNELS, good)).toMatch(/unknown channel/);
    expect(ipcRefusal(IPC_CHANNELS.connectEngine, KNOWN_IPC_CHANNELS, { ...good, frameUrl: 'https://evil.example/' })).toMatch(/origin/);
    expect(ipcRefusal(IPC_CHANNELS.connectEngine, KNOWN_IPC_CHANNELS, { ...good, frameUrl: null })).toMatch(/origin/);
    expect(ipcRefusal(IPC_CHANNELS.connectEngine, KNOWN_IPC_CHANNELS, { ...good, isSubFrame: true })).toMatch(/sub-frame/);
    expect(ipcRefusal(IPC_CHANNELS.connectEngine, KNOWN_IPC_CHANNELS, { ...good, hasOwnerWindow: false })).toMatch(/window/);
  });
  it('routes every ipcMain listener in main.ts through the validating wrapper', () => {
    const main = readFileSync(path.join(root, 'electron', 'main.ts'), 'utf8');
    const listeners = main.match(/ipcMain\.(on|handle)\(/g) ?? [];
    const checks = main.match(/validated\(event, IPC_CHANNELS\./g) ?? [];
    expect(listeners.length).toBeGreaterThan(0);
    expect(checks.length).toBe(listeners.length);
  });
});

describe('preload surface (checklist 20)', () => {
  const src = readFileSync(path.join(root, 'electron', 'preload.ts'), 'utf8');
  it('never exposes ipcRenderer or raw events', () => {
    expect(src).toMatch(/exposeInMainWorld\('longread'/);
    expect(src).not.toMatch(/exposeInMainWorld\([^)]*ipcRenderer/);
    const exposed = src.slice(src.indexOf('exposeInMainWorld'));
    expect(exposed).not.toMatch(/ipcRenderer\.on\(/);
    expect(exposed).not.toMatch(/\bevent\b/);
  });
  it('forwards only contract requests for known methods', () => {
    expect(src).toContain('isMethodName(o.method)');
  });
});

describe('packaging (checklist 16, 19)', () => {
  const cfg = parseYaml(readFileSync(path.join(root, 'electron-builder.yml'), 'utf8')) as Record<string, unknown>;
  it('sets every required fuse', () => {
    const fuses = cfg.electronFuses as Record<string, unknown>;
    for (const [k, v] of Object.entries(REQUIRED_FUSES)) expect(fuses[k], k).toBe(v);
  });
  it('unpacks Dawn from the asar and targets every platform', () => {
    expect(cfg.asarUnpack as string[]).toContain('node_modules/webgpu/dist/**');
    expect((cfg.linux as Record<string, unknown>).target).toEqual(['AppImage', 'deb']);
    expect((cfg.mac as Record<string, unknown>).target).toEqual(['dmg']);
    expect((cfg.win as Record<string, unknown>).target).toEqual(['nsis']);
  });
  it('uses a current Electron major', () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    expect(Number(/\d+/.exec(pkg.devDependencies.electron!)![0])).toBeGreaterThanOrEqual(40);
  });
});

describe('engine host supervision', () => {
  it('restarts with growing backoff and gives up after repeated quick crashes', () => {
    const p = new RestartPolicy(3, 60_000);
    expect(p.onCrash(0)).toBe(250);
    expect(p.onCrash(1000)).toBe(500);
    expect(p.onCrash(2000)).toBe(1000);
    expect(p.onCrash(3000)).toBeNull();
    const q = new RestartPolicy(3, 60_000);
    for (let i = 0; i < 10; i++) expect(q.onCrash(i * 61_000)).toBe(250);
  });
});
