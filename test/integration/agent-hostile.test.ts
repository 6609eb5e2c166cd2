// The real agent (bin/headroom, with its shipped 64 MiB heap) on a private bus, fed what a
// hostile or broken caller sends (issue 13, items 1 and 2): it answers every call with a
// bounded reply and stays alive.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AgentClient } from '../../agent/bus/agent-client.js';
import type { EventRecord } from '../../shared/records.js';
import { AgentProcess, makeHome, ProcRoot, type Home } from '../support/agent-process.js';
import { CgroupTree, cgroupTreeUnavailable } from '../support/cgroup-tree.js';
import { dbusDaemonAvailable, startPrivateBus, type PrivateBus } from '../support/private-bus.js';

const unavailable = cgroupTreeUnavailable() || (dbusDaemonAvailable() ? '' : 'dbus-daemon is not installed');

/** A kill record as the agent writes it, ten candidates and all (~2.5 KB a line). */
function historyLine(i: number): string {
  const candidate = (j: number) => ({ unit: `app-gnome-app${j}-${1000 + j}.scope`, appId: `app${j}`, displayName: `App number ${j} with a long name`, preference: 'none', memoryBytes: j * 1e6, swapBytes: 0, processCount: 3, excluded: '' });
  const k: EventRecord = {
    id: `k${i}`, unit: `app-gnome-hog${i}-4242.scope`, appId: `hog${i}`, displayName: 'Hog', reason: 'exhaustion',
    because: 'only 80 MiB (3.9%) of memory is available and there is no swap; Hog is the heaviest of 10 units that may be stopped '.repeat(3),
    outcome: 'killed', dryRun: false, processCount: 1, processesLeft: 0, memoryFreedBytes: 1e9, swapFreedBytes: 0, graceMs: 0, durationMs: 10, childPid: 0, childKind: '', pausedUntilMs: 0,
    someAvg10: 0, fullAvg10: 0, fullRecentPct: 0, memAvailableBytes: 8e7, swapFreeBytes: 0, atMs: 1_800_000_000_000 + i, candidates: Array.from({ length: 10 }, (_, j) => candidate(j)),
  };
  return JSON.stringify(k);
}

function writeHistory(home: Home, lines: number): void {
  const dir = join(home.dir, 'state', 'headroom');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'history.jsonl'), Array.from({ length: lines }, (_, i) => historyLine(i)).join('\n') + '\n');
}

describe('the agent under hostile calls', { skip: unavailable || false }, () => {
  let bus: PrivateBus;
  let tree: CgroupTree;
  let proc: ProcRoot;
  let home: Home;
  let agent: AgentProcess | null = null;
  let client: AgentClient | null = null;

  before(async () => {
    bus = await startPrivateBus();
    tree = new CgroupTree();
    proc = new ProcRoot(50);
    home = makeHome(bus.address);
    // Units whose app ids are Object.prototype names.
    for (const id of ['constructor', 'toString', '__proto__']) {
      const p = await tree.start(`app.slice/app-headroom-${id}-00000000000000c1.scope`, 'hog', ['8']);
      proc.expose(p.pid);
    }
  });
  after(async () => {
    client?.close();
    await agent?.stop();
    await tree?.remove();
    await bus?.stop();
  });

  const restart = async (): Promise<AgentClient> => {
    client?.close();
    await agent?.stop();
    agent = await AgentProcess.start(home, ['--user-tree', tree.path, '--proc-root', proc.path], undefined);
    client = await AgentClient.connect({ address: bus.address });
    return client;
  };

  test('apps whose ids are Object.prototype names are listed and explained like any other', async () => {
    const c = await restart();
    const apps = await c.listApps();
    assert.deepEqual(apps.map((a) => a.appId).sort(), ['__proto__', 'constructor', 'toString']);
    assert.ok(apps.every((a) => a.preference === 'none'));
    const e = await c.explain();
    assert.equal(e.candidates.length, 3);
    await c.setPreference('constructor', 'avoid');
    assert.equal((await c.listApps()).find((a) => a.appId === 'constructor')?.preference, 'avoid');
  });

  test('twelve concurrent GetHistory on a full history (2,000 lines, ~5 MB) all answer; the agent lives', async () => {
    writeHistory(home, 2000);
    const c = await restart();
    const answers = await Promise.all(Array.from({ length: 12 }, () => c.history(100_000)));
    for (const a of answers) assert.equal(a.length, 1000, 'bounded by what the history keeps');
    assert.equal(answers[0]![0]!.id, 'k1999', 'newest first');
    assert.equal(await c.state(), 'calm');
    assert.equal(agent!.child.exitCode, null);
  });

  test('a 55 MB history file: the agent starts and answers from its tail', async () => {
    writeHistory(home, 22_000);
    const c = await restart();
    const recent = await c.history(5);
    assert.deepEqual(recent.map((k) => k.id), ['k21999', 'k21998', 'k21997', 'k21996', 'k21995']);
    assert.equal(agent!.child.exitCode, null);
  });

  test('a 6 MB argument is refused in a short reply, never echoed; the agent lives', async () => {
    const c = await restart();
    const huge = 'x'.repeat(6 * 1024 * 1024);
    for (const call of [() => c.killApp(huge), () => c.setPreference(huge, 'avoid'), () => c.launch(huge), () => c.launch('x', Array.from({ length: 100_000 }, () => 'file:///a'))]) {
      const err = await call().then(() => null, (e: unknown) => e as Error);
      assert.ok(err, 'refused');
      assert.match(err.message, /at most \d+ (are accepted)/);
      assert.ok(err.message.length < 300, `a short reply (${err.message.length} characters)`);
    }
    assert.equal(await c.state(), 'calm');
    assert.equal(agent!.child.exitCode, null);
  });
});
