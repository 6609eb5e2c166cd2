// `headroom run`: the shim must exec all the way down (one PID, the app's exit code, no Node
// left behind). systemd-run itself is replaced here by a recorder on PATH that execs the
// command after "--"; the real systemd-run --user --scope is exercised in the lab guest.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseAppUnitName } from '../../agent/core/unit-name.js';
import { cli, HEADROOM, makeHome, type Home } from '../support/agent-process.js';

function withRecorder(): { home: Home; argvFile: string; env: NodeJS.ProcessEnv } {
  const home = makeHome('unix:path=/nonexistent-bus');
  const bin = join(home.dir, 'bin');
  mkdirSync(bin);
  const argvFile = join(home.dir, 'systemd-run.argv');
  // Records its arguments one per line, then behaves like systemd-run --scope: execs the command.
  writeFileSync(join(bin, 'systemd-run'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${argvFile}'\nwhile [ "$1" != "--" ]; do shift; done\nshift\nexec "$@"\n`);
  chmodSync(join(bin, 'systemd-run'), 0o755);
  return { home, argvFile, env: { PATH: `${bin}:${process.env.PATH}` } };
}

describe('headroom run', () => {
  test('execs systemd-run with the scope name, slice and app; the exit code is the app\'s', async () => {
    const { home, argvFile, env } = withRecorder();
    const r = await cli(home, ['run', '--id', 'firefox-esr', '--', 'sh', '-c', 'echo "hello $1"; exit 7', 'sh', "it's me"], env);
    assert.equal(r.code, 7);
    assert.equal(r.stdout, "hello it's me\n");
    const argv = readFileSync(argvFile, 'utf8').split('\n').slice(0, -1);
    const unitArg = argv.find((a) => a.startsWith('--unit='))!;
    const unit = unitArg.slice('--unit='.length);
    assert.match(unit, /^app-headroom-firefox\\x2desr-[0-9a-f]{16}\.scope$/);
    assert.equal(parseAppUnitName(unit)?.appId, 'firefox-esr', 'the id parses back from the unit name');
    assert.deepEqual(argv.filter((a) => a !== unitArg), [
      '--user', '--scope', '--quiet', '--collect', '--slice=app.slice', '--description=firefox-esr',
      '--', 'sh', '-c', 'echo "hello $1"; exit 7', 'sh', "it's me",
    ]);
  });

  test('one process all the way down: the PID we started is the app, and no Node stays behind', async () => {
    const { home, env } = withRecorder();
    const child = spawn(HEADROOM, ['run', '--', 'sh', '-c', 'echo $$; cat /proc/$$/comm; ps -o comm= --ppid $PPID 2>/dev/null | grep -c node || true'], { env: { ...home.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    assert.equal(code, 0);
    const [pid, comm] = out.split('\n');
    assert.equal(Number(pid), child.pid, 'the app has the PID of the headroom process we spawned');
    assert.equal(comm, 'sh');
  });

  test('a launched app gets oom_score_adj of at least 100, never the caller\'s lower value', async () => {
    const { home, env } = withRecorder();
    const r = await cli(home, ['run', '--', 'cat', '/proc/self/oom_score_adj'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(Number(r.stdout.trim()) >= 100, `oom_score_adj ${r.stdout.trim()}`);
  });

  test('--avoid / --omit set systemd\'s ManagedOOMPreference and remember the app without an agent', async () => {
    const { home, argvFile, env } = withRecorder();
    assert.equal((await cli(home, ['run', '--avoid', '--id', 'editor', '--', 'true'], env)).code, 0);
    assert.ok(readFileSync(argvFile, 'utf8').includes('--property\nManagedOOMPreference=avoid\n'));
    assert.equal((await cli(home, ['run', '--omit', '--id', 'notes', '--', 'true'], env)).code, 0);
    const prefs = JSON.parse(readFileSync(join(home.env.XDG_CONFIG_HOME!, 'headroom', 'preferences.json'), 'utf8')) as unknown;
    assert.deepEqual(prefs, { version: 1, apps: { editor: 'avoid', notes: 'omit' } });
    // The next launch without a flag carries the remembered choice onto the new scope.
    assert.equal((await cli(home, ['run', '--id', 'editor', '--', 'true'], env)).code, 0);
    assert.ok(readFileSync(argvFile, 'utf8').includes('--property\nManagedOOMPreference=avoid\n'));
    assert.equal((await cli(home, ['run', '--id', 'other', '--', 'true'], env)).code, 0);
    assert.ok(!readFileSync(argvFile, 'utf8').includes('ManagedOOMPreference'));
  });

  test('usage errors: no command, both --avoid and --omit, a missing systemd-run', async () => {
    const { home, env } = withRecorder();
    const none = await cli(home, ['run'], env);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /missing required argument 'command'/);
    const both = await cli(home, ['run', '--avoid', '--omit', '--', 'true'], env);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--avoid and --omit exclude each other/);
    const noSystemd = await cli(home, ['run', '--', 'true'], { PATH: '/nonexistent', HEADROOM_NODE: process.execPath });
    assert.equal(noSystemd.code, 1);
    assert.match(noSystemd.stderr, /systemd-run is not installed/);
  });

  test('--help documents the command and runs nothing', async () => {
    const { home, argvFile, env } = withRecorder();
    const r = await cli(home, ['run', '--help'], env);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Usage: headroom run \[options\] \[--\] <command> \[args\.\.\.\]/);
    assert.throws(() => readFileSync(argvFile), /ENOENT/);
  });
});
