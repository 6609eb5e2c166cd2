// The real agent on a private session bus, driven through the real CLI.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AgentClient } from '../../agent/bus/agent-client.js';
import { connectSessionBus, introspect, type MessageBus } from '../../agent/bus/dbus.js';
import { AGENT_BUS_NAME, AGENT_INTERFACE, AGENT_OBJECT_PATH } from '../../shared/names.js';
import type { AppRecord, ExplanationRecord, EventRecord, PressureRecord } from '../../shared/records.js';
import { AgentProcess, cli, cliJson, makeHome, Monitor, ProcRoot, REPO, type Home } from '../support/agent-process.js';
import { CgroupTree, cgroupTreeUnavailable } from '../support/cgroup-tree.js';
import { members } from '../support/introspection.js';
import { dbusDaemonAvailable, startPrivateBus, type PrivateBus } from '../support/private-bus.js';

const unavailable = cgroupTreeUnavailable() || (dbusDaemonAvailable() ? '' : 'dbus-daemon is not installed');

const FIREFOX_DESKTOP = '[Desktop Entry]\nType=Application\nName=Firefox Web Browser\nIcon=firefox\nExec=firefox %u\n';
const QUICK_DESKTOP = '[Desktop Entry]\nType=Application\nName=Quick Tool\nGenericName=Tool\nIcon=quick\nExec=true %F\n';
const HIDDEN_DESKTOP = '[Desktop Entry]\nType=Application\nName=Helper\nNoDisplay=true\nExec=true\n';
const HOG = 'app.slice/app-headroom-hog-00000000000000a1.scope';
const BROWSER = 'app.slice/app-gnome-firefox-4242.scope';
const SESSION = 'session.slice/app-gnome-session-manager-1.scope';

describe('agent on a private bus', { skip: unavailable || false }, () => {
  let bus: PrivateBus;
  let tree: CgroupTree;
  let proc: ProcRoot;
  let home: Home;
  let agent: AgentProcess;

  before(async () => {
    bus = await startPrivateBus();
    tree = new CgroupTree();
    proc = new ProcRoot(50);
    home = makeHome(bus.address, { 'firefox.desktop': FIREFOX_DESKTOP, 'org.example.Quick.desktop': QUICK_DESKTOP, 'helper.desktop': HIDDEN_DESKTOP });
    // systemd-run is replaced by a recorder that execs the command after "--" (the real one
    // runs in the lab guest): Launch must hand it the scope name and the entry's command.
    const bin = join(home.dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'systemd-run'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${join(home.dir, 'systemd-run.argv')}'\nwhile [ "$1" != "--" ]; do shift; done\nshift\nexec "$@"\n`);
    chmodSync(join(bin, 'systemd-run'), 0o755);
    home.env.PATH = `${bin}:${process.env.PATH ?? ''}`;
    const hog = await tree.start(HOG, 'hog', ['96']);
    const browser = await tree.start(BROWSER, 'hog', ['16']);
    const session = await tree.start(SESSION, 'hog', ['200']);
    proc.expose(hog.pid, browser.pid, session.pid);
    agent = await AgentProcess.start(home, ['--user-tree', tree.path, '--proc-root', proc.path]);
  });
  after(async () => {
    await agent?.stop();
    await tree?.remove();
    await bus?.stop();
  });

  test('the running agent matches assets/org.headroom.Agent1.xml member for member', async () => {
    const client: MessageBus = connectSessionBus(bus.address);
    try {
      const live = await introspect(client, AGENT_BUS_NAME, AGENT_OBJECT_PATH);
      const file = readFileSync(join(REPO, 'assets', 'org.headroom.Agent1.xml'), 'utf8');
      assert.deepEqual(members(live), members(file));
      assert.ok(members(file).length >= 14, 'the contract lists every member');
    } finally {
      client.disconnect();
    }
  });

  test('status reports the state and the memory it reads', async () => {
    const s = await cliJson<{ state: string; dryRun: boolean; pressure: PressureRecord }>(home, ['status']);
    assert.equal(s.state, 'calm');
    assert.equal(s.dryRun, false);
    assert.equal(s.pressure.memTotalBytes, 8 * 1024 ** 3);
    assert.equal(s.pressure.memAvailableBytes, 4 * 1024 ** 3);
    assert.equal(typeof s.pressure.sampledAtMs, 'number');
  });

  test('list shows app units with real sizes, names from .desktop files, and never session.slice', async () => {
    const apps = await cliJson<AppRecord[]>(home, ['list']);
    assert.deepEqual(apps.map((a) => a.unit), ['app-headroom-hog-00000000000000a1.scope', 'app-gnome-firefox-4242.scope']);
    const [hog, browser] = apps;
    assert.equal(hog!.appId, 'hog');
    assert.equal(hog!.launcher, 'headroom');
    assert.ok(hog!.memoryBytes > 96 * 1024 ** 2, `hog holds its 96 MiB (${hog!.memoryBytes})`);
    assert.equal(hog!.processCount, 1);
    assert.equal(browser!.displayName, 'Firefox Web Browser');
    assert.equal(browser!.icon, 'firefox');
    assert.equal(browser!.launcher, 'gnome');
    const human = await cli(home, ['list']);
    assert.match(human.stdout, /Firefox Web Browser \(firefox\)/);
  });

  test('explain names the next victim and ranks every candidate', async () => {
    const e = await cliJson<ExplanationRecord>(home, ['explain']);
    assert.equal(e.state, 'calm');
    assert.equal(e.unit, 'app-headroom-hog-00000000000000a1.scope');
    assert.match(e.because, /if memory ran out now, hog is the heaviest of 2 units that may be stopped/);
    assert.deepEqual(e.candidates.map((c) => c.excluded), ['', '']);
  });

  test('preferences: set through the CLI, visible in list and explain, signalled, persisted', async () => {
    const monitor = await Monitor.start(home);
    try {
      assert.equal((await cli(home, ['prefer', 'hog', 'omit'])).code, 0);
      await monitor.waitFor((e) => e.event === 'PreferenceChanged' && e.appId === 'hog' && e.preference === 'omit');
      const e = await cliJson<ExplanationRecord>(home, ['explain']);
      assert.equal(e.unit, 'app-gnome-firefox-4242.scope', 'an omitted app is never next');
      assert.equal(e.candidates.find((c) => c.appId === 'hog')?.excluded, 'omit');
      const saved = JSON.parse(readFileSync(join(home.env.XDG_CONFIG_HOME!, 'headroom', 'preferences.json'), 'utf8')) as unknown;
      assert.deepEqual(saved, { version: 1, apps: { hog: 'omit' } });
      assert.equal((await cli(home, ['prefer', 'hog', 'none'])).code, 0);
      assert.deepEqual(await cliJson(home, ['list']).then((a) => (a as AppRecord[]).map((x) => x.preference)), ['none', 'none']);
    } finally {
      monitor.stop();
    }
  });

  test('bad arguments get clear errors and exit codes', async () => {
    const badPref = await cli(home, ['prefer', 'hog', 'sometimes']);
    assert.equal(badPref.code, 2);
    assert.match(badPref.stderr, /preference must be none, avoid or omit, not "sometimes"/);
    const noApp = await cli(home, ['kill', 'no-such-app']);
    assert.equal(noApp.code, 1);
    assert.match(noApp.stderr, /no running app unit or app id "no-such-app"/);
    const usage = await cli(home, ['history', '--limit', 'zero']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /expected a whole number/);
    const unknown = await cli(home, ['frobnicate']);
    assert.equal(unknown.code, 2);
  });

  test("ResumeApp and QuitApp through the client: nothing is paused, so the agent's NoSuchApp comes back by name", async () => {
    const client = await AgentClient.connect({ address: bus.address });
    try {
      const noSuchApp = (err: Error & { busName?: string }): boolean => err.busName === 'org.headroom.Agent1.Error.NoSuchApp';
      await assert.rejects(client.resumeApp('app-gnome-nothing-1.scope'), noSuchApp);
      await assert.rejects(client.quitApp('app-gnome-nothing-1.scope', false), noSuchApp);
      await assert.rejects(client.quitApp('nothing', true), noSuchApp);
    } finally {
      client.close();
    }
  });

  test('bad calls straight on the bus get D-Bus errors, and the agent carries on', async () => {
    const client = connectSessionBus(bus.address);
    try {
      const obj = await client.getProxyObject(AGENT_BUS_NAME, AGENT_OBJECT_PATH);
      const iface = obj.getInterface(AGENT_INTERFACE);
      await assert.rejects(iface.SetPreference!('hog', 'maybe'), (err: Error & { type?: string }) => err.type === 'org.headroom.Agent1.Error.InvalidArgs');
      await assert.rejects(iface.SetPreference!('', 'avoid'), (err: Error & { type?: string }) => err.type === 'org.headroom.Agent1.Error.InvalidArgs');
      await assert.rejects(iface.KillApp!('nothing-here'), (err: Error & { type?: string }) => err.type === 'org.headroom.Agent1.Error.NoSuchApp');
      // 64-bit values are BigInt on the wire (the status test shows the CLI turns them into numbers).
      const props = obj.getInterface('org.freedesktop.DBus.Properties');
      const pressure = await props.Get!<{ value: Record<string, { signature: string; value: unknown }> }>(AGENT_INTERFACE, 'Pressure');
      assert.equal(pressure.value.memTotalBytes?.signature, 't');
      assert.equal(pressure.value.memTotalBytes?.value, 8n * 1024n ** 3n);
    } finally {
      client.disconnect();
    }
    assert.equal((await cli(home, ['status'])).code, 0);
  });

  test('manual kill: the Killed signal reaches monitor --json, history keeps it, the process is gone', async () => {
    const monitor = await Monitor.start(home);
    try {
      const r = await cli(home, ['kill', 'firefox']);
      assert.equal(r.code, 0, r.stderr);
      const ev = await monitor.waitFor((e) => e.event === 'Killed');
      const k = ev.kill as EventRecord;
      assert.equal(k.unit, 'app-gnome-firefox-4242.scope');
      assert.equal(k.appId, 'firefox');
      assert.equal(k.displayName, 'Firefox Web Browser');
      assert.equal(k.reason, 'manual');
      assert.equal(k.outcome, 'killed');
      assert.equal(k.processesLeft, 0);
      assert.ok(k.memoryFreedBytes > 16 * 1024 ** 2);
      assert.deepEqual(tree.pids(BROWSER), []);
      const history = await cliJson<EventRecord[]>(home, ['history']);
      assert.equal(history[0]?.id, k.id);
    } finally {
      monitor.stop();
    }
  });

  test('launchers, Launch and the pressure history for the tray and the dashboard', async () => {
    const client = await AgentClient.connect({ address: bus.address });
    try {
      const launchers = await client.listLaunchers();
      assert.deepEqual(launchers.map((l) => [l.desktopId, l.name]), [['firefox', 'Firefox Web Browser'], ['org.example.Quick', 'Quick Tool']], 'NoDisplay entries are left out; sorted by name');
      assert.deepEqual(launchers[1], { desktopId: 'org.example.Quick', name: 'Quick Tool', genericName: 'Tool', comment: '', icon: 'quick', terminal: false });

      const unit = await client.launch('org.example.Quick.desktop', ['/tmp/a file']);
      assert.match(unit, /^app-headroom-org\.example\.Quick-[0-9a-f]{16}\.scope$/);
      const argv = readFileSync(join(home.dir, 'systemd-run.argv'), 'utf8').trimEnd().split('\n');
      assert.deepEqual(argv.slice(0, 5), ['--user', '--scope', '--quiet', '--collect', '--slice=app.slice']);
      assert.ok(argv.includes(`--unit=${unit}`), argv.join(' '));
      assert.ok(argv.includes('--description=Quick Tool'));
      assert.deepEqual(argv.slice(argv.indexOf('--')), ['--', 'true', '/tmp/a file']);

      await assert.rejects(client.launch('no-such-app', []), (err: Error) => err.name === 'AgentCallError' && /no desktop entry no-such-app\.desktop/.test(err.message));
      await assert.rejects(client.launch('../../etc/passwd', []), /not a desktop entry id/);
      await assert.rejects(client.launch('firefox', []), /firefox.*exit status 127/s, 'a command that cannot start is an error, not a silent success');

      const samples = await client.pressureHistory(0);
      assert.ok(samples.length >= 1, 'the first look is kept');
      assert.equal(samples.at(-1)!.memTotalBytes, 8 * 1024 ** 3);
      assert.ok(samples.every((p, i) => i === 0 || p.sampledAtMs - samples[i - 1]!.sampledAtMs >= 2000), 'at most one sample per 2 s');
      assert.deepEqual(await client.pressureHistory(1), samples.slice(-1));
    } finally {
      client.close();
    }
  });

  test('a second agent on the same bus refuses to start', async () => {
    const second = cli(home, ['agent', '--user-tree', tree.path, '--proc-root', proc.path]);
    const r = await second;
    assert.equal(r.code, 1);
    assert.match(r.stderr, /another Headroom agent already owns org\.headroom\.Agent1/);
  });
});

describe('without an agent', { skip: dbusDaemonAvailable() ? false : 'dbus-daemon is not installed' }, () => {
  test('every query command says the agent is not running and exits 3', async () => {
    const bus = await startPrivateBus();
    try {
      const home = makeHome(bus.address);
      for (const cmd of [['status'], ['list'], ['history'], ['explain'], ['kill', 'x'], ['prefer', 'x', 'avoid']]) {
        const r = await cli(home, cmd);
        assert.equal(r.code, 3, `${cmd.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, /the Headroom agent is not running/);
      }
    } finally {
      await bus.stop();
    }
  });

  test('an installed but stopped agent is started by D-Bus activation on the first CLI call', async () => {
    // What `headroom install` writes (with the test's tree): present before the bus starts, as
    // in a real session. The bus gives the started agent its address; the rest comes from us.
    const services = mkdtempSync(join(tmpdir(), 'headroom-services-'));
    const start = join(services, 'start-agent.sh');
    writeFileSync(join(services, 'org.headroom.Agent1.service'), `[D-BUS Service]\nName=org.headroom.Agent1\nExec=${start}\n`);
    const bus = await startPrivateBus({ serviceDirs: [services] });
    const tree = new CgroupTree();
    try {
      const home = makeHome(bus.address);
      const env = Object.entries(home.env).filter(([k]) => k !== 'DBUS_SESSION_BUS_ADDRESS').map(([k, v]) => `${k}='${String(v)}'`).join(' ');
      writeFileSync(start, `#!/bin/sh\nexec env ${env} ${join(REPO, 'bin', 'headroom')} agent --user-tree ${tree.path}\n`);
      chmodSync(start, 0o755);
      const r = await cli(home, ['status', '--json']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal((JSON.parse(r.stdout) as { state: string }).state, 'calm');
    } finally {
      spawnSync('pkill', ['-f', `agent --user-tree ${tree.path}`]);
      await tree.remove();
      await bus.stop();
    }
  });

  test('on a machine without cgroup v2 the agent names what is missing and exits 4', async () => {
    const home = makeHome('unix:path=/nonexistent');
    const r = await cli(home, ['agent', '--proc-root', '/nonexistent-proc']);
    assert.equal(r.code, 4);
    assert.match(r.stderr, /cannot watch memory here: (cgroup v2 is not mounted|the kernel reports no memory pressure)/);
  });

  test('an invalid config file stops the agent at start with the key and line', async () => {
    const home = makeHome('unix:path=/nonexistent');
    const cfg = join(home.dir, 'bad.toml');
    writeFileSync(cfg, '[pressure]\nfull_limit_pct = 20\n\n[kill]\ngrace_ms = "soon"\n');
    const tree = new CgroupTree();
    try {
      const r = await cli(home, ['agent', '--config', cfg, '--user-tree', tree.path]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /bad\.toml:5: kill\.grace_ms/);
    } finally {
      await tree.remove();
    }
  });
});
