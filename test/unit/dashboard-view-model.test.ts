// The page's view model (tray-app/renderer/view-model.ts): DOM-free, so it is held here as
// tables of state in, rows and series out.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DashboardState } from '../../shared/bridge.js';
import type { AppRecord, CandidateRecord, ExplanationRecord, EventRecord, PressureRecord } from '../../shared/records.js';
import { mergePressure, prependKill, PRESSURE_WINDOW_MS, withPressure } from '../../shared/agent-view.js';
import {
  appRowsOf, applyEvent, badgeOf, CHART_MIN_SPAN_MS, chartOf, explanationOf, factsOf, killRowsOf, needsReload, summaryOf,
} from '../../tray-app/renderer/view-model.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const NOW = 1_800_000_000_000;

const sample = (atMs: number, over: Partial<PressureRecord> = {}): PressureRecord => ({
  someAvg10: 0, fullAvg10: 0, someAvg60: 0, fullAvg60: 0, fullRecentPct: 0, appsSomeAvg10: 0, appsFullAvg10: 0,
  memTotalBytes: 8 * GiB, memAvailableBytes: 4 * GiB, swapTotalBytes: 0, swapFreeBytes: 0, sampledAtMs: atMs, ...over,
});
const app = (unit: string, appId: string, memoryBytes: number, over: Partial<AppRecord> = {}): AppRecord => ({
  unit, kind: 'app', cgroup: `app.slice/${unit}`, appId, launcher: 'headroom', displayName: '', icon: '', desktopEntry: '', preference: 'none',
  memoryBytes, swapBytes: 0, anonBytes: 0, fileBytes: 0, unreclaimableBytes: memoryBytes, processCount: 1, fullAvg10: 0, pausedUntilMs: 0, ...over,
});
const candidate = (appId: string, excluded = '', preference = 'none'): CandidateRecord => ({
  unit: `app-headroom-${appId}-1.scope`, appId, displayName: '', preference, memoryBytes: 100 * MiB, swapBytes: 0, processCount: 1, excluded,
});
const kill = (id: string, appId: string, outcome: string, atMs: number, over: Partial<EventRecord> = {}): EventRecord => ({
  id, unit: `app-headroom-${appId}-1.scope`, appId, displayName: '', reason: 'exhaustion', because: `${appId} is the heaviest`, outcome, dryRun: outcome === 'dry-run',
  processCount: 2, processesLeft: 0, memoryFreedBytes: 200 * MiB, swapFreedBytes: 0, graceMs: 0, durationMs: 120, childPid: 0, childKind: '', pausedUntilMs: 0, someAvg10: 0, fullAvg10: 0,
  fullRecentPct: 0, memAvailableBytes: GiB, swapFreeBytes: 0, atMs, candidates: [candidate(appId), candidate('notes', 'omit', 'omit')], ...over,
});
const explanation = (unit: string, because: string): ExplanationRecord => ({ state: 'elevated', because, unit, appId: 'hog', displayName: '', candidates: [] });
const state = (over: Partial<DashboardState> = {}): DashboardState => ({
  agentRunning: true, state: 'calm', version: '0.1.0', dryRun: false, pressure: sample(NOW), pressureHistory: [sample(NOW)], apps: [],
  history: [], explanation: null, facts: null, error: '', ...over,
});

describe('badge', () => {
  test('each state has its own text and glyph, so colour is never the only cue', () => {
    const badges = [badgeOf(state({ state: 'calm' })), badgeOf(state({ state: 'elevated' })), badgeOf(state({ state: 'critical' })), badgeOf(state({ agentRunning: false, state: '' }))];
    assert.deepEqual(badges.map((b) => b.label), ['Calm', 'Elevated', 'Critical', 'Agent not running']);
    assert.deepEqual(badges.map((b) => b.tone), ['calm', 'elevated', 'critical', 'down']);
    assert.equal(new Set(badges.map((b) => b.glyph)).size, 4);
  });
  test('dry run is said in the detail', () => assert.match(badgeOf(state({ dryRun: true })).detail, /dry run/));
});

test('summary: available memory with its share, stall, swap', () => {
  assert.deepEqual(summaryOf(sample(NOW, { someAvg10: 3.25, fullAvg10: 12 })), [
    { label: 'Available', value: '4.0 GiB of 8.0 GiB (50%)' },
    { label: 'Stall, last 10 s', value: 'some 3.3% · full 12%' },
    { label: 'Swap', value: 'none' },
  ]);
  assert.equal(summaryOf(sample(NOW, { swapTotalBytes: 2 * GiB, swapFreeBytes: GiB }))[2]!.value, '1.0 GiB free of 2.0 GiB');
  assert.equal(summaryOf(null)[0]!.value, 'no sample yet');
});

describe('chart', () => {
  test('spans at least ten minutes even with a few seconds of samples', () => {
    const m = chartOf([sample(NOW - 4000), sample(NOW - 2000, { fullAvg10: 7 })], [], NOW);
    assert.equal(m.toMs - m.fromMs, CHART_MIN_SPAN_MS);
    assert.deepEqual(m.xs, [(NOW - 4000) / 1000, (NOW - 2000) / 1000]);
    assert.deepEqual(m.fullPct, [0, 7]);
    assert.deepEqual(m.availableBytes, [4 * GiB, 4 * GiB]);
    assert.equal(m.memTotalBytes, 8 * GiB);
  });
  test('spans further back when the samples do, up to what is kept', () => {
    assert.equal(NOW - chartOf([sample(NOW - 20 * 60_000), sample(NOW)], [], NOW).fromMs, 20 * 60_000);
    const m = chartOf([sample(NOW - 40 * 60_000), sample(NOW - 20 * 60_000)], [], NOW);
    assert.equal(NOW - m.fromMs, PRESSURE_WINDOW_MS);
    assert.equal(m.xs.length, 1, 'the sample older than the window is left out');
  });
  test('kill attempts and dry-run decisions in the window are markers; warnings and old kills are not', () => {
    const kills = [
      kill('a', 'hog', 'killed', NOW - 60_000), kill('b', 'editor', 'warned', NOW - 50_000), kill('c', 'tab', 'dry-run', NOW - 40_000),
      kill('d', 'old', 'killed', NOW - 11 * 60_000), kill('e', 'stuck', 'partial', NOW - 30_000, { displayName: 'Stuck App' }),
    ];
    assert.deepEqual(chartOf([], kills, NOW).markers.map((m) => [m.label, m.outcome]), [['hog', 'killed'], ['tab', 'dry-run'], ['Stuck App', 'partial']]);
  });
});

describe('apps table', () => {
  test('one row per app id, heaviest first, bars relative to the heaviest, the next victim flagged', () => {
    const apps = [
      app('app-headroom-hog-1.scope', 'hog', 400 * MiB, { preference: 'avoid' }),
      app('app-gnome-firefox-2.scope', 'firefox', 300 * MiB, { displayName: 'Firefox', swapBytes: 100 * MiB }),
      app('app-gnome-firefox-3.scope', 'firefox', 200 * MiB, { displayName: 'Firefox', processCount: 3 }),
      app('app-headroom-notes-4.scope', 'notes', 100 * MiB, { preference: 'omit' }),
    ];
    const rows = appRowsOf(apps, explanation('app-headroom-hog-1.scope', 'x'), 8 * GiB);
    assert.deepEqual(rows.map((r) => [r.appId, r.name, r.units.length, r.processCount, r.preference, r.barPct, r.nextToGo]), [
      ['firefox', 'Firefox', 2, 4, 'none', 100, false],
      ['hog', 'hog', 1, 1, 'avoid', 66.7, true],
      ['notes', 'notes', 1, 1, 'omit', 16.7, false],
    ]);
    assert.equal(rows[0]!.memoryText, '500 MiB + 100 MiB swap');
    assert.equal(rows[1]!.shareOfTotalPct.toFixed(2), '4.88');
  });
  test('no apps, no rows; a nameless unit is its own row', () => {
    assert.deepEqual(appRowsOf([], null, 0), []);
    assert.equal(appRowsOf([app('app-x.scope', '', MiB)], null, 0)[0]!.appId, 'app-x.scope');
    // An app id that is an Object.prototype name takes no inherited value for its preference (issue 13).
    assert.equal(appRowsOf([app('app-constructor-1.scope', 'constructor', MiB, { preference: 'avoid' })], null, 0)[0]!.preference, 'avoid');
  });
});

describe('kill history', () => {
  const time = (ms: number): string => `t${ms - NOW}`;
  test('time, app, size, reason, outcome, because and the candidates', () => {
    const [row] = killRowsOf([kill('a', 'hog', 'killed', NOW)], time);
    assert.deepEqual({ ...row, candidates: undefined }, {
      id: 'a', timeText: 't0', app: 'hog', sizeText: '200 MiB', reason: 'exhaustion', outcome: 'killed', outcomeText: 'killed in 0.1 s',
      because: 'hog is the heaviest', candidates: undefined,
    });
    assert.deepEqual(row!.candidates.map((c) => [c.name, c.preference, c.status]), [['hog', 'Normal', 'could be killed'], ['notes', 'Omit', 'not a candidate: omit']]);
  });
  test('survivors are reported for a partial kill, never for a warning', () => {
    assert.equal(killRowsOf([kill('a', 'x', 'partial', NOW, { processesLeft: 1 })], time)[0]!.outcomeText, 'partly killed in 0.1 s, 1 of 2 processes left');
    assert.equal(killRowsOf([kill('b', 'x', 'warned', NOW, { processesLeft: 2 })], time)[0]!.outcomeText, 'warned (named as next)');
  });
  test('one tab stopped: the row names the tab and says the app runs on', () => {
    const [row] = killRowsOf([kill('c', 'chromium', 'child-killed', NOW, { displayName: 'Chromium', childPid: 4321, childKind: 'renderer', processCount: 1, memoryFreedBytes: 1.5 * GiB })], time);
    assert.equal(row!.app, 'a Chromium tab (renderer, 1.5 GiB)');
    assert.equal(row!.outcomeText, 'one tab stopped, the app runs on in 0.1 s');
  });
});

test('explanation sentence', () => {
  assert.equal(explanationOf(explanation('app-headroom-hog-1.scope', 'memory is tight; hog is the heaviest.'), true), 'hog would be killed next, because memory is tight; hog is the heaviest.');
  assert.equal(explanationOf(explanation('', 'every app is omitted'), true), 'Nothing would be killed now, because every app is omitted.');
  assert.match(explanationOf(null, false), /not running/);
});

test('system facts', () => {
  assert.deepEqual(factsOf({ hostname: 'h', os: 'Debian GNU/Linux 12 (bookworm)', kernel: '6.1.0', cpus: 8, memTotalBytes: 16 * GiB, swapTotalBytes: 0 }).map((f) => f.value),
    ['h', 'Debian GNU/Linux 12 (bookworm)', '6.1.0', '8', '16 GiB', 'none']);
  assert.deepEqual(factsOf(null), []);
});

describe('live events', () => {
  test('a kill goes to the top of the history once, even if it arrives twice', () => {
    let s = state({ history: [kill('old', 'a', 'killed', NOW - 1000)] });
    s = applyEvent(s, { kind: 'killed', kill: kill('new', 'b', 'killed', NOW) });
    s = applyEvent(s, { kind: 'killed', kill: kill('new', 'b', 'killed', NOW) });
    assert.deepEqual(s.history.map((k) => k.id), ['new', 'old']);
  });
  test('state and pressure extend the chart in time order', () => {
    let s = state({ pressureHistory: [sample(NOW - 4000), sample(NOW)] });
    s = applyEvent(s, { kind: 'pressure', pressure: sample(NOW - 2000, { fullAvg10: 5 }) });
    s = applyEvent(s, { kind: 'state', state: 'critical', previous: 'calm', because: 'x', pressure: sample(NOW + 2000) });
    assert.deepEqual(s.pressureHistory.map((p) => p.sampledAtMs - NOW), [-4000, -2000, 0, 2000]);
    assert.equal(s.state, 'critical');
    assert.equal(s.pressure?.sampledAtMs, NOW + 2000);
  });
  test('a preference change shows at once', () => {
    const s = applyEvent(state({ apps: [app('u', 'hog', MiB), app('v', 'other', MiB)] }), { kind: 'preference', appId: 'hog', preference: 'omit' });
    assert.equal(s.apps[0]!.preference, 'omit');
    assert.equal(s.apps[1]!.preference, 'none', 'other apps keep theirs');
  });
  test('the agent going away clears what only a running agent knows; the history stays', () => {
    const s = applyEvent(state({ state: 'elevated', explanation: explanation('u', 'x'), apps: [app('u', 'hog', MiB)], history: [kill('a', 'hog', 'killed', NOW)] }), { kind: 'agent', running: false });
    assert.deepEqual([s.agentRunning, s.state, s.explanation, s.apps.length, s.history.length], [false, '', null, 0, 1]);
    assert.equal(applyEvent(s, { kind: 'agent', running: true }).agentRunning, true);
  });
  test('which events make the page ask again', () => {
    assert.equal(needsReload({ kind: 'killed', kill: kill('a', 'x', 'killed', NOW) }), true);
    assert.equal(needsReload({ kind: 'agent', running: true }), true);
    assert.equal(needsReload({ kind: 'agent', running: false }), false);
    assert.equal(needsReload({ kind: 'pressure', pressure: sample(NOW) }), false);
  });
  test('withPressure drops samples older than what is kept (before the newest) and duplicates by time', () => {
    const ring = withPressure([sample(NOW - 1000 - PRESSURE_WINDOW_MS - 1), sample(NOW - 1000)], sample(NOW - 1000, { fullAvg10: 9 }));
    assert.deepEqual(ring.map((p) => [p.sampledAtMs - NOW, p.fullAvg10]), [[-1000, 9]]);
  });
});

describe('the rings every view keeps (shared/agent-view.ts)', () => {
  test('mergePressure: one sample per time, newest copy wins, oldest first, window applied', () => {
    const merged = mergePressure([sample(NOW - 3000), sample(NOW - 1000)], [sample(NOW - 2000), sample(NOW - 1000, { someAvg10: 4 }), sample(NOW - 31 * 60_000)], NOW);
    assert.deepEqual(merged.map((p) => [p.sampledAtMs - NOW, p.someAvg10]), [[-3000, 0], [-2000, 0], [-1000, 4]]);
  });
  test('prependKill: newest first, replaces by id, keeps the limit', () => {
    const h = prependKill([kill('a', 'x', 'killed', 1), kill('b', 'y', 'killed', 0)], kill('b', 'y', 'killed', 2), 2);
    assert.deepEqual(h.map((k) => k.id), ['b', 'a']);
    assert.equal(prependKill(h, kill('c', 'z', 'killed', 3), 2).map((k) => k.id).join(), 'c,b');
  });
});

describe('a paused app', () => {
  const time = (ms: number): string => `t${ms - NOW}`;
  const hog = app('app-headroom-hog-1.scope', 'hog', GiB, { pausedUntilMs: NOW + 60_000 });

  test('its row says paused, until when, and names the paused unit for Resume and Quit', () => {
    const [paused, running] = appRowsOf([hog, app('app-x-1.scope', 'x', MiB)], null, 8 * GiB, time);
    assert.equal(paused!.pausedUnit, 'app-headroom-hog-1.scope');
    assert.equal(paused!.pausedText, 'paused, stopped at t60000 unless resumed');
    assert.equal(running!.pausedUnit, '');
    assert.equal(running!.pausedText, '');
  });

  test('the history says paused (with the deadline) and resumed in words', () => {
    const rows = killRowsOf([kill('r', 'hog', 'resumed', NOW + 5), kill('p', 'hog', 'paused', NOW, { pausedUntilMs: NOW + 60_000 })], time);
    assert.deepEqual(rows.map((r) => r.outcomeText), ['resumed', 'paused until t60000, the user asked to resume or quit']);
  });

  test('Paused and Resumed mark and unmark the app at once, and ask for a reload', () => {
    const paused = kill('p', 'hog', 'paused', NOW, { unit: hog.unit, pausedUntilMs: NOW + 60_000 });
    let s = applyEvent(state({ apps: [{ ...hog, pausedUntilMs: 0 }] }), { kind: 'paused', kill: paused });
    assert.equal(s.apps[0]!.pausedUntilMs, NOW + 60_000);
    assert.equal(s.history[0]!.id, 'p');
    s = applyEvent(s, { kind: 'resumed', kill: kill('r', 'hog', 'resumed', NOW + 5, { unit: hog.unit }) });
    assert.equal(s.apps[0]!.pausedUntilMs, 0);
    assert.deepEqual(s.history.map((k) => k.id).slice(0, 2), ['r', 'p']);
    assert.equal(needsReload({ kind: 'paused', kill: paused }), true);
    assert.equal(needsReload({ kind: 'resumed', kill: paused }), true);
  });
});
