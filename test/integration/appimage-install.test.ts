// `headroom install` from an AppImage, through the tray's path (the image's Electron running the
// CLI as Node): the app is copied out of the mount, the unit runs the copy with the image file
// as Node, and that keeps working after the mount is gone; an agent started that way launches
// apps without the image's environment; a newer image moves the installation over; uninstall
// takes all of it away. The runtime and Electron stand-ins are described in fake-appimage.ts;
// systemctl and systemd-run are recorders (the real user manager is the lab's).
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { AgentClient } from '../../agent/bus/agent-client.js';
import { AgentProcess, cli, makeHome, ProcRoot, REPO, type Home } from '../support/agent-process.js';
import { CgroupTree, cgroupTreeUnavailable } from '../support/cgroup-tree.js';
import { buildFakeAppImage, type FakeAppImage } from '../support/fake-appimage.js';
import { dbusDaemonAvailable, startPrivateBus, type PrivateBus } from '../support/private-bus.js';

const unavailable = cgroupTreeUnavailable() || (dbusDaemonAvailable() ? '' : 'dbus-daemon is not installed');

describe('headroom install from an AppImage', { skip: unavailable || false }, () => {
  let bus: PrivateBus;
  let home: Home;
  let v1: FakeAppImage;
  let v2: FakeAppImage;
  let calls: () => string[];
  let copy1: string;
  let copy2: string;
  const read = (p: string): string => readFileSync(p, 'utf8');
  const unitPath = (): string => join(home.env.XDG_CONFIG_HOME!, 'systemd', 'user', 'headroom-agent.service');
  const activationPath = (): string => join(home.env.XDG_DATA_HOME!, 'dbus-1', 'services', 'org.headroom.Agent1.service');
  const root = (): string => join(home.env.XDG_DATA_HOME!, 'headroom', 'appimage');
  const link = (): string => join(home.dir, '.local', 'bin', 'headroom');

  /** The runtime removes a mount once its process is gone; wait for that. */
  async function mountsGone(image: FakeAppImage): Promise<void> {
    for (let i = 0; i < 100 && readdirSync(image.mounts).length > 0; i++) await sleep(50);
    assert.deepEqual(readdirSync(image.mounts), [], 'the mount is gone once the run ended');
  }

  before(async () => {
    bus = await startPrivateBus();
    home = makeHome(bus.address);
    const bin = join(home.dir, 'bin');
    mkdirSync(bin);
    const callsFile = join(home.dir, 'systemctl.calls');
    writeFileSync(join(bin, 'systemctl'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${callsFile}'\n`);
    writeFileSync(join(bin, 'systemd-run'), '#!/bin/sh\nwhile [ "$1" != "--" ]; do shift; done\nshift\nexec "$@"\n');
    chmodSync(join(bin, 'systemctl'), 0o755);
    chmodSync(join(bin, 'systemd-run'), 0o755);
    calls = () => (existsSync(callsFile) ? read(callsFile).split('\n').slice(0, -1) : []);
    home.env.PATH = `${bin}:${process.env.PATH ?? ''}`;
    const apps = join(home.dir, 'Applications');
    mkdirSync(apps);
    // A space and a quote in the image's path: the launcher scripts must quote it.
    v1 = buildFakeAppImage(join(apps, "Headroom 0.1.0 'test'.AppImage"), '0.1.0');
    v2 = buildFakeAppImage(join(apps, 'Headroom-0.2.0.AppImage'), '0.2.0');
    copy1 = join(root(), '0.1.0');
    copy2 = join(root(), '0.2.0');
  });
  after(async () => bus?.stop());

  test('the tray\'s install copies the agent out; the unit runs the copy with the image file as Node', async () => {
    const r = await cli(home, ['--tray-runs', 'install'], {}, { command: v1.image, timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.includes(`copied the agent out of the AppImage to ${copy1}; it runs with ${v1.image} as its Node`), r.stdout);
    assert.match(r.stdout, /linked .*\.local\/bin\/headroom to it/);
    assert.equal(read(unitPath()).match(/^ExecStart=(.*)$/m)?.[1], `${copy1}/headroom agent`);
    assert.equal(read(activationPath()).match(/^Exec=(.*)$/m)?.[1], `${copy1}/headroom agent`);
    assert.deepEqual(calls(), ['--user daemon-reload', '--user enable --now headroom-agent.service']);
    assert.equal(readlinkSync(link()), `${copy1}/headroom`);
    assert.deepEqual(JSON.parse(read(join(root(), 'installed.json'))), { version: '0.1.0', appImage: v1.image, dir: copy1 });
    assert.ok(existsSync(join(copy1, 'app', 'node_modules', '@particle', 'dbus-next', 'package.json')), 'the production modules came along');
    await mountsGone(v1);
    // The mount is gone; the installed command still works, through a fresh one.
    const v = await cli(home, ['--version'], {}, { command: link(), timeoutMs: 60_000 });
    assert.equal(v.code, 0, v.stderr);
    assert.equal(v.stdout.trim(), '0.1.0');
    await mountsGone(v1);
  });

  test('the installed agent runs from the copy on the image\'s Node, and launches apps without the image\'s environment', async () => {
    const tree = new CgroupTree();
    const proc = new ProcRoot(50);
    const dump = join(home.dir, 'launched.env');
    const script = join(home.dir, 'bin', 'dump-env');
    writeFileSync(script, `#!/bin/sh\nenv > '${dump}.tmp' && mv '${dump}.tmp' '${dump}'\n`);
    chmodSync(script, 0o755);
    writeFileSync(join(home.env.XDG_DATA_HOME!, 'applications', 'dump.desktop'), `[Desktop Entry]\nType=Application\nName=Dump\nExec=${script}\n`);
    // What the unit's ExecStart runs.
    const agent = await AgentProcess.start(home, ['--user-tree', tree.path, '--proc-root', proc.path], `${copy1}/headroom`);
    try {
      const pid = agent.child.pid!;
      const argv = read(`/proc/${pid}/cmdline`).split('\0');
      assert.ok(argv.map((a) => resolve(a)).includes(`${copy1}/app/dist/agent/cli/main.js`), argv.join(' '));
      assert.ok(argv.includes('--max-old-space-size=64'), 'the heap cap survives the chain');
      const environ = read(`/proc/${pid}/environ`).split('\0');
      assert.ok(environ.some((e) => e.startsWith('APPDIR=') && e.includes('.mount_Headro')), 'it really runs through a mount of the image');
      assert.ok(environ.includes('ELECTRON_RUN_AS_NODE=1'));
      const client = await AgentClient.connect({ address: bus.address });
      try {
        assert.equal(await client.version(), '0.1.0');
        await client.launch('dump.desktop', []);
      } finally {
        client.close();
      }
      for (let i = 0; i < 100 && !existsSync(dump); i++) await sleep(50);
      const env = Object.fromEntries(read(dump).split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
      for (const key of ['APPDIR', 'APPIMAGE', 'ARGV0', 'OWD', 'ELECTRON_RUN_AS_NODE', 'LD_LIBRARY_PATH', 'GSETTINGS_SCHEMA_DIR']) assert.equal(env[key], undefined, key);
      assert.equal(env.PATH, home.env.PATH, 'PATH as the session had it');
      assert.doesNotMatch(env.XDG_DATA_DIRS ?? '', /\.mount_|\.\/share/);
      assert.equal(env.HOME, home.dir);
    } finally {
      await agent.stop();
      await tree.remove();
    }
    await mountsGone(v1);
  });

  test('a newer image moves the installation over: unit rewritten, agent restarted, the old copy removed', async () => {
    const r = await cli(home, ['--tray-runs', 'install', '--json'], {}, { command: v2.image, timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { changed: string[]; appImage: { dir: string; appImage: string; link: string | null } };
    assert.deepEqual(out.changed.sort(), [activationPath(), unitPath()].sort());
    assert.deepEqual(out.appImage, { dir: copy2, command: `${copy2}/headroom`, appImage: v2.image, link: link() });
    assert.equal(read(unitPath()).match(/^ExecStart=(.*)$/m)?.[1], `${copy2}/headroom agent`);
    assert.deepEqual(calls().slice(2), ['--user daemon-reload', '--user enable --now headroom-agent.service', '--user try-restart headroom-agent.service']);
    assert.equal(existsSync(copy1), false, 'the 0.1.0 copy is gone');
    assert.equal(readlinkSync(link()), `${copy2}/headroom`);
    assert.equal((JSON.parse(read(join(root(), "installed.json"))) as { version: string }).version, '0.2.0');
    await mountsGone(v2);
  });

  test('uninstall from the installed command removes the unit, the activation file, the link and the copies', async () => {
    const r = await cli(home, ['uninstall'], {}, { command: link(), timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    for (const gone of [unitPath(), activationPath(), link(), root()]) assert.equal(existsSync(gone), false, gone);
    assert.ok(r.stdout.includes(`removed ${root()}`), r.stdout);
    assert.deepEqual(calls().slice(-2), ['--user disable --now headroom-agent.service', '--user daemon-reload']);
    await mountsGone(v2);
  });

  test('inside a mount whose image file is unknown: a clear refusal, nothing written', async () => {
    const other = makeHome(bus.address);
    // The checkout itself, seen as a mount: APPDIR is its root, and no APPIMAGE.
    const r = await cli(other, ['install'], { APPDIR: REPO }, { timeoutMs: 30_000 });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /inside an AppImage mount .* but the AppImage file is unknown \(\$APPIMAGE is not set\)/);
    assert.equal(existsSync(join(other.env.XDG_CONFIG_HOME!, 'systemd')), false, 'no unit written');
    assert.equal(existsSync(join(other.env.XDG_DATA_HOME!, 'headroom')), false, 'nothing copied');
  });
});
