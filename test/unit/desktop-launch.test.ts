import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chooseTerminal, DesktopLaunchError, launcherRecords, planDesktopLaunch, type DesktopFileText } from '../../agent/desktop/core/desktop-launch.js';

const file = (id: string, body: string): DesktopFileText => ({ id, path: `/usr/share/applications/${id}.desktop`, text: `[Desktop Entry]\nType=Application\n${body}\n` });
const ctx = (over: Partial<Parameters<typeof planDesktopLaunch>[2]> = {}) => ({
  locale: 'C', cwd: '/home/u', isInstalled: () => true, terminal: ['xterm', '-e'] as string[] | null, ...over,
});

describe('planDesktopLaunch', () => {
  test('expands Exec= for the targets (relative files made absolute) and keeps the id, name and Path=', () => {
    const plan = planDesktopLaunch(file('org.gnome.TextEditor', 'Name=Text Editor\nExec=gnome-text-editor %U\nPath=/srv'), ['file:///a', 'b.txt'], ctx());
    assert.deepEqual(plan, { appId: 'org.gnome.TextEditor', name: 'Text Editor', argv: ['gnome-text-editor', 'file:///a', '/home/u/b.txt'], workingDirectory: '/srv' });
  });

  test('Terminal=true runs the command inside the chosen terminal', () => {
    const plan = planDesktopLaunch(file('htop', 'Name=Htop\nExec=htop\nTerminal=true'), [], ctx({ terminal: ['gnome-terminal', '--'] }));
    assert.deepEqual(plan.argv, ['gnome-terminal', '--', 'htop']);
  });

  test('Terminal=true without any terminal is refused with what to install', () => {
    assert.throws(() => planDesktopLaunch(file('htop', 'Name=Htop\nExec=htop\nTerminal=true'), [], ctx({ terminal: null })),
      (err: Error) => err instanceof DesktopLaunchError && /Terminal=true, but no terminal emulator was found \(set \$TERMINAL/.test(err.message));
  });

  const refusals: [string, DesktopFileText, RegExp, string?][] = [
    ['hidden', file('gone', 'Name=Gone\nExec=x\nHidden=true'), /Hidden=true/],
    ['a link', { id: 'site', path: '/a/site.desktop', text: '[Desktop Entry]\nType=Link\nName=Site\nURL=https://x\n' }, /Type=Link, not Application/],
    ['no Exec', file('dbusonly', 'Name=D\nDBusActivatable=true'), /no Exec= line/],
    ['not an entry', { id: 'junk', path: '/a/junk.desktop', text: 'hello' }, /is not a desktop entry/],
    ['TryExec missing', file('try', 'Name=T\nTryExec=nope\nExec=nope'), /TryExec= program "nope" is not installed/],
    ['two files for %f', file('one', 'Name=One\nExec=one %f'), /./, 'usage'],
  ];
  for (const [what, f, re, kind] of refusals) {
    test(`refuses ${what}`, () => {
      assert.throws(() => planDesktopLaunch(f, kind === 'usage' ? ['a', 'b'] : [], ctx({ isInstalled: (p) => p !== 'nope' })),
        (err: Error) => err instanceof DesktopLaunchError && re.test(err.message) && err.kind === (kind ?? 'entry'));
    });
  }
});

describe('chooseTerminal', () => {
  test('$TERMINAL wins when installed, with its known flag or -e', () => {
    assert.deepEqual(chooseTerminal('kgx', () => true), ['kgx', '--']);
    assert.deepEqual(chooseTerminal('alacritty', () => true), ['alacritty', '-e']);
  });
  test('otherwise the first installed known terminal; none → null', () => {
    assert.deepEqual(chooseTerminal('alacritty', (p) => p === 'konsole'), ['konsole', '-e']);
    assert.deepEqual(chooseTerminal(undefined, (p) => p === 'xterm' || p === 'xfce4-terminal'), ['xfce4-terminal', '-x']);
    assert.equal(chooseTerminal('', () => false), null);
  });
});

describe('launcherRecords', () => {
  const files = [
    file('zed', 'Name=Zed\nExec=zed'),
    file('org.a.Editor', 'Name=Editor\nName[de]=Bearbeiter\nGenericName=Text Editor\nComment=Edit text\nComment[de]=Text bearbeiten\nIcon=ed\nExec=ed %F'),
    file('helper', 'Name=Helper\nExec=h\nNoDisplay=true'),
    file('gone', 'Name=Gone\nExec=g\nHidden=true'),
    file('kde-only', 'Name=KDE Thing\nExec=k\nOnlyShowIn=KDE;'),
    file('not-gnome', 'Name=Not On GNOME\nExec=n\nNotShowIn=GNOME;'),
    file('top', 'Name=Top\nExec=top\nTerminal=true'),
    file('uninstalled', 'Name=Missing\nTryExec=missing\nExec=missing'),
    { id: 'link', path: '/a/link.desktop', text: '[Desktop Entry]\nType=Link\nName=Link\nURL=x\n' },
  ];
  test('visible, usable applications for this desktop, by name, localized', () => {
    const records = launcherRecords(files, { locale: 'de_DE.UTF-8', isInstalled: (p) => p !== 'missing', desktops: ['ubuntu', 'GNOME'] });
    assert.deepEqual(records.map((r) => r.desktopId), ['org.a.Editor', 'top', 'zed']);
    assert.deepEqual(records[0], { desktopId: 'org.a.Editor', name: 'Bearbeiter', genericName: 'Text Editor', comment: 'Text bearbeiten', icon: 'ed', terminal: false });
    assert.equal(records[1]!.terminal, true);
  });
  test('OnlyShowIn/NotShowIn follow the current desktop', () => {
    const ids = launcherRecords(files, { locale: 'C', isInstalled: () => true, desktops: ['KDE'] }).map((r) => r.desktopId);
    assert.ok(ids.includes('kde-only') && ids.includes('not-gnome'));
  });
});
