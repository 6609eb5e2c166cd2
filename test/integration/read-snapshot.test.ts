// readSnapshot over real processes in real cgroups (cgroup2 at /sys/fs/cgroup/unified, which
// has no memory controller here, so footprints come from the processes' /proc status): every
// unit the user runs is seen, named the way its software names it, and the session is not.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Preference } from '../../shared/names.js';
import { createDesktopLookup } from '../../agent/desktop/desktop-entries.js';
import { kernelPageBytes, readGauges, readSnapshot, readSwaps, readUnits, type SnapshotSources } from '../../agent/cgroup/read-snapshot.js';
import { inlineReads, threadPoolReads } from '../../agent/io/files.js';
import { CGROUP2_ROOT, CgroupTree, cgroupTreeUnavailable } from '../support/cgroup-tree.js';

const unavailable = cgroupTreeUnavailable();
const MiB = 1024 * 1024;
const uuid = (n: number): string => `0b7ab1a4-2b7e-4f0c-9d76-3f2d1a0c9e${String(n).padStart(2, '0')}`;

describe('readSnapshot on real cgroups', { skip: unavailable || false }, () => {
  let tree: CgroupTree;
  let sources: SnapshotSources;
  const asked: string[] = [];
  const TAB = `app.slice/app-org.gnome.Terminal.slice/vte-spawn-${uuid(1)}.scope`;
  const SESSION_TAB = `session.slice/vte-spawn-${uuid(2)}.scope`;
  const SNAP = `app.slice/snap.firefox.firefox-${uuid(3)}.scope`;

  before(async () => {
    tree = new CgroupTree();
    const apps = join(mkdtempSync(join(tmpdir(), 'hr-xdg-')), 'applications');
    mkdirSync(apps, { recursive: true });
    writeFileSync(join(apps, 'org.gnome.Terminal.desktop'), '[Desktop Entry]\nType=Application\nName=Terminal\nIcon=org.gnome.Terminal\nExec=gnome-terminal\n');
    writeFileSync(join(apps, 'firefox_firefox.desktop'), '[Desktop Entry]\nType=Application\nName=Firefox Web Browser\nIcon=firefox\nExec=firefox\n');
    await Promise.all([
      tree.start(TAB, 'hog', ['48']),
      tree.start(SESSION_TAB, 'hog', ['8']),
      tree.start(SNAP, 'hog', ['24']),
      tree.start('app.slice/app-org.gnome.Terminal.slice/gnome-terminal-server.service', 'hog', ['4']),
      tree.start('app.slice/dbus-:1.14-org.gnome.Nautilus@0.service', 'hog', ['4']),
      tree.start('app.slice/app-gnome-org.example.Editor-4242.scope', 'hog', ['16']),
      tree.start('background.slice/tracker-miner-fs-3.service', 'hog', ['4']),
      // The session itself, wherever a desktop puts it: never a candidate.
      tree.start('session.slice/org.gnome.Shell@wayland.service', 'hog', ['4']),
      tree.start('app.slice/dbus.service', 'hog', ['4']),
      tree.start('app.slice/xdg-desktop-portal.service', 'hog', ['4']),
      tree.start('init.scope', 'hog', ['4']),
    ]);
    sources = {
      tree: { uid: process.getuid?.() ?? 0, cgroupRoot: CGROUP2_ROOT, path: tree.path, procRoot: '/proc' },
      desktop: createDesktopLookup([apps]),
      selfCgroup: null,
      now: () => ({ atMs: performance.now(), wallMs: Date.now() }),
      preferenceOf: async ({ unit }): Promise<Preference> => {
        asked.push(unit);
        await new Promise((r) => setTimeout(r, 5)); // as the user manager answers: later
        return unit.includes('Editor') ? 'omit' : 'none';
      },
    };
  });
  after(() => tree.remove());

  test('every unit the user runs, and not the session', async () => {
    const s = await readSnapshot(sources);
    const byCgroup = new Map(s.apps.map((a) => [a.cgroup, a]));
    assert.deepEqual([...byCgroup.keys()].sort(), [
      'app.slice/app-gnome-org.example.Editor-4242.scope',
      'app.slice/app-org.gnome.Terminal.slice/gnome-terminal-server.service',
      TAB,
      'app.slice/dbus-:1.14-org.gnome.Nautilus@0.service',
      SNAP,
      'background.slice/tracker-miner-fs-3.service',
      SESSION_TAB,
    ].sort());
    assert.deepEqual(s.outside, [], 'a tree given by hand has no neighbours to measure');
  });

  test('named as a person would know them', async () => {
    const s = await readSnapshot(sources);
    const at = (cgroup: string) => s.apps.find((a) => a.cgroup === cgroup)!;
    const tab = at(TAB);
    assert.equal(tab.kind, 'terminal-tab');
    assert.equal(tab.appId, 'node', 'the job in the tab');
    assert.equal(tab.displayName, 'node in Terminal');
    assert.equal(tab.icon, 'org.gnome.Terminal');
    assert.equal(at(SESSION_TAB).displayName, 'node in a terminal', 'a tab of a terminal the compositor started');
    const snap = at(SNAP);
    assert.deepEqual([snap.kind, snap.appId, snap.displayName, snap.icon, snap.desktopEntry], ['snap', 'firefox_firefox', 'Firefox Web Browser', 'firefox', 'firefox_firefox']);
    const dbus = at('app.slice/dbus-:1.14-org.gnome.Nautilus@0.service');
    assert.deepEqual([dbus.kind, dbus.appId, dbus.displayName], ['dbus', 'org.gnome.Nautilus', 'org.gnome.Nautilus']);
    const other = at('background.slice/tracker-miner-fs-3.service');
    assert.deepEqual([other.kind, other.appId, other.displayName], ['unit', 'tracker-miner-fs-3.service', 'tracker-miner-fs-3.service']);
  });

  test('footprints from the processes: what a kill frees, not what they map', async () => {
    const s = await readSnapshot(sources);
    const tab = s.apps.find((a) => a.cgroup === TAB)!;
    const snap = s.apps.find((a) => a.cgroup === SNAP)!;
    assert.ok(tab.unreclaimableBytes >= 48 * MiB, `${tab.unreclaimableBytes}`);
    assert.ok(snap.unreclaimableBytes >= 24 * MiB && snap.unreclaimableBytes < tab.unreclaimableBytes);
    assert.ok(tab.memoryBytes >= tab.unreclaimableBytes - tab.swapBytes, 'resident includes the anonymous pages');
  });

  test('a unit\'s own preference is waited for: it is known in the first snapshot', async () => {
    asked.length = 0;
    const s = await readSnapshot(sources);
    assert.equal(s.apps.find((a) => a.appId === 'org.example.Editor')?.preference, 'omit');
    assert.equal(asked.length, s.apps.length, 'asked once per unit');
  });

  test('read inline, the units are those read through the thread pool, and no other task runs meanwhile', async () => {
    const known = { ...sources, preferenceOf: (): Preference => 'none' }; // as the cache answers a unit it knows
    const seen = (apps: readonly { cgroup: string; kind: string; appId: string; displayName: string; icon: string; processCount: number }[]) =>
      apps.map((a) => [a.cgroup, a.kind, a.appId, a.displayName, a.icon, a.processCount].join(' ')).sort();
    const pooled = await readUnits(known, threadPoolReads);
    // Once the desktop entries are known (the lookup caches them), an inline read settles in
    // microtasks alone: before a task queued ahead of it can run. Through the pool it cannot.
    let taskRan = false;
    setImmediate(() => { taskRan = true; });
    const inline = await readUnits(known, inlineReads);
    assert.equal(taskRan, false, 'the inline read waited for nothing');
    assert.deepEqual(seen(inline.apps), seen(pooled.apps));
    const tab = (u: typeof inline) => u.apps.find((a) => a.cgroup === TAB)!.unreclaimableBytes;
    assert.ok(Math.abs(tab(inline) - tab(pooled)) < 4 * MiB, `the tab's footprint read both ways: ${tab(inline)} and ${tab(pooled)} B`);
    taskRan = false;
    setImmediate(() => { taskRan = true; });
    await readUnits(known, threadPoolReads);
    assert.equal(taskRan, true, 'through the pool the loop ran other tasks meanwhile');
  });
});

describe('readSnapshot: what a multi-process app marked to lose first', { skip: unavailable || false }, () => {
  let tree: CgroupTree;
  before(() => { tree = new CgroupTree(); });
  after(() => tree.remove());

  test('a browser\'s renderers (oom_score_adj 300, --type=renderer) are listed heaviest first; its main process and one-process units are not', async () => {
    const BROWSER = 'app.slice/app-gnome-chromium-4242.scope';
    const main = await tree.start(BROWSER, 'browser', ['40', '8', '32', '16']);
    const [small, big, middle] = main.readyLine.split(' ').map(Number);
    await tree.start('app.slice/app-gnome-org.example.Editor-77.scope', 'hog', ['16']);
    const s = await readSnapshot({
      tree: { uid: process.getuid?.() ?? 0, cgroupRoot: CGROUP2_ROOT, path: tree.path, procRoot: '/proc' },
      desktop: createDesktopLookup([]),
      selfCgroup: null,
      now: () => ({ atMs: performance.now(), wallMs: Date.now() }),
      preferenceOf: () => 'none',
    });
    const browser = s.apps.find((a) => a.cgroup === BROWSER)!;
    assert.deepEqual(browser.expendable.map((p) => p.pid), [big, middle, small], 'heaviest first');
    for (const p of browser.expendable) {
      assert.equal(p.kind, 'renderer');
      assert.equal(p.oomScoreAdj, 300);
      assert.ok(p.startTicks > 0);
    }
    assert.ok(browser.expendable[0]!.unreclaimableBytes >= 32 * MiB, `the 32 MiB tab holds ${browser.expendable[0]!.unreclaimableBytes} B`);
    assert.ok(browser.heaviestKeptBytes >= 40 * MiB, `the main process (40 MiB) is what the app keeps: ${browser.heaviestKeptBytes} B`);
    assert.deepEqual(s.apps.find((a) => a.cgroup.includes('Editor'))!.expendable, [], 'one process marks nothing');
    const inline = await readUnits({ tree: { uid: process.getuid?.() ?? 0, cgroupRoot: CGROUP2_ROOT, path: tree.path, procRoot: '/proc' }, desktop: createDesktopLookup([]), selfCgroup: null,
      now: () => ({ atMs: performance.now(), wallMs: Date.now() }), preferenceOf: () => 'none' }, inlineReads);
    assert.deepEqual(inline.apps.find((a) => a.cgroup === BROWSER)!.expendable.map((p) => [p.pid, p.kind, p.startTicks]), browser.expendable.map((p) => [p.pid, p.kind, p.startTicks]), 'read inline, the same');
  });
});

describe('readSwaps', () => {
  test('a zram device\'s same-filled pages in bytes, at the kernel\'s page size', () => {
    const root = mkdtempSync(join(tmpdir(), 'hr-swaps-'));
    mkdirSync(join(root, 'proc'));
    mkdirSync(join(root, 'sys', 'block', 'zram0'), { recursive: true });
    writeFileSync(join(root, 'proc', 'swaps'), 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n/dev/zram0                              partition\t2097148\t\t20480\t\t100\n');
    writeFileSync(join(root, 'sys', 'block', 'zram0', 'mm_stat'), '20971520 1048576 2097152 0 2097152 3584 0 0 0\n');
    const page = kernelPageBytes();
    // getconf asks the C library, which asks the same auxiliary vector: an independent reader.
    assert.equal(page, Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim()));
    const [zram] = readSwaps(join(root, 'proc'), join(root, 'sys'));
    assert.deepEqual(zram!.zram, { origBytes: 20 * MiB, sameBytes: 3584 * page, memUsedBytes: 2 * MiB, memLimitBytes: 0 });
  });
  test('a garbled /proc/swaps costs the look its swap, not the look', () => {
    const root = mkdtempSync(join(tmpdir(), 'hr-gauges-'));
    mkdirSync(join(root, 'proc'));
    mkdirSync(join(root, 'tree'));
    writeFileSync(join(root, 'proc', 'meminfo'), 'MemTotal: 2000000 kB\nMemAvailable: 1000000 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n');
    writeFileSync(join(root, 'proc', 'swaps'), 'not the kernel\'s header\n');
    writeFileSync(join(root, 'tree', 'memory.pressure'), 'some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n');
    const g = readGauges({ tree: { uid: 1000, cgroupRoot: root, path: join(root, 'tree'), procRoot: join(root, 'proc') }, now: () => ({ atMs: 1, wallMs: 2 }) });
    assert.deepEqual(g.swaps, []);
    assert.equal(g.meminfo.memAvailableBytes, 1000000 * 1024);
  });
  test('/proc/meminfo comes through the reader the agent keeps open; a reader with none is a clear error', () => {
    const root = mkdtempSync(join(tmpdir(), 'hr-gauges-'));
    mkdirSync(join(root, 'proc'));
    mkdirSync(join(root, 'tree'));
    writeFileSync(join(root, 'proc', 'meminfo'), 'MemTotal: 2000000 kB\nMemAvailable: 1000000 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n');
    writeFileSync(join(root, 'tree', 'memory.pressure'), 'some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n');
    const src = { tree: { uid: 1000, cgroupRoot: root, path: join(root, 'tree'), procRoot: join(root, 'proc') }, now: () => ({ atMs: 1, wallMs: 2 }) };
    const g = readGauges(src, () => 'MemTotal: 2000000 kB\nMemAvailable: 500000 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n');
    assert.equal(g.meminfo.memAvailableBytes, 500000 * 1024, 'the reader\'s text, not the file read anew');
    assert.throws(() => readGauges(src, () => null), new RegExp(`${join(root, 'proc', 'meminfo')} is missing`));
  });
});
