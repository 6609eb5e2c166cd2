// `headroom install` / `uninstall` in a temporary HOME. systemctl is a recorder on PATH (the
// real user manager is exercised in the lab guest); the D-Bus activation file is checked by a
// real dbus-daemon that looks for services where a session bus does.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { cli, HEADROOM, makeHome, type Home } from '../support/agent-process.js';
import { dbusDaemonAvailable, startPrivateBus } from '../support/private-bus.js';

interface Setup {
  home: Home;
  unit: string;
  activation: string;
  record: string;
  calls: () => string[];
  env: NodeJS.ProcessEnv;
}

/** A temp HOME and a fake systemctl that appends its argv (one call per line) to a file. */
function setup(): Setup {
  const home = makeHome('unix:path=/nonexistent-bus');
  const bin = join(home.dir, 'bin');
  mkdirSync(bin);
  const callsFile = join(home.dir, 'systemctl.calls');
  // FAKE_SYSTEMCTL_FAIL=<verb>: fail that verb the way systemctl does without a user manager.
  writeFileSync(join(bin, 'systemctl'), `#!/bin/sh
printf '%s\\n' "$*" >> '${callsFile}'
if [ -n "$FAKE_SYSTEMCTL_FAIL" ] && [ "$2" = "$FAKE_SYSTEMCTL_FAIL" ]; then
  echo 'Failed to connect to bus: No medium found' >&2
  exit 1
fi
exit 0
`);
  chmodSync(join(bin, 'systemctl'), 0o755);
  return {
    home,
    unit: join(home.env.XDG_CONFIG_HOME!, 'systemd', 'user', 'headroom-agent.service'),
    activation: join(home.env.XDG_DATA_HOME!, 'dbus-1', 'services', 'org.headroom.Agent1.service'),
    record: join(home.env.XDG_STATE_HOME!, 'headroom', 'installed.json'),
    calls: () => (existsSync(callsFile) ? readFileSync(callsFile, 'utf8').split('\n').slice(0, -1) : []),
    env: { PATH: `${bin}:${process.env.PATH}` },
  };
}

const read = (path: string): string => readFileSync(path, 'utf8');
const mtime = (path: string): number => statSync(path).mtimeMs;

describe('headroom install', () => {
  test('writes the unit and the D-Bus activation file pointing at this bin/headroom, then reloads, enables and starts', async () => {
    const s = setup();
    const r = await cli(s.home, ['install'], s.env);
    assert.equal(r.code, 0, r.stderr);
    const unit = read(s.unit);
    assert.match(unit, new RegExp(`^ExecStart=${HEADROOM.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} agent$`, 'm'));
    assert.equal(unit.match(/^ExecStart=/gm)?.length, 1);
    assert.match(unit, /^BusName=org\.headroom\.Agent1$/m, 'the rest of the template is kept');
    const activation = read(s.activation);
    assert.match(activation, /^\[D-BUS Service\]$/m);
    assert.match(activation, /^Name=org\.headroom\.Agent1$/m);
    assert.equal(activation.match(/^Exec=(.*)$/m)?.[1], `${HEADROOM} agent`);
    assert.match(activation, /^SystemdService=headroom-agent\.service$/m);
    assert.deepEqual(s.calls(), ['--user daemon-reload', '--user enable --now headroom-agent.service']);
    assert.match(r.stdout, /wrote .*headroom-agent\.service/);
    assert.match(r.stdout, /enabled and started headroom-agent\.service/);
    const rec = JSON.parse(read(s.record)) as { version: number; files: Record<string, { sha256: string }> };
    assert.equal(rec.version, 1);
    assert.deepEqual(Object.keys(rec.files).sort(), [s.activation, s.unit].sort());
  });

  test('a second install changes nothing and says so; the files are not rewritten', async () => {
    const s = setup();
    assert.equal((await cli(s.home, ['install'], s.env)).code, 0);
    const before = [mtime(s.unit), mtime(s.activation), mtime(s.record)];
    const r = await cli(s.home, ['install', '--json'], s.env);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.deepEqual(out, { unit: s.unit, activation: s.activation, changed: [], backups: [], enabled: true, started: true, systemctl: null, appImage: null });
    assert.deepEqual([mtime(s.unit), mtime(s.activation), mtime(s.record)], before);
    const human = await cli(s.home, ['install'], s.env);
    assert.match(human.stdout, /already installed .*no file changed/);
  });

  test('--no-start enables without starting', async () => {
    const s = setup();
    const r = await cli(s.home, ['install', '--no-start', '--json'], s.env);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(s.calls(), ['--user daemon-reload', '--user enable headroom-agent.service']);
    assert.equal((JSON.parse(r.stdout) as { started: boolean }).started, false);
  });

  test('a unit the user edited is refused, named, and left alone; --force replaces it and keeps a backup', async () => {
    const s = setup();
    assert.equal((await cli(s.home, ['install'], s.env)).code, 0);
    const edited = read(s.unit).replace('RestartSec=1s', 'RestartSec=30s');
    writeFileSync(s.unit, edited);
    const callsBefore = s.calls().length;
    const refused = await cli(s.home, ['install'], s.env);
    assert.equal(refused.code, 1);
    assert.ok(refused.stderr.includes(s.unit), refused.stderr);
    assert.match(refused.stderr, /was edited since headroom install wrote it/);
    assert.match(refused.stderr, /systemctl --user edit headroom-agent\.service/);
    assert.match(refused.stderr, /--force/);
    assert.equal(read(s.unit), edited, 'untouched');
    assert.equal(s.calls().length, callsBefore, 'no systemctl call after a refusal');

    const forced = await cli(s.home, ['install', '--force', '--json'], s.env);
    assert.equal(forced.code, 0, forced.stderr);
    const out = JSON.parse(forced.stdout) as { changed: string[]; backups: string[] };
    assert.deepEqual(out.changed, [s.unit]);
    assert.equal(out.backups.length, 1);
    assert.match(out.backups[0]!, /headroom-agent\.service\.bak-\d{8}T\d{6}Z$/);
    assert.equal(read(out.backups[0]!), edited, 'the backup is the user\'s version');
    assert.match(read(s.unit), /^RestartSec=1s$/m);
    assert.deepEqual(s.calls().slice(callsBefore), [
      '--user daemon-reload', '--user enable --now headroom-agent.service', '--user try-restart headroom-agent.service',
    ], 'a changed unit under a running agent is restarted');
    // Now ours again: a plain install is quiet.
    assert.equal((await cli(s.home, ['install'], s.env)).code, 0);
  });

  test('a file headroom never wrote is refused too', async () => {
    const s = setup();
    mkdirSync(dirname(s.activation), { recursive: true });
    writeFileSync(s.activation, '[D-BUS Service]\nName=org.headroom.Agent1\nExec=/opt/other/headroom agent\n');
    const r = await cli(s.home, ['install'], s.env);
    assert.equal(r.code, 1);
    assert.ok(r.stderr.includes(`${s.activation} exists but was not written by headroom install`), r.stderr);
    assert.equal(existsSync(s.unit), false, 'nothing is written when any file is refused');
    assert.deepEqual(s.calls(), []);
  });

  test('systemctl failing: exit 1, a clear message with what to run, and the files in place', async () => {
    const s = setup();
    const r = await cli(s.home, ['install'], { ...s.env, FAKE_SYSTEMCTL_FAIL: 'daemon-reload' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /"systemctl --user daemon-reload" failed \(exit status 1: Failed to connect to bus: No medium found\)/);
    assert.match(r.stderr, /The files are in place/);
    assert.match(r.stderr, /systemctl --user daemon-reload && systemctl --user enable --now headroom-agent\.service/);
    assert.ok(existsSync(s.unit) && existsSync(s.activation));

    const late = await cli(s.home, ['install', '--json'], { ...s.env, FAKE_SYSTEMCTL_FAIL: 'enable' });
    assert.equal(late.code, 1);
    assert.deepEqual(JSON.parse(late.stdout), {
      unit: s.unit, activation: s.activation, changed: [], backups: [], enabled: false, started: false,
      systemctl: { failed: 'systemctl --user enable --now headroom-agent.service', detail: 'exit status 1: Failed to connect to bus: No medium found' },
      appImage: null,
    });
    assert.match(late.stderr, /Once there is, run: systemctl --user enable --now headroom-agent\.service$/m);
  });

  test('no systemctl at all: exit 1, files written, and what to run on a systemd system', async () => {
    const s = setup();
    const r = await cli(s.home, ['install'], { PATH: '/nonexistent', HEADROOM_NODE: process.execPath });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /systemctl was not found.*run: systemctl --user daemon-reload && systemctl --user enable --now headroom-agent\.service/);
    assert.ok(existsSync(s.unit) && existsSync(s.activation));
  });

  test('--no-systemctl writes the files and calls nothing', async () => {
    const s = setup();
    const r = await cli(s.home, ['install', '--no-systemctl'], s.env);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(s.unit) && existsSync(s.activation));
    assert.deepEqual(s.calls(), []);
  });
});

describe('headroom uninstall', () => {
  test('stops and disables the unit, removes both files, reloads', async () => {
    const s = setup();
    assert.equal((await cli(s.home, ['install'], s.env)).code, 0);
    const n = s.calls().length;
    const r = await cli(s.home, ['uninstall', '--json'], s.env);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { unit: s.unit, activation: s.activation, removed: [s.unit, s.activation], backups: [], disabled: true });
    assert.equal(existsSync(s.unit), false);
    assert.equal(existsSync(s.activation), false);
    assert.deepEqual(s.calls().slice(n), ['--user disable --now headroom-agent.service', '--user daemon-reload']);
    assert.deepEqual((JSON.parse(read(s.record)) as { files: object }).files, {});
    const again = await cli(s.home, ['uninstall'], s.env);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /not installed here.*nothing to do/);
    assert.equal(s.calls().length, n + 2, 'nothing to disable the second time');
  });

  test('refuses to remove an edited unit (nothing removed, nothing disabled); --force removes it and keeps a backup', async () => {
    const s = setup();
    assert.equal((await cli(s.home, ['install'], s.env)).code, 0);
    writeFileSync(s.unit, read(s.unit) + 'Environment=MINE=1\n');
    const n = s.calls().length;
    const r = await cli(s.home, ['uninstall'], s.env);
    assert.equal(r.code, 1);
    assert.ok(r.stderr.includes(`${s.unit} was edited since headroom install wrote it`), r.stderr);
    assert.match(r.stderr, /headroom uninstall --force/);
    assert.ok(existsSync(s.unit) && existsSync(s.activation));
    assert.equal(s.calls().length, n);

    const forced = await cli(s.home, ['uninstall', '--force'], s.env);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(existsSync(s.unit), false);
    const backups = readdirSync(dirname(s.unit)).filter((f) => f.startsWith('headroom-agent.service.bak-'));
    assert.equal(backups.length, 1);
    assert.match(read(join(dirname(s.unit), backups[0]!)), /Environment=MINE=1/);
  });

  test('a failing systemctl disable removes nothing, so a retry can still disable', async () => {
    const s = setup();
    assert.equal((await cli(s.home, ['install'], s.env)).code, 0);
    const r = await cli(s.home, ['uninstall'], { ...s.env, FAKE_SYSTEMCTL_FAIL: 'disable' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /"systemctl --user disable --now headroom-agent\.service" failed .*nothing was removed/);
    assert.ok(existsSync(s.unit) && existsSync(s.activation));
  });
});

describe('the D-Bus activation file', { skip: !dbusDaemonAvailable() && 'dbus-daemon is not installed' }, () => {
  test('a session bus looking in the standard places lists org.headroom.Agent1 as activatable', async () => {
    const s = setup();
    assert.equal((await cli(s.home, ['install', '--no-systemctl'], s.env)).code, 0);
    // <standard_session_servicedirs/> is $XDG_DATA_HOME/dbus-1/services and friends: this
    // proves the file's place as well as its syntax.
    const bus = await startPrivateBus({
      standardServiceDirs: true,
      env: { PATH: process.env.PATH, HOME: s.home.dir, XDG_DATA_HOME: s.home.env.XDG_DATA_HOME, XDG_DATA_DIRS: s.home.env.XDG_DATA_DIRS },
    });
    try {
      const r = spawnSync('dbus-send', [`--bus=${bus.address}`, '--print-reply', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.ListActivatableNames'], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /string "org\.headroom\.Agent1"/, r.stdout);
    } finally {
      await bus.stop();
    }
  });
});
