// The WebSocket transport's checks, kept free of sockets so the unit tests can hold them:
// every incoming message is validated here before it reaches the bridge, and every way a
// request can be refused (secret, Host, Origin, path) is one pure function.
import { timingSafeEqual } from 'node:crypto';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { checkBridgeCall, isBridgeMethod, type BridgeCall } from '../../shared/bridge.js';

/** The longest message we accept; the largest real request is a few hundred bytes. */
export const MAX_MESSAGE_BYTES = 16 * 1024;

export type ParsedRequest =
  | { ok: true; id: number; call: BridgeCall }
  | { ok: false; id: number | null; error: string };

const isRequestId = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Parse and validate one text message from the page. Never throws. */
export function parseBridgeRequest(text: string): ParsedRequest {
  if (text.length > MAX_MESSAGE_BYTES) return { ok: false, id: null, error: 'message too long' };
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return { ok: false, id: null, error: 'not JSON' };
  }
  if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) return { ok: false, id: null, error: 'expected an object {id, method, params}' };
  const { id, method, params } = msg as Record<string, unknown>;
  if (!isRequestId(id)) return { ok: false, id: null, error: 'id must be a non-negative integer' };
  if (!isBridgeMethod(method)) return { ok: false, id, error: `unknown method ${JSON.stringify(method)}` };
  const list = params ?? [];
  if (!Array.isArray(list)) return { ok: false, id, error: 'params must be an array' };
  const call = checkBridgeCall(method, list as unknown[]);
  if (typeof call === 'string') return { ok: false, id, error: call };
  return { ok: true, id, call };
}

/** Constant-time comparison: a wrong secret must not be guessable byte by byte from timings. */
export function tokenMatches(expected: string, given: string | null | undefined): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The Host header must name our own loopback address and port. A page on evil.example that
 * re-points its DNS name at 127.0.0.1 (DNS rebinding) sends Host: evil.example, and is refused.
 */
export function hostAllowed(host: string | undefined, port: number): boolean {
  return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
}

/** A WebSocket from a browser carries Origin; only our own page may open one. */
export function originAllowed(origin: string | undefined, port: number): boolean {
  if (origin === undefined) return true; // not a browser (no ambient credentials to abuse); the credential still applies
  return origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** The content type for a file we serve, or null: anything else is not served at all. */
export function contentTypeOf(path: string): string | null {
  const dot = path.lastIndexOf('.');
  return dot < 0 ? null : CONTENT_TYPES[path.slice(dot).toLowerCase()] ?? null;
}

/** Where the page lives under the server's root, and the only folders it may load from. */
export const PAGE_PATH = '/tray-app/renderer/index.html';
export const SERVED_FOLDERS = ['tray-app/renderer/', 'shared/'] as const;

/**
 * Map a URL path to a file under `root`, or null when it would leave the served folders (`..`,
 * encoded or not), names a hidden file, or is not a type we serve.
 */
export function resolveStaticPath(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null; // malformed %-escape
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const rel = decoded.replace(/^\/+/, '');
  if (rel.split('/').some((segment) => segment === '..' || segment === '.' || segment.startsWith('.'))) return null;
  if (!SERVED_FOLDERS.some((folder) => rel.startsWith(folder))) return null;
  const full = resolve(root, rel);
  const inside = relative(root, full);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside) || inside.split(sep).includes('..')) return null;
  return contentTypeOf(full) === null ? null : full;
}
