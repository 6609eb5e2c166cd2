// Least-loss relief (agent/core/relief.ts): a tab the app marked to lose first, stopped in
// place of the whole app, only when that is enough and it is the runaway.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CHILD_FOLLOWUP_MS, DEFAULT_POLICY } from '../../agent/core/constants.js';
import { type Decision } from '../../agent/core/decide.js';
import { explanationRecord } from '../../agent/core/records.js';
import { expendableKind } from '../../agent/core/relief.js';
import type { AppUnit, ExpendableProcess } from '../../agent/core/snapshot.js';
import { app, decideAll, GiB, meminfo, MiB, snapshot } from '../support/snapshots.js';

const tab = (pid: number, bytes: number, over: Partial<ExpendableProcess> = {}): ExpendableProcess =>
  ({ pid, startTicks: 1000 + pid, comm: 'chromium', kind: 'renderer', oomScoreAdj: 300, unreclaimableBytes: bytes, ...over });

/** Chromium with a main process of `mainBytes` and the given marked tabs; its footprint is their sum. */
const browser = (mainBytes: number, tabs: ExpendableProcess[], over: Partial<AppUnit> = {}): AppUnit => {
  const total = mainBytes + tabs.reduce((n, t) => n + t.unreclaimableBytes, 0);
  return app('app-gnome-chromium-4242.scope', { appId: 'chromium', displayName: 'Chromium', memoryBytes: total, expendable: [...tabs].sort((a, b) => b.unreclaimableBytes - a.unreclaimableBytes), heaviestKeptBytes: mainBytes, processCount: tabs.length + 1, ...over });
};
const editor = app('app-gnome-org.gnome.TextEditor-77.scope', { memoryBytes: 300 * MiB });

/** Looks a second apart: memory falls `availablePcts`, the browser as `browsers` says at each. */
function storm(availablePcts: number[], browsers: AppUnit[]): Decision[] {
  return decideAll(availablePcts.map((pct, i) => snapshot(i * 1000, { meminfo: meminfo(pct), apps: [browsers[i]!, editor] })));
}

const last = (ds: Decision[]): Decision => ds[ds.length - 1]!;

describe('relief: a tab before the browser', () => {
  test('the runaway tab goes, the browser stays: the tab grows as fast as the unit and freeing it is enough', () => {
    // 8 GiB; the hog tab grows 800 MiB/s and memory falls with it, to 3 % (below the 4 % floor).
    const hog = (gib: number) => tab(101, gib * GiB);
    const ds = storm([20, 10, 3], [0.8, 1.6, 2.4].map((g) => browser(400 * MiB, [hog(g), tab(102, 150 * MiB), tab(103, 120 * MiB)])));
    const d = last(ds);
    assert.equal(d.action.kind, 'kill');
    if (d.action.kind !== 'kill') return;
    assert.equal(d.action.victim.app.unit, 'app-gnome-chromium-4242.scope');
    assert.equal(d.action.child?.pid, 101, 'the hog tab, not a quiet one');
    assert.match(d.because, /a Chromium tab \(renderer, pid 101, 2\.4 GiB\) goes in its place/);
    assert.equal(d.policyState.lastKill?.childPid, 101, 'remembered as a tab, for the follow-up');
  });

  test('when the browser\'s main process is what grows, the whole browser goes', () => {
    const ds = storm([20, 10, 3], [0.8, 1.6, 2.4].map((g) => browser(g * GiB, [tab(101, 900 * MiB), tab(102, 150 * MiB)])));
    const d = last(ds);
    assert.equal(d.action.kind, 'kill');
    if (d.action.kind !== 'kill') return;
    assert.equal(d.action.child, null);
    assert.match(d.because, /is not what makes Chromium grow .* so all of Chromium goes/);
    assert.equal(d.policyState.lastKill?.childPid, 0);
  });

  test('a tab too small to matter is no relief: memory falls for another reason, the whole unit goes', () => {
    // The browser holds still and is the heaviest unit; memory falls 800 MiB/s elsewhere
    // (outside the units, as a page cache cannot). A 600 MiB tab would last under a second.
    const still = browser(300 * MiB, [tab(101, 600 * MiB), tab(102, 500 * MiB)]);
    const ds = storm([20, 10, 3], [still, still, still]);
    const d = last(ds);
    assert.equal(d.action.kind, 'kill');
    if (d.action.kind !== 'kill') return;
    assert.equal(d.action.child, null);
    assert.match(d.because, /would not free enough/);
  });

  test('a browser holding still: its heaviest tab goes if it outweighs the main process and buys the time', () => {
    // Memory is short but no longer falling: a big tab frees enough for good.
    const still = browser(300 * MiB, [tab(101, 1.5 * GiB), tab(102, 100 * MiB)]);
    const ds = storm([3, 3, 3], [still, still, still]);
    const d = ds.find((x) => x.action.kind === 'kill')!;
    assert.ok(d, 'memory below the floor is a kill');
    assert.equal(d.action.kind === 'kill' ? d.action.child?.pid : null, 101);
  });

  test('...and not when the main process outweighs every tab: the main process is no tab', () => {
    const still = browser(1.5 * GiB, [tab(101, 600 * MiB), tab(102, 100 * MiB)]);
    const d = decideAll([snapshot(0, { meminfo: meminfo(3), apps: [still, editor] })])[0]!;
    assert.equal(d.action.kind, 'kill');
    assert.equal(d.action.kind === 'kill' ? d.action.child : undefined, null);
    assert.match(d.because, /Chromium's own main process outweighs a Chromium tab/);
  });

  test('memory still short after a tab was stopped: the next decision stops the whole browser', () => {
    const still = browser(300 * MiB, [tab(101, 1.5 * GiB), tab(102, 1.2 * GiB)]);
    const first = decideAll([snapshot(0, { meminfo: meminfo(3), apps: [still, editor] })])[0]!;
    assert.equal(first.action.kind === 'kill' ? first.action.child?.pid : null, 101);
    // After the cool-down, still below the floor; the other tab is now the heaviest.
    const after = browser(300 * MiB, [tab(102, 1.2 * GiB)]);
    const atMs = DEFAULT_POLICY.cooldownMs + 1000;
    const [second] = decideAll([snapshot(atMs, { meminfo: meminfo(3), apps: [after, editor] })], DEFAULT_POLICY, first.policyState);
    assert.equal(second!.action.kind, 'kill');
    assert.equal(second!.action.kind === 'kill' ? second!.action.child : undefined, null, 'the whole unit, not the next tab');
    assert.match(second!.because, /still short 6\.0 s after one of its processes was stopped, so all of Chromium goes/);
    // Long after, a new shortage may take a tab again.
    const [later] = decideAll([snapshot(atMs + CHILD_FOLLOWUP_MS, { meminfo: meminfo(3), apps: [after, editor] })], DEFAULT_POLICY, first.policyState);
    assert.equal(later!.action.kind === 'kill' ? later!.action.child?.pid : null, 102);
  });

  test('a unit that marked nothing is stopped whole, and its reason says nothing of tabs', () => {
    const d = decideAll([snapshot(0, { meminfo: meminfo(3), apps: [app('app-gnome-gimp-1.scope', { memoryBytes: 2 * GiB }), editor] })])[0]!;
    assert.equal(d.action.kind === 'kill' ? d.action.child : undefined, null);
    assert.doesNotMatch(d.because, /tab|in its place|all of/);
  });
});

describe('relief: what explain says would go', () => {
  test('while memory is only tight, Explain names the tab that would go in the browser\'s place', () => {
    const still = browser(300 * MiB, [tab(101, 1.5 * GiB), tab(102, 100 * MiB)]);
    const d = decideAll([snapshot(0, { meminfo: meminfo(12), apps: [still, editor] })])[0]!;
    assert.equal(d.state, 'elevated');
    assert.equal(d.nextRelief.child?.pid, 101);
    assert.match(explanationRecord(d).because, /if memory ran out now, Chromium is the heaviest .*; a Chromium tab \(renderer, pid 101, 1\.5 GiB\) goes in its place/);
  });
});

describe('relief: what a marked process is', () => {
  test('from its command line', () => {
    assert.equal(expendableKind('/usr/lib/chromium/chromium\0--type=renderer\0--lang=en-US\0'), 'renderer');
    assert.equal(expendableKind('/usr/lib/firefox-esr/firefox-esr\0-contentproc\0-childID\x001\0-isForBrowser\0{a1}\x003\0tab\0'), 'content process');
    assert.equal(expendableKind('/usr/lib/firefox-esr/firefox-esr\0-contentproc\0{b2}\x004\0rdd\0'), 'child process', 'a Firefox decoder is no tab');
    assert.equal(expendableKind('/usr/lib/chromium/chromium\0--type=gpu-process\0'), 'child process');
    assert.equal(expendableKind(''), 'child process');
  });
});
