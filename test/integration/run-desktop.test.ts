// `headroom run X.desktop [FILES…]`: the entry's Exec= runs in a scope named after the entry's
// id and described by its Name. systemd-run is a recorder on PATH that honours
// --working-directory and execs the command after "--" (the real one runs in the lab guest).
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseAppUnitName } from '../../agent/core/unit-name.js';
import { cli, makeHome, type CliResult, type Home } from '../support/agent-process.js';

interface Setup {
  home: Home;
  apps: string;
  env: NodeJS.ProcessEnv;
  argv: () => string[];
}

function setup(desktopFiles: Record<string, string>): Setup {
  const home = makeHome('unix:path=/nonexistent-bus', desktopFiles);
  const bin = join(home.dir, 'bin');
  mkdirSync(bin);
  const argvFile = join(home.dir, 'systemd-run.argv');
  writeFileSync(join(bin, 'systemd-run'), `#!/bin/sh
printf '%s\\n' "$@" > '${argvFile}'
while [ "$1" != "--" ]; do
  case $1 in --working-directory=*) cd "\${1#--working-directory=}" ;; esac
  shift
done
shift
exec "$@"
`);
  chmodSync(join(bin, 'systemd-run'), 0o755);
  return {
    home,
    apps: join(home.env.XDG_DATA_HOME!, 'applications'),
    env: { PATH: `${bin}:${process.env.PATH}` },
    argv: () => readFileSync(argvFile, 'utf8').split('\n').slice(0, -1),
  };
}

/** cli(), from a chosen working directory. */
const runIn = (s: Setup, cwd: string, args: string[]): Promise<CliResult> => cli(s.home, args, s.env, { cwd });

const entry = (lines: string): string => `[Desktop Entry]\nType=Application\n${lines}\n`;

const EDITOR = entry(`Name=Example Editor
Name[de]=Beispiel-Editor
Icon=accessories-text-editor
Exec=sh -c 'echo "opened $1 in $PWD"; exit 3' sh %f`);

const ARGS = entry(`Name=Arg Printer
Icon=printer
Exec=sh -c 'printf "[%%s]\\\\n" "$@"' sh %i %c %k "100%%" %F`);

const unitOf = (argv: string[]): string => argv.find((a) => a.startsWith('--unit='))!.slice('--unit='.length);

describe('headroom run <desktop entry>', () => {
  test('runs Exec= with %f in a scope named after the entry id, described by its Name; the exit code is the app\'s', async () => {
    const s = setup({ 'org.example.Editor.desktop': EDITOR });
    const r = await cli(s.home, ['run', 'org.example.Editor.desktop', '/tmp/notes.txt'], s.env);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout, `opened /tmp/notes.txt in ${process.cwd()}\n`);
    const argv = s.argv();
    const unit = unitOf(argv);
    assert.match(unit, /^app-headroom-org\.example\.Editor-[0-9a-f]{16}\.scope$/);
    assert.equal(parseAppUnitName(unit)?.appId, 'org.example.Editor');
    assert.deepEqual(argv.filter((a) => !a.startsWith('--unit=')), [
      '--user', '--scope', '--quiet', '--collect', '--slice=app.slice', '--description=Example Editor',
      '--', 'sh', '-c', 'echo "opened $1 in $PWD"; exit 3', 'sh', '/tmp/notes.txt',
    ]);
  });

  test('the Name is translated; no file: %f vanishes', async () => {
    const s = setup({ 'org.example.Editor.desktop': EDITOR });
    const r = await cli(s.home, ['run', 'org.example.Editor.desktop'], { ...s.env, LANG: 'de_DE.UTF-8' });
    assert.equal(r.code, 3, r.stderr);
    assert.ok(s.argv().includes('--description=Beispiel-Editor'));
    assert.deepEqual(s.argv().slice(s.argv().indexOf('--')), ['--', 'sh', '-c', 'echo "opened $1 in $PWD"; exit 3', 'sh']);
  });

  test('%i %c %k %% and %F with several files', async () => {
    const s = setup({ 'org.example.Args.desktop': ARGS });
    const r = await cli(s.home, ['run', 'org.example.Args.desktop', '/a b', 'file:///c%20d'], s.env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, ['--icon', 'printer', 'Arg Printer', join(s.apps, 'org.example.Args.desktop'), '100%', '/a b', '/c d'].map((a) => `[${a}]\n`).join(''));
  });

  test('Path= becomes --working-directory, and relative files are resolved where headroom was run', async () => {
    const s = setup({});
    const workdir = join(s.home.dir, 'work');
    mkdirSync(workdir);
    writeFileSync(join(s.apps, 'org.example.Editor.desktop'), EDITOR.replace('Icon=', `Path=${workdir}\nIcon=`));
    const r = await runIn(s, s.home.dir, ['run', 'org.example.Editor.desktop', 'notes.txt']);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout, `opened ${join(s.home.dir, 'notes.txt')} in ${workdir}\n`);
    const argv = s.argv();
    assert.ok(argv.indexOf(`--working-directory=${workdir}`) >= 0 && argv.indexOf(`--working-directory=${workdir}`) < argv.indexOf('--'), argv.join(' '));
  });

  test('--desktop ID (without .desktop) takes all positional arguments as files; --avoid remembers the entry id', async () => {
    const s = setup({ 'org.example.Editor.desktop': EDITOR });
    const r = await cli(s.home, ['run', '--avoid', '--desktop', 'org.example.Editor', '/tmp/x'], s.env);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stdout, /^opened \/tmp\/x /);
    const prefs = JSON.parse(readFileSync(join(s.home.env.XDG_CONFIG_HOME!, 'headroom', 'preferences.json'), 'utf8')) as { apps: object };
    assert.deepEqual(prefs.apps, { 'org.example.Editor': 'avoid' });
  });

  test('a path to a .desktop file outside the data dirs; a kde/ subdirectory entry gets the id kde-…', async () => {
    const s = setup({});
    const loose = join(s.home.dir, 'My.Tool.desktop');
    writeFileSync(loose, entry('Name=My Tool\nExec=true'));
    assert.equal((await cli(s.home, ['run', loose], s.env)).code, 0);
    assert.match(unitOf(s.argv()), /^app-headroom-My\.Tool-[0-9a-f]{16}\.scope$/);
    mkdirSync(join(s.apps, 'kde'));
    writeFileSync(join(s.apps, 'kde', 'kwrite.desktop'), entry('Name=KWrite\nExec=true'));
    assert.equal((await cli(s.home, ['run', 'kde-kwrite.desktop'], s.env)).code, 0);
    assert.equal(parseAppUnitName(unitOf(s.argv()))?.appId, 'kde-kwrite');
    assert.equal((await cli(s.home, ['run', join(s.apps, 'kde', 'kwrite.desktop')], s.env)).code, 0);
    assert.equal(parseAppUnitName(unitOf(s.argv()))?.appId, 'kde-kwrite', 'by path, the id still comes from the applications dir');
  });

  const refusals: [string, Record<string, string>, string[], number, RegExp][] = [
    ['a Hidden entry', { 'org.example.Gone.desktop': entry('Name=Gone\nExec=true\nHidden=true') }, ['org.example.Gone.desktop'], 1,
      /org\.example\.Gone\.desktop has Hidden=true: the desktop treats that entry as deleted/],
    ['an entry without Exec=', { 'org.example.Bus.desktop': entry('Name=Bus\nDBusActivatable=true') }, ['org.example.Bus.desktop'], 1,
      /org\.example\.Bus\.desktop has no Exec= line/],
    ['a Link entry', { 'site.desktop': '[Desktop Entry]\nType=Link\nName=Site\nURL=https://example.org\n' }, ['site.desktop'], 1,
      /site\.desktop is of Type=Link, not Application/],
    ['an unknown entry', {}, ['org.example.Nowhere.desktop'], 1,
      /no desktop entry org\.example\.Nowhere\.desktop in .*\/data\/applications, .*\/nowhere\/applications/],
    ['malformed quoting', { 'bad.desktop': entry('Name=Bad\nExec=sh -c "echo hi') }, ['bad.desktop'], 1,
      /bad\.desktop: Exec=sh -c "echo hi: unterminated double quote \(opened at column 7\)/],
    ['an unknown field code', { 'bad.desktop': entry('Name=Bad\nExec=app %z') }, ['bad.desktop'], 1, /bad\.desktop: Exec=app %z: unknown field code %z/],
    ['a TryExec program that is not installed', { 'org.example.Try.desktop': entry('Name=Try\nTryExec=headroom-no-such-program\nExec=true') }, ['org.example.Try.desktop'], 1,
      /TryExec= program "headroom-no-such-program" is not installed/],
    ['files for an entry that opens none', { 'org.example.Plain.desktop': entry('Name=Plain\nExec=true') }, ['org.example.Plain.desktop', '/tmp/x'], 2,
      /opens no files or URLs/],
    ['two files for %f', { 'org.example.Editor.desktop': EDITOR }, ['org.example.Editor.desktop', '/a', '/b'], 2, /opens one file at a time/],
  ];
  for (const [name, files, args, code, message] of refusals) {
    test(`refused: ${name} (exit ${code}), and nothing is launched`, async () => {
      const s = setup(files);
      const r = await cli(s.home, ['run', ...args], s.env);
      assert.equal(r.code, code, r.stderr);
      assert.match(r.stderr, message);
      assert.throws(() => s.argv(), /ENOENT/);
    });
  }

  test('a Hidden entry in XDG_DATA_HOME shadows the system one (the user deleted it)', async () => {
    const s = setup({ 'org.example.Editor.desktop': entry('Name=Example Editor\nHidden=true') });
    const system = join(s.home.dir, 'nowhere', 'applications');
    mkdirSync(system, { recursive: true });
    writeFileSync(join(system, 'org.example.Editor.desktop'), EDITOR);
    const r = await cli(s.home, ['run', 'org.example.Editor.desktop'], s.env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Hidden=true/);
  });

  test('plain commands are unaffected, and "run" alone is still a usage error', async () => {
    const s = setup({});
    const r = await cli(s.home, ['run', '--', 'sh', '-c', 'echo plain'], s.env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'plain\n');
    const none = await cli(s.home, ['run'], s.env);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /missing required argument 'command'/);
  });
});
