import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_POLICY } from '../../agent/core/constants.js';
import { INITIAL_POLICY_STATE, measure } from '../../agent/core/decide.js';
import { killNotice, warningNotice } from '../../agent/core/notices.js';
import type { EventRecord } from '../../shared/records.js';
import { app, GiB, meminfo, MiB, snapshot } from '../support/snapshots.js';

const kill = (over: Partial<EventRecord> = {}): EventRecord => ({
  id: 'x', unit: 'app-gnome-firefox-1.scope', appId: 'firefox', displayName: 'Firefox', reason: 'pressure', because: '',
  outcome: 'killed', dryRun: false, processCount: 12, processesLeft: 0, memoryFreedBytes: 1.5 * GiB, swapFreedBytes: 0,
  graceMs: 2000, durationMs: 300, childPid: 0, childKind: '', pausedUntilMs: 0, someAvg10: 40, fullAvg10: 30, fullRecentPct: 34.5, memAvailableBytes: 120 * MiB,
  swapFreeBytes: 0, atMs: 0, candidates: [], ...over,
});

describe('killNotice', () => {
  test('names the app, its size and the cause; offers to avoid it; critical', () => {
    const n = killNotice(kill(), { icon: 'firefox', desktopEntry: 'firefox' });
    assert.equal(n.summary, 'Firefox was stopped to keep your desktop responsive');
    assert.equal(n.body, 'It was using 1.5 GiB. The desktop was stalling on memory (pressure 35%).');
    assert.deepEqual(n.actions, [['avoid', "Don't kill Firefox again"]]);
    assert.equal(n.urgency, 2);
    assert.equal(n.icon, 'firefox');
    assert.equal(n.desktopEntry, 'firefox');
  });

  test('exhaustion says how little was left; swap is mentioned when the app held some', () => {
    const n = killNotice(kill({ reason: 'exhaustion', swapFreedBytes: 300 * MiB }), null);
    assert.equal(n.body, 'It was using 1.5 GiB and 300 MiB of swap. Only 120 MiB of memory was left.');
    assert.equal(n.icon, 'dialog-warning', 'a generic icon without a .desktop entry');
    assert.equal(n.desktopEntry, '');
  });

  test('a partial kill says so instead of claiming success', () => {
    const n = killNotice(kill({ outcome: 'partial', processesLeft: 2 }), null);
    assert.equal(n.summary, 'Firefox was only partly stopped');
    assert.match(n.body, /2 of its 12 processes could not be stopped\.$/);
  });

  test('a manual kill offers no "don\'t kill again" (the user asked for it)', () => {
    const n = killNotice(kill({ reason: 'manual' }), null);
    assert.deepEqual(n.actions, []);
    assert.match(n.body, /You asked for it to be stopped\.$/);
  });

  test('"Details" only while the tray runs, after "don\'t kill again"', () => {
    assert.deepEqual(killNotice(kill(), null, { details: true }).actions, [['avoid', "Don't kill Firefox again"], ['details', 'Details']]);
    assert.deepEqual(killNotice(kill({ reason: 'manual' }), null, { details: true }).actions, [['details', 'Details']]);
    assert.deepEqual(killNotice(kill(), null, { details: false }).actions.map(([key]) => key), ['avoid']);
  });

  test('falls back to the app id when there is no display name', () => {
    assert.match(killNotice(kill({ displayName: '' }), null).summary, /^firefox was stopped/);
  });
});

describe('killNotice for one tab', () => {
  test('a tab, not the app: the summary says which and that the app still runs; the body says why only it', () => {
    const n = killNotice(kill({ outcome: 'child-killed', childPid: 4321, childKind: 'content process', processCount: 1, memoryFreedBytes: 1.2 * GiB, reason: 'exhaustion' }), null);
    assert.equal(n.summary, 'A Firefox tab (content process, 1.2 GiB) was stopped; Firefox is still running');
    assert.match(n.body, /^Only 120 MiB of memory was left\. Firefox marked it as the one to lose first, so only it was stopped: reload the tab when you need it\.$/);
    assert.equal(n.urgency, 2);
    assert.deepEqual(n.actions.map(([key]) => key), ['avoid']);
  });

  test('a process that is no tab is named by its pid, with no talk of reloading', () => {
    const n = killNotice(kill({ outcome: 'child-killed', childPid: 77, childKind: 'child process', processCount: 1, memoryFreedBytes: 300 * MiB }), null);
    assert.equal(n.summary, 'A process of Firefox (pid 77, 300 MiB) was stopped; Firefox is still running');
    assert.doesNotMatch(n.body, /reload/);
  });
});

describe('warningNotice', () => {
  test('names the app that would go and offers to close it now', () => {
    const s = snapshot(0, { meminfo: meminfo(7.5) });
    const n = warningNotice(app('app-gnome-code-1.scope', { displayName: 'Code', memoryBytes: 2 * GiB, swapBytes: 512 * MiB, icon: 'code', desktopEntry: 'code' }), measure(s, INITIAL_POLICY_STATE, DEFAULT_POLICY));
    assert.equal(n.summary, 'Memory is running low');
    assert.equal(n.body, 'Code is using the most memory (2.5 GiB); 7.5% is left. If memory runs out, Headroom will stop Code. Save your work there.');
    assert.deepEqual(n.actions, [['close', 'Close Code now'], ['ignore', 'Ignore']]);
    assert.equal(n.urgency, 1);
  });
});
