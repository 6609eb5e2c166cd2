// The tray's state: every agent event, and the icon and tooltip each state shows.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HISTORY_LIMIT, preferenceOf } from '../../shared/agent-view.js';
import {
  initialTrayState, pausedApps, reduceTray, reloadsApps, statusLine, trayIcon, trayTooltip, type TrayEvent, type TrayState,
} from '../../tray-app/main/tray-state.js';
import { GiB, appRecord, dashboardState, killRecord, pressureRecord } from '../support/tray-fixtures.js';

const run = (...events: TrayEvent[]): TrayState => events.reduce(reduceTray, initialTrayState);
const loaded = (over: Parameters<typeof dashboardState>[0] = {}): TrayEvent => ({ kind: 'loaded', dashboard: dashboardState(over) });

describe('tray state', () => {
  test('starts connecting, with the not-running icon', () => {
    assert.equal(initialTrayState.link, 'connecting');
    assert.equal(trayIcon(initialTrayState), 'stopped');
    assert.equal(trayTooltip(initialTrayState), 'Headroom: connecting to the agent…');
  });

  test('a load from a running agent takes its state, apps, preferences and history', () => {
    const firefox = appRecord('firefox', 2 * GiB, { preference: 'avoid' });
    const s = run(loaded({ state: 'elevated', apps: [firefox], history: [killRecord('x', 'killed')] }));
    assert.equal(s.link, 'running');
    assert.equal(s.state, 'elevated');
    assert.deepEqual(s.apps, [firefox]);
    assert.equal(preferenceOf(s.apps[0]!), 'avoid');
    assert.equal(s.history.length, 1);
  });

  test('a load while the agent is not running shows it stopped but keeps the history', () => {
    const s = run(loaded({ agentRunning: false, state: '', apps: [], history: [killRecord('x', 'killed')] }));
    assert.equal(s.link, 'stopped');
    assert.equal(s.state, null);
    assert.equal(trayIcon(s), 'stopped');
    assert.equal(s.history.length, 1);
  });

  test('one icon per agent state, and the stopped icon when the agent goes away', () => {
    for (const state of ['calm', 'elevated', 'critical'] as const) {
      assert.equal(trayIcon(run(loaded({ state }))), state);
    }
    const running = run(loaded({ state: 'critical' }), { kind: 'state', state: 'calm', previous: 'critical', because: 'ok', pressure: pressureRecord() });
    assert.equal(trayIcon(running), 'calm');
    const gone = reduceTray(running, { kind: 'agent', running: false });
    assert.equal(trayIcon(gone), 'stopped');
    assert.deepEqual(gone.apps, []);
    // Back: running at once, the state arrives with the next load or StateChanged.
    const back = reduceTray(gone, { kind: 'agent', running: true });
    assert.equal(back.link, 'running');
    assert.equal(trayIcon(back), 'stopped', 'no state is known until the agent says it');
    assert.equal(trayIcon(reduceTray(back, { kind: 'state', state: 'elevated', previous: 'calm', because: '', pressure: pressureRecord() })), 'elevated');
  });

  test('StateChanged and pressure updates change the tooltip figures', () => {
    const s = run(loaded({ state: 'calm' }), {
      kind: 'state', state: 'elevated', previous: 'calm', because: 'low memory',
      pressure: pressureRecord({ fullAvg10: 12.34, memAvailableBytes: 1.5 * GiB, memTotalBytes: 16 * GiB }),
    });
    assert.equal(trayTooltip(s), 'Headroom: memory is getting tight\nPressure 12% · 1.5 GiB of 16 GiB available');
    const later = reduceTray(s, { kind: 'pressure', pressure: pressureRecord({ fullAvg10: 3.21, memAvailableBytes: 4 * GiB }) });
    assert.equal(trayTooltip(later), 'Headroom: memory is getting tight\nPressure 3.2% · 4.0 GiB of 16 GiB available');
  });

  test('tooltip per state: calm, critical, dry run, not running, not installed', () => {
    assert.match(trayTooltip(run(loaded({ state: 'calm' }))), /^Headroom: memory is fine\nPressure 0\.0% · 6\.0 GiB of 16 GiB available$/);
    assert.match(trayTooltip(run(loaded({ state: 'critical' }))), /^Headroom: memory is critical\n/);
    assert.match(trayTooltip(run(loaded({ state: 'calm', dryRun: true }))), /^Headroom: memory is fine \(dry run: kills nothing\)\n/);
    const stopped = run({ kind: 'installed', installed: true }, { kind: 'agent', running: false });
    assert.equal(trayTooltip(stopped), 'Headroom: the agent is not running');
    assert.equal(trayTooltip(run({ kind: 'agent', running: false })), 'Headroom: the agent is not installed or running');
  });

  test('a kill goes to the front of the history once, and an emptied scope leaves the app list', () => {
    const firefox = appRecord('firefox', 2 * GiB);
    const gimp = appRecord('gimp', 1 * GiB);
    const kill = killRecord('firefox', 'killed', { unit: firefox.unit });
    const s = run(loaded({ apps: [firefox, gimp] }), { kind: 'killed', kill }, { kind: 'killed', kill });
    assert.deepEqual(s.history.map((k) => k.id), [kill.id]);
    assert.deepEqual(s.apps.map((a) => a.appId), ['gimp']);
    // A partial kill leaves processes behind: the app is still there.
    const partial = killRecord('gimp', 'partial', { unit: gimp.unit });
    assert.deepEqual(reduceTray(s, { kind: 'killed', kill: partial }).apps.map((a) => a.appId), ['gimp']);
  });

  test('warnings and would-kills are kept in the history (the menu filters them)', () => {
    const s = run(loaded(), { kind: 'warned', kill: killRecord('a', 'warned') }, { kind: 'would-kill', kill: killRecord('b', 'dry-run') });
    assert.deepEqual(s.history.map((k) => k.outcome), ['dry-run', 'warned']);
  });

  test('the history is capped', () => {
    let s = run(loaded());
    for (let i = 0; i < HISTORY_LIMIT + 10; i++) s = reduceTray(s, { kind: 'killed', kill: killRecord('a', 'killed') });
    assert.equal(s.history.length, HISTORY_LIMIT);
  });

  test('PreferenceChanged updates the app records of that id, and only those', () => {
    const firefox = appRecord('firefox', 2 * GiB);
    const s = run(loaded({ apps: [firefox, appRecord('gimp', GiB)] }), { kind: 'preference', appId: 'firefox', preference: 'omit' });
    assert.equal(preferenceOf(s.apps[0]!), 'omit');
    assert.equal(s.apps[0]!.preference, 'omit');
    assert.equal(preferenceOf(s.apps[1]!), 'none');
  });

  test("the preference shown is the one the agent resolved for the record (its unit's ManagedOOMPreference included)", () => {
    // The agent stores nothing for this id but the unit says avoid: the record says avoid, and so does the tray.
    const s = run(loaded({ apps: [appRecord('firefox', GiB, { preference: 'avoid' })] }));
    assert.equal(preferenceOf(s.apps[0]!), 'avoid');
  });

  test('an app record with an unknown preference string reads as none', () => {
    assert.equal(preferenceOf(appRecord('x', 1, { preference: 'bogus' })), 'none');
    // Ids that are Object.prototype names (issue 13): no inherited function passes for a preference.
    for (const id of ['constructor', 'toString', '__proto__']) assert.equal(preferenceOf(appRecord(id, 1)), 'none', id);
    assert.equal(preferenceOf(appRecord('x', 1, { preference: 'avoid' })), 'avoid');
  });
});

describe('a paused app', () => {
  const UNTIL = 1_700_000_060_000;
  const firefox = appRecord('firefox', 2 * GiB);
  const paused = killRecord('firefox', 'paused', { pausedUntilMs: UNTIL });

  test('Paused marks the app with its deadline and is kept in the history; Resumed clears it', () => {
    const s = run(loaded({ state: 'elevated', apps: [firefox, appRecord('gimp', GiB)] }), { kind: 'paused', kill: paused });
    assert.deepEqual(s.apps.map((a) => a.pausedUntilMs), [UNTIL, 0]);
    assert.deepEqual(pausedApps(s).map((a) => a.appId), ['firefox']);
    assert.equal(s.history[0]!.outcome, 'paused');
    const r = reduceTray(s, { kind: 'resumed', kill: killRecord('firefox', 'resumed') });
    assert.deepEqual(r.apps.map((a) => a.pausedUntilMs), [0, 0]);
    assert.deepEqual(pausedApps(r), []);
    assert.deepEqual(r.history.map((k) => k.outcome).slice(0, 2), ['resumed', 'paused']);
  });

  test('the status line and tooltip name it; the icon stays with the memory state', () => {
    const s = run(loaded({ state: 'elevated', apps: [{ ...firefox, displayName: 'Firefox', pausedUntilMs: UNTIL }] }));
    assert.equal(statusLine(s), 'Headroom: memory is getting tight; Firefox is paused');
    assert.ok(trayTooltip(s).startsWith('Headroom: memory is getting tight; Firefox is paused'));
    assert.equal(trayIcon(s), 'elevated');
    // Gone agent: what it said about apps no longer holds, nothing is said to be paused.
    assert.equal(statusLine(reduceTray(s, { kind: 'agent', running: false })), 'Headroom: the agent is not installed or running');
  });

  test('a pause, a resume and the agent coming back re-read the app list; pressure does not', () => {
    assert.equal(reloadsApps({ kind: 'paused', kill: paused }), true);
    assert.equal(reloadsApps({ kind: 'resumed', kill: paused }), true);
    assert.equal(reloadsApps({ kind: 'agent', running: true }), true);
    assert.equal(reloadsApps({ kind: 'agent', running: false }), false);
    assert.equal(reloadsApps({ kind: 'pressure', pressure: pressureRecord() }), false);
    assert.equal(reloadsApps({ kind: 'warned', kill: paused }), false);
  });
});
