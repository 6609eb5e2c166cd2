// `headroom dashboard`'s transport: the page's static files and a WebSocket carrying the
// DashboardBridge, on 127.0.0.1 only, behind a random token. Every request needs the token
// (from ?token= or the HttpOnly cookie index.html sets), the right Host (DNS rebinding), and
// for the WebSocket our own Origin. Anything else gets 403 and no hint why.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { callBridge, type BridgeEvent, type BridgeMessage, type BridgeResponse, type DashboardBridge } from '../../shared/bridge.js';
import { toJsonSafe } from '../../shared/records.js';
import { contentTypeOf, hostAllowed, MAX_MESSAGE_BYTES, PAGE_PATH, originAllowed, parseBridgeRequest, requestToken, resolveStaticPath, tokenMatches } from './wire.js';

export const WEBSOCKET_PATH = '/ws';

export interface DashboardServer {
  /** The address to open, token included: http://127.0.0.1:PORT/?token=… */
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

export interface ServerOptions {
  bridge: DashboardBridge;
  /** The build output (dist/): the page is tray-app/renderer/ under it, and it imports shared/. */
  rootDir: string;
  /** 0 (default): a free port chosen by the kernel. */
  port?: number;
}

/** The page loads only its own files and talks only to its own origin (plus ws: to it). */
export const contentSecurityPolicy = (port: number): string => [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`,
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export async function startDashboardServer(opts: ServerOptions): Promise<DashboardServer> {
  const token = randomBytes(32).toString('base64url');
  let port = 0;
  // Cookies ignore ports: name ours after the port so two dashboards do not overwrite each other.
  const cookieName = (): string => `headroom_token_${port}`;

  // Lets the page's own scripts and styles load without the token in every URL.
  const tokenCookie = (): string => `${cookieName()}=${token}; HttpOnly; SameSite=Strict; Path=/`;

  const authorized = (req: IncomingMessage, url: URL): boolean =>
    hostAllowed(req.headers.host, port) && tokenMatches(token, requestToken(url, req.headers.cookie, cookieName()));

  const commonHeaders = (): Record<string, string> => ({
    'Content-Security-Policy': contentSecurityPolicy(port),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer', // the token is in the URL: never send it anywhere
    'Cache-Control': 'no-store',
    'Cross-Origin-Resource-Policy': 'same-origin',
  });

  const refuse = (res: ServerResponse, status: number, text: string): void => {
    res.writeHead(status, { ...commonHeaders(), 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(`${text}\n`);
  };

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (!authorized(req, url)) return refuse(res, 403, 'forbidden');
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'method not allowed');
    if (url.pathname === '/') {
      // The printed address is short; the page lives where its relative imports resolve.
      res.writeHead(302, { ...commonHeaders(), Location: `${PAGE_PATH}${url.search}`, 'Set-Cookie': tokenCookie() });
      res.end();
      return;
    }
    const file = resolveStaticPath(opts.rootDir, url.pathname);
    if (file === null) return refuse(res, 404, 'not found');
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      return refuse(res, 404, 'not found');
    }
    const headers: Record<string, string> = { ...commonHeaders(), 'Content-Type': contentTypeOf(file)! };
    if (url.pathname === PAGE_PATH) headers['Set-Cookie'] = tokenCookie();
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  const http = createServer((req, res) => {
    serve(req, res).catch(() => {
      if (!res.headersSent) refuse(res, 500, 'internal error');
      else res.destroy();
    });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== WEBSOCKET_PATH || !authorized(req, url) || !originAllowed(req.headers.origin, port)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => attach(ws, opts.bridge));
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(opts.port ?? 0, '127.0.0.1', () => {
      http.off('error', reject);
      resolve();
    });
  });
  const address = http.address();
  if (address === null || typeof address === 'string') throw new Error('the dashboard server has no TCP address');
  port = address.port;

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    close: () => new Promise<void>((resolve) => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      http.closeAllConnections();
      http.close(() => resolve());
    }),
  };
}

/** One page's socket: its requests go to the bridge, the bridge's events come back. */
function attach(ws: WebSocket, bridge: DashboardBridge): void {
  const send = (message: BridgeMessage): void => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(toJsonSafe(message)));
  };
  const unsubscribe = bridge.subscribe((event: BridgeEvent) => send({ event }));
  ws.on('close', unsubscribe);
  ws.on('error', () => ws.terminate()); // e.g. a message over maxPayload: drop this page, keep serving
  ws.on('message', (data: RawData, isBinary: boolean) => {
    const parsed = isBinary ? { ok: false as const, id: null, error: 'binary messages are not accepted' } : parseBridgeRequest(rawText(data));
    if (!parsed.ok) {
      send({ id: parsed.id ?? -1, ok: false, error: parsed.error });
      return;
    }
    const { id } = parsed;
    callBridge(bridge, parsed.call).then(
      (result: unknown) => send({ id, ok: true, result: result ?? null } satisfies BridgeResponse),
      (err: unknown) => send({ id, ok: false, error: err instanceof Error ? err.message : String(err) }),
    );
  });
}

const rawText = (data: RawData): string =>
  Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
