// The dashboard end to end: the real agent on a private bus with real processes in real
// cgroups, the real `headroom dashboard` process, and the page in real headless Chromium
// (Debian's chromium, driven by playwright-core; no browser is downloaded).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import WebSocket from 'ws';
import type { AppRecord, EventRecord } from '../../shared/records.js';
import { AgentProcess, cliJson, HEADROOM, makeHome, ProcRoot, REPO, type Home } from '../support/agent-process.js';
import { CgroupTree, cgroupTreeUnavailable, type Proc } from '../support/cgroup-tree.js';
import { dbusDaemonAvailable, startPrivateBus, type PrivateBus } from '../support/private-bus.js';

const CHROMIUM = process.env.HEADROOM_TEST_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = join(REPO, 'test-artifacts');
const unavailable = cgroupTreeUnavailable() || (dbusDaemonAvailable() ? '' : 'dbus-daemon is not installed')
  || (existsSync(CHROMIUM) ? '' : `no Chromium at ${CHROMIUM} (apt-get install chromium)`);

const HOG = 'app.slice/app-headroom-hog-00000000000000d1.scope';
const EDITOR = 'app.slice/app-headroom-editor-00000000000000d2.scope';
const NOTES = 'app.slice/app-headroom-notes-00000000000000d3.scope';
const TEXT_EDITOR_DESKTOP = '[Desktop Entry]\nType=Application\nName=Text Editor\nGenericName=Editor\nExec=sleep 600\n';

/** `headroom dashboard` as a process; its first stdout line is the address (a one-time link). */
async function startDashboard(home: Home, args: string[] = [], env: NodeJS.ProcessEnv = home.env): Promise<{ child: ChildProcess; url: string; stderr: string[] }> {
  const child = spawn(HEADROOM, ['dashboard', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  createInterface({ input: child.stderr }).on('line', (l) => stderr.push(l));
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`headroom dashboard exited (${code}): ${stderr.join('\n')}`)));
  });
  return { child, url, stderr };
}

/** A raw GET, so the test controls the Host header and sees the status a browser would hide. */
function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * How a WebSocket upgrade ends: 'admitted' (granted a session), 'refused:<reason>' (closed
 * with the refusal code), or the HTTP status the server answered instead of upgrading.
 */
function upgradeOutcome(url: string, headers: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    setTimeout(() => { resolve('no answer within 10 s'); ws.terminate(); }, 10_000).unref();
    ws.once('message', (d: Buffer) => { resolve('session' in (JSON.parse(d.toString()) as object) ? 'admitted' : 'other'); ws.close(); });
    ws.once('close', (code, reason) => resolve(code === 4401 ? `refused:${reason.toString()}` : `closed:${code}`));
    ws.once('unexpected-response', (_req, res) => { resolve(`http:${res.statusCode ?? 0}`); ws.terminate(); });
    ws.once('error', () => undefined);
  });
}

/** A socket let in with `url`'s one-time link, past the session grant. */
async function admittedSocket(url: string): Promise<WebSocket> {
  const link = new URL(url);
  const secret = new URLSearchParams(link.hash.slice(1)).get('once');
  const ws = new WebSocket(`ws://127.0.0.1:${link.port}/ws?once=${secret}`);
  await new Promise<void>((resolve, reject) => {
    setTimeout(() => reject(new Error('no session grant within 10 s')), 10_000).unref();
    ws.once('message', (d: Buffer) => ('session' in (JSON.parse(d.toString()) as object) ? resolve() : reject(new Error(`no session grant: ${d.toString()}`))));
    ws.once('close', (code, reason) => reject(new Error(`refused: ${code} ${reason.toString()}`)));
  });
  return ws;
}

describe('dashboard in headless Chromium against the real agent', { skip: unavailable || false }, () => {
  let bus: PrivateBus;
  let tree: CgroupTree;
  let proc: ProcRoot;
  let home: Home;
  let agent: AgentProcess | null = null;
  let dashboard: { child: ChildProcess; url: string; stderr: string[] };
  let browser: BrowserContext;
  let page: Page;
  let hog: Proc, editor: Proc, notes: Proc;
  let profile: string;
  let agentArgs: string[];
  const pageErrors: string[] = [];
  /** The first link is printed; more come from `headroom dashboard` runs of their own. */
  const extraDashboards: ChildProcess[] = [];
  let printedLinkTaken = false;
  const newLink = async (): Promise<string> => {
    if (!printedLinkTaken) {
      printedLinkTaken = true;
      return dashboard.url;
    }
    const extra = await startDashboard(home);
    extraDashboards.push(extra.child);
    return extra.url;
  };

  before(async () => {
    bus = await startPrivateBus();
    tree = new CgroupTree();
    proc = new ProcRoot(9); // tight already: the agent is elevated and polls every 250 ms
    home = makeHome(bus.address, { 'org.example.TextEditor.desktop': TEXT_EDITOR_DESKTOP });
    const config = join(home.dir, 'config.toml');
    // The meminfo is fake, so no PSI event would wake a calm agent: poll. One kill per test run.
    writeFileSync(config, '[kill]\ngrace_ms = 200\ncooldown_ms = 60000\n[watch]\npsi_triggers = false\n');
    hog = await tree.start(HOG, 'hog', ['160']);
    editor = await tree.start(EDITOR, 'hog', ['40']);
    notes = await tree.start(NOTES, 'hog', ['300']);
    proc.expose(hog.pid, editor.pid, notes.pid);
    mkdirSync(join(home.dir, 'config', 'headroom'), { recursive: true });
    writeFileSync(join(home.dir, 'config', 'headroom', 'preferences.json'), JSON.stringify({ version: 1, apps: { notes: 'omit' } }));
    agentArgs = ['--user-tree', tree.path, '--proc-root', proc.path, '--config', config];
    agent = await AgentProcess.start(home, agentArgs);
    dashboard = await startDashboard(home);
    profile = mkdtempSync(join(tmpdir(), 'headroom-chromium-'));
    // A fresh profile of our own (playwright passes it as --user-data-dir).
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      viewport: { width: 1280, height: 800 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    });
    page = browser.pages()[0] ?? await browser.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(m.text()); });
    mkdirSync(ARTIFACTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    if (dashboard?.child.exitCode === null) dashboard.child.kill('SIGKILL');
    for (const c of extraDashboards) if (c.exitCode === null) c.kill('SIGKILL');
    await agent?.stop();
    await tree?.remove();
    await bus?.stop();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  test('the link works once; without it, with a wrong secret, another Origin or another Host, nothing gets in', async () => {
    const url = await newLink();
    const link = new URL(url);
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/#once=[A-Za-z0-9_-]{43}$/, 'the secret is in the #fragment, which no request carries');
    const secret = new URLSearchParams(link.hash.slice(1)).get('once')!;
    const page = `http://127.0.0.1:${link.port}/tray-app/renderer/index.html`;
    assert.equal((await get(page, { Host: `rebound.example:${link.port}` })).status, 403, 'DNS rebinding: a foreign Host is refused');
    const ok = await get(page);
    assert.equal(ok.status, 200, 'the page itself holds nothing private');
    assert.equal(ok.headers['set-cookie'], undefined, 'no cookie, which every server on 127.0.0.1 would receive');
    assert.match(String(ok.headers['content-type']), /^text\/html/);
    assert.match(String(ok.headers['content-security-policy']), /default-src 'none'; script-src 'self'/);
    assert.equal((await get(`http://127.0.0.1:${link.port}/tray-app/renderer/%2e%2e/%2e%2e/package.json`)).status, 404);
    assert.equal((await get(`http://127.0.0.1:${link.port}/agent/cli/main.js`)).status, 404, 'only the page and shared/ are served');
    const ws = `ws://127.0.0.1:${link.port}/ws`;
    assert.equal(await upgradeOutcome(ws), 'refused:missing');
    assert.equal(await upgradeOutcome(`${ws}?once=${secret.slice(0, -1)}x`), 'refused:used-or-expired');
    assert.equal(await upgradeOutcome(`${ws}?once=${secret}`, { Origin: 'http://evil.example' }), 'http:403');
    assert.equal(await upgradeOutcome(`${ws}?once=${secret}`, { Host: `rebound.example:${link.port}` }), 'http:403');
    assert.equal(await upgradeOutcome(`${ws}?once=${secret}`, { Origin: `http://127.0.0.1:${link.port}` }), 'admitted');
    assert.equal(await upgradeOutcome(`${ws}?once=${secret}`, { Origin: `http://127.0.0.1:${link.port}` }), 'refused:used-or-expired', 'a link works once');
  });

  test('bad WebSocket messages get an error answer and the server keeps serving', async () => {
    const ws = await admittedSocket(await newLink());
    const answers: Record<string, unknown>[] = [];
    ws.on('message', (d: Buffer) => {
      const msg = JSON.parse(d.toString()) as Record<string, unknown>;
      if (!('event' in msg)) answers.push(msg);
    });
    for (const text of ['not json', '{"id":1,"method":"rm -rf","params":[]}', '{"id":2,"method":"setPreference","params":["hog","sometimes"]}', '{"id":3,"method":"load","params":[]}']) ws.send(text);
    for (let i = 0; i < 200 && answers.length < 4; i++) await new Promise((r) => setTimeout(r, 25));
    ws.close();
    const byId = new Map(answers.map((a) => [a.id, a]));
    assert.deepEqual(byId.get(-1), { id: -1, ok: false, error: 'not JSON' });
    assert.deepEqual(byId.get(1), { id: 1, ok: false, error: 'unknown method "rm -rf"' });
    assert.match(String(byId.get(2)?.error), /preference must be one of none, avoid, omit/);
    assert.equal(byId.get(3)?.ok, true, 'a good request after bad ones is answered');
  });

  test("the page shows the agent's apps, state, explanation and system facts", async () => {
    const link = await newLink();
    await page.goto(link);
    for (const id of ['hog', 'editor', 'notes']) await page.locator(`tr[data-app-id="${id}"]`).waitFor({ timeout: 10_000 });
    assert.match(page.url(), /\/tray-app\/renderer\/index\.html$/, 'the secret is gone from the address bar');
    // A reload keeps the session (sessionStorage); the used link, in another tab, gets nothing.
    await page.reload();
    await page.locator('tr[data-app-id="hog"]').waitFor({ timeout: 10_000 });
    const other = await browser.newPage();
    await other.goto(link);
    await other.locator('#connection').filter({ hasText: 'already been used' }).waitFor({ timeout: 10_000 });
    assert.equal(await other.locator('#apps-body tr').count(), 0);
    await other.screenshot({ path: join(ARTIFACTS, 'dashboard-link-used-1280x800.png') });
    await other.close();
    for (const id of ['hog', 'editor', 'notes']) await page.locator(`tr[data-app-id="${id}"]`).waitFor({ timeout: 10_000 });
    const order = await Promise.all((await page.locator('#apps-body tr').all()).map((row) => row.getAttribute('data-app-id')));
    assert.deepEqual(order, ['notes', 'hog', 'editor'], 'heaviest first');
    assert.equal(await page.locator('tr[data-app-id="notes"] input[value="omit"]').isChecked(), true);
    await page.locator('#badge').filter({ hasText: 'Elevated' }).waitFor();
    assert.match(await page.locator('#explanation').innerText(), /^hog would be killed next, because /);
    assert.match(await page.locator('#facts').innerText(), /Kernel/);
    assert.match(await page.locator('#summary').innerText(), /8\.0 GiB/);
    // Launch…: the agent's ListLaunchers, from the desktop entries in this HOME.
    await page.locator('#launch summary').click();
    await page.locator('#launchers button', { hasText: 'Text Editor' }).waitFor({ timeout: 5000 });
  });

  /** The preference the agent holds for an app, once it equals `want` (or the last seen). */
  const agentPreference = async (appId: string, want: string): Promise<string | undefined> => {
    let seen: string | undefined;
    for (let i = 0; i < 100 && seen !== want; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 50));
      seen = (await cliJson<AppRecord[]>(home, ['list'])).find((a) => a.appId === appId)?.preference;
    }
    return seen;
  };

  test('clicking Avoid in the page changes the preference in the agent', async () => {
    await page.locator('tr[data-app-id="editor"]').getByLabel('Avoid').check();
    assert.equal(await agentPreference('editor', 'avoid'), 'avoid', 'the agent holds the new preference');
  });

  test('the toggles work from the keyboard: arrows move the choice, and the agent follows', async () => {
    const row = page.locator('tr[data-app-id="hog"]');
    await row.getByLabel('Normal').focus();
    await page.keyboard.press('ArrowRight');
    assert.equal(await row.getByLabel('Avoid').isChecked(), true);
    assert.equal(await agentPreference('hog', 'avoid'), 'avoid');
    await page.keyboard.press('ArrowLeft'); // back to Normal, so hog is the victim below
    assert.equal(await agentPreference('hog', 'none'), 'none');
    assert.equal(await row.getByLabel('Normal').isChecked(), true);
  });

  test('a kill appears in the history and on the chart live, without a reload', async () => {
    await page.evaluate('window.sameDocument = true');
    proc.setAvailable(2); // exhaustion: hog is the heaviest that may die (notes omit, editor avoid)
    const item = page.locator('#history li.kill.outcome-killed', { hasText: 'hog' });
    await item.waitFor({ timeout: 15_000 });
    proc.setAvailable(50); // the kill freed the memory
    assert.equal(hog.alive(), false);
    assert.ok(editor.alive() && notes.alive());
    assert.equal(await page.evaluate('window.sameDocument'), true, 'the page was not reloaded');
    const history = await cliJson<EventRecord[]>(home, ['history']);
    const kill = history.find((k) => k.appId === 'hog')!;
    assert.equal(await item.getAttribute('data-kill-id'), kill.id);
    assert.match(await item.innerText(), /exhaustion/);
    assert.match(await item.locator('.because').innerText(), /hog is the heaviest/);
    await item.locator('details.candidates summary').click();
    assert.match(await item.locator('.candidate-list').innerText(), /notes[\s\S]*not a candidate: omit/);
    await page.locator('.kill-marker', { hasText: 'hog' }).waitFor({ timeout: 5000 });
    // The apps table catches up on its own: hog's scope is empty now, so it is no longer a
    // running app (this test tree keeps the empty cgroup; the agent leaves it out).
    await page.locator('tr[data-app-id="hog"]').waitFor({ state: 'detached', timeout: 10_000 });
  });

  test('screenshots at 1280x800 and 400x600 are kept in test-artifacts/', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-1280x800.png') });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-1280x800-full.png'), fullPage: true });
    await page.setViewportSize({ width: 400, height: 600 });
    await page.waitForTimeout(300); // the chart follows its container's new width
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    assert.ok(overflow <= 0, `no sideways scrolling at 400 px (overflow ${overflow} px)`);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-400x600.png') });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-400x600-full.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });
    for (const f of ['dashboard-1280x800.png', 'dashboard-400x600.png']) assert.ok(existsSync(join(ARTIFACTS, f)));
  });

  test('the page says when the agent stops, and follows it when it comes back', async () => {
    await agent!.stop();
    agent = null;
    await page.locator('#badge').filter({ hasText: 'Agent not running' }).waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('#history li.kill.outcome-killed', { hasText: 'hog' }).count(), 1, 'the history stays on the page');
    assert.equal(await page.locator('#apps-body tr').count(), 0, 'no toggles that could not work');
    assert.match(await page.locator('#apps-empty').innerText(), /not running/);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-agent-stopped-1280x800.png') });
    agent = await AgentProcess.start(home, agentArgs);
    await page.locator('#badge').filter({ hasNotText: 'Agent not running' }).waitFor({ timeout: 15_000 });
    await page.locator('tr[data-app-id="editor"]').waitFor({ timeout: 10_000 });
  });

  test('--open hands the browser a private file that forwards it: the secret is in no command line', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'headroom-fake-xdg-'));
    const runtime = mkdtempSync(join(tmpdir(), 'headroom-runtime-'));
    chmodSync(runtime, 0o700);
    const log = join(bin, 'xdg-open.log');
    // Records what xdg-open was given, and the modes of the file and its directory.
    writeFileSync(join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s\\n' "$@" > "${log}.tmp"\nstat -c '%a' "$1" "$(dirname "$1")" >> "${log}.tmp"\nmv "${log}.tmp" "${log}"\n`);
    chmodSync(join(bin, 'xdg-open'), 0o755);
    const dash = await startDashboard(home, ['--open'], { ...home.env, PATH: `${bin}:${process.env.PATH}`, XDG_RUNTIME_DIR: runtime });
    extraDashboards.push(dash.child);
    try {
      for (let i = 0; i < 200 && !existsSync(log); i++) await new Promise((r) => setTimeout(r, 25));
      const [file, fileMode, dirMode, ...rest] = readFileSync(log, 'utf8').trim().split('\n');
      assert.deepEqual(rest, [], 'xdg-open got one argument');
      assert.ok(file!.startsWith(`${runtime}/`), `xdg-open was given a file in $XDG_RUNTIME_DIR, not an address: ${file}`);
      assert.equal(fileMode, '600');
      assert.equal(dirMode, '700');
      const secret = /#once=([A-Za-z0-9_-]{43})"/.exec(readFileSync(file!, 'utf8'))?.[1];
      assert.ok(secret !== undefined, 'the file forwards to a one-time link');
      const tab = await browser.newPage();
      await tab.goto(pathToFileURL(file!).href);
      await tab.locator('tr[data-app-id="editor"]').waitFor({ timeout: 10_000 });
      assert.equal(new URL(tab.url()).port, new URL(dash.url).port, 'the browser went on to this dashboard');
      // Every command line on the machine, the browser's included: the secret is in none.
      const holders = readdirSync('/proc').filter((pid) => /^\d+$/.test(pid)).filter((pid) => {
        try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(secret); } catch { return false; }
      });
      assert.deepEqual(holders, []);
      for (let i = 0; i < 200 && existsSync(file!); i++) await new Promise((r) => setTimeout(r, 25));
      assert.equal(existsSync(file!), false, 'the file goes once its link is used');
      await tab.close();
    } finally {
      dash.child.kill('SIGTERM');
      rmSync(bin, { recursive: true, force: true });
      rmSync(runtime, { recursive: true, force: true });
    }
  });

  test('the page made no script errors, and SIGTERM stops the dashboard cleanly', async () => {
    assert.deepEqual(pageErrors, []);
    const exited = new Promise<number | null>((r) => dashboard.child.once('exit', (code) => r(code)));
    dashboard.child.kill('SIGTERM');
    assert.equal(await exited, 0);
  });
});

describe('headroom dashboard without an agent', { skip: dbusDaemonAvailable() ? false : 'dbus-daemon is not installed' }, () => {
  test('no session bus at all: exit 3 with one sentence', async () => {
    const home = makeHome('unused');
    const env = { ...home.env };
    delete env.DBUS_SESSION_BUS_ADDRESS;
    delete env.XDG_RUNTIME_DIR;
    const child = spawn(HEADROOM, ['dashboard'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    assert.equal(code, 3);
    assert.match(stderr, /^headroom: no session bus/);
  });

  test('a bus without the agent: it starts anyway, says so, and the page is told the agent is not running', async () => {
    const bus = await startPrivateBus();
    const home = makeHome(bus.address);
    const dash = await startDashboard(home);
    try {
      assert.ok(dash.stderr.some((l) => /the agent is not running/.test(l)), dash.stderr.join('\n'));
      const ws = await admittedSocket(dash.url);
      const reply = new Promise<Record<string, unknown>>((r) => ws.once('message', (d: Buffer) => r(JSON.parse(d.toString()) as Record<string, unknown>)));
      ws.send('{"id":1,"method":"load"}');
      const answer = await reply;
      ws.close();
      assert.equal(answer.ok, true);
      const state = answer.result as { agentRunning: boolean; state: string; facts: { memTotalBytes: number } | null };
      assert.equal(state.agentRunning, false);
      assert.equal(state.state, '');
      assert.ok(state.facts !== null && state.facts.memTotalBytes > 0, 'the static facts come from systeminformation even without the agent');
    } finally {
      const exited = new Promise<number | null>((r) => dash.child.once('exit', (c) => r(c)));
      dash.child.kill('SIGINT');
      assert.equal(await exited, 0);
      await bus.stop();
    }
  });
});
