// The WebSocket transport's gatekeeping, as tables: what a message, a credential, a Host, an
// Origin or a path must look like to get through, and that everything else is refused.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { callBridge, type DashboardBridge, type DashboardState } from '../../shared/bridge.js';
import type { Preference } from '../../shared/names.js';
import { killRecord } from '../support/tray-fixtures.js';
import {
  contentTypeOf, hostAllowed, MAX_MESSAGE_BYTES, originAllowed, parseBridgeRequest, resolveStaticPath, tokenMatches,
} from '../../agent/dashboard/wire.js';
import { credentialOf } from '../../agent/dashboard/access.js';

describe('parseBridgeRequest', () => {
  const accepted: [string, unknown[]][] = [
    ['{"id":1,"method":"load","params":[]}', []],
    ['{"id":2,"method":"load"}', []],
    ['{"id":3,"method":"setPreference","params":["org.gnome.TextEditor","avoid"]}', ['org.gnome.TextEditor', 'avoid']],
    ['{"id":0,"method":"listLaunchers","params":[]}', []],
    ['{"id":5,"method":"launch","params":["firefox.desktop"]}', ['firefox.desktop']],
  ];
  for (const [text, params] of accepted) {
    test(`accepts ${text}`, () => {
      const r = parseBridgeRequest(text);
      assert.ok(r.ok, JSON.stringify(r));
      assert.deepEqual(r.call.params, params);
    });
  }

  const refused: [string, number | null, RegExp][] = [
    ['', null, /not JSON/],
    ['{"id":1', null, /not JSON/],
    ['[1,2]', null, /expected an object/],
    ['null', null, /expected an object/],
    ['{"method":"load"}', null, /id must be/],
    ['{"id":-1,"method":"load"}', null, /id must be/],
    ['{"id":1.5,"method":"load"}', null, /id must be/],
    ['{"id":"7","method":"load"}', null, /id must be/],
    ['{"id":7,"method":"KillApp","params":["hog"]}', 7, /unknown method "KillApp"/],
    ['{"id":7,"method":"__proto__"}', 7, /unknown method/],
    ['{"id":7,"method":"load","params":{"a":1}}', 7, /params must be an array/],
    ['{"id":7,"method":"load","params":[1]}', 7, /load takes no parameters/],
    ['{"id":8,"method":"setPreference","params":["hog"]}', 8, /takes \[appId, preference\]/],
    ['{"id":8,"method":"setPreference","params":["hog","sometimes"]}', 8, /one of none, avoid, omit/],
    ['{"id":8,"method":"setPreference","params":["","avoid"]}', 8, /non-empty string/],
    ['{"id":8,"method":"setPreference","params":[42,"avoid"]}', 8, /non-empty string/],
    ['{"id":9,"method":"launch","params":[]}', 9, /takes \[desktopId\]/],
    ['{"id":9,"method":"launch","params":[{"toString":"x"}]}', 9, /non-empty string/],
  ];
  for (const [text, id, error] of refused) {
    test(`refuses ${JSON.stringify(text)}`, () => {
      const r = parseBridgeRequest(text);
      assert.equal(r.ok, false);
      if (r.ok) return;
      assert.equal(r.id, id);
      assert.match(r.error, error);
    });
  }

  test('refuses an oversized message before parsing it', () => {
    const r = parseBridgeRequest(`{"id":1,"method":"launch","params":["${'x'.repeat(MAX_MESSAGE_BYTES)}"]}`);
    assert.deepEqual(r, { ok: false, id: null, error: 'message too long' });
  });
});

describe('callBridge', () => {
  test('each method reaches the bridge method of the same name with its params', async () => {
    const calls: unknown[][] = [];
    const bridge: DashboardBridge = {
      load: () => { calls.push(['load']); return Promise.resolve({} as DashboardState); },
      setPreference: (appId: string, p: Preference) => { calls.push(['setPreference', appId, p]); return Promise.resolve(); },
      listLaunchers: () => { calls.push(['listLaunchers']); return Promise.resolve([]); },
      launch: (id: string) => { calls.push(['launch', id]); return Promise.resolve('app-headroom-x-1.scope'); },
      resumeApp: (target: string) => { calls.push(['resumeApp', target]); return Promise.resolve(killRecord('hog', 'resumed')); },
      quitApp: (target: string, force: boolean) => { calls.push(['quitApp', target, force]); return Promise.resolve(killRecord('hog', 'killed')); },
      subscribe: () => () => undefined,
    };
    for (const text of ['{"id":1,"method":"load"}', '{"id":2,"method":"setPreference","params":["hog","omit"]}', '{"id":3,"method":"listLaunchers"}', '{"id":4,"method":"launch","params":["x"]}',
      '{"id":5,"method":"resumeApp","params":["hog.scope"]}', '{"id":6,"method":"quitApp","params":["hog.scope",true]}']) {
      const r = parseBridgeRequest(text);
      assert.ok(r.ok);
      await callBridge(bridge, r.call);
    }
    assert.deepEqual(calls, [['load'], ['setPreference', 'hog', 'omit'], ['listLaunchers'], ['launch', 'x'], ['resumeApp', 'hog.scope'], ['quitApp', 'hog.scope', true]]);
  });
});

describe('secret, Host and Origin', () => {
  test('a secret must match exactly', () => {
    assert.equal(tokenMatches('abc123', 'abc123'), true);
    for (const given of ['abc124', 'abc12', 'abc1234', '', null, undefined]) assert.equal(tokenMatches('abc123', given), false, String(given));
  });

  test('the credential comes from ?once= or ?session= of the upgrade, bounded; nothing else counts', () => {
    const url = (q: string): URL => new URL(`http://127.0.0.1:8000/ws${q}`);
    assert.deepEqual(credentialOf(url('?once=q')), { once: 'q' });
    assert.deepEqual(credentialOf(url('?session=s')), { session: 's' });
    assert.deepEqual(credentialOf(url('?once=q&session=s')), { once: 'q' });
    for (const q of ['', '?token=q', '?once=', `?once=${'x'.repeat(129)}`, `?session=${'x'.repeat(129)}`]) assert.equal(credentialOf(url(q)), null, q);
  });

  test('only our loopback address and port are accepted as Host (DNS rebinding)', () => {
    assert.equal(hostAllowed('127.0.0.1:8000', 8000), true);
    assert.equal(hostAllowed('localhost:8000', 8000), true);
    for (const host of ['127.0.0.1:8001', 'evil.example:8000', 'evil.example', '127.0.0.1', undefined]) assert.equal(hostAllowed(host, 8000), false, String(host));
  });

  test('a browser WebSocket must come from our own page', () => {
    assert.equal(originAllowed('http://127.0.0.1:8000', 8000), true);
    assert.equal(originAllowed(undefined, 8000), true);
    for (const origin of ['http://evil.example', 'http://127.0.0.1:8001', 'https://127.0.0.1:8000', 'null']) assert.equal(originAllowed(origin, 8000), false, origin);
  });
});

describe('resolveStaticPath', () => {
  const root = '/srv/dist';
  const served: [string, string][] = [
    ['/tray-app/renderer/index.html', 'tray-app/renderer/index.html'],
    ['/tray-app/renderer/vendor/uPlot.esm.js', 'tray-app/renderer/vendor/uPlot.esm.js'],
    ['/shared/format.js', 'shared/format.js'],
    ['/tray-app/renderer/dashboard%2Ecss', 'tray-app/renderer/dashboard.css'],
  ];
  for (const [url, rel] of served) test(`serves ${url}`, () => assert.equal(resolveStaticPath(root, url), join(root, rel)));

  const refused = [
    '/', '/package.json', '/agent/cli/main.js', '/tray-app/main/main.js',
    '/tray-app/renderer/../../package.json', '/tray-app/renderer/%2e%2e/%2e%2e/package.json', '/shared/..%2f..%2fetc/passwd',
    '/tray-app/renderer/..\\..\\package.json', '/tray-app/renderer/%5c..%5cx.js', '/tray-app/renderer/index.html%00.js',
    '/tray-app/renderer/.hidden.js', '/tray-app/renderer/./index.html', '/tray-app/renderer/%E0%A4%A', '/shared/bridge.d.ts',
    '/shared/bridge.ts', '/tray-app/renderer/noextension',
  ];
  for (const url of refused) test(`refuses ${url}`, () => assert.equal(resolveStaticPath(root, url), null));

  test('content types', () => {
    assert.equal(contentTypeOf('a/index.html'), 'text/html; charset=utf-8');
    assert.equal(contentTypeOf('a/main.js'), 'text/javascript; charset=utf-8');
    assert.equal(contentTypeOf('a/x.CSS'), 'text/css; charset=utf-8');
    assert.equal(contentTypeOf('a/x.d.ts'), null);
    assert.equal(contentTypeOf('a/x'), null);
  });
});
