// The agent's loop with every dependency faked as plain data (the kill, the snapshot, history):
// what it does with a decision, not how it reads or kills.
import assert from 'node:assert/strict';
import { describe, mock, test } from 'node:test';
import { Agent, type AgentDeps } from '../../agent/agent.js';
import { CALM_FULL_TICK_MAX_MS, CALM_FULL_TICK_STEADY_MS, CALM_FULL_TICK_WATCHED_MS, CALM_STEADY_BAND_BYTES, DEFAULT_POLICY, LAST_LOOK_FRESH_MS, UNIT_CHANGE_SETTLE_MS } from '../../agent/core/constants.js';
import type { ChildKillAttempt } from '../../agent/core/records.js';
import type { AppUnit, ExpendableProcess, Snapshot } from '../../agent/core/snapshot.js';
import { ProcessGoneError } from '../../agent/cgroup/kill-process.js';
import { UnitGoneError, type KillScopeResult } from '../../agent/cgroup/kill-scope.js';
import type { Preference } from '../../shared/names.js';
import type { EventRecord } from '../../shared/records.js';
import type { EventReport } from '../../agent/event-report.js';
import type { UnitWatch } from '../../agent/cgroup/unit-watch.js';
import { app, meminfo, MiB, snapshot } from '../support/snapshots.js';

function fakeDeps(snaps: () => Snapshot, kill: (dir: string) => Promise<KillScopeResult>, killChild: (pid: number) => Promise<ChildKillAttempt> = () => Promise.resolve({ exited: true, durationMs: 3 })) {
  const history: EventRecord[] = [];
  const logs: string[] = [];
  const killed: string[] = [];
  const childrenKilled: { pid: number; unitDir: string }[] = [];
  const deps: AgentDeps = {
    tree: { uid: 1000, cgroupRoot: '/sys/fs/cgroup', path: '/tree', procRoot: '/proc' },
    config: { ...DEFAULT_POLICY, psiTriggers: false },
    version: 'test',
    // Each read takes the fake's current snapshot: gauges and units as they are at that read.
    readGauges: () => snaps(),
    readUnits: () => {
      const s = snaps();
      return Promise.resolve({ atMs: s.atMs, apps: s.apps, outside: s.outside });
    },
    readMeminfo: () => snaps().meminfo,
    killScope: async (dir) => {
      killed.push(dir);
      return kill(dir);
    },
    killProcess: async (target, opts) => {
      childrenKilled.push({ pid: target.pid, unitDir: opts.unitDir });
      return killChild(target.pid);
    },
    watchPressure: () => ({ armed: [], refused: [], close: () => undefined }),
    history: { append: (r) => { history.push(r); return Promise.resolve(); }, recent: () => Promise.resolve([]) },
    preferences: { get: (): Preference => 'none', all: () => ({}), set: () => Promise.resolve(), refresh: () => Promise.resolve() },
    log: { error: (m) => logs.push(m), warn: (m) => logs.push(m), info: (m) => logs.push(m), debug: () => undefined },
    loadConfig: () => Promise.resolve(DEFAULT_POLICY),
  };
  return { deps, history, logs, killed, childrenKilled };
}

const ok: KillScopeResult = { outcome: 'killed', processCount: 1, processesLeft: 0, durationMs: 5, exitedOnTerm: false, usedCgroupKill: true };

/** A renderer its browser marked to lose first (oom_score_adj 300), 1.5 GiB of the browser's 1.8 GiB. */
const RUNAWAY_TAB: ExpendableProcess = { pid: 4321, startTicks: 99, comm: 'chromium', kind: 'renderer', oomScoreAdj: 300, unreclaimableBytes: 1500 * MiB };
const chromiumWith = (expendable: ExpendableProcess[]): AppUnit =>
  app('app-gnome-chromium-42.scope', { appId: 'chromium', displayName: 'Chromium', memoryBytes: 1800 * MiB, expendable, heaviestKeptBytes: 200 * MiB, processCount: 2 });

describe('Agent loop', () => {
  test('a victim that exited before the kill costs no cool-down and no record: the next decision stops the next one at once', async () => {
    let t = 0;
    const gone = app('app-headroom-gone-0000000000000001.scope', { memoryBytes: 900 * MiB });
    const next = app('app-headroom-next-0000000000000002.scope', { memoryBytes: 500 * MiB });
    let goneExited = false;
    // The snapshot still lists it; by the kill it has exited, and the next snapshot no longer has it.
    const snaps = (): Snapshot => snapshot((t += 50), { meminfo: meminfo(2), apps: goneExited ? [next] : [gone, next] });
    const f = fakeDeps(snaps, (dir) => {
      if (!dir.endsWith(gone.cgroup)) return Promise.resolve(ok);
      goneExited = true;
      return Promise.reject(new UnitGoneError(`${dir} is gone`));
    });
    const agent = new Agent(f.deps);
    await agent.start();
    agent.stop();
    assert.deepEqual(f.killed, [`/tree/${gone.cgroup}`, `/tree/${next.cgroup}`], 'the next victim within the same wake, no 5 s cool-down');
    assert.deepEqual(f.history.map((k) => [k.unit, k.outcome]), [[next.unit, 'killed']], 'no record of a kill that did not happen');
    assert.ok(f.logs.some((l) => /app-headroom-gone-0000000000000001\.scope exited on its own before it could be stopped; deciding again/.test(l)));
  });

  test('a tab its browser marked to lose first is stopped in its place: by its pid, in its unit, recorded as child-killed', async () => {
    let t = 0;
    const browser = chromiumWith([RUNAWAY_TAB]);
    const f = fakeDeps(() => snapshot((t += 50), { meminfo: meminfo(2), apps: [browser] }), () => Promise.resolve(ok));
    const agent = new Agent(f.deps);
    await agent.start();
    agent.stop();
    assert.deepEqual(f.killed, [], 'the browser itself is not killed');
    assert.deepEqual(f.childrenKilled, [{ pid: 4321, unitDir: `/tree/${browser.cgroup}` }]);
    const [k] = f.history;
    assert.equal(k?.outcome, 'child-killed');
    assert.equal(k?.childPid, 4321);
    assert.equal(k?.childKind, 'renderer');
    assert.equal(k?.processCount, 1);
    assert.equal(k?.memoryFreedBytes, 1500 * MiB, 'what the tab held, not the browser');
    assert.ok(f.logs.some((l) => /stopped a Chromium tab \(renderer, pid 4321, 1\.5 GiB\) in app-gnome-chromium-42\.scope, 3 ms; the app runs on/.test(l)), f.logs.join('\n'));
  });

  test('a tab still exiting after the wait (zram thrash) is reported as signalled with one process left, not as a failure', async () => {
    let t = 0;
    const browser = chromiumWith([RUNAWAY_TAB]);
    const f = fakeDeps(() => snapshot((t += 50), { meminfo: meminfo(2), apps: [browser] }), () => Promise.resolve(ok), () => Promise.resolve({ exited: false, durationMs: 3001 }));
    const agent = new Agent(f.deps);
    await agent.start();
    agent.stop();
    assert.deepEqual(f.killed, [], 'no second kill for a tab that is on its way out');
    assert.deepEqual(f.history.map((k) => [k.outcome, k.processesLeft]), [['child-killed', 1]]);
    assert.ok(f.logs.some((l) => /signalled a Chromium tab \(renderer, pid 4321, 1\.5 GiB\) in app-gnome-chromium-42\.scope, still exiting after 3001 ms; the app runs on/.test(l)), f.logs.join('\n'));
  });

  test('a tab that is gone by the kill costs no record and no cool-down: the next decision comes at once', async () => {
    let t = 0;
    let tabGone = false;
    const browser = (): AppUnit => chromiumWith(tabGone ? [] : [RUNAWAY_TAB]);
    const f = fakeDeps(() => snapshot((t += 50), { meminfo: meminfo(2), apps: [browser()] }), () => Promise.resolve(ok), () => {
      tabGone = true;
      return Promise.reject(new ProcessGoneError('process 4321 has exited'));
    });
    const agent = new Agent(f.deps);
    await agent.start();
    agent.stop();
    assert.deepEqual(f.childrenKilled.map((c) => c.pid), [4321]);
    assert.deepEqual(f.killed, ['/tree/app.slice/app-gnome-chromium-42.scope'], 'with no tab left, the browser itself, in the same wake');
    assert.deepEqual(f.history.map((k) => k.outcome), ['killed']);
    assert.ok(f.logs.some((l) => /could not be stopped \(process 4321 has exited\); deciding again/.test(l)));
  });

  test('a tab that cannot be signalled (no pidfd, a refusal) is no reason to leave memory short: the whole app goes at once', async () => {
    let t = 0;
    const browser = chromiumWith([RUNAWAY_TAB]);
    const f = fakeDeps(() => snapshot((t += 50), { meminfo: meminfo(2), apps: [browser] }), () => Promise.resolve(ok), () => Promise.reject(new Error('pidfd_open failed: errno 38 (ENOSYS)')));
    const agent = new Agent(f.deps);
    await agent.start();
    agent.stop();
    assert.deepEqual(f.killed, ['/tree/app.slice/app-gnome-chromium-42.scope']);
    assert.deepEqual(f.history.map((k) => k.outcome), ['killed']);
    assert.match(f.history[0]!.because, /stopping it failed \(pidfd_open failed: errno 38 \(ENOSYS\)\), so all of it goes$/);
  });

  test('KillApp of a unit that exited meanwhile answers NoSuchApp in words', async () => {
    const gone = app('app-headroom-gone-0000000000000001.scope');
    const f = fakeDeps(() => snapshot(0, { apps: [gone] }), () => Promise.reject(new UnitGoneError('gone')));
    const agent = new Agent(f.deps);
    await assert.rejects(agent.api.killApp(gone.unit), (err: unknown) => {
      assert.equal((err as { busName?: string }).busName, 'org.headroom.Agent1.Error.NoSuchApp');
      assert.equal((err as Error).message, `${gone.unit} exited before it could be stopped`);
      return true;
    });
  });

  test('leaving calm while the heaviest user is out of reach: the warning names it, not the app that would go in its place', async () => {
    let i = 0;
    const browser = app('app-firefox-0000000000000001.scope', { appId: 'firefox', displayName: 'Firefox', memoryBytes: 500 * MiB });
    const session = (bytes: number) => ({ cgroup: '/user.slice/user-1000.slice/session-3.scope', label: 'your login session 3', unreclaimableBytes: bytes, topComm: 'python3', topPid: 4321 });
    // Calm at 50 %, then, a minute later, 10 % available (elevated, not yet critical) while python3 grows.
    const snaps = (): Snapshot => {
      const n = i++;
      return snapshot(n * 60_000, { meminfo: meminfo(n === 0 ? 50 : 10), apps: [browser], outside: [session(900 * MiB + n * 50 * MiB)] });
    };
    const f = fakeDeps(snaps, () => Promise.resolve(ok));
    const warned: string[] = [];
    const outOfReach: string[] = [];
    f.deps.notices = { killed: () => undefined, warn: (a) => warned.push(a.appId), outOfReach: (g) => outOfReach.push(g.topComm), paused: () => undefined, resumed: () => undefined };
    const agent = new Agent(f.deps);
    await agent.start();
    await agent.tick();
    agent.stop();
    assert.equal(agent.api.state(), 'elevated');
    assert.deepEqual(warned, [], 'Firefox is not named as the one to go');
    assert.deepEqual(outOfReach, ['python3']);
    assert.ok(f.logs.some((l) => /memory is getting tight; the heaviest user of memory is python3 \(pid 4321\) in your login session 3/.test(l)), f.logs.join('\n'));
    assert.deepEqual(f.killed, []);
    assert.match((await agent.api.explain()).because, /if memory ran out now, nothing would be stopped: the heaviest user of memory is python3/);
  });

  test('under pressure a look decides on the gauges without waiting for the units, and reads them anew after a kill', async () => {
    let t = 0;
    const hog = app('app-headroom-hog-0000000000000001.scope', { memoryBytes: 1500 * MiB });
    const editor = app('app-headroom-editor-0000000000000002.scope', { memoryBytes: 200 * MiB });
    // Elevated at first (12 %), then below the floor (2 %).
    let available = 12;
    const snaps = (): Snapshot => snapshot((t += 100), { meminfo: meminfo(available), apps: [hog, editor] });
    const f = fakeDeps(snaps, () => Promise.resolve(ok));
    let unitReads = 0;
    let release: () => void = () => undefined;
    f.deps.readUnits = () => {
      const s = snaps();
      const units = { atMs: s.atMs, apps: s.apps, outside: s.outside };
      // The first read answers at once; the next one hangs as a read under thrash does.
      if (unitReads++ === 0) return Promise.resolve(units);
      return new Promise((resolve) => { release = () => resolve(units); });
    };
    const agent = new Agent(f.deps);
    await agent.start();
    assert.equal(agent.api.state(), 'elevated');
    available = 2;
    await agent.tick();
    assert.deepEqual(f.killed, [`/tree/${hog.cgroup}`], 'stopped on the units of the last read, while the next read hangs');
    assert.equal(unitReads, 2, 'the look started the next read in the background and did not wait for it');
    // After the kill the units it had still list the victim, and so may the read that began
    // before the kill ended: the next look waits for that one and then for a new one.
    let looked = false;
    const next = agent.tick().then(() => { looked = true; });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(looked, false, 'after a kill, a look waits for the units');
    release();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(unitReads, 3, 'the read begun before the kill ended is not trusted: a third one');
    assert.equal(looked, false);
    release();
    await next;
    agent.stop();
  });

  test('calm, the units are read inline; at a stall\'s wake, near the elevated level and out of calm, through the thread pool', async () => {
    let t = 0;
    let available = 50;
    const f = fakeDeps(() => snapshot((t += 100), { meminfo: meminfo(available), apps: [app('app-gnome-editor-1.scope', { memoryBytes: 200 * MiB })] }), () => Promise.resolve(ok));
    const inline: boolean[] = [];
    const readUnits = f.deps.readUnits.bind(f.deps);
    f.deps.readUnits = (opts) => {
      inline.push(opts.inline);
      return readUnits(opts);
    };
    const agent = new Agent(f.deps);
    await agent.start();
    await agent.tick();
    agent.wake('psi'); // the look it starts, alone (a tick() now would ask for one more)
    await new Promise((r) => setTimeout(r, 20));
    available = 18; // calm, within CALM_LOOK_MARGIN_PCT of the elevated level (15 %)
    await agent.tick();
    await agent.tick();
    available = 12;
    await agent.tick();
    assert.notEqual(agent.api.state(), 'calm');
    const calmReads = inline.length;
    await agent.tick();
    agent.stop();
    assert.ok(inline.length > calmReads && inline.slice(calmReads).every((i) => !i), `out of calm, in the background of the looks: ${inline.join(', ')}`);
    assert.deepEqual(inline.slice(0, calmReads), [
      false, // the first look: nothing known of memory yet
      true, // calm, with room
      false, // a stall woke the look
      true, // the look that first sees 18 %: the last one had room
      false, // the last look was near the elevated level
      false, // so was this one's last: it leaves calm
    ], inline.join(', '));
  });

  test('a preference set under pressure counts at the next look, not after the next read of the units', async () => {
    let t = 0;
    let available = 12;
    const prefs = new Map<string, Preference>();
    const hog = app('app-headroom-hog-0000000000000001.scope', { memoryBytes: 1500 * MiB });
    const editor = app('app-headroom-editor-0000000000000002.scope', { memoryBytes: 200 * MiB });
    // Units carry the preference they had when they were read, as readUnits does.
    const snaps = (): Snapshot => snapshot((t += 100), { meminfo: meminfo(available), apps: [hog, editor].map((a) => ({ ...a, preference: prefs.get(a.appId) ?? 'none' })) });
    const f = fakeDeps(snaps, () => Promise.resolve(ok));
    f.deps.preferences = { get: (id) => prefs.get(id) ?? 'none', all: () => Object.fromEntries(prefs), set: (id, p) => { prefs.set(id, p); return Promise.resolve(); }, refresh: () => Promise.resolve() };
    const agent = new Agent(f.deps);
    await agent.start();
    assert.equal(agent.api.state(), 'elevated');
    await agent.api.setPreference('hog', 'omit');
    available = 2;
    await agent.tick();
    agent.stop();
    assert.deepEqual(f.killed, [`/tree/${editor.cgroup}`], 'the app marked omit a moment ago is not the one stopped');
  });

  test('the journal and the metrics hear every event once, beside the signals: state changes, the warning, the kill', async () => {
    let t = 0;
    const hog = app('app-headroom-hog-0000000000000001.scope', { appId: 'hog', memoryBytes: 900 * MiB });
    // Calm at 50 %, elevated at 10 % a minute later (the warning names the hog), then 2 %: the kill.
    let available = 50;
    const snaps = (): Snapshot => snapshot((t += 60_000), { meminfo: meminfo(available), apps: [hog] });
    const f = fakeDeps(snaps, () => Promise.resolve(ok));
    const heard: string[] = [];
    const reports: EventReport = {
      looked: (state) => heard.push(`looked ${state}`),
      stateChanged: (state, previous) => heard.push(`state ${previous}→${state}`),
      warned: (r) => heard.push(`warned ${r.appId} ${r.outcome}`),
      killed: (r) => heard.push(`killed ${r.appId} ${r.outcome} ${r.reason}`),
      outOfReach: (g) => heard.push(`out of reach ${g.cgroup}`),
      paused: (r) => heard.push(`paused ${r.appId}`),
      resumed: (r) => heard.push(`resumed ${r.appId}`),
    };
    f.deps.reports = reports;
    const agent = new Agent(f.deps);
    await agent.start();
    available = 10;
    await agent.tick();
    available = 2;
    await agent.tick();
    agent.stop();
    assert.deepEqual(heard.filter((h) => !h.startsWith('looked')), [
      'state calm→elevated', 'warned hog warned', 'state elevated→critical', 'killed hog killed exhaustion',
    ]);
    // Every look is heard (how many a tick takes is the loop's business), each state in turn.
    assert.deepEqual(heard.filter((h, j) => h.startsWith('looked') && heard.slice(0, j).filter((x) => x.startsWith('looked')).pop() !== h),
      ['looked calm', 'looked elevated', 'looked critical']);
    assert.ok(heard.indexOf('looked critical') < heard.indexOf('state elevated→critical'), 'a look comes before what it found');
    assert.deepEqual(f.history.map((k) => k.outcome), ['warned', 'killed'], 'the same events as history');
  });
  test('a kill decision says how long after its wake it came and how many major faults the agent took meanwhile', async () => {
    // The clock and the fault counter move only while the gauges are read, as a look that
    // faults its own pages back in under thrash would: the line must report exactly that.
    let clockMs = 1000;
    let faults = 40;
    let available = 50;
    const hog = app('app-headroom-hog-0000000000000001.scope', { memoryBytes: 900 * MiB });
    let released: () => void = () => undefined;
    const killedOnce = new Promise<void>((resolve) => { released = resolve; });
    const snaps = (): Snapshot => snapshot(clockMs, { meminfo: meminfo(available), apps: [hog] });
    const f = fakeDeps(snaps, () => {
      released();
      return Promise.resolve(ok);
    });
    f.deps.readGauges = () => {
      clockMs += 1200;
      faults += 33;
      return snaps();
    };
    f.deps.now = () => clockMs;
    f.deps.readMajorFaults = () => faults;
    const agent = new Agent(f.deps);
    await agent.start();
    assert.equal(agent.api.state(), 'calm');
    assert.ok(!f.logs.some((l) => l.startsWith('kill path:')), 'no line without a kill');
    clockMs = 60_000;
    faults = 100;
    available = 2;
    agent.wake('psi');
    await killedOnce;
    agent.stop();
    const at = f.logs.findIndex((l) => l.startsWith('kill path:'));
    assert.equal(f.logs[at], 'kill path: woke by psi 1200 ms before the kill decision, 33 major faults since waking, 133 since start');
    assert.match(f.logs[at + 1] ?? '', /^killing app-headroom-hog-0000000000000001\.scope /, 'right before the killing line');
  });

  test('a decision taken again after the victim vanished reports its own wake, "retry"', async () => {
    let clockMs = 0;
    let faults = 5;
    const gone = app('app-headroom-gone-0000000000000001.scope', { memoryBytes: 900 * MiB });
    const next = app('app-headroom-next-0000000000000002.scope', { memoryBytes: 500 * MiB });
    let goneExited = false;
    const snaps = (): Snapshot => snapshot(clockMs, { meminfo: meminfo(2), apps: goneExited ? [next] : [gone, next] });
    const f = fakeDeps(snaps, (dir) => {
      if (!dir.endsWith(gone.cgroup)) return Promise.resolve(ok);
      goneExited = true;
      clockMs += 50; // the failed kill's own time is not the retry's
      return Promise.reject(new UnitGoneError(`${dir} is gone`));
    });
    f.deps.readGauges = () => {
      clockMs += 300;
      faults += 2;
      return snaps();
    };
    f.deps.now = () => clockMs;
    f.deps.readMajorFaults = () => faults;
    const agent = new Agent(f.deps);
    await agent.start();
    agent.stop();
    assert.deepEqual(f.logs.filter((l) => l.startsWith('kill path:')), [
      'kill path: woke by start 300 ms before the kill decision, 2 major faults since waking, 7 since start',
      'kill path: woke by retry 300 ms before the kill decision, 2 major faults since waking, 9 since start',
    ]);
  });

  test('without /proc/self/stat the kill path line still comes, its fault counts -1', async () => {
    const hog = app('app-headroom-hog-0000000000000001.scope', { memoryBytes: 900 * MiB });
    const f = fakeDeps(() => snapshot(0, { meminfo: meminfo(2), apps: [hog] }), () => Promise.resolve(ok));
    f.deps.now = () => 0;
    f.deps.readMajorFaults = () => { throw new Error('ENOENT'); };
    const agent = new Agent(f.deps);
    await agent.start();
    agent.stop();
    assert.deepEqual(f.killed, [`/tree/${hog.cgroup}`], 'the kill is not held up');
    assert.ok(f.logs.includes('kill path: woke by start 0 ms before the kill decision, -1 major faults since waking, -1 since start'), f.logs.join('\n'));
  });

  test('ListApps and Explain answer from the last look while it is fresh, and read every unit anew once it is not', async () => {
    let clockMs = 0;
    const hog = app('app-headroom-hog-0000000000000001.scope', { appId: 'hog', memoryBytes: 900 * MiB });
    const editor = app('app-headroom-editor-0000000000000002.scope', { appId: 'editor', memoryBytes: 200 * MiB });
    let apps = [hog, editor];
    const snaps = (): Snapshot => snapshot(clockMs, { meminfo: meminfo(50), apps });
    const f = fakeDeps(snaps, () => {
      apps = [editor];
      return Promise.resolve(ok);
    });
    let unitReads = 0;
    f.deps.readUnits = () => {
      unitReads++;
      const s = snaps();
      return Promise.resolve({ atMs: s.atMs, apps: s.apps, outside: s.outside });
    };
    f.deps.now = () => clockMs;
    const agent = new Agent(f.deps);
    await agent.start();
    agent.stop();
    assert.equal(unitReads, 1, 'the first look');

    clockMs += LAST_LOOK_FRESH_MS - 1;
    assert.deepEqual((await agent.api.listApps()).map((a) => a.unit), [hog.unit, editor.unit]);
    assert.equal((await agent.api.explain()).unit, hog.unit);
    assert.equal(unitReads, 1, 'both answered from the last look, no cgroup read');

    clockMs += 1;
    assert.deepEqual((await agent.api.listApps()).map((a) => a.unit), [hog.unit, editor.unit]);
    assert.equal(unitReads, 2, 'a look as old as LAST_LOOK_FRESH_MS is stale: ListApps reads anew');
    assert.equal((await agent.api.explain()).unit, hog.unit);
    assert.equal(unitReads, 3, 'and so does Explain');

    // A kill empties what the last look listed: the next answer reads anew, even at once.
    await agent.tick();
    agent.stop();
    assert.equal(unitReads, 4);
    await agent.api.killApp(hog.unit);
    assert.equal(unitReads, 5, 'KillApp always reads anew');
    assert.deepEqual((await agent.api.listApps()).map((a) => a.unit), [editor.unit], 'the killed app is not listed from the look before the kill');
    assert.equal(unitReads, 6);
  });

  test('calm: while watched the units are read soon after one comes or goes, every CALM_FULL_TICK_STEADY_MS while memory holds and every CALM_FULL_TICK_WATCHED_MS while it moves; every CALM_FULL_TICK_MAX_MS when not watched', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      for (const watching of [true, false]) {
        let clockMs = 0;
        let movedBytes = 0;
        const f = fakeDeps(() => {
          const m = meminfo(60);
          return snapshot(clockMs, { meminfo: { ...m, memAvailableBytes: m.memAvailableBytes - movedBytes }, apps: [app('app-gnome-editor-1.scope', { appId: 'editor', memoryBytes: 200 * MiB })] });
        }, () => Promise.resolve(ok));
        let unitReads = 0;
        f.deps.readUnits = () => {
          unitReads++;
          return Promise.resolve({ atMs: clockMs, apps: [], outside: [] });
        };
        let changed: (() => void) | null = null;
        f.deps.config = { ...DEFAULT_POLICY, psiTriggers: true };
        f.deps.watchPressure = () => ({ armed: ['/proc/pressure/memory'], refused: [], close: () => undefined });
        f.deps.watchUnits = (onChange): UnitWatch => {
          changed = onChange;
          return { watching, slices: 3, why: watching ? '' : 'ENOSPC', close: () => undefined };
        };
        f.deps.now = () => clockMs;
        const agent = new Agent(f.deps);
        // The clock and the timers move together, a tenth of a second at a time, letting each look finish.
        const advance = async (ms: number): Promise<void> => {
          for (let left = ms; left > 0; left -= 100) {
            clockMs += 100;
            mock.timers.tick(100);
            for (let i = 0; i < 5; i++) await Promise.resolve();
          }
        };
        await agent.start();
        assert.equal(unitReads, 1, 'the first look');
        const every = watching ? CALM_FULL_TICK_STEADY_MS : CALM_FULL_TICK_MAX_MS;
        await advance(every - 1000);
        assert.equal(unitReads, 1, `calm looks read /proc/meminfo alone for ${every} ms while memory holds (watched: ${watching})`);
        await advance(3000);
        assert.equal(unitReads, 2, `then one full tick (watched: ${watching})`);
        if (watching) {
          // Memory moves by less than the band: still steady.
          movedBytes = CALM_STEADY_BAND_BYTES - MiB;
          await advance(CALM_FULL_TICK_WATCHED_MS + 2000);
          assert.equal(unitReads, 2, 'MemAvailable within the band of the last full tick: no full tick at CALM_FULL_TICK_WATCHED_MS');
          // It moves by the band (either way): the full tick comes at CALM_FULL_TICK_WATCHED_MS again.
          await advance(CALM_FULL_TICK_STEADY_MS - CALM_FULL_TICK_WATCHED_MS - 5000);
          assert.equal(unitReads, 2);
          await advance(3000);
          assert.equal(unitReads, 3, 'and at CALM_FULL_TICK_STEADY_MS one all the same');
          movedBytes += CALM_STEADY_BAND_BYTES; // the band below what that full tick saw
          await advance(CALM_FULL_TICK_WATCHED_MS - 1000);
          assert.equal(unitReads, 3, 'not before CALM_FULL_TICK_WATCHED_MS, however memory moves');
          await advance(2000);
          assert.equal(unitReads, 4, 'memory moved by the band: a full tick at CALM_FULL_TICK_WATCHED_MS');
          movedBytes -= CALM_STEADY_BAND_BYTES; // back up by the band: the other way counts too
          await advance(CALM_FULL_TICK_WATCHED_MS + 1000);
          assert.equal(unitReads, 5, 'MemAvailable up by the band: a full tick too');
          // An app's start: three cgroups at once, one look that reads them, once they settle.
          changed!();
          changed!();
          await advance(100);
          changed!();
          await advance(UNIT_CHANGE_SETTLE_MS - 200);
          assert.equal(unitReads, 5, 'not before the burst settles');
          await advance(300);
          assert.equal(unitReads, 6, 'one read for the burst');
          await advance(5000);
          assert.equal(unitReads, 6);
          assert.ok(f.logs.includes('watching 3 slices for new units'), f.logs.join('\n'));
        } else {
          assert.ok(f.logs.some((l) => l.startsWith('units not watched (ENOSPC)')), f.logs.join('\n'));
        }
        agent.stop();
      }
    } finally {
      mock.timers.reset();
    }
  });
});
