import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { parseDesktopEntry } from '../../agent/desktop/core/desktop-entry.js';

const FIREFOX = `# Firefox launcher, as shipped (trimmed)
[Desktop Entry]
Version=1.0
Name=Firefox Web Browser
Name[de]=Firefox-Webbrowser
Name[de_AT]=Firefox Webbrowser (Österreich)
Name[fr]=Navigateur Web Firefox
GenericName=Web Browser
Comment=Browse the World Wide Web
# Icon from the theme
Icon=firefox
Exec=firefox %u
Terminal=false
Type=Application
Categories=Network;WebBrowser;
Actions=new-window;new-private-window;

[Desktop Action new-window]
Name=Open a New Window
Name[de]=Neues Fenster öffnen
Exec=firefox --new-window %u
Icon=window-new

[Desktop Action new-private-window]
Name=Open a New Private Window
Exec=firefox --private-window %u
`;

describe('parseDesktopEntry', () => {
  test('plain fields from [Desktop Entry]; actions do not override them', () => {
    assert.deepEqual(parseDesktopEntry(FIREFOX), {
      name: 'Firefox Web Browser',
      icon: 'firefox',
      exec: 'firefox %u',
      hidden: false,
      noDisplay: false,
    });
  });

  const locales: [string, string][] = [
    ['', 'Firefox Web Browser'],
    ['C', 'Firefox Web Browser'],
    ['C.UTF-8', 'Firefox Web Browser'],
    ['en_US.UTF-8', 'Firefox Web Browser'],
    ['de_DE.UTF-8', 'Firefox-Webbrowser'],
    ['de', 'Firefox-Webbrowser'],
    ['de_AT', 'Firefox Webbrowser (Österreich)'],
    ['de_AT.UTF-8@euro', 'Firefox Webbrowser (Österreich)'],
    ['fr_CA.UTF-8', 'Navigateur Web Firefox'],
    ['es_ES.UTF-8', 'Firefox Web Browser'],
  ];
  for (const [locale, want] of locales) {
    test(`Name for locale ${JSON.stringify(locale)} is ${JSON.stringify(want)}`, () => {
      assert.equal(parseDesktopEntry(FIREFOX, locale)?.name, want);
    });
  }

  test('Name[de_DE] wins over Name[de] for de_DE, whatever the order in the file', () => {
    const text = '[Desktop Entry]\nType=Application\nName=Files\nName[de]=Dateien\nName[de_DE]=Dateien (DE)\n';
    assert.equal(parseDesktopEntry(text, 'de_DE.UTF-8')?.name, 'Dateien (DE)');
    assert.equal(parseDesktopEntry(text, 'de_CH.UTF-8')?.name, 'Dateien');
  });

  test("an action's Name= never wins, even when the entry's Name comes after the action group", () => {
    // Malformed order: a Desktop Action before the entry. Its keys must not leak in.
    const text = '[Desktop Action new-window]\nName=Open a New Window\nIcon=window-new\n\n[Desktop Entry]\nType=Application\nName=Editor\nExec=editor\n';
    assert.deepEqual(parseDesktopEntry(text), { name: 'Editor', icon: '', exec: 'editor', hidden: false, noDisplay: false });
  });

  test('keys of other groups do not count, even if the entry lacks them', () => {
    const text = '[Desktop Entry]\nType=Application\nName=Tool\n[X-Vendor Extra]\nIcon=vendor-icon\nExec=vendor\nHidden=true\n';
    assert.deepEqual(parseDesktopEntry(text), { name: 'Tool', icon: '', exec: '', hidden: false, noDisplay: false });
  });

  test('Hidden and NoDisplay', () => {
    const base = '[Desktop Entry]\nType=Application\nName=X\n';
    assert.equal(parseDesktopEntry(`${base}Hidden=true\n`)?.hidden, true);
    assert.equal(parseDesktopEntry(`${base}Hidden=false\n`)?.hidden, false);
    assert.equal(parseDesktopEntry(`${base}NoDisplay=true\n`)?.noDisplay, true);
    assert.equal(parseDesktopEntry(`${base}NoDisplay=false\n`)?.noDisplay, false);
    const both = parseDesktopEntry(`${base}Hidden=true\nNoDisplay=true\n`);
    assert.equal(both?.hidden, true);
    assert.equal(both?.noDisplay, true);
  });

  test('escapes \\s \\n \\t \\r \\\\ in values', () => {
    const text = '[Desktop Entry]\nType=Application\nName=\\sTwo\\nLines\\tTab\\\\s\nExec=run\\sme\n';
    const e = parseDesktopEntry(text);
    assert.equal(e?.name, ' Two\nLines\tTab\\s');
    assert.equal(e?.exec, 'run me');
  });

  test('spaces around "=" and CRLF line ends are ignored', () => {
    const text = '[Desktop Entry]\r\nType = Application\r\nName = Spaced Out \r\nIcon= spaced \r\n';
    assert.deepEqual(parseDesktopEntry(text), { name: 'Spaced Out', icon: 'spaced', exec: '', hidden: false, noDisplay: false });
  });

  test('comments and blank lines are skipped, even ones that look like keys', () => {
    const text = '# Name=Commented Out\n\n[Desktop Entry]\n# Name=Also Commented\nType=Application\n\n   # Icon=nope\nName=Real\n';
    assert.deepEqual(parseDesktopEntry(text), { name: 'Real', icon: '', exec: '', hidden: false, noDisplay: false });
  });

  test('missing Type → null', () => {
    assert.equal(parseDesktopEntry('[Desktop Entry]\nName=No Type\nExec=x\n'), null);
  });

  test('missing Name → null (a localized Name alone is not enough without a match)', () => {
    assert.equal(parseDesktopEntry('[Desktop Entry]\nType=Application\nExec=x\n'), null);
    assert.equal(parseDesktopEntry('[Desktop Entry]\nType=Application\nName[de]=Nur Deutsch\n', 'en_US'), null);
  });

  test('no [Desktop Entry] group at all → null', () => {
    assert.equal(parseDesktopEntry('Type=Application\nName=Orphan\n'), null);
    assert.equal(parseDesktopEntry('[Desktop Action x]\nType=Application\nName=Action\n'), null);
    assert.equal(parseDesktopEntry(''), null);
  });
});
