// The tray menu, as data, for each state the tray can be in.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MENU_LAUNCHERS, buildMenuModel, killLabel, menuText, recentKills, type MenuEntry } from '../../tray-app/main/menu-model.js';
import { initialTrayState, reduceTray, type TrayEvent, type TrayState } from '../../tray-app/main/tray-state.js';
import { GiB, MiB, appRecord, dashboardState, killRecord, launcherRecord, pressureRecord } from '../support/tray-fixtures.js';

const timeOf = (ms: number): string => `T${ms}`;
const run = (...events: TrayEvent[]): TrayState => events.reduce(reduceTray, initialTrayState);
const loaded = (over: Parameters<typeof dashboardState>[0] = {}): TrayEvent => ({ kind: 'loaded', dashboard: dashboardState(over) });
const menu = (s: TrayState): MenuEntry[] => buildMenuModel(s, { timeOf });

const labels = (entries: MenuEntry[]): string[] => entries.map((e) => (e.type === 'separator' ? '---' : e.label));
function submenu(entries: MenuEntry[], label: string): Extract<MenuEntry, { type: 'submenu' }> {
  const found = entries.find((e) => e.type === 'submenu' && e.label === label);
  assert.ok(found && found.type === 'submenu', `no submenu ${label} in ${JSON.stringify(labels(entries))}`);
  return found;
}

describe('tray menu model', () => {
  test('calm agent: status line, figures, Apps, Recent kills, Launch…, Open dashboard, Quit', () => {
    const m = menu(run(loaded({ pressure: pressureRecord({ fullAvg10: 0.5, memAvailableBytes: 6 * GiB }) })));
    assert.deepEqual(labels(m), [
      'Headroom: memory is fine', 'Pressure 0.5% · 6.0 GiB of 16 GiB available', '---',
      'Apps', 'Recent kills', 'Launch…', '---', 'Open dashboard', 'Quit',
    ]);
    const status = m[0]!;
    assert.ok(status.type === 'normal' && !status.enabled && status.action === null, 'the status line is information, not a button');
    const quit = m.at(-1)!;
    assert.ok(quit.type === 'normal' && quit.enabled);
    assert.deepEqual(quit.action, { kind: 'quit' });
  });

  test('agent not running and installed: "Start the agent", Apps and Launch disabled', () => {
    const m = menu(run({ kind: 'installed', installed: true }, { kind: 'agent', running: false }));
    const first = m[0]!;
    assert.ok(first.type === 'normal');
    assert.equal(first.label, 'Headroom: the agent is not running');
    const start = m[1]!;
    assert.ok(start.type === 'normal' && start.enabled);
    assert.deepEqual(start.action, { kind: 'start-agent' });
    assert.equal(submenu(m, 'Apps').enabled, false);
    assert.equal(submenu(m, 'Launch…').enabled, false);
    assert.equal(submenu(m, 'Recent kills').enabled, true, 'past kills stay readable');
  });

  test('agent not installed: offers headroom install instead', () => {
    const m = menu(run({ kind: 'agent', running: false }));
    const install = m[1]!;
    assert.ok(install.type === 'normal');
    assert.deepEqual(install.action, { kind: 'install-agent' });
  });

  test('connecting: no start/install item yet', () => {
    assert.deepEqual(labels(menu(initialTrayState)).slice(0, 2), ['Headroom: connecting to the agent…', '---']);
  });

  test('Apps: each app with its memory + swap, and one Normal/Avoid/Omit radio group checked at its preference', () => {
    const firefox = appRecord('firefox', 2 * GiB, { displayName: 'Firefox', swapBytes: 512 * MiB });
    const gimp = appRecord('org.gimp.GIMP', 300 * MiB, { displayName: 'GNU Image Manipulation Program', preference: 'omit' });
    const apps = submenu(menu(run(loaded({ apps: [firefox, gimp] }))), 'Apps');
    assert.deepEqual(labels(apps.items), ['Firefox — 2.5 GiB', 'GNU Image Manipulation Program — 300 MiB']);
    const radios = (i: number): Extract<MenuEntry, { type: 'radio' }>[] => {
      const sub = apps.items[i]!;
      assert.ok(sub.type === 'submenu');
      return sub.items.map((e) => { assert.ok(e.type === 'radio'); return e; });
    };
    assert.deepEqual(radios(0).map((r) => [r.label, r.checked, r.enabled]), [['Normal', true, true], ['Avoid', false, true], ['Omit', false, true]]);
    assert.deepEqual(radios(1).map((r) => r.checked), [false, false, true]);
    assert.deepEqual(radios(1).map((r) => r.action), [
      { kind: 'set-preference', appId: 'org.gimp.GIMP', preference: 'none' },
      { kind: 'set-preference', appId: 'org.gimp.GIMP', preference: 'avoid' },
      { kind: 'set-preference', appId: 'org.gimp.GIMP', preference: 'omit' },
    ]);
  });

  test('a PreferenceChanged signal moves the checked radio', () => {
    const firefox = appRecord('firefox', GiB);
    const s = run(loaded({ apps: [firefox] }), { kind: 'preference', appId: 'firefox', preference: 'avoid' });
    const sub = submenu(menu(s), 'Apps').items[0]!;
    assert.ok(sub.type === 'submenu');
    assert.deepEqual(sub.items.map((e) => e.type === 'radio' && e.checked), [false, true, false]);
  });

  test('an app unit without an app id cannot be given a preference', () => {
    const sub = submenu(menu(run(loaded({ apps: [appRecord('', GiB, { unit: 'app-xyz.scope', displayName: '' })] }))), 'Apps').items[0]!;
    assert.ok(sub.type === 'submenu');
    assert.equal(sub.label, 'app-xyz.scope — 1.0 GiB');
    assert.ok(sub.items.every((e) => e.type === 'radio' && !e.enabled));
  });

  test('no apps: a disabled line saying so', () => {
    const apps = submenu(menu(run(loaded({ apps: [] }))), 'Apps');
    assert.deepEqual(labels(apps.items), ['No apps running in their own scope']);
  });

  test('Recent kills: the last five real kills only; warnings and dry-run would-kills are not kills', () => {
    const history = [
      killRecord('warned-app', 'warned', { atMs: 9 }),
      killRecord('dry', 'dry-run', { atMs: 8 }),
      killRecord('a', 'killed', { atMs: 7, displayName: 'Alpha', memoryFreedBytes: 3 * GiB }),
      killRecord('b', 'partial', { atMs: 6, displayName: 'Beta', reason: 'exhaustion', memoryFreedBytes: 700 * MiB }),
      killRecord('c', 'failed', { atMs: 5 }),
      killRecord('d', 'killed', { atMs: 4, reason: 'manual' }),
      killRecord('e', 'killed', { atMs: 3 }),
      killRecord('f', 'killed', { atMs: 2 }),
    ];
    assert.deepEqual(recentKills(history).map((k) => k.appId), ['a', 'b', 'c', 'd', 'e']);
    const kills = submenu(menu(run(loaded({ history }))), 'Recent kills');
    assert.deepEqual(labels(kills.items), [
      'T7  Alpha  3.0 GiB  pressure',
      'T6  Beta  700 MiB  exhaustion (partial)',
      'T5  c  2.0 GiB  pressure (failed)',
      'T4  d  2.0 GiB  manual',
      'T3  e  2.0 GiB  pressure',
    ]);
    assert.ok(kills.items.every((e) => e.type === 'normal' && !e.enabled && e.action === null));
  });

  test('Recent kills with only warnings says there are none', () => {
    const kills = submenu(menu(run(loaded({ history: [killRecord('w', 'warned')] }))), 'Recent kills');
    assert.deepEqual(labels(kills.items), ['No kills yet']);
  });

  test('a kill signal shows up in Recent kills at once', () => {
    const s = run(loaded(), { kind: 'killed', kill: killRecord('z', 'killed', { atMs: 42, displayName: 'Zed' }) });
    assert.deepEqual(labels(submenu(menu(s), 'Recent kills').items), ['T42  Zed  2.0 GiB  pressure']);
  });

  test('Launch…: one item per desktop entry, launched through the agent; terminal apps say so', () => {
    const s = run(loaded(), { kind: 'launchers', launchers: [launcherRecord('org.gnome.TextEditor', 'Text Editor'), launcherRecord('htop', 'Htop', true)] });
    const launch = submenu(menu(s), 'Launch…');
    assert.equal(launch.enabled, true);
    assert.deepEqual(launch.items.map((e) => e.type === 'normal' && [e.label, e.action, e.enabled]), [
      ['Text Editor', { kind: 'launch', desktopId: 'org.gnome.TextEditor' }, true],
      ['Htop (in a terminal)', { kind: 'launch', desktopId: 'htop' }, true],
    ]);
  });

  test('Launch…: a long list is cut, and the rest is one click away in the dashboard', () => {
    const launchers = Array.from({ length: MENU_LAUNCHERS + 5 }, (_, i) => launcherRecord(`app${i}`, `App ${i}`));
    const launch = submenu(menu(run(loaded(), { kind: 'launchers', launchers })), 'Launch…');
    assert.equal(launch.items.length, MENU_LAUNCHERS + 2);
    const last = launch.items.at(-1)!;
    assert.ok(last.type === 'normal');
    assert.equal(last.label, `All ${MENU_LAUNCHERS + 5} apps: open the dashboard…`);
    assert.deepEqual(last.action, { kind: 'open-dashboard' });
  });

  test('Launch… with no entries is disabled', () => {
    assert.equal(submenu(menu(run(loaded())), 'Launch…').enabled, false);
  });

  test('underscores in names are doubled (dbusmenu reads "_" as a mnemonic)', () => {
    assert.equal(menuText('my_app'), 'my__app');
    const apps = submenu(menu(run(loaded({ apps: [appRecord('my_app', GiB)] }))), 'Apps');
    const first = apps.items[0]!;
    assert.ok(first.type === 'submenu');
    assert.equal(first.label, 'my__app — 1.0 GiB');
    assert.equal(killLabel(killRecord('x', 'killed', { displayName: 'a_b', atMs: 1 }), timeOf), 'T1  a__b  2.0 GiB  pressure');
  });

  test('a stopped tab is a recent kill, labelled as one tab of a browser that still runs', () => {
    const tab = killRecord('chromium', 'child-killed', { displayName: 'Chromium', childPid: 4321, childKind: 'renderer', atMs: 2 });
    assert.deepEqual(recentKills([tab]), [tab]);
    assert.equal(killLabel(tab, timeOf), 'T2  Chromium  2.0 GiB  pressure (one tab; still running)');
  });

  test('dry run: the status line says nothing is killed', () => {
    const first = menu(run(loaded({ dryRun: true })))[0]!;
    assert.ok(first.type === 'normal');
    assert.equal(first.label, 'Headroom: memory is fine (dry run: kills nothing)');
  });
});

describe('a paused app in the menu', () => {
  const UNTIL = 1_700_000_060_000;
  const pausedFirefox = appRecord('firefox', 2 * GiB, { displayName: 'Firefox', pausedUntilMs: UNTIL });

  test('shown as paused, with Resume, Quit and Force quit on its unit before the preferences', () => {
    const apps = submenu(menu(run(loaded({ state: 'elevated', apps: [pausedFirefox, appRecord('gimp', GiB)] }))), 'Apps');
    assert.deepEqual(labels(apps.items), ['Firefox — paused', 'gimp — 1.0 GiB']);
    const firefox = submenu(apps.items, 'Firefox — paused');
    assert.deepEqual(labels(firefox.items), [`Stopped at T${UNTIL} unless resumed`, 'Resume', 'Quit', 'Force quit', '---', 'Normal', 'Avoid', 'Omit']);
    const actions = firefox.items.flatMap((e) => (e.type === 'normal' && e.action !== null ? [[e.enabled, e.action]] : []));
    assert.deepEqual(actions, [
      [true, { kind: 'resume-app', unit: pausedFirefox.unit }],
      [true, { kind: 'quit-app', unit: pausedFirefox.unit, force: false }],
      [true, { kind: 'quit-app', unit: pausedFirefox.unit, force: true }],
    ]);
    const gimp = submenu(apps.items, 'gimp — 1.0 GiB');
    assert.ok(gimp.items.every((e) => e.type === 'radio'), 'a running app has only its preferences');
  });

  test('recent events list pauses and resumes in words, warnings still left out', () => {
    const history = [
      killRecord('firefox', 'resumed', { displayName: 'Firefox', atMs: 3 }),
      killRecord('gimp', 'warned', { atMs: 2 }),
      killRecord('firefox', 'paused', { displayName: 'Firefox', atMs: 1, memoryFreedBytes: 1.2 * GiB, pausedUntilMs: UNTIL }),
    ];
    assert.deepEqual(recentKills(history).map((k) => k.outcome), ['resumed', 'paused']);
    assert.equal(killLabel(history[2]!, timeOf), 'T1  Paused Firefox (1.2 GiB)');
    assert.equal(killLabel(history[0]!, timeOf), 'T3  Resumed Firefox');
    const recent = submenu(menu(run(loaded({ history }))), 'Recent kills');
    assert.deepEqual(labels(recent.items), ['T3  Resumed Firefox', 'T1  Paused Firefox (1.2 GiB)']);
  });
});
