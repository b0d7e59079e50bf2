/**
 * The headless host (`longread serve`): the engine service behind a WebSocket transport, plus
 * the built renderer over HTTP, on 127.0.0.1 only.
 *
 * Security (the browser is a hostile neighbour: any web page can try to reach localhost):
 * - binds 127.0.0.1, never 0.0.0.0;
 * - a per-run random token is required for the page (`/?token=`) and for the socket
 *   (`/ws?token=`), compared in constant time;
 * - the Host header must name this loopback port (defeats DNS rebinding);
 * - a WebSocket with an Origin header other than this host's own is refused (browsers always
 *   send Origin; non-browser clients may omit it but still need the token);
 * - static files are resolved inside dist/renderer only (no path traversal), with a CSP.
 */

import { timingSafeEqual, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ClientMessage, ServerMessage, ServerTransport } from './contract.ts';
import type { EngineService } from './service.ts';
import { wireDecode, wireEncode } from './wire-codec.ts';

export interface WsHostOptions {
  service: EngineService;
  port?: number;
  /** Directory of the built renderer (index.html + assets). */
  staticDir: string;
  token?: string;
}

export interface WsHost {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

/** Max WebSocket message: documents travel as base64 inside one message. */
export const WS_MAX_PAYLOAD = 400 * 1024 * 1024;

export function tokenMatches(expected: string, given: string | null): boolean {
  if (!given) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function contentSecurityPolicy(port: number): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`,
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'none'",
  ].join('; ');
}

function wsServerTransport(ws: WebSocket): ServerTransport {
  return {
    send(msg: ServerMessage) {
      if (ws.readyState === ws.OPEN) ws.send(wireEncode(msg));
    },
    onMessage(h: (m: ClientMessage) => void) {
      const fn = (data: Buffer, isBinary: boolean) => {
        if (isBinary) return;
        let m: unknown;
        try {
          m = wireDecode(data.toString('utf8'));
        } catch {
          return; // not JSON: ignored, as any malformed frame
        }
        h(m as ClientMessage);
      };
      ws.on('message', fn);
      return () => ws.off('message', fn);
    },
    onClose(h: () => void) {
      ws.on('close', h);
      return () => ws.off('close', h);
    },
    close() {
      ws.close();
    },
  };
}

export async function startWsHost(opts: WsHostOptions): Promise<WsHost> {
  const token = opts.token ?? randomBytes(24).toString('hex');
  const staticRoot = path.resolve(opts.staticDir);
  let port = 0;
  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const allowedOrigins = () => new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);

  const server = http.createServer((req, res) => {
    void serveStatic(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end('internal error');
    });
  });

  async function serveStatic(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (!allowedHosts().has(req.headers.host ?? '')) {
      res.writeHead(421, { 'content-type': 'text/plain' }).end('Misdirected request');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    const security = {
      'content-security-policy': contentSecurityPolicy(port),
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    };
    let rel = decodeURIComponent(url.pathname);
    if (rel === '/' || rel === '/index.html') {
      if (!tokenMatches(token, url.searchParams.get('token'))) {
        res.writeHead(401, { 'content-type': 'text/plain; charset=utf-8', ...security });
        res.end('Longread: open the address printed in the terminal (it carries this run\'s access token).\n');
        return;
      }
      const html = await fs.readFile(path.join(staticRoot, 'index.html'), 'utf8');
      const meta = `<meta name="longread-token" content="${token}">`;
      const body = html.includes('</head>') ? html.replace('</head>', `${meta}</head>`) : meta + html;
      res.writeHead(200, { 'content-type': MIME['.html']!, ...security });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    rel = path.normalize(rel).replace(/^([/\\])+/, '');
    const file = path.resolve(staticRoot, rel);
    if (!file.startsWith(staticRoot + path.sep)) {
      res.writeHead(404, security).end();
      return;
    }
    let data: Buffer;
    try {
      const st = await fs.stat(file);
      if (!st.isFile()) throw new Error('not a file');
      data = await fs.readFile(file);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain', ...security }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': MIME[path.extname(file)] ?? 'application/octet-stream', ...security });
    res.end(req.method === 'HEAD' ? undefined : data);
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_PAYLOAD });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    const origin = req.headers.origin;
    const refuse = (status: number, text: string) => {
      socket.write(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      socket.destroy();
    };
    if (url.pathname !== '/ws') return refuse(404, 'Not Found');
    if (!allowedHosts().has(req.headers.host ?? '')) return refuse(421, 'Misdirected Request');
    if (origin !== undefined && !allowedOrigins().has(origin)) return refuse(403, 'Forbidden');
    if (!tokenMatches(token, url.searchParams.get('token'))) return refuse(401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => {
      opts.service.server.attach(wsServerTransport(ws));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    async close() {
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.closeAllConnections?.();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
