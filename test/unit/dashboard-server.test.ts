// The dashboard server with a stand-in bridge: real HTTP and WebSocket on 127.0.0.1, no agent.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import type { BridgeEvent, DashboardBridge, DashboardState } from '../../shared/bridge.js';
import type { Preference } from '../../shared/names.js';
import type { EventRecord } from '../../shared/records.js';
import { startDashboardServer, type DashboardServer } from '../../agent/dashboard/server.js';
import { DENIED_CLOSE_CODE } from '../../shared/bridge.js';

class FakeBridge implements DashboardBridge {
  readonly listeners = new Set<(e: BridgeEvent) => void>();
  readonly preferences: [string, Preference][] = [];
  load(): Promise<DashboardState> { return Promise.resolve({ agentRunning: false } as DashboardState); }
  setPreference(appId: string, p: Preference): Promise<void> {
    if (appId === 'unknown') return Promise.reject(new Error('no such app: unknown'));
    this.preferences.push([appId, p]);
    return Promise.resolve();
  }
  listLaunchers(): Promise<never[]> { return Promise.resolve([]); }
  launch(): Promise<string> { return Promise.resolve('app-headroom-x-1.scope'); }
  resumeApp(): Promise<EventRecord> { return Promise.reject(new Error('nothing is paused')); }
  quitApp(): Promise<EventRecord> { return Promise.reject(new Error('nothing is paused')); }
  subscribe(l: (e: BridgeEvent) => void): () => void { this.listeners.add(l); return () => { this.listeners.delete(l); }; }
}

interface Reply { status: number; headers: Record<string, string | string[] | undefined>; body: string }
const http = (url: string, opts: { method?: string; headers?: Record<string, string> } = {}): Promise<Reply> => new Promise((resolve, reject) => {
  const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
    let body = '';
    res.on('data', (d: Buffer) => { body += d.toString(); });
    res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
  });
  req.on('error', reject);
  req.end();
});

/** How a refused socket ended: its close code and reason. */
function closeOf(url: string, headers: Record<string, string> = {}): Promise<{ code: number; reason: string } | { status: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    ws.once('unexpected-response', (_req, res) => { resolve({ status: res.statusCode ?? 0 }); ws.terminate(); });
    ws.once('error', () => undefined);
  });
}

/** A connected client that collects everything the server sends. */
async function client(url: string): Promise<{ ws: WebSocket; messages: Record<string, unknown>[]; next(match: (m: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> }> {
  const ws = new WebSocket(url);
  const messages: Record<string, unknown>[] = [];
  ws.on('message', (d: Buffer) => messages.push(JSON.parse(d.toString()) as Record<string, unknown>));
  await new Promise((r, j) => { ws.once('open', r); ws.once('error', j); });
  const next = async (match: (m: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> => {
    for (let i = 0; i < 200; i++) {
      const hit = messages.find(match);
      if (hit) return hit;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`no matching message; got ${JSON.stringify(messages)}`);
  };
  return { ws, messages, next };
}

describe('dashboard server', () => {
  let root: string;
  let server: DashboardServer;
  const bridge = new FakeBridge();
  let base: string;
  let wsBase: string;

  /** A page let in with a fresh link: its first message is the session it was granted. */
  const admitted = async (): Promise<Awaited<ReturnType<typeof client>> & { session: string }> => {
    const c = await client(`${wsBase}?once=${server.newLink().secret}`);
    const grant = await c.next((m) => 'session' in m);
    return { ...c, session: (grant.session as { id: string }).id };
  };

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'headroom-dash-'));
    mkdirSync(join(root, 'tray-app', 'renderer'), { recursive: true });
    mkdirSync(join(root, 'shared'));
    writeFileSync(join(root, 'tray-app', 'renderer', 'index.html'), '<!doctype html><title>t</title>');
    writeFileSync(join(root, 'tray-app', 'renderer', 'main.js'), 'export {};');
    writeFileSync(join(root, 'shared', 'format.js'), 'export {};');
    writeFileSync(join(root, 'secret.json'), '{"secret":true}');
    server = await startDashboardServer({ bridge, rootDir: root });
    base = `http://127.0.0.1:${server.port}`;
    wsBase = `ws://127.0.0.1:${server.port}/ws`;
  });
  after(async () => {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  });

  test('a link carries its secret in the #fragment, and nothing the server sends is a cookie', async () => {
    const link = server.newLink();
    assert.match(link.url, new RegExp(`^${base}/#once=[A-Za-z0-9_-]{43}$`));
    assert.equal(link.url, `${base}/#once=${link.secret}`);
    const r = await http(`${base}/`);
    assert.equal(r.status, 302);
    assert.equal(r.headers.location, '/tray-app/renderer/index.html');
    const page = await http(`${base}/tray-app/renderer/index.html`);
    assert.equal(page.status, 200);
    for (const reply of [r, page]) assert.equal(reply.headers['set-cookie'], undefined, 'no cookie: other servers on 127.0.0.1 would receive it');
  });

  test('files are served with their type, a strict CSP and no referrer; they need no credential', async () => {
    const js = await http(`${base}/tray-app/renderer/main.js`);
    assert.equal(js.status, 200);
    assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(js.headers['x-content-type-options'], 'nosniff');
    assert.equal(js.headers['referrer-policy'], 'no-referrer');
    assert.equal(js.headers['content-security-policy'], `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws://127.0.0.1:${server.port} ws://localhost:${server.port}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`);
    assert.equal((await http(`${base}/shared/format.js`)).status, 200);
    const head = await http(`${base}/tray-app/renderer/index.html`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
  });

  test('refusals: a foreign Host 403, other methods 405, anything outside the page 404', async () => {
    assert.equal((await http(`${base}/tray-app/renderer/main.js`, { headers: { Host: `rebound.example:${server.port}` } })).status, 403);
    assert.equal((await http(`${base}/tray-app/renderer/main.js`, { method: 'POST' })).status, 405);
    for (const path of ['/secret.json', '/tray-app/renderer/../../secret.json', '/tray-app/renderer/%2e%2e/%2e%2e/secret.json', '/tray-app/renderer/missing.js']) {
      const r = await http(`${base}${path}`);
      assert.equal(r.status, 404, path);
      assert.doesNotMatch(r.body, /secret/);
    }
  });

  test('a link lets one page in, once; the page reconnects with its session; anything else is closed as refused', async () => {
    const closed: string[] = [];
    const link = server.newLink(() => closed.push('used'));
    const first = await client(`${wsBase}?once=${link.secret}`);
    const grant = await first.next((m) => 'session' in m);
    const session = (grant.session as { id: string; expiresAtMs: number });
    assert.match(session.id, /^[A-Za-z0-9_-]{43}$/);
    assert.ok(session.expiresAtMs > Date.now() + 11 * 3600_000, 'sessions last hours, not for ever');
    assert.deepEqual(closed, ['used'], 'the holder of the link is told it was used');
    assert.deepEqual(await closeOf(`${wsBase}?once=${link.secret}`), { code: DENIED_CLOSE_CODE, reason: 'used-or-expired' }, 'the same link again');
    assert.deepEqual(await closeOf(wsBase), { code: DENIED_CLOSE_CODE, reason: 'missing' });
    assert.deepEqual(await closeOf(`${wsBase}?token=${link.secret}`), { code: DENIED_CLOSE_CODE, reason: 'missing' });
    assert.deepEqual(await closeOf(`${wsBase}?session=${session.id}x`), { code: DENIED_CLOSE_CODE, reason: 'session-expired' });
    assert.deepEqual(await closeOf(`${wsBase}?session=${session.id}`, { Origin: 'http://evil.example' }), { status: 403 });
    first.ws.close();
    const again = await client(`${wsBase}?session=${session.id}`);
    assert.equal((await again.next((m) => 'session' in m)).session !== undefined, true);
    again.ws.send('{"id":7,"method":"load"}');
    assert.equal((await again.next((m) => m.id === 7)).ok, true);
    again.ws.close();
  });

  test('requests are answered by id; bad ones get errors, and the socket stays usable', async () => {
    const c = await admitted();
    c.ws.send('{"id":1,"method":"setPreference","params":["hog","avoid"]}');
    c.ws.send('{"id":2,"method":"setPreference","params":["unknown","avoid"]}');
    c.ws.send('{"id":3,"method":"explode"}');
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    c.ws.send('{"id":4,"method":"launch","params":["x"]}');
    assert.deepEqual(await c.next((m) => m.id === 1), { id: 1, ok: true, result: null });
    assert.deepEqual(await c.next((m) => m.id === 2), { id: 2, ok: false, error: 'no such app: unknown' });
    assert.deepEqual(await c.next((m) => m.id === 3), { id: 3, ok: false, error: 'unknown method "explode"' });
    assert.deepEqual(await c.next((m) => m.id === -1), { id: -1, ok: false, error: 'binary messages are not accepted' });
    assert.deepEqual(await c.next((m) => m.id === 4), { id: 4, ok: true, result: 'app-headroom-x-1.scope' });
    assert.deepEqual(bridge.preferences, [['hog', 'avoid']]);
    c.ws.close();
  });

  test("the bridge's events reach every page, and a closed page is unsubscribed", async () => {
    const a = await admitted();
    const b = await admitted();
    assert.equal(bridge.listeners.size, 2);
    for (const l of bridge.listeners) l({ kind: 'agent', running: false });
    assert.deepEqual(await a.next((m) => 'event' in m), { event: { kind: 'agent', running: false } });
    assert.deepEqual(await b.next((m) => 'event' in m), { event: { kind: 'agent', running: false } });
    a.ws.close();
    b.ws.close();
    for (let i = 0; i < 100 && bridge.listeners.size > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(bridge.listeners.size, 0);
  });

  test('an oversized message drops only that page', async () => {
    const c = await admitted();
    const closed = new Promise<number>((r) => c.ws.once('close', (code) => r(code)));
    c.ws.send('x'.repeat(64 * 1024));
    assert.equal(await closed, 1009, 'closed as "message too big"');
    const d = await admitted();
    d.ws.send('{"id":9,"method":"load"}');
    assert.equal((await d.next((m) => m.id === 9)).ok, true);
    d.ws.close();
  });
});

describe('dashboard server: expiry', () => {
  test('an unused link stops working and its holder is told; an open page is closed when its session ends', async () => {
    const root = mkdtempSync(join(tmpdir(), 'headroom-dash-'));
    const server = await startDashboardServer({ bridge: new FakeBridge(), rootDir: root, accessTimes: { linkTtlMs: 200, sessionMaxMs: 600, sessionIdleMs: 300 } });
    const wsBase = `ws://127.0.0.1:${server.port}/ws`;
    try {
      let told = 0;
      const stale = server.newLink(() => told++);
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(told, 1, 'the expired link was reported, so a file holding it can go');
      assert.deepEqual(await closeOf(`${wsBase}?once=${stale.secret}`), { code: DENIED_CLOSE_CODE, reason: 'used-or-expired' });

      const page = await client(`${wsBase}?once=${server.newLink().secret}`);
      await page.next((m) => 'session' in m);
      const ended = new Promise<{ code: number; reason: string }>((r) => page.ws.once('close', (code, reason) => r({ code, reason: reason.toString() })));
      assert.deepEqual(await ended, { code: DENIED_CLOSE_CODE, reason: 'session-expired' }, 'closed at the end of its lifetime, open or not');
    } finally {
      await server.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
