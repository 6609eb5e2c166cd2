// Preferences and history on disk: concurrent writers, damaged files, bounds.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { openHistory } from '../../agent/io/history.js';
import { openPreferences } from '../../agent/io/preferences.js';
import type { EventRecord } from '../../shared/records.js';
import { AgentProcess, cliJson, makeHome } from '../support/agent-process.js';
import { CgroupTree, cgroupTreeUnavailable, fixture } from '../support/cgroup-tree.js';
import { dbusDaemonAvailable, startPrivateBus } from '../support/private-bus.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'headroom-state-'));

const record = (i: number): EventRecord => ({
  id: `k${i}`, unit: `app-headroom-a${i}-0000000000000000.scope`, appId: `a${i}`, displayName: '', reason: 'pressure', because: 'test',
  outcome: 'killed', dryRun: false, processCount: 1, processesLeft: 0, memoryFreedBytes: i, swapFreedBytes: 0, graceMs: 0,
  durationMs: 1, childPid: 0, childKind: '', pausedUntilMs: 0, someAvg10: 0, fullAvg10: 0, fullRecentPct: 0, memAvailableBytes: 0, swapFreeBytes: 0, atMs: i, candidates: [],
});

describe('preferences file', () => {
  test('twelve processes writing at once lose no update and leave valid JSON', async () => {
    const path = join(tmp(), 'preferences.json');
    await Promise.all(Array.from({ length: 12 }, (_, i) => new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [fixture('set-pref'), path, `app${i}`, i % 2 ? 'avoid' : 'omit'], { stdio: 'inherit' });
      child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer ${i} exited ${code}`))));
    })));
    const saved = JSON.parse(readFileSync(path, 'utf8')) as { version: number; apps: Record<string, string> };
    assert.equal(saved.version, 1);
    assert.equal(Object.keys(saved.apps).length, 12);
    assert.equal(saved.apps.app3, 'avoid');
    assert.equal(saved.apps.app4, 'omit');
    assert.equal(existsSync(`${path}.lock`), false, 'no lock left behind');
    assert.deepEqual(readdirSync(join(path, '..')).filter((f) => f.endsWith('.tmp')), [], 'no temp files left behind');
  });

  test('a lock left by a crashed writer is taken over', async () => {
    const path = join(tmp(), 'preferences.json');
    writeFileSync(`${path}.lock`, '999999999'); // no such process
    const store = await openPreferences(path);
    await store.set('x', 'avoid');
    assert.equal(store.get('x'), 'avoid');
  });

  test('a truncated file is set aside as a backup, with a warning, and the store carries on', async () => {
    const dir = tmp();
    const path = join(dir, 'preferences.json');
    const damaged = '{"version":1,"apps":{"firefox":"av';
    writeFileSync(path, damaged);
    const warnings: string[] = [];
    const store = await openPreferences(path, (m) => warnings.push(m));
    assert.deepEqual(store.all(), {});
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /preferences\.json is damaged .* moved it to .*preferences\.json\.bad-\d+/);
    const backup = readdirSync(dir).find((f) => f.startsWith('preferences.json.bad-'));
    assert.ok(backup);
    assert.equal(readFileSync(join(dir, backup), 'utf8'), damaged, 'nothing is lost: the damaged text is kept');
    await store.set('code', 'omit');
    assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), { version: 1, apps: { code: 'omit' } });
  });

  test('valid JSON of the wrong shape is refused the same way', async () => {
    const dir = tmp();
    const path = join(dir, 'preferences.json');
    writeFileSync(path, JSON.stringify({ version: 1, apps: { firefox: 'sometimes' } }));
    const warnings: string[] = [];
    const store = await openPreferences(path, (m) => warnings.push(m));
    assert.equal(store.get('firefox'), 'none');
    assert.equal(warnings.length, 1);
  });
});

describe('history file', () => {
  test('concurrent appends in one agent all land, one valid line each', async () => {
    const path = join(tmp(), 'history.jsonl');
    const h = openHistory(path);
    await Promise.all(Array.from({ length: 50 }, (_, i) => h.append(record(i))));
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    assert.equal(lines.length, 50);
    for (const l of lines) JSON.parse(l);
    assert.deepEqual((await h.recent(3)).map((r) => r.id), ['k49', 'k48', 'k47']);
  });

  test('bounded: past 2000 lines it keeps the newest 1000, atomically, without losing the newest', async () => {
    const path = join(tmp(), 'history.jsonl');
    const h = openHistory(path);
    for (let i = 0; i < 2001; i++) await h.append(record(i));
    const recent = await h.recent(5000);
    assert.equal(recent.length, 1000);
    assert.equal(recent[0]?.id, 'k2000');
    assert.equal(recent.at(-1)?.id, 'k1001');
  });

  test('damaged lines (a torn last line, garbage, wrong shape) are skipped and counted', async () => {
    const path = join(tmp(), 'history.jsonl');
    writeFileSync(path, `${JSON.stringify(record(1))}\nnot json at all\n{"id":"only-an-id"}\n${JSON.stringify(record(2))}\n{"id":"torn","unit":"app-`);
    const warnings: string[] = [];
    const h = openHistory(path, (m) => warnings.push(m));
    assert.deepEqual((await h.recent(10)).map((r) => r.id), ['k2', 'k1']);
    assert.match(warnings[0]!, /skipped 3 damaged lines/);
    await h.append(record(3));
    assert.deepEqual((await h.recent(10)).map((r) => r.id), ['k3', 'k2', 'k1'], 'an append after a torn line still reads back');
  });

  test('a line written before a field existed is read with that field as an older version meant it', async () => {
    const path = join(tmp(), 'history.jsonl');
    const { childPid: _pid, childKind: _kind, ...older } = record(1);
    writeFileSync(path, `${JSON.stringify(older)}\n${JSON.stringify({ ...record(2), outcome: 'child-killed', childPid: 4321, childKind: 'renderer' })}\n`);
    const warnings: string[] = [];
    const [newer, old] = await openHistory(path, (m) => warnings.push(m)).recent(10);
    assert.deepEqual(warnings, [], 'no line is damaged');
    assert.equal(old!.id, 'k1');
    assert.equal(old!.childPid, 0, 'a whole unit, as every kill was before');
    assert.equal(old!.childKind, '');
    assert.equal(newer!.childPid, 4321);
  });
});

describe('the agent with damaged state files', { skip: cgroupTreeUnavailable() || (dbusDaemonAvailable() ? false : 'dbus-daemon is not installed') }, () => {
  test('starts, keeps a backup, serves the good history', async () => {
    const bus = await startPrivateBus();
    const tree = new CgroupTree();
    let agent: AgentProcess | null = null;
    try {
      const home = makeHome(bus.address);
      mkdirSync(join(home.dir, 'config', 'headroom'), { recursive: true });
      mkdirSync(join(home.dir, 'state', 'headroom'), { recursive: true });
      writeFileSync(join(home.dir, 'config', 'headroom', 'preferences.json'), '\0\0\0garbage');
      writeFileSync(join(home.dir, 'state', 'headroom', 'history.jsonl'), `${JSON.stringify(record(7))}\n\0\0garbage\n`);
      agent = await AgentProcess.start(home, ['--user-tree', tree.path]);
      assert.ok(agent.log.some((l) => /preferences\.json is damaged/.test(l)));
      const history = await cliJson<EventRecord[]>(home, ['history']);
      assert.deepEqual(history.map((r) => r.id), ['k7']);
      assert.ok(readdirSync(join(home.dir, 'config', 'headroom')).some((f) => f.startsWith('preferences.json.bad-')));
    } finally {
      await agent?.stop();
      await tree.remove();
      await bus.stop();
    }
  });
});

describe('preferences under hostile ids, load and stale locks (issue 13)', () => {
  test('ids that are Object.prototype names are ids like any other', async () => {
    const path = join(tmp(), 'preferences.json');
    const store = await openPreferences(path);
    for (const id of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) assert.equal(store.get(id), 'none', id);
    await store.set('constructor', 'omit');
    await store.set('__proto__', 'avoid');
    assert.equal(store.get('constructor'), 'omit');
    assert.equal(store.get('__proto__'), 'avoid');
    assert.equal(store.get('toString'), 'none');
    assert.deepEqual(Object.entries(store.all()).sort(), [['__proto__', 'avoid'], ['constructor', 'omit']]);
    const reopened = await openPreferences(path);
    assert.equal(reopened.get('__proto__'), 'avoid', 'the file round-trips the key');
    assert.equal(reopened.get('valueOf'), 'none');
  });

  test('960 concurrent writes in one process all land: a queue, not a convoy on its own lock', async () => {
    const path = join(tmp(), 'preferences.json');
    const store = await openPreferences(path);
    const results = await Promise.allSettled(Array.from({ length: 960 }, (_, i) => store.set(`app${i % 40}`, i % 2 ? 'avoid' : 'omit')));
    assert.deepEqual(results.filter((r) => r.status === 'rejected').map((r) => String(r.reason)).slice(0, 3), []);
    const saved = JSON.parse(readFileSync(path, 'utf8')) as { apps: Record<string, string> };
    assert.equal(Object.keys(saved.apps).length, 40);
    assert.equal(saved.apps.app1, 'avoid', 'the last write for each id wins, in order');
    assert.equal(saved.apps.app0, 'omit');
  });

  test('a stale lock whose pid now belongs to another process is taken over', async () => {
    const path = join(tmp(), 'preferences.json');
    // pid 1 is alive, but it did not start at this tick: the lock's holder is gone.
    writeFileSync(`${path}.lock`, '1 1');
    const store = await openPreferences(path);
    await store.set('x', 'avoid');
    assert.equal(store.get('x'), 'avoid');
    assert.equal(existsSync(`${path}.lock`), false);
  });

  test('a live holder is waited for, not overrun', async () => {
    const path = join(tmp(), 'preferences.json');
    const start = readFileSync('/proc/1/stat', 'utf8');
    writeFileSync(`${path}.lock`, `1 ${start.slice(start.lastIndexOf(')') + 2).split(' ')[19]}`);
    const store = await openPreferences(path);
    await assert.rejects(store.set('x', 'avoid'), /preferences\.json\.lock is held by process 1/);
  });

  test('state files are the user\'s alone: 0600 in 0700 directories, and a mode the user set is kept', async () => {
    const base = tmp();
    const path = join(base, 'state', 'headroom', 'preferences.json');
    const store = await openPreferences(path);
    await store.set('a', 'avoid');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(join(base, 'state', 'headroom')).mode & 0o777, 0o700);
    chmodSync(path, 0o640);
    await store.set('b', 'omit');
    assert.equal(statSync(path).mode & 0o777, 0o640, 'a rewrite keeps what the user set');
    const historyPath = join(base, 'data', 'history.jsonl');
    const history = openHistory(historyPath);
    await history.append(record(1));
    assert.equal(statSync(historyPath).mode & 0o777, 0o600);
    assert.equal(statSync(join(base, 'data')).mode & 0o777, 0o700);
  });
});
