// The tray's own decisions: when to start the agent, how often to re-read the apps, whether
// to offer `headroom install`, and what the preload bridge may ask of the main process.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BridgeCallError, dispatchBridgeCall, parseBridgeCall } from '../../tray-app/main/bridge-call.js';
import { activationName, installStep, sessionServiceDirs } from '../../tray-app/main/first-run.js';
import {
  ACTIVATION_MAX_ATTEMPTS, ACTIVATION_MAX_RETRY_MS, APPS_REFRESH_CALM_MS, APPS_REFRESH_TIGHT_MS, activationDelayMs, appsRefreshMs,
} from '../../tray-app/main/reconnect.js';
import type { BridgeEvent, DashboardBridge, DashboardState } from '../../shared/bridge.js';
import type { EventRecord } from '../../shared/records.js';
import { dashboardState, killRecord, launcherRecord } from '../support/tray-fixtures.js';

describe('agent activation', () => {
  test('an installed, stopped agent is started at once, then retried with a doubling delay, then given up', () => {
    const delays = Array.from({ length: ACTIVATION_MAX_ATTEMPTS + 1 }, (_, failures) => activationDelayMs({ cause: 'startup', installed: true, running: false, failures }));
    assert.deepEqual(delays, [0, 1000, 2000, 4000, 8000, 16000, null]);
    assert.ok(delays.every((d) => d === null || d <= ACTIVATION_MAX_RETRY_MS));
  });
  test('never when running, never when not installed', () => {
    assert.equal(activationDelayMs({ cause: 'startup', installed: true, running: true, failures: 0 }), null);
    assert.equal(activationDelayMs({ cause: 'user', installed: false, running: false, failures: 0 }), null);
  });
});

describe('app list refresh', () => {
  test('slow while calm, fast while memory is tight, not at all without an agent', () => {
    assert.equal(appsRefreshMs(true, 'calm'), APPS_REFRESH_CALM_MS);
    assert.equal(appsRefreshMs(true, 'elevated'), APPS_REFRESH_TIGHT_MS);
    assert.equal(appsRefreshMs(true, 'critical'), APPS_REFRESH_TIGHT_MS);
    assert.equal(appsRefreshMs(true, null), APPS_REFRESH_CALM_MS);
    assert.equal(appsRefreshMs(false, 'critical'), null);
    assert.ok(APPS_REFRESH_TIGHT_MS < APPS_REFRESH_CALM_MS);
  });
});

describe('first run (AppImage)', () => {
  const image = { path: '/home/u/Apps/Headroom-0.2.0.AppImage', version: '0.2.0' };
  const base = { appImage: image, installed: false, agentRunning: false, answer: null, record: null, recordImageExists: false } as const;
  test('offers headroom install from an AppImage with no agent installed or running', () => {
    assert.equal(installStep(base), 'offer');
  });
  test('does not offer it when installed, running, outside an AppImage, or after "Don\'t ask again"', () => {
    assert.equal(installStep({ ...base, installed: true }), null);
    assert.equal(installStep({ ...base, agentRunning: true }), null);
    assert.equal(installStep({ ...base, appImage: null }), null);
    assert.equal(installStep({ ...base, answer: 'never' }), null);
  });
  const installed = { ...base, installed: true, record: { version: '0.2.0', appImage: image.path, dir: '/d/0.2.0' }, recordImageExists: true } as const;
  test('an install from this very image is left alone', () => {
    assert.equal(installStep(installed), null);
  });
  test('updates without asking when the installed image is gone (moved, or replaced by this one)', () => {
    assert.equal(installStep({ ...installed, record: { ...installed.record, appImage: '/home/u/Downloads/Headroom-0.1.0.AppImage' }, recordImageExists: false }), 'update');
    assert.equal(installStep({ ...installed, record: { ...installed.record, appImage: '/home/u/Downloads/Headroom-0.1.0.AppImage' }, recordImageExists: true }), null,
      'another image still in place, same version: the user may run either');
  });
  test('updates when this image is newer, never back to an older one', () => {
    assert.equal(installStep({ ...installed, record: { ...installed.record, version: '0.1.9' } }), 'update');
    assert.equal(installStep({ ...installed, record: { ...installed.record, version: '0.10.0' } }), null);
  });
  test('a record but no activation file (removed by hand): offered again like a first run', () => {
    assert.equal(installStep({ ...installed, installed: false }), 'offer');
  });
  test('reads the bus name from a D-Bus service file, only from its [D-BUS Service] section', () => {
    assert.equal(activationName('[D-BUS Service]\nName=org.headroom.Agent1\nExec=/usr/bin/headroom agent\n'), 'org.headroom.Agent1');
    assert.equal(activationName('# comment\n[Other]\nName=nope\n[D-BUS Service]\nExec=x\n  Name = org.x  \n'), null, 'key with spaces before = is not Name=');
    assert.equal(activationName('[Other]\nName=org.headroom.Agent1\n'), null);
  });
  test('the session service directories, as dbus-daemon computes them', () => {
    assert.deepEqual(sessionServiceDirs({ HOME: '/h' }), ['/h/.local/share/dbus-1/services', '/usr/local/share/dbus-1/services', '/usr/share/dbus-1/services']);
    assert.deepEqual(sessionServiceDirs({ HOME: '/h', XDG_DATA_HOME: '/d/', XDG_DATA_DIRS: '/a::/b' }), ['/d/dbus-1/services', '/a/dbus-1/services', '/b/dbus-1/services']);
  });
});

describe('bridge calls from the page', () => {
  test('accepts the methods with well-formed parameters', () => {
    assert.deepEqual(parseBridgeCall('load', []), { method: 'load', params: [] });
    assert.deepEqual(parseBridgeCall('listLaunchers', []), { method: 'listLaunchers', params: [] });
    assert.deepEqual(parseBridgeCall('setPreference', ['firefox', 'avoid']), { method: 'setPreference', params: ['firefox', 'avoid'] });
    assert.deepEqual(parseBridgeCall('launch', ['org.gnome.TextEditor']), { method: 'launch', params: ['org.gnome.TextEditor'] });
    assert.deepEqual(parseBridgeCall('resumeApp', ['app-gnome-firefox-1.scope']), { method: 'resumeApp', params: ['app-gnome-firefox-1.scope'] });
    assert.deepEqual(parseBridgeCall('quitApp', ['firefox', false]), { method: 'quitApp', params: ['firefox', false] });
    assert.deepEqual(parseBridgeCall('quitApp', ['firefox', true]), { method: 'quitApp', params: ['firefox', true] });
  });
  const bad: [unknown, unknown, RegExp][] = [
    ['close', [], /unknown method "close"/],
    ['subscribe', [], /unknown method/],
    [42, [], /unknown method 42/],
    ['load', 'x', /params must be an array/],
    ['load', [1], /load takes no parameters/],
    ['setPreference', ['firefox'], /takes \[appId, preference\]/],
    ['setPreference', ['firefox', 'kill'], /one of none, avoid, omit \(got "kill"\)/],
    ['setPreference', ['', 'avoid'], /non-empty string/],
    ['setPreference', [{}, 'avoid'], /non-empty string/],
    ['launch', ['x'.repeat(256)], /at most 255/],
    ['launch', [], /takes \[desktopId\]/],
    ['resumeApp', [], /takes \[target\]/],
    ['resumeApp', ['a', 'b'], /takes \[target\]/],
    ['resumeApp', [''], /non-empty string/],
    ['resumeApp', ['x'.repeat(256)], /at most 255/],
    ['quitApp', ['firefox'], /takes \[target, force\]/],
    ['quitApp', ['firefox', 'true'], /force must be true or false \(got "true"\)/],
    ['quitApp', ['firefox', 1], /force must be true or false/],
    ['quitApp', [7, false], /non-empty string/],
  ];
  for (const [method, params, why] of bad) {
    test(`refuses ${JSON.stringify(method)} ${JSON.stringify(params).slice(0, 40)}`, () => {
      assert.throws(() => parseBridgeCall(method, params), (err: unknown) => err instanceof BridgeCallError && why.test(err.message));
    });
  }
  test('dispatches to the backend with the checked parameters', async () => {
    const calls: string[] = [];
    const state: DashboardState = dashboardState();
    const bridge: DashboardBridge = {
      load: () => { calls.push('load'); return Promise.resolve(state); },
      setPreference: (a, p) => { calls.push(`pref ${a} ${p}`); return Promise.resolve(); },
      listLaunchers: () => { calls.push('list'); return Promise.resolve([launcherRecord('a', 'A')]); },
      launch: (id) => { calls.push(`launch ${id}`); return Promise.resolve('app-headroom-a-1.scope'); },
      resumeApp: (target) => { calls.push(`resume ${target}`); return Promise.resolve(killRecord('a', 'resumed')); },
      quitApp: (target, force) => { calls.push(`quit ${target} ${force}`); return Promise.resolve(killRecord('a', 'killed')); },
      subscribe: (_l: (e: BridgeEvent) => void) => () => undefined,
    };
    assert.equal(await dispatchBridgeCall(bridge, parseBridgeCall('load', [])), state);
    await dispatchBridgeCall(bridge, parseBridgeCall('setPreference', ['x', 'omit']));
    assert.deepEqual(await dispatchBridgeCall(bridge, parseBridgeCall('listLaunchers', [])), [launcherRecord('a', 'A')]);
    assert.equal(await dispatchBridgeCall(bridge, parseBridgeCall('launch', ['a'])), 'app-headroom-a-1.scope');
    assert.equal((await dispatchBridgeCall(bridge, parseBridgeCall('resumeApp', ['a.scope'])) as EventRecord).outcome, 'resumed');
    await dispatchBridgeCall(bridge, parseBridgeCall('quitApp', ['a.scope', false]));
    assert.deepEqual(calls, ['load', 'pref x omit', 'list', 'launch a', 'resume a.scope', 'quit a.scope false']);
  });
});
