// Desktop ids from the bus (Launch) and from unit names reach only entries inside the data
// dirs' applications/ trees.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createDesktopLookup, desktopFileNames, findDesktopFile } from '../../agent/desktop/desktop-entries.js';

describe('desktop ids never leave applications/ (issue 13 item 5)', () => {
  test('candidate names stay plain: no "..", no separators', () => {
    assert.deepEqual(desktopFileNames('kde-kwrite'), ['kde-kwrite.desktop', 'kde/kwrite.desktop']);
    assert.deepEqual(desktopFileNames('..-evil'), ['..-evil.desktop'], '"-" must not make a ".." segment');
    assert.deepEqual(desktopFileNames('evil-..'), ['evil-...desktop']);
    for (const id of ['../evil', 'a/b', '/etc/passwd', '..', '.', '', 'x\0y', 'a\\b']) assert.deepEqual(desktopFileNames(id), [], JSON.stringify(id));
  });

  test('a lookup or a launch by a traversing id finds nothing outside the data dirs', async () => {
    const data = mkdtempSync(join(tmpdir(), 'hr-xdg-'));
    const apps = join(data, 'applications');
    mkdirSync(apps);
    const evil = '[Desktop Entry]\nType=Application\nName=Evil\nExec=touch /tmp/pwned\n';
    writeFileSync(join(data, 'evil.desktop'), evil); // $XDG_DATA_HOME/evil.desktop, beside applications/
    writeFileSync(join(data, 'x.desktop'), evil);
    assert.equal(await findDesktopFile('..-evil', [apps]), null);
    assert.equal(await findDesktopFile('../x', [apps]), null);
    assert.equal(await createDesktopLookup([apps]).lookup('..-evil'), null);
    assert.equal(await createDesktopLookup([apps]).lookup('../x'), null, 'an id unescaped from a unit name with \\x2f');
  });
});
