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
import { startDashboardServer, type DashboardServer } from '../../agent/dashboard/server.js';

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
  let wsUrl: string;

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
    wsUrl = `ws://127.0.0.1:${server.port}/ws?token=${server.token}`;
  });
  after(async () => {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  });

  test('the printed address redirects to the page and hands over the token as an HttpOnly cookie', async () => {
    assert.equal(server.url, `${base}/?token=${server.token}`);
    const r = await http(server.url);
    assert.equal(r.status, 302);
    assert.equal(r.headers.location, `/tray-app/renderer/index.html?token=${server.token}`);
    assert.match(String(r.headers['set-cookie']), new RegExp(`^headroom_token_${server.port}=${server.token}; HttpOnly; SameSite=Strict; Path=/$`));
  });

  test('files are served with their type, a strict CSP and no referrer; the cookie alone is enough', async () => {
    const cookie = `headroom_token_${server.port}=${server.token}`;
    const js = await http(`${base}/tray-app/renderer/main.js`, { headers: { Cookie: cookie } });
    assert.equal(js.status, 200);
    assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(js.headers['x-content-type-options'], 'nosniff');
    assert.equal(js.headers['referrer-policy'], 'no-referrer');
    assert.equal(js.headers['content-security-policy'], `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws://127.0.0.1:${server.port} ws://localhost:${server.port}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`);
    assert.equal((await http(`${base}/shared/format.js`, { headers: { Cookie: cookie } })).status, 200);
    const head = await http(`${base}/tray-app/renderer/index.html?token=${server.token}`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
  });

  test('refusals: no token 403, other methods 405, anything outside the page 404', async () => {
    assert.equal((await http(`${base}/tray-app/renderer/main.js`)).status, 403);
    assert.equal((await http(`${base}/tray-app/renderer/main.js`, { headers: { Cookie: `headroom_token_${server.port}=nope` } })).status, 403);
    assert.equal((await http(`${base}/tray-app/renderer/main.js?token=${server.token}`, { method: 'POST' })).status, 405);
    for (const path of ['/secret.json', '/tray-app/renderer/../../secret.json', '/tray-app/renderer/%2e%2e/%2e%2e/secret.json', '/tray-app/renderer/missing.js']) {
      const r = await http(`${base}${path}?token=${server.token}`);
      assert.equal(r.status, 404, path);
      assert.doesNotMatch(r.body, /secret/);
    }
  });

  test('requests are answered by id; bad ones get errors, and the socket stays usable', async () => {
    const c = await client(wsUrl);
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
    const a = await client(wsUrl);
    const b = await client(wsUrl);
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
    const c = await client(wsUrl);
    const closed = new Promise<number>((r) => c.ws.once('close', (code) => r(code)));
    c.ws.send('x'.repeat(64 * 1024));
    assert.equal(await closed, 1009, 'closed as "message too big"');
    const d = await client(wsUrl);
    d.ws.send('{"id":9,"method":"load"}');
    assert.equal((await d.next((m) => m.id === 9)).ok, true);
    d.ws.close();
  });
});
