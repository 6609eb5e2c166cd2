import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  appImageInstallDir, appImageSource, isSafeVersion, renderAppImageCommand, renderAppImageNode, shellWord, withoutAppImageEnv,
} from '../../agent/install/core/appimage.js';
import { compareVersions, parseAppImageInstallRecord } from '../../shared/appimage.js';

describe('appImageSource', () => {
  test('inside the mount with a known image file: copy out, run with that file', () => {
    assert.deepEqual(appImageSource('/tmp/.mount_HeadroXYZ/resources/app', { APPDIR: '/tmp/.mount_HeadroXYZ/', APPIMAGE: '/home/u/Apps/Headroom.AppImage' }),
      { kind: 'appimage', appImage: '/home/u/Apps/Headroom.AppImage', appDir: '/tmp/.mount_HeadroXYZ' });
  });
  test('inside a mount whose image is unknown, relative, or inside the mount itself: refused, saying why', () => {
    for (const APPIMAGE of [undefined, 'Headroom.AppImage', '/tmp/.mount_HeadroXYZ/AppRun']) {
      const s = appImageSource('/tmp/.mount_HeadroXYZ/resources/app', { APPDIR: '/tmp/.mount_HeadroXYZ', APPIMAGE });
      assert.equal(s.kind, 'refuse', String(APPIMAGE));
      assert.match(s.kind === 'refuse' ? s.why : '', /inside an AppImage mount \(\/tmp\/\.mount_HeadroXYZ\) but the AppImage file is unknown/);
    }
  });
  test('anything else installs what runs', () => {
    assert.deepEqual(appImageSource('/opt/headroom', { APPDIR: '/tmp/.mount_HeadroXYZ', APPIMAGE: '/x.AppImage' }), { kind: 'package' });
    assert.deepEqual(appImageSource('/tmp/.mount_HeadroXYZ2/app', { APPDIR: '/tmp/.mount_HeadroXYZ' }), { kind: 'package' }, 'a sibling with the same prefix is not inside');
    assert.deepEqual(appImageSource('/home/u/headroom', {}), { kind: 'package' });
  });
});

describe('where copies live', () => {
  test('one directory per version under the data home', () => {
    assert.equal(appImageInstallDir('/home/u/.local/share/', '0.2.0-beta.1+g1'), '/home/u/.local/share/headroom/appimage/0.2.0-beta.1+g1');
  });
  test('a version that could escape the directory is refused', () => {
    for (const v of ['', '..', '../x', '1/2', '.hidden', '1..2']) {
      assert.equal(isSafeVersion(v), false, v);
      assert.throws(() => appImageInstallDir('/d', v), /refusing to use/);
    }
  });
});

describe('the launcher scripts, run by a real sh', () => {
  test('node runs the image with ELECTRON_RUN_AS_NODE and every argument intact; headroom chains to the copy with that node', () => {
    const dir = mkdtempSync(join(tmpdir(), "headroom app'image $x "));
    try {
      // The image: prints what it was started with, one line each.
      const image = join(dir, "Head room 'v2'.AppImage");
      writeFileSync(image, '#!/bin/sh\necho "RUN_AS_NODE=$ELECTRON_RUN_AS_NODE"\necho "NODE=$HEADROOM_NODE"\nfor a in "$@"; do echo "arg:$a"; done\n');
      chmodSync(image, 0o755);
      const copy = join(dir, '0.1.0');
      mkdirSync(join(copy, 'app', 'bin'), { recursive: true });
      writeFileSync(join(copy, 'node'), renderAppImageNode(image));
      writeFileSync(join(copy, 'headroom'), renderAppImageCommand(copy));
      // bin/headroom of the copy stands in as "exec $HEADROOM_NODE main.js …", as the real one does.
      writeFileSync(join(copy, 'app', 'bin', 'headroom'), '#!/bin/sh\nexec "$HEADROOM_NODE" main.js "$@"\n');
      for (const f of ['node', 'headroom', 'app/bin/headroom']) chmodSync(join(copy, f), 0o755);
      const r = spawnSync(join(copy, 'headroom'), ['run', 'a b', "it's", '$HOME'], { encoding: 'utf8', env: { PATH: process.env.PATH } });
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(r.stdout.trimEnd().split('\n'), [
        'RUN_AS_NODE=1', `NODE=${join(copy, 'node')}`, 'arg:main.js', 'arg:run', 'arg:a b', "arg:it's", 'arg:$HOME',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  test('shellWord leaves plain paths alone and quotes the rest', () => {
    assert.equal(shellWord('/home/u/Apps/Headroom-1.0.AppImage'), '/home/u/Apps/Headroom-1.0.AppImage');
    assert.equal(shellWord("/a b/it's"), "'/a b/it'\\''s'");
  });
});

describe('withoutAppImageEnv', () => {
  // What electron-builder's AppRun exports, on top of a user's session environment.
  const mount = '/tmp/.mount_HeadroXYZ';
  const env = {
    HOME: '/home/u', DISPLAY: ':0', LANG: 'de_DE.UTF-8',
    APPDIR: mount, APPIMAGE: '/home/u/Headroom.AppImage', ARGV0: 'Headroom.AppImage', OWD: '/home/u', ELECTRON_RUN_AS_NODE: '1',
    PATH: `${mount}:${mount}/usr/sbin:/home/u/.local/bin:/usr/bin:/bin`,
    LD_LIBRARY_PATH: `${mount}/usr/lib:`,
    XDG_DATA_DIRS: `${mount}/usr/share/:./share/:/usr/share/gnome:/usr/local/share/:/usr/share/:/usr/local/share:/usr/share:/usr/share/gnome/:/usr/local/share/:/usr/share/`,
    GSETTINGS_SCHEMA_DIR: `${mount}/usr/share/glib-2.0/schemas:`,
  };
  test('drops the mount from every search path and the image\'s own variables; keeps the session\'s', () => {
    assert.deepEqual(withoutAppImageEnv(env), {
      HOME: '/home/u', DISPLAY: ':0', LANG: 'de_DE.UTF-8',
      PATH: '/home/u/.local/bin:/usr/bin:/bin',
      XDG_DATA_DIRS: '/usr/share/gnome:/usr/local/share/:/usr/share/:/usr/local/share:/usr/share:/usr/share/gnome/',
    });
  });
  test('outside an AppImage only ELECTRON_RUN_AS_NODE goes; search paths are untouched', () => {
    const plain = { PATH: '/usr/bin:/usr/bin', XDG_DATA_DIRS: './share/:/usr/share', ELECTRON_RUN_AS_NODE: '1' };
    assert.deepEqual(withoutAppImageEnv(plain), { PATH: '/usr/bin:/usr/bin', XDG_DATA_DIRS: './share/:/usr/share' });
  });
});

describe('the install record and versions', () => {
  test('a complete record parses; anything else is no record', () => {
    assert.deepEqual(parseAppImageInstallRecord('{"version":"0.1.0","appImage":"/a.AppImage","dir":"/d/0.1.0","extra":1}'), { version: '0.1.0', appImage: '/a.AppImage', dir: '/d/0.1.0' });
    for (const bad of ['', '{', 'null', '[]', '{"version":1,"appImage":"/a","dir":"/d"}', '{"version":"1","dir":"/d"}']) assert.equal(parseAppImageInstallRecord(bad), null, bad);
  });
  test('versions compare by number, a pre-release before its release', () => {
    assert.equal(compareVersions('1.10.0', '1.9.2'), 1);
    assert.equal(compareVersions('0.1.0', '0.1.0'), 0);
    assert.equal(compareVersions('0.1', '0.1.0'), 0);
    assert.equal(compareVersions('0.2.0-beta.1', '0.2.0'), -1);
    assert.equal(compareVersions('0.2.0', '0.2.0-beta.1'), 1);
    assert.equal(compareVersions('0.2.0-beta.1', '0.2.0-beta.2'), -1);
    assert.equal(compareVersions('1.0.0+build5', '1.0.0'), 0);
  });
});
