import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  classifyUnit,
  HEADROOM_LAUNCHER,
  sliceAppId,
  terminalNameFromId,
  defaultAppId,
  escapeUnitField,
  makeScopeName,
  parseAppUnitName,
  unescapeUnitField,
} from '../../agent/core/unit-name.js';
import type { AppUnitName, UserUnitName } from '../../agent/core/unit-name.js';

/**
 * Independent reference for systemd-escape (unit_name_escape in src/basic/unit-name.c), which
 * is not installed here: [A-Za-z0-9:_.] pass, a leading '.' and every other byte of the UTF-8
 * encoding (including '-' and '\') become lowercase \xNN. systemd-escape maps '/' to '-',
 * which would make '-' ambiguous inside one field, so callers only compare ids without '/'.
 */
function systemdEscape(s: string): string {
  let out = '';
  const bytes = new TextEncoder().encode(s);
  bytes.forEach((b, i) => {
    const ch = String.fromCharCode(b);
    const ok = b < 0x80 && /[A-Za-z0-9:_.]/.test(ch) && !(i === 0 && ch === '.');
    out += ok ? ch : `\\x${b.toString(16).padStart(2, '0')}`;
  });
  return out;
}

const AWKWARD_IDS = [
  'firefox',
  'firefox-esr',
  'org.gnome.Terminal',
  'a-b-c--d-',
  '-leading-dash',
  'my app',
  ' leading and trailing space ',
  '.hidden',
  '..two.dots.',
  'café-ü',
  '🦊 Fox',
  'naïve 日本語',
  'tab\there',
  'line\nbreak',
  "it's \"quoted\"",
  'back\\slash',
  'literal\\x2d-not-an-escape',
  '100%',
  '%2d',
  'x:y_z.0',
  'a@b',
  '~!*()',
];

describe('escapeUnitField', () => {
  const known: [string, string][] = [
    ['firefox-esr', 'firefox\\x2desr'],
    ['org.gnome.Terminal', 'org.gnome.Terminal'],
    ['x:y_z.0', 'x:y_z.0'],
    ['my app', 'my\\x20app'],
    ['.hidden', '\\x2ehidden'],
    ['a.b.', 'a.b.'],
    ['café-ü', 'caf\\xc3\\xa9\\x2d\\xc3\\xbc'],
    ['🦊', '\\xf0\\x9f\\xa6\\x8a'],
    ['back\\slash', 'back\\x5cslash'],
    ['100%', '100\\x25'],
    ["it's", 'it\\x27s'],
    ['~!*()', '\\x7e\\x21\\x2a\\x28\\x29'],
    ['', ''],
  ];
  for (const [id, want] of known) {
    test(`${JSON.stringify(id)} → ${want} (as systemd-escape)`, () => {
      assert.equal(escapeUnitField(id), want);
    });
  }

  test('every awkward id escapes exactly as the systemd-escape reference does', () => {
    for (const id of AWKWARD_IDS) assert.equal(escapeUnitField(id), systemdEscape(id), JSON.stringify(id));
  });

  test("'/' becomes \\x2f, not systemd-escape's '-', so '-' stays a pure separator", () => {
    assert.equal(escapeUnitField('a/b'), 'a\\x2fb');
  });

  test('output never contains "-" and only unit-name characters', () => {
    for (const id of [...AWKWARD_IDS, 'a/b/c']) {
      const e = escapeUnitField(id);
      assert.ok(!e.includes('-'), e);
      assert.match(e, /^[A-Za-z0-9:_.\\]*$/);
      assert.ok(!e.startsWith('.'), e);
    }
  });
});

describe('unescapeUnitField', () => {
  test('round-trips every awkward id', () => {
    for (const id of [...AWKWARD_IDS, 'usr/bin/app', '/']) assert.equal(unescapeUnitField(escapeUnitField(id)), id, JSON.stringify(id));
  });

  test('decodes escapes produced by other launchers', () => {
    assert.equal(unescapeUnitField('dbus\\x2d:1.2\\x2dorg.a11y.atspi.Registry'), 'dbus-:1.2-org.a11y.atspi.Registry');
    assert.equal(unescapeUnitField('caf\\xC3\\xA9'), 'café');
  });

  const literal: [string, string][] = [
    ['invalid UTF-8 run', 'bad\\xff'],
    ['truncated escape', 'x\\x4'],
    ['non-hex escape', 'x\\xzz'],
    ['bare backslash', 'a\\b'],
  ];
  for (const [name, field] of literal) {
    test(`keeps a malformed escape literally: ${name}`, () => {
      assert.equal(unescapeUnitField(field), field);
    });
  }
});

describe('parseAppUnitName', () => {
  const apps: [string, Omit<AppUnitName, 'unit'>][] = [
    ['app-gnome-org.gnome.Terminal-1234.scope', { kind: 'scope', launcher: 'gnome', appId: 'org.gnome.Terminal', random: '1234' }],
    ['app-flatpak-org.mozilla.firefox-12345.scope', { kind: 'scope', launcher: 'flatpak', appId: 'org.mozilla.firefox', random: '12345' }],
    ['app-org.kde.konsole-8e5c3b2a1f0e4d6c9b7a5e3c1d0f2a4b.scope', { kind: 'scope', launcher: '', appId: 'org.kde.konsole', random: '8e5c3b2a1f0e4d6c9b7a5e3c1d0f2a4b' }],
    ['app-headroom-firefox\\x2desr-0123456789abcdef.scope', { kind: 'scope', launcher: 'headroom', appId: 'firefox-esr', random: '0123456789abcdef' }],
    ['app-gnome-org.gnome.Nautilus@123.service', { kind: 'service', launcher: 'gnome', appId: 'org.gnome.Nautilus', random: '123' }],
    ['app-org.foo.Bar.service', { kind: 'service', launcher: '', appId: 'org.foo.Bar', random: '' }],
    // dbus-broker escapes its whole "dbus-:1.2-<name>" as one field: no launcher.
    ['app-dbus\\x2d:1.2\\x2dorg.a11y.atspi.Registry@0.service', { kind: 'service', launcher: '', appId: 'dbus-:1.2-org.a11y.atspi.Registry', random: '0' }],
  ];
  for (const [unit, want] of apps) {
    test(unit, () => {
      assert.deepEqual(parseAppUnitName(unit), { unit, ...want });
    });
  }

  for (const unit of ['session.slice', 'app.slice', 'foo.scope', 'app-.scope', 'init.scope', 'app-.service', 'app-foo.slice', 'app-foo.scope.bak', 'xapp-foo-1.scope', '']) {
    test(`not an app unit: ${JSON.stringify(unit)}`, () => {
      assert.equal(parseAppUnitName(unit), null);
    });
  }
});

describe('makeScopeName', () => {
  const random = '0123456789abcdef';

  test('format: app-headroom-<escaped id>-<random>.scope', () => {
    assert.equal(makeScopeName('firefox-esr', random), 'app-headroom-firefox\\x2desr-0123456789abcdef.scope');
    assert.equal(makeScopeName('org.gnome.Terminal', 'ffffffffffffffff'), 'app-headroom-org.gnome.Terminal-ffffffffffffffff.scope');
  });

  for (const bad of ['', '0123456789abcde', '0123456789abcdef0', '0123456789ABCDEF', '0123456789abcdeg', '0123456789abcde-', ' 123456789abcdef']) {
    test(`rejects random suffix ${JSON.stringify(bad)}`, () => {
      assert.throws(() => makeScopeName('firefox', bad), { message: /16 lowercase hex/ });
    });
  }

  for (const id of ['', '   ', '\t\n']) {
    test(`rejects empty id ${JSON.stringify(id)}`, () => {
      assert.throws(() => makeScopeName(id, random), { message: /must not be empty/ });
    });
  }

  test('255 characters is the limit: 219-char id fits exactly, 220 does not', () => {
    assert.equal(makeScopeName('a'.repeat(219), random).length, 255);
    assert.throws(() => makeScopeName('a'.repeat(220), random), (err: unknown) => {
      assert.ok(err instanceof Error);
      assert.match(err.message, /too long/);
      assert.match(err.message, /256 > 255/);
      return true;
    });
  });

  test('the limit counts escaped length: 37 × "é" (8 characters each escaped) makes 332', () => {
    assert.throws(() => makeScopeName('é'.repeat(37), random), { message: /too long for a unit name \(332 > 255 characters\)/ });
  });

  test('parse(make(id)) round-trips awkward ids as a headroom scope', () => {
    for (const id of [...AWKWARD_IDS, 'usr/bin/app']) {
      const unit = makeScopeName(id, random);
      assert.deepEqual(parseAppUnitName(unit), { unit, kind: 'scope', launcher: HEADROOM_LAUNCHER, appId: id, random }, JSON.stringify(id));
    }
  });
});

describe('defaultAppId', () => {
  const cases: [string, string][] = [
    ['firefox', 'firefox'],
    ['/usr/bin/firefox', 'firefox'],
    ['./build/my-tool', 'my-tool'],
    ['/opt/app/bin/', 'bin'],
    ['/usr/share/applications/org.gnome.Terminal.desktop', 'org.gnome.Terminal'],
    ['code.desktop.bak', 'code.desktop.bak'],
    ['python3.12', 'python3.12'],
  ];
  for (const [command, want] of cases) {
    test(`${command} → ${want}`, () => {
      assert.equal(defaultAppId(command), want);
    });
  }
});

describe('classifyUnit: every unit the user runs, named as its software names it', () => {
  const uuid = '0b7ab1a4-2b7e-4f0c-9d76-3f2d1a0c9e11';
  const cases: [string, string, Partial<UserUnitName>][] = [
    // VTE (src/systemd.cc) names a tab's job vte-spawn-<uuid>.scope, in the terminal's own slice.
    [`vte-spawn-${uuid}.scope`, 'app-org.gnome.Terminal.slice', { kind: 'terminal-tab', launcher: 'vte', appId: '', hostAppId: 'org.gnome.Terminal' }],
    [`vte-spawn-${uuid}.scope`, 'app-org.gnome.Console.slice', { kind: 'terminal-tab', hostAppId: 'org.gnome.Console' }],
    [`vte-spawn-${uuid}.scope`, 'app.slice', { kind: 'terminal-tab', hostAppId: '' }],
    [`vte-spawn-${uuid}.scope`, 'session.slice', { kind: 'terminal-tab', hostAppId: '' }],
    // snapd's tracking scope and user daemons
    [`snap.firefox.firefox-${uuid}.scope`, 'app.slice', { kind: 'snap', launcher: 'snap', appId: 'firefox_firefox' }],
    [`snap.code.code-${uuid}.scope`, 'app.slice', { kind: 'snap', appId: 'code_code' }],
    [`snap.firefox_esr.firefox-${uuid}.scope`, 'app.slice', { kind: 'snap', appId: 'firefox_esr_firefox' }],
    [`snap.gnome-calculator.gnome-calculator-${uuid}.scope`, 'app.slice', { kind: 'snap', appId: 'gnome-calculator_gnome-calculator' }],
    ['snap.telegram-desktop.telegram-desktop.service', 'app.slice', { kind: 'snap', appId: 'telegram-desktop_telegram-desktop' }],
    // D-Bus activation (dbus-broker's transient units)
    ['dbus-:1.14-org.gnome.Nautilus@0.service', 'app.slice', { kind: 'dbus', launcher: 'dbus', appId: 'org.gnome.Nautilus' }],
    // apps: GNOME ≤ 49 scopes, GNOME ≥ 50 and KDE services, flatpak, XDG autostart
    ['app-gnome-firefox-4242.scope', 'app.slice', { kind: 'app', launcher: 'gnome', appId: 'firefox' }],
    ['app-org.gnome.TextEditor@a1b2c3.service', 'app.slice', { kind: 'app', launcher: '', appId: 'org.gnome.TextEditor' }],
    ['app-flatpak-org.mozilla.firefox-12345.scope', 'app.slice', { kind: 'app', launcher: 'flatpak', appId: 'org.mozilla.firefox' }],
    ['app-gnome-org.gnome.Evolution\x2dalarm\x2dnotify@autostart.service', 'app.slice', { kind: 'app', appId: 'org.gnome.Evolution-alarm-notify' }],
    // anything else: its unit name
    ['tracker-miner-fs-3.service', 'background.slice', { kind: 'unit', launcher: '', appId: 'tracker-miner-fs-3.service' }],
    ['gnome-terminal-server.service', 'app-org.gnome.Terminal.slice', { kind: 'unit', appId: 'gnome-terminal-server.service' }],
  ];
  for (const [unit, slice, want] of cases) {
    test(`${unit} in ${slice}`, () => {
      const got = classifyUnit(unit, slice);
      assert.ok(got);
      assert.equal(got.unit, unit);
      for (const [k, v] of Object.entries(want)) assert.equal(got[k as keyof UserUnitName], v, k);
    });
  }
  test('slices and other cgroups are not units', () => {
    for (const name of ['app.slice', 'app-org.gnome.Terminal.slice', 'session.slice', 'payload', 'vte-spawn-x']) assert.equal(classifyUnit(name, 'app.slice'), null, name);
  });
  test('a vte-spawn name that is not VTE\'s (no uuid) is an ordinary unit', () => {
    assert.equal(classifyUnit('vte-spawn-1234.scope', 'app.slice')?.kind, 'unit');
  });
  test('the terminal from its slice, and its name without a desktop entry', () => {
    assert.equal(sliceAppId('app-org.gnome.Terminal.slice'), 'org.gnome.Terminal');
    assert.equal(sliceAppId('app-com.raggesilver.BlackBox.slice'), 'com.raggesilver.BlackBox');
    assert.equal(sliceAppId('app.slice'), '');
    assert.equal(terminalNameFromId('org.gnome.Terminal'), 'Terminal');
    assert.equal(terminalNameFromId(''), '');
  });
});
