import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';

import { LAUNCH_MIN_OOM_SCORE_ADJ, buildExecLine, buildLaunchArgv, shellQuote } from '../../agent/desktop/core/launch.js';
import type { LaunchSpec } from '../../agent/desktop/core/launch.js';

const RANDOM = '0123456789abcdef';
const spec = (over: Partial<LaunchSpec> = {}): LaunchSpec => ({
  appId: 'firefox-esr',
  random: RANDOM,
  command: 'firefox-esr',
  args: ['--new-window', 'https://example.org/?a=1&b=2'],
  preference: 'none',
  ...over,
});

const isRoot = process.getuid?.() === 0;

describe('buildLaunchArgv', () => {
  test('preference none: no property, description defaults to the id', () => {
    assert.deepEqual(buildLaunchArgv(spec()), [
      'systemd-run', '--user', '--scope', '--quiet', '--collect',
      '--slice=app.slice',
      '--unit=app-headroom-firefox\\x2desr-0123456789abcdef.scope',
      '--description=firefox-esr',
      '--',
      'firefox-esr', '--new-window', 'https://example.org/?a=1&b=2',
    ]);
  });

  for (const preference of ['avoid', 'omit'] as const) {
    test(`preference ${preference}: ManagedOOMPreference property before "--"`, () => {
      assert.deepEqual(buildLaunchArgv(spec({ preference, description: 'Firefox ESR', args: [] })), [
        'systemd-run', '--user', '--scope', '--quiet', '--collect',
        '--slice=app.slice',
        '--unit=app-headroom-firefox\\x2desr-0123456789abcdef.scope',
        '--description=Firefox ESR',
        '--property', `ManagedOOMPreference=${preference}`,
        '--',
        'firefox-esr',
      ]);
    });
  }

  test('args that look like systemd-run options stay after "--"', () => {
    const argv = buildLaunchArgv(spec({ command: '/usr/bin/env', args: ['--user', '--property=X', '--'] }));
    const sep = argv.indexOf('--');
    assert.deepEqual(argv.slice(sep + 1), ['/usr/bin/env', '--user', '--property=X', '--']);
  });

  test('invalid id or random fails before any argv exists', () => {
    assert.throws(() => buildLaunchArgv(spec({ appId: ' ' })), /empty/);
    assert.throws(() => buildLaunchArgv(spec({ random: 'nothex' })), /16 lowercase hex/);
  });
});

const HOSTILE = [
  "it's",
  "''",
  "'",
  '$(rm -rf /)',
  '`id`',
  '${HOME}',
  '$HOME',
  'a\nb',
  'trailing newline\n',
  '',
  '*',
  '-n',
  '-e',
  'a b  c',
  '\\',
  '"double"',
  ';|&<>()',
  '\t',
  '!',
  '~',
  'café 🦊',
];

describe('shellQuote', () => {
  test('known forms', () => {
    assert.equal(shellQuote('abc'), "'abc'");
    assert.equal(shellQuote(''), "''");
    assert.equal(shellQuote("it's"), "'it'\\''s'");
  });

  test('a real sh prints every hostile word back exactly, one per word', () => {
    const script = 'printf "[%s]\\n" ' + HOSTILE.map(shellQuote).join(' ');
    const out = execFileSync('sh', ['-c', script], { encoding: 'utf8', cwd: '/' });
    assert.equal(out, HOSTILE.map((w) => `[${w}]\n`).join(''));
  });

  test('each word alone survives sh (no globbing, no option parsing, no expansion)', () => {
    for (const w of HOSTILE) {
      const out = execFileSync('sh', ['-c', `printf '%s' ${shellQuote(w)}`], { encoding: 'utf8', cwd: '/' });
      assert.equal(out, w, JSON.stringify(w));
    }
  });
});

describe('buildExecLine', () => {
  const raise = `echo ${LAUNCH_MIN_OOM_SCORE_ADJ} >/proc/self/oom_score_adj`;

  test('LAUNCH_MIN_OOM_SCORE_ADJ is 100', () => {
    assert.equal(LAUNCH_MIN_OOM_SCORE_ADJ, 100);
  });

  test('adj -1000: raises to 100 before exec', () => {
    const line = buildExecLine(['systemd-run', '--user'], -1000);
    assert.ok(line.includes(raise), line);
    assert.ok(line.indexOf(raise) < line.indexOf('exec '), line);
    assert.ok(line.endsWith("exec 'systemd-run' '--user'"), line);
  });

  test('adj 99: still raised', () => {
    assert.ok(buildExecLine(['x'], 99).includes(raise));
  });

  for (const adj of [100, 200, null]) {
    test(`adj ${String(adj)}: no echo, just exec`, () => {
      assert.equal(buildExecLine(['systemd-run', 'a b'], adj), "exec 'systemd-run' 'a b'");
    });
  }

  test('eval in sh runs exactly the given words', () => {
    const line = buildExecLine(['printf', '%s|', 'a b', "it's"], null);
    const out = execFileSync('sh', ['-c', 'eval "$1"', 'sh', line], { encoding: 'utf8' });
    assert.equal(out, "a b|it's|");
  });

  test('eval in sh runs hostile words untouched', () => {
    const line = buildExecLine(['printf', '[%s]', ...HOSTILE], null);
    const out = execFileSync('sh', ['-c', 'eval "$1"', 'sh', line], { encoding: 'utf8', cwd: '/' });
    assert.equal(out, HOSTILE.map((w) => `[${w}]`).join(''));
  });

  /** Run `script` in sh after lowering its own oom_score_adj to `adj`; null if the kernel refuses. */
  const lowered = (adj: number, script: string): string | null => {
    const r = spawnSync('sh', ['-c', `echo ${adj} >/proc/self/oom_score_adj 2>/dev/null || exit 99; [ "$(cat /proc/$$/oom_score_adj)" = ${adj} ] || exit 99; ${script}`], { encoding: 'utf8' });
    return r.status === 99 ? null : r.stdout;
  };

  test('a shell at adj -500 execs the command at adj >= 100', (t) => {
    const out = lowered(-500, buildExecLine(['cat', '/proc/self/oom_score_adj'], -500));
    if (out === null) {
      t.skip('this kernel refuses to lower oom_score_adj (no CAP_SYS_RESOURCE)');
      return;
    }
    assert.equal(Number(out.trim()), LAUNCH_MIN_OOM_SCORE_ADJ);
  });

  test('control: without the raise, -500 is inherited', (t) => {
    const out = lowered(-500, buildExecLine(['cat', '/proc/self/oom_score_adj'], null));
    if (out === null) {
      t.skip('this kernel refuses to lower oom_score_adj (no CAP_SYS_RESOURCE)');
      return;
    }
    assert.equal(out.trim(), '-500');
  });

  test("a shell at this process's adj (below 100) execs the command at exactly 100", (t) => {
    const current = Number(readFileSync('/proc/self/oom_score_adj', 'utf8').trim());
    if (current >= LAUNCH_MIN_OOM_SCORE_ADJ) {
      t.skip(`oom_score_adj is already ${current}`);
      return;
    }
    const cat = ['cat', '/proc/self/oom_score_adj'];
    assert.equal(execFileSync('sh', ['-c', buildExecLine(cat, current)], { encoding: 'utf8' }).trim(), String(LAUNCH_MIN_OOM_SCORE_ADJ));
    // Control: the same command without the raise keeps the inherited value.
    assert.equal(execFileSync('sh', ['-c', buildExecLine(cat, null)], { encoding: 'utf8' }).trim(), String(current));
  });

  test('under set -e, as in the shim, the raise works and the command still runs', () => {
    const line = buildExecLine(['cat', '/proc/self/oom_score_adj'], -1000);
    const out = execFileSync('sh', ['-c', 'set -e; eval "$1"; exit 127', 'sh', line], { encoding: 'utf8' });
    assert.ok(Number(out.trim()) >= LAUNCH_MIN_OOM_SCORE_ADJ, out);
  });

  test('the shim (set -e; eval) still execs the app when oom_score_adj cannot be written', { skip: !isRoot && 'needs root for a private /proc' }, (t) => {
    // bin/headroom runs `set -e; eval "$line"`. With /proc hidden, the echo's redirection fails;
    // that must neither abort the launch nor print an error.
    const line = buildExecLine(['printf', '%s', 'launched'], -1000);
    const r = spawnSync('unshare', ['-m', 'sh', '-c', 'mount -t tmpfs none /proc || exit 99; set -e; eval "$1"; exit 127', 'sh', line], { encoding: 'utf8' });
    if (r.error || r.status === 99) {
      t.skip(`cannot make a private /proc here: ${r.error?.message ?? r.stderr}`);
      return;
    }
    assert.equal(r.stdout, 'launched');
    assert.equal(r.stderr, '');
    assert.equal(r.status, 0);
  });
});
