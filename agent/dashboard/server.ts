// `headroom dashboard`'s transport: the page's static files and a WebSocket carrying the
// DashboardBridge, on 127.0.0.1 only. The files hold nothing private and are served to any
// request with the right Host (DNS rebinding). The WebSocket needs our own Origin and a
// credential (agent/dashboard/access.ts): a one-time link's secret, or the session it was
// exchanged for. Nothing is a cookie, so no other server on 127.0.0.1 ever receives one.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { callBridge, DENIED_CLOSE_CODE, type BridgeEvent, type BridgeMessage, type BridgeResponse, type DashboardBridge } from '../../shared/bridge.js';
import { toJsonSafe } from '../../shared/records.js';
import { credentialOf, DashboardAccess, DEFAULT_ACCESS_TIMES, type AccessTimes } from './access.js';
import { contentTypeOf, hostAllowed, MAX_MESSAGE_BYTES, PAGE_PATH, originAllowed, parseBridgeRequest, resolveStaticPath } from './wire.js';

export const WEBSOCKET_PATH = '/ws';
/** How often expired links and sessions are swept (and pages of ended sessions closed). */
const SWEEP_MS = 5000;

export interface DashboardLink {
  /** http://127.0.0.1:PORT/#once=SECRET: the secret is in the fragment, which no request carries. */
  url: string;
  secret: string;
}

export interface DashboardServer {
  port: number;
  /**
   * A new one-time link. `onClosed` is called once, when the link is used or has expired
   * (so a file that holds it can be removed).
   */
  newLink(onClosed?: () => void): DashboardLink;
  close(): Promise<void>;
}

export interface ServerOptions {
  bridge: DashboardBridge;
  /** The build output (dist/): the page is tray-app/renderer/ under it, and it imports shared/. */
  rootDir: string;
  /** 0 (default): a free port chosen by the kernel. */
  port?: number;
  /** How long links and sessions last (tests shorten them). */
  accessTimes?: AccessTimes;
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
  let port = 0;
  const times = opts.accessTimes ?? DEFAULT_ACCESS_TIMES;
  const access = new DashboardAccess(() => randomBytes(32).toString('base64url'), Date.now, times);
  /** Links whose holder wants to know when they stop working. */
  const linkWatchers = new Map<string, () => void>();
  /** Each open page and the session it belongs to. */
  const pages = new Map<WebSocket, string>();

  const commonHeaders = (): Record<string, string> => ({
    'Content-Security-Policy': contentSecurityPolicy(port),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
    'Cross-Origin-Resource-Policy': 'same-origin',
  });

  const refuse = (res: ServerResponse, status: number, text: string): void => {
    res.writeHead(status, { ...commonHeaders(), 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(`${text}\n`);
  };

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (!hostAllowed(req.headers.host, port)) return refuse(res, 403, 'forbidden');
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'method not allowed');
    if (url.pathname === '/') {
      // The printed address is short; the page lives where its relative imports resolve. The
      // browser keeps the link's #fragment across the redirect.
      res.writeHead(302, { ...commonHeaders(), Location: PAGE_PATH });
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
    res.writeHead(200, { ...commonHeaders(), 'Content-Type': contentTypeOf(file)! });
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
    if (url.pathname !== WEBSOCKET_PATH || !hostAllowed(req.headers.host, port) || !originAllowed(req.headers.origin, port)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    // Refused pages are told in the close code (a browser's WebSocket sees no HTTP status), so
    // the page can say "this link was used" instead of retrying for ever.
    wss.handleUpgrade(req, socket, head, (ws) => {
      const credential = credentialOf(url);
      const admission = access.admit(credential);
      if (!admission.ok) {
        ws.close(DENIED_CLOSE_CODE, admission.reason);
        return;
      }
      if (credential !== null && 'once' in credential) closeLink(credential.once);
      pages.set(ws, admission.session);
      ws.send(JSON.stringify({ session: { id: admission.session, expiresAtMs: admission.expiresAtMs } } satisfies BridgeMessage));
      ws.on('close', () => {
        pages.delete(ws);
        access.left(admission.session);
      });
      attach(ws, opts.bridge);
    });
  });

  const closeLink = (secret: string): void => {
    const watcher = linkWatchers.get(secret);
    linkWatchers.delete(secret);
    watcher?.();
  };
  /** Tell the holders of links that were used, expired or pushed out by newer ones. */
  const closeEndedLinks = (): void => {
    for (const secret of [...linkWatchers.keys()]) if (!access.linkOpen(secret)) closeLink(secret);
  };
  const sweep = (): void => {
    access.sweep();
    closeEndedLinks();
    for (const [ws, session] of pages) if (!access.alive(session)) ws.close(DENIED_CLOSE_CODE, 'session-expired');
  };
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
  const sweeper = setInterval(sweep, Math.max(50, Math.min(SWEEP_MS, times.linkTtlMs, times.sessionMaxMs, times.sessionIdleMs) / 2));
  sweeper.unref();

  return {
    port,
    newLink: (onClosed?: () => void): DashboardLink => {
      const secret = access.mintLink();
      closeEndedLinks();
      if (onClosed !== undefined) linkWatchers.set(secret, onClosed);
      return { url: `http://127.0.0.1:${port}/#once=${secret}`, secret };
    },
    close: () => new Promise<void>((resolve) => {
      clearInterval(sweeper);
      for (const secret of [...linkWatchers.keys()]) closeLink(secret);
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
