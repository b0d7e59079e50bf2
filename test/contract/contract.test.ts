/**
 * One contract suite, run over both transports: the WebSocket host (real sockets, as the
 * browser uses it) and MessagePorts (Node's MessageChannel standing in for Electron's, which
 * has the same semantics: the Electron binary cannot run here).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { LongreadError } from '../../engine/errors.ts';
import { EngineClient } from '../../engine/service/client.ts';
import { CONTRACT_VERSION, METHOD_NAMES, type ClientTransport } from '../../engine/service/contract.ts';
import { startWsHost, type WsHost } from '../../engine/service/host-ws.ts';
import { portClientTransport, portServerTransport } from '../../engine/service/port-transport.ts';
import { createEngineService, type EngineService } from '../../engine/service/service.ts';
import { wsClientTransport } from '../../engine/service/ws-client-transport.ts';

interface Rig {
  name: string;
  connect(): Promise<ClientTransport>;
}

let dataDir: string;
let service: EngineService;
let host: WsHost;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'longread-contract-'));
  service = await createEngineService({ dataDir, noGpu: true });
  host = await startWsHost({ service, port: 0, staticDir: path.join(dataDir, 'static') });
});

afterAll(async () => {
  await host.close();
  await service.dispose();
  await rm(dataDir, { recursive: true, force: true });
});

const rigs: Rig[] = [
  {
    name: 'websocket',
    async connect() {
      return wsClientTransport(`ws://127.0.0.1:${host.port}/ws?token=${host.token}`, WebSocket as unknown as typeof globalThis.WebSocket);
    },
  },
  {
    name: 'messageport',
    async connect() {
      const { port1, port2 } = new MessageChannel();
      service.server.attach(portServerTransport(port2, { nodeStyle: true }));
      return portClientTransport(port1, { nodeStyle: true });
    },
  },
];

describe.each(rigs)('contract over $name', (rig) => {
  let client: EngineClient;
  beforeAll(async () => {
    client = new EngineClient(await rig.connect());
  });
  afterAll(() => client.close());

  it('answers engine.status with the contract version', async () => {
    const s = await client.call('engine.status', {});
    expect(s.contractVersion).toBe(CONTRACT_VERSION);
    expect(s.engineVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(s.modelState).toBe('none');
  });

  it('round-trips settings', async () => {
    const s = await client.call('settings.set', { patch: { theme: 'dark', lastChatId: null } });
    expect(s.theme).toBe('dark');
    expect((await client.call('settings.get', {})).theme).toBe('dark');
  });

  it('carries typed errors intact (code, message, hint)', async () => {
    const err = await client.call('settings.set', { patch: { bogus: 1 } as never }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LongreadError);
    expect((err as LongreadError).code).toBe('bad-request');
    expect((err as LongreadError).hint).toContain('Known settings');
    const nf = await client.call('document.get', { id: 'missing' }).catch((e: unknown) => e);
    expect((nf as LongreadError).code).toBe('document-not-found');
  });

  it('rejects unknown methods and malformed params', async () => {
    const raw = (client as unknown as { transport: ClientTransport }).transport;
    const answers: unknown[] = [];
    const off = raw.onMessage((m) => answers.push(m));
    raw.send({ kind: 'request', id: 'x1', method: 'fs.readFile' as never, params: {} as never });
    raw.send({ kind: 'request', id: 'x2', method: 'settings.get', params: 'nope' as never });
    await new Promise((r) => setTimeout(r, 200));
    off();
    const byId = Object.fromEntries((answers as { id?: string; ok?: boolean; error?: { code: string } }[]).filter((a) => a.id).map((a) => [a.id, a]));
    expect(byId.x1?.error?.code).toBe('unknown-method');
    expect(byId.x2?.error?.code).toBe('bad-request');
  });

  it('answers job.cancel for unknown jobs without error', async () => {
    expect(await client.call('job.cancel', { jobId: 'none' })).toEqual({ cancelled: false });
  });

  it('carries binary payloads (document bytes) and reports ingest errors typed', async () => {
    const data = new Uint8Array([0, 1, 2, 255]);
    const err = await client.call('document.ingest', { source: { kind: 'bytes', name: 'x.bin', data } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LongreadError);
    expect((err as LongreadError).code).toMatch(/^document-/);
  });

  it('lists every contract method as a verb', () => {
    expect(METHOD_NAMES.length).toBeGreaterThan(15);
    expect(new Set(METHOD_NAMES).size).toBe(METHOD_NAMES.length);
  });
});

describe('websocket host security', () => {
  function open(url: string, origin?: string): Promise<'open' | number> {
    return new Promise((resolve) => {
      const ws = new WebSocket(url, origin ? { origin } : {});
      ws.on('open', () => {
        ws.close();
        resolve('open');
      });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => undefined);
    });
  }

  it('refuses a socket without the token or with a wrong one', async () => {
    expect(await open(`ws://127.0.0.1:${host.port}/ws`)).toBe(401);
    expect(await open(`ws://127.0.0.1:${host.port}/ws?token=${'0'.repeat(host.token.length)}`)).toBe(401);
  });

  it('refuses a foreign Origin even with the token', async () => {
    expect(await open(`ws://127.0.0.1:${host.port}/ws?token=${host.token}`, 'https://evil.example')).toBe(403);
    expect(await open(`ws://127.0.0.1:${host.port}/ws?token=${host.token}`, `http://127.0.0.1:${host.port + 1}`)).toBe(403);
  });

  it('accepts its own origin with the token', async () => {
    expect(await open(`ws://127.0.0.1:${host.port}/ws?token=${host.token}`, `http://127.0.0.1:${host.port}`)).toBe('open');
  });

  it('refuses the page without the token and a rebinding Host header', async () => {
    const res = await fetch(`http://127.0.0.1:${host.port}/`);
    expect(res.status).toBe(401);
    const http = await import('node:http');
    const status = await new Promise<number>((resolve) => {
      http.get({ host: '127.0.0.1', port: host.port, path: `/?token=${host.token}`, headers: { host: 'attacker.example' } }, (r) => resolve(r.statusCode ?? 0));
    });
    expect(status).toBe(421);
  });

  it('never serves files outside the renderer directory', async () => {
    for (const p of ['/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2fetc%2fpasswd']) {
      const res = await fetch(`http://127.0.0.1:${host.port}${p}`);
      expect(res.status).toBe(404);
    }
  });
});

describe('persistence', () => {
  it('settings survive a restart of the service', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'longread-persist-'));
    const a = await createEngineService({ dataDir: dir, noGpu: true });
    const { port1, port2 } = new MessageChannel();
    a.server.attach(portServerTransport(port2, { nodeStyle: true }));
    const c = new EngineClient(portClientTransport(port1, { nodeStyle: true }));
    await c.call('settings.set', { patch: { theme: 'light', lastDocumentId: 'abc' } });
    c.close();
    await a.dispose();
    const b = await createEngineService({ dataDir: dir, noGpu: true });
    const { port1: q1, port2: q2 } = new MessageChannel();
    b.server.attach(portServerTransport(q2, { nodeStyle: true }));
    const c2 = new EngineClient(portClientTransport(q1, { nodeStyle: true }));
    const s = await c2.call('settings.get', {});
    expect(s.theme).toBe('light');
    expect(s.lastDocumentId).toBe('abc');
    c2.close();
    await b.dispose();
    await rm(dir, { recursive: true, force: true });
  });
});
