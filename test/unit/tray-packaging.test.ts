// Packaging: electron-builder.yml is valid for electron-builder itself and puts the agent's
// files where the issue says; the desktop entries pass desktop-file-validate; Electron is
// pinned clear of the 2026 tray-registration regressions.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { REPO } from '../support/agent-process.js';

interface BuilderConfig {
  executableName: string;
  files: string[];
  extraFiles: { from: string; to: string }[];
  linux: { target: string[]; icon: string; executableArgs: string[] };
  deb: { fpm: string[] };
  asar?: boolean;
  electronFuses?: { runAsNode?: boolean };
}

// The YAML parser electron-builder itself reads the file with, and its own schema check.
const require = createRequire(join(REPO, 'package.json'));
const yaml = require('js-yaml') as { load(text: string): unknown };
const builderConfig = require('app-builder-lib/out/util/config/config.js') as { validateConfiguration: (config: unknown, logger: unknown) => Promise<void> };
const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };

const configText = readFileSync(join(REPO, 'electron-builder.yml'), 'utf8');
const config = yaml.load(configText) as BuilderConfig;
const desktopValidateMissing = spawnSync('desktop-file-validate', ['--help'], { stdio: 'ignore' }).status === 0 ? '' : 'desktop-file-validate not installed (apt-get install desktop-file-utils)';

/** key=value pairs of a desktop entry's [Desktop Entry] group (or a D-Bus service file's group). */
function keys(text: string): Map<string, string> {
  return new Map(text.split('\n').filter((l) => /^[A-Za-z0-9-]+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

describe('electron-builder.yml', () => {
  test("passes electron-builder's own configuration schema", async () => {
    await builderConfig.validateConfiguration(config, new DebugLogger(false));
  });

  test('Electron stays usable as Node, unpacked: the deb\'s /usr/bin/headroom and the AppImage\'s install run the agent that way', () => {
    assert.notEqual(config.electronFuses?.runAsNode, false, 'the RunAsNode fuse must stay on');
    assert.equal(config.asar, false, 'headroom install copies resources/app out as files');
  });

  test('builds an AppImage and a deb', () => {
    assert.deepEqual([...config.linux.target].sort(), ['AppImage', 'deb']);
  });

  test('the deb installs the user unit, the D-Bus activation file, the autostart entry and /usr/bin/headroom', () => {
    const mapping = new Map(config.deb.fpm.map((m) => m.split('=') as [string, string]));
    assert.deepEqual(Object.fromEntries([...mapping].map(([src, dst]) => [dst, src])), {
      '/usr/lib/systemd/user/headroom-agent.service': 'assets/headroom-agent.service',
      '/usr/share/dbus-1/services/org.headroom.Agent1.service': 'assets/org.headroom.Agent1.service',
      '/etc/xdg/autostart/headroom-tray.desktop': 'assets/headroom-tray.desktop',
      '/usr/bin/headroom': 'packaging/headroom',
      '/usr/lib/systemd/system/user.slice.d/50-headroom.conf': 'packaging/systemd/system/user.slice.d/50-headroom.conf',
      '/usr/lib/systemd/system/user-.slice.d/50-headroom.conf': 'packaging/systemd/system/user-.slice.d/50-headroom.conf',
      '/usr/lib/systemd/system/user@.service.d/50-headroom.conf': 'packaging/systemd/system/user@.service.d/50-headroom.conf',
      '/usr/lib/systemd/user/session.slice.d/50-headroom.conf': 'packaging/systemd/user/session.slice.d/50-headroom.conf',
    });
    for (const src of mapping.keys()) assert.ok(existsSync(join(REPO, src)), `${src} does not exist`);
  });

  test("every level above the agent gets the unit's MemoryMin, no less (or it is void) and no more (or the rest protects the apps)", () => {
    const unit = keys(readFileSync(join(REPO, 'assets/headroom-agent.service'), 'utf8')).get('MemoryMin');
    assert.ok(unit, 'the unit sets MemoryMin');
    for (const src of config.deb.fpm.map((m) => m.split('=')[0] ?? '').filter((f) => f.startsWith('packaging/systemd/'))) {
      assert.equal(keys(readFileSync(join(REPO, src), 'utf8')).get('MemoryMin'), unit, src);
    }
  });

  test('the unit and the activation file run the /usr/bin/headroom the deb ships', () => {
    assert.equal(keys(readFileSync(join(REPO, 'assets/headroom-agent.service'), 'utf8')).get('ExecStart'), '/usr/bin/headroom agent');
    assert.equal(keys(readFileSync(join(REPO, 'assets/org.headroom.Agent1.service'), 'utf8')).get('Exec'), '/usr/bin/headroom agent');
    const shim = readFileSync(join(REPO, 'packaging/headroom'), 'utf8');
    assert.match(shim, /HEADROOM_NODE=\/opt\/Headroom\/headroom-node exec \/opt\/Headroom\/resources\/app\/bin\/headroom "\$@"/);
    assert.ok(config.extraFiles.some((f) => f.from === 'packaging/headroom-node' && f.to === 'headroom-node'));
  });

  test('every file it references exists, and the shell shims are executable', () => {
    assert.ok(existsSync(join(REPO, config.linux.icon)), config.linux.icon);
    for (const f of config.extraFiles) assert.ok(existsSync(join(REPO, f.from)), f.from);
    for (const f of config.files.filter((p) => !/[*!{]/.test(p))) assert.ok(existsSync(join(REPO, f)), f);
    for (const shim of ['packaging/headroom', 'packaging/headroom-node', 'bin/headroom']) accessSync(join(REPO, shim), constants.X_OK);
  });

  test("the package's main is the built tray, and the autostart entry runs the packaged executable", () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { main: string };
    assert.equal(pkg.main, 'dist/tray-app/main/main.js');
    assert.ok(existsSync(join(REPO, pkg.main)), 'build first: the tray main is missing from dist/');
    const autostart = keys(readFileSync(join(REPO, 'assets/headroom-tray.desktop'), 'utf8'));
    assert.equal(autostart.get('Exec'), config.executableName);
    assert.notEqual(config.executableName, 'headroom', '/usr/bin/headroom is the command line');
    // electron-builder installs the icon under the executable's name.
    assert.equal(autostart.get('Icon'), config.executableName);
    assert.equal(keys(readFileSync(join(REPO, 'assets/headroom.desktop'), 'utf8')).get('Icon'), config.executableName);
  });
});

describe('desktop entries', () => {
  for (const name of ['headroom-tray.desktop', 'headroom.desktop']) {
    test(`${name} passes desktop-file-validate`, { skip: desktopValidateMissing || false }, () => {
      const r = spawnSync('desktop-file-validate', [join(REPO, 'assets', name)], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.equal((r.stdout + r.stderr).trim(), '', 'no warnings either');
    });
  }
  test('the autostart entry is enabled for GNOME and stays out of the app menus', () => {
    const k = keys(readFileSync(join(REPO, 'assets/headroom-tray.desktop'), 'utf8'));
    assert.equal(k.get('X-GNOME-Autostart-enabled'), 'true');
    assert.equal(k.get('NoDisplay'), 'true');
    assert.equal(k.get('Type'), 'Application');
  });
  test('the launcher entry opens the dashboard', () => {
    assert.equal(keys(readFileSync(join(REPO, 'assets/headroom.desktop'), 'utf8')).get('Exec'), 'headroom-tray --dashboard');
    assert.deepEqual(config.linux.executableArgs, ['--dashboard']);
  });
});

describe('Electron version', () => {
  test('pinned exactly, outside 43.3.0 – 44.0.x (the StatusNotifierItem registration regressions)', () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    const pinned = pkg.devDependencies.electron ?? '';
    assert.match(pinned, /^\d+\.\d+\.\d+$/, `electron must be an exact version, got ${JSON.stringify(pinned)}`);
    const [major, minor] = pinned.split('.').map(Number) as [number, number];
    const broken = (major === 43 && minor >= 3) || (major === 44 && minor === 0);
    assert.ok(!broken, `electron ${pinned} is in the range whose tray registration GNOME, Xfce and Waybar refuse`);
  });
});
