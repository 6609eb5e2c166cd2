// The agent deciding on its own: real processes in real cgroups, a real bus, and a
// /proc/meminfo the test controls (this machine has 24 GiB and no memory controller, so the
// storm itself is the lab's job: test/lab).
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import type { EventRecord } from '../../shared/records.js';
import type { AgentCallError} from '../../agent/bus/agent-client.js';
import { AgentClient } from '../../agent/bus/agent-client.js';
import { AgentProcess, cli, cliJson, makeHome, Monitor, ProcRoot, type Home } from '../support/agent-process.js';
import { CgroupTree, cgroupTreeUnavailable, type Proc } from '../support/cgroup-tree.js';
import { dbusDaemonAvailable, startPrivateBus, type PrivateBus } from '../support/private-bus.js';

const unavailable = cgroupTreeUnavailable() || (dbusDaemonAvailable() ? '' : 'dbus-daemon is not installed');

const HOG = 'app.slice/app-headroom-hog-00000000000000b1.scope';
const EDITOR = 'app.slice/app-headroom-editor-00000000000000b2.scope';
const NOTES = 'app.slice/app-headroom-notes-00000000000000b3.scope';

describe('automatic kills', { skip: unavailable || false }, () => {
  let bus: PrivateBus;
  let tree: CgroupTree;
  let proc: ProcRoot;
  let home: Home;
  let config: string;
  let agent: AgentProcess | null = null;
  let monitor: Monitor | null = null;
  let hog: Proc, editor: Proc, notes: Proc;

  beforeEach(async () => {
    bus ??= await startPrivateBus();
    tree = new CgroupTree();
    proc = new ProcRoot(9); // already tight: elevated, polling every 250 ms
    home = makeHome(bus.address);
    config = join(home.dir, 'config.toml');
    // This meminfo is fake, so no PSI event will ever wake a calm agent: poll instead.
    writeFileSync(config, '[kill]\ngrace_ms = 200\ncooldown_ms = 500\n[watch]\npsi_triggers = false\n');
    hog = await tree.start(HOG, 'hog', ['160']);
    editor = await tree.start(EDITOR, 'hog', ['40']);
    notes = await tree.start(NOTES, 'hog', ['300']); // the biggest of all, but the user omits it
    proc.expose(hog.pid, editor.pid, notes.pid);
    mkdirSync(join(home.dir, 'config', 'headroom'), { recursive: true });
    writeFileSync(join(home.dir, 'config', 'headroom', 'preferences.json'), JSON.stringify({ version: 1, apps: { notes: 'omit' } }));
  });
  afterEach(async () => {
    monitor?.stop();
    monitor = null;
    await agent?.stop();
    agent = null;
    await tree.remove();
  });
  after(async () => bus?.stop());

  const waitState = async (state: string): Promise<void> => {
    for (let i = 0; i < 100; i++) {
      if ((await cliJson<{ state: string }>(home, ['status'])).state === state) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.fail(`the agent never reached ${state}`);
  };

  const startAgent = async (...extra: string[]): Promise<void> => {
    agent = await AgentProcess.start(home, ['--user-tree', tree.path, '--proc-root', proc.path, '--config', config, ...extra]);
    monitor = await Monitor.start(home);
  };

  test('memory running out kills the heaviest app that may die; the omitted and the small survive', async () => {
    writeFileSync(config, '[kill]\ngrace_ms = 200\ncooldown_ms = 30000\n[watch]\npsi_triggers = false\n');
    await startAgent();
    // bin/headroom caps the session-long agent's heap (bench leak check), by flag so apps it launches do not inherit it
    const argv = readFileSync(`/proc/${agent!.child.pid}/cmdline`, 'utf8').split('\0');
    assert.ok(argv.includes('--max-old-space-size=64') && argv.includes('--max-semi-space-size=1'), argv.join(' '));
    assert.equal(readFileSync(`/proc/${agent!.child.pid}/environ`, 'utf8').includes('max-old-space'), false);
    await waitState('elevated');
    proc.setAvailable(2); // exhaustion
    const ev = await monitor!.waitFor((e) => e.event === 'Killed');
    proc.setAvailable(50); // the kill freed the memory
    const k = ev.kill as EventRecord;
    assert.equal(k.unit, 'app-headroom-hog-00000000000000b1.scope');
    assert.equal(k.reason, 'exhaustion');
    assert.equal(k.outcome, 'killed');
    assert.equal(k.graceMs, 0, 'memory fell from 8 % to 2 % in one poll: no time for a grace period');
    assert.match(k.because, /only 164 MiB \(2\.0%\) of memory is available and there is no swap; hog is the heaviest of 2 units that may be stopped/);
    assert.deepEqual(k.candidates.map((c) => [c.appId, c.excluded]), [['hog', ''], ['editor', ''], ['notes', 'omit']]);
    assert.equal(hog.alive(), false);
    assert.equal(editor.alive(), true);
    assert.equal(notes.alive(), true);
    await monitor!.waitFor((e) => e.event === 'StateChanged' && e.state === 'critical');
    const history = await cliJson<EventRecord[]>(home, ['history']);
    assert.equal(history[0]?.id, k.id);
    // Leaving calm (here at the first look, before the bus was up) warned first, naming the
    // same app: history says so (the Warned signal is checked in notifications.test.ts).
    assert.deepEqual(history.map((h) => h.outcome), ['killed', 'warned']);
    assert.equal(history[1]!.unit, 'app-headroom-hog-00000000000000b1.scope');
    assert.match(history[1]!.because, /^warned: .*hog is the heaviest/);
    assert.ok(history[1]!.atMs <= k.atMs);
    assert.ok(agent!.log.some((l) => /killed app-headroom-hog-00000000000000b1\.scope: 1 processes, 0 left/.test(l)));
  });

  test('a steady decline is caught before the hard limit: the kill is predicted', async () => {
    writeFileSync(config, '[kill]\ncooldown_ms = 30000\n[watch]\npsi_triggers = false\n');
    await startAgent();
    await waitState('elevated');
    // About 270 MiB/s on an 8 GiB machine: from 7 % that is out in about 2 s. Two smaller steps
    // still above the 4 % floor close it: on a loaded host a look can miss the step to 5 %, and
    // one that sees no change halves the smoothed rate (CI run of 2026-12-02, host busy: no kill).
    for (const pct of [9, 8, 7, 6, 5, 4.6, 4.3]) {
      if (monitor!.events.some((e) => e.event === 'Killed')) break;
      proc.setAvailable(pct);
      await new Promise((r) => setTimeout(r, 300));
    }
    const k = (await monitor!.waitFor((e) => e.event === 'Killed')).kill as EventRecord;
    assert.equal(k.reason, 'exhaustion');
    assert.match(k.because, /memory would be gone in \d+\.\d s at \d+ MiB\/s, before another look could act \(.*\); hog is the heaviest/);
    assert.ok(k.memAvailableBytes > 0.04 * 8 * 1024 ** 3, `killed above the 4 % hard limit (${k.memAvailableBytes} bytes left)`);
    assert.equal(hog.alive(), false);
  });

  test('a runaway tab of a browser is stopped in its place: the browser, its other tab and every other app live', async () => {
    writeFileSync(config, '[kill]\ncooldown_ms = 30000\n[watch]\npsi_triggers = false\n');
    // Chromium as GNOME names it: a main process and two renderers marked oom_score_adj 300; the
    // first grows 40 MiB/s, and available memory falls by exactly what it takes.
    const BROWSER = 'app.slice/app-gnome-chromium-4242.scope';
    const browser = await tree.start(BROWSER, 'browser', ['40', '+4', '24']);
    const [runaway, quiet] = browser.readyLine.split(' ').map(Number) as [number, number];
    proc.expose(browser.pid, runaway, quiet);
    // 0 once it is gone: the agent may stop it between any two reads of this loop.
    const rssAnon = (pid: number): number => {
      try {
        return Number(/RssAnon:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
      } catch {
        return 0;
      }
    };
    const totalBytes = 8 * 1024 ** 3;
    const from = rssAnon(runaway);
    await startAgent('--debug');
    await waitState('elevated');
    while (!monitor!.events.some((e) => e.event === 'Killed')) {
      const now = rssAnon(runaway);
      if (!browser.alive() || now === 0) break;
      proc.setAvailable(Math.max(1, 100 * (0.09 * totalBytes - (now - from)) / totalBytes));
      await new Promise((r) => setTimeout(r, 100));
    }
    const k = (await monitor!.waitFor((e) => e.event === 'Killed', 30_000)).kill as EventRecord;
    proc.setAvailable(50);
    assert.equal(k.unit, 'app-gnome-chromium-4242.scope');
    assert.equal(k.outcome, 'child-killed', k.because + '\n' + agent!.log.filter((l) => /look:|state/.test(l)).slice(-30).join('\n'));
    assert.equal(k.childPid, runaway);
    assert.equal(k.childKind, 'renderer');
    assert.match(k.because, new RegExp(`a chromium tab \\(renderer, pid ${runaway}, [0-9.]+ MiB\\) goes in its place`));
    assert.equal(browser.alive(), true, 'the browser runs on');
    for (const [pid, what] of [[quiet, 'the quiet tab'], [hog.pid, 'hog'], [editor.pid, 'editor'], [notes.pid, 'notes']] as const) {
      assert.equal(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z'), false, `${what} lives`);
    }
    assert.ok(agent!.log.some((l) => new RegExp(`stopped a chromium tab \\(renderer, pid ${runaway}, .*\\) in app-gnome-chromium-4242\\.scope, \\d+ ms; the app runs on`).test(l)), agent!.log.join('\n'));
    const [latest] = await cliJson<EventRecord[]>(home, ['history']);
    assert.equal(latest?.outcome, 'child-killed');
  });

  test('one victim per decision: after the cool-down, the next heaviest goes, never the omitted one', async () => {
    await startAgent();
    await waitState('elevated');
    proc.setAvailable(1); // stays exhausted: nothing frees memory in this fake meminfo
    await monitor!.waitFor((e) => e.event === 'Killed' && (e.kill as EventRecord).appId === 'hog');
    const second = await monitor!.waitFor((e) => e.event === 'Killed' && (e.kill as EventRecord).appId === 'editor', 10_000);
    const [first] = monitor!.events.filter((e) => e.event === 'Killed').map((e) => e.kill as EventRecord);
    assert.ok((second.kill as EventRecord).atMs - first!.atMs >= 500, 'the cool-down separated the kills');
    assert.equal((second.kill as EventRecord).graceMs, 0, 'at or below the hard limit there is no grace');
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(notes.alive(), true, 'omit is never killed, even with nothing else left');
    assert.ok(agent!.log.some((l) => /nothing may be stopped \(1 omit/.test(l)));
    assert.equal(monitor!.events.filter((e) => e.event === 'Killed').length, 2);
  });

  test('an avoided app survives while another candidate exists', async () => {
    await startAgent();
    assert.equal((await cli(home, ['prefer', 'hog', 'avoid'])).code, 0);
    await waitState('elevated');
    proc.setAvailable(2);
    const k = (await monitor!.waitFor((e) => e.event === 'Killed')).kill as EventRecord;
    assert.equal(k.appId, 'editor');
    assert.equal(hog.alive(), true);
    assert.equal(editor.alive(), false);
    assert.deepEqual(k.candidates.map((c) => c.appId), ['editor', 'hog', 'notes']);
  });

  test('dry-run reports the would-be victim and kills nothing', async () => {
    await startAgent('--dry-run');
    assert.equal((await cliJson<{ dryRun: boolean }>(home, ['status'])).dryRun, true);
    await waitState('elevated');
    proc.setAvailable(2);
    const k = (await monitor!.waitFor((e) => e.event === 'WouldKill')).kill as EventRecord;
    assert.equal(k.unit, 'app-headroom-hog-00000000000000b1.scope');
    assert.equal(k.outcome, 'dry-run');
    assert.equal(k.dryRun, true);
    await new Promise((r) => setTimeout(r, 800));
    assert.equal(monitor!.events.some((e) => e.event === 'Killed'), false);
    assert.ok(hog.alive() && editor.alive() && notes.alive(), 'nothing died');
    assert.equal((await cliJson<EventRecord[]>(home, ['history']))[0]?.outcome, 'dry-run');
  });

  test('kill -9 of the agent loses nothing: history and preferences are there after a restart, monitor follows the new agent', async () => {
    await startAgent();
    assert.equal((await cli(home, ['prefer', 'editor', 'avoid'])).code, 0);
    assert.equal((await cli(home, ['kill', 'hog'])).code, 0);
    const before = await cliJson<EventRecord[]>(home, ['history']);
    assert.equal(before.filter((h) => h.outcome === 'killed').length, 1);
    await agent!.stop('SIGKILL');
    agent = await AgentProcess.start(home, ['--user-tree', tree.path, '--proc-root', proc.path, '--config', config]);
    assert.deepEqual(await cliJson<EventRecord[]>(home, ['history']), before);
    const prefs = JSON.parse(readFileSync(join(home.dir, 'config', 'headroom', 'preferences.json'), 'utf8')) as { apps: Record<string, string> };
    assert.deepEqual(prefs.apps, { notes: 'omit', editor: 'avoid' });
    assert.equal((await cli(home, ['kill', 'editor'])).code, 0);
    await monitor!.waitFor((e) => e.event === 'Killed' && (e.kill as EventRecord).appId === 'editor');
  });

  test('SIGHUP reloads the config, and a broken file keeps the last good one', async () => {
    await startAgent();
    writeFileSync(config, '[kill]\ndry_run = true\n[watch]\npsi_triggers = false\n');
    agent!.child.kill('SIGHUP');
    await agent!.waitForLog(/reloaded/);
    assert.equal((await cliJson<{ dryRun: boolean }>(home, ['status'])).dryRun, true);
    writeFileSync(config, '[kill]\ndry_run = "yes please"\n');
    agent!.child.kill('SIGHUP');
    await agent!.waitForLog(/kept the last good config: .*config\.toml:2: kill\.dry_run/);
    assert.equal((await cliJson<{ dryRun: boolean }>(home, ['status'])).dryRun, true);

    // The same through the bus: Reload refuses the broken file with the key and line…
    const client = await AgentClient.connect({ address: bus.address });
    try {
      await assert.rejects(client.reload(), (err: AgentCallError) =>
        err.busName === 'org.headroom.Agent1.Error.InvalidConfig' && /config\.toml:2: kill\.dry_run/.test(err.message));
      // …and applies a good one.
      writeFileSync(config, '[kill]\ndry_run = false\n[watch]\npsi_triggers = false\n');
      await client.reload();
      assert.equal(await client.dryRun(), false);
    } finally {
      client.close();
    }
  });
});
