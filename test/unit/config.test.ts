import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { DEFAULT_POLICY } from '../../agent/core/constants.js';
import type { PolicyConfig } from '../../agent/core/constants.js';
import { ConfigError, lineOf, parseConfig } from '../../agent/io/config.js';

const SOURCE = '/home/u/.config/headroom/config.toml';

// Every key, each set to a value that differs from its default.
const FULL = `# Headroom config
[pressure]
full_limit_pct = 35.5
duration_ms = 4000

[exhaustion]
mem_available_pct = 6
swap_free_pct = 15
horizon_ms = 8000

[elevated]
mem_available_pct = 12.5
full_pct = 7
some_pct = 12

[kill]
cooldown_ms = 9000
grace_ms = 1500
dry_run = true

[watch]
psi_triggers = false

[metrics]
textfile_dir = "/var/lib/prometheus/node-exporter"

[pause]
answer_seconds = 90
`;

/** Assert parseConfig throws a ConfigError and hand back its message. */
function configError(text: string): string {
  try {
    parseConfig(text, SOURCE);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    assert.equal(err.name, 'ConfigError');
    return err.message;
  }
  assert.fail('parseConfig accepted the text');
}

describe('parseConfig', () => {
  test('a full file maps every key to its PolicyConfig field', () => {
    const want: PolicyConfig = {
      pressureFullLimitPct: 35.5,
      pressureDurationMs: 4000,
      memAvailableCriticalPct: 6,
      swapFreeCriticalPct: 15,
      exhaustionHorizonMs: 8000,
      memAvailableElevatedPct: 12.5,
      elevatedFullPct: 7,
      elevatedSomePct: 12,
      cooldownMs: 9000,
      killGraceMs: 1500,
      dryRun: true,
      psiTriggers: false,
      metricsTextfileDir: '/var/lib/prometheus/node-exporter',
      pauseAnswerMs: 90_000,
    };
    assert.deepEqual(parseConfig(FULL, SOURCE), want);
    // The test is only meaningful if no value equals its default.
    for (const k of Object.keys(want) as (keyof PolicyConfig)[]) assert.notEqual(want[k], DEFAULT_POLICY[k], k);
  });

  test('empty text, or only comments, is the defaults', () => {
    assert.deepEqual(parseConfig('', SOURCE), DEFAULT_POLICY);
    assert.deepEqual(parseConfig('# nothing here\n\n', SOURCE), DEFAULT_POLICY);
    assert.deepEqual(parseConfig('[pressure]\n[kill]\n', SOURCE), DEFAULT_POLICY);
  });

  test('a partial file keeps defaults for the rest and does not alias DEFAULT_POLICY', () => {
    const c = parseConfig('[kill]\ndry_run = true\n', SOURCE);
    assert.deepEqual(c, { ...DEFAULT_POLICY, dryRun: true });
    assert.equal(DEFAULT_POLICY.dryRun, false);
    assert.notEqual(c, DEFAULT_POLICY);
  });

  test('dotted keys and inline tables are the same config', () => {
    assert.equal(parseConfig('pressure.full_limit_pct = 30\n', SOURCE).pressureFullLimitPct, 30);
    assert.equal(parseConfig('kill = { grace_ms = 0 }\n', SOURCE).killGraceMs, 0);
  });

  test('unknown key in a section: names the key and its 1-based line', () => {
    const text = '# comment\n[pressure]\nfull_limit_pct = 20\n\n[kill]\ncooldown_ms = 5000\ngrace_secs = 2\n';
    assert.equal(configError(text), `${SOURCE}:7: kill.grace_secs: unknown key`);
  });

  test('unknown key that shares a name with a key of another section', () => {
    // duration_ms exists in [pressure], not in [kill]: the line must be the one in [kill].
    const text = '[pressure]\nduration_ms = 3000\n[kill]\nduration_ms = 3000\n';
    assert.equal(configError(text), `${SOURCE}:4: kill.duration_ms: unknown key`);
  });

  test('unknown section: names it and its header line', () => {
    assert.equal(configError('[pressure]\nfull_limit_pct = 20\n\n[oomd]\nx = 1\n'), `${SOURCE}:4: oomd: unknown key`);
  });

  test('unknown top-level key: names it and its line', () => {
    assert.equal(configError('# top\n\nverbose = true\n[kill]\ndry_run = true\n'), `${SOURCE}:3: verbose: unknown key`);
  });

  test('a string where a number belongs: names the key and the line', () => {
    const msg = configError('[exhaustion]\nmem_available_pct = 5\nhorizon_ms = "5s"\n');
    assert.match(msg, new RegExp(`^${SOURCE.replace(/\./g, '\\.')}:3: exhaustion\\.horizon_ms: `));
    assert.match(msg, /number/);
  });

  test('a number where a boolean belongs', () => {
    assert.match(configError('\n\n[kill]\ndry_run = 1\n'), /:4: kill\.dry_run: .*boolean/);
  });

  test('a section given as a plain value: names it and its line', () => {
    assert.match(configError('# x\npressure = 5\n'), /:2: pressure: .*object/);
  });

  test('a wrong type in a dotted key still names the line', () => {
    assert.match(configError('\nelevated.full_pct = "high"\n'), /:2: elevated\.full_pct: /);
  });

  const ranges: [string, string, string][] = [
    ['pct above 100', '[pressure]\nfull_limit_pct = 150\n', 'pressure.full_limit_pct'],
    ['negative pct', '[elevated]\nsome_pct = -1\n', 'elevated.some_pct'],
    ['duration below 100 ms', '[pressure]\nduration_ms = 50\n', 'pressure.duration_ms'],
    ['fractional ms', '[exhaustion]\nhorizon_ms = 10.5\n', 'exhaustion.horizon_ms'],
    ['grace above 30 s', '[kill]\ngrace_ms = 30001\n', 'kill.grace_ms'],
    ['cooldown above an hour', '[kill]\ncooldown_ms = 3600001\n', 'kill.cooldown_ms'],
    ['a relative metrics directory', '[metrics]\ntextfile_dir = "var/lib/node-exporter"\n', 'metrics.textfile_dir'],
    ['a metrics directory with a newline', '[metrics]\ntextfile_dir = "/var/lib/x\\ny"\n', 'metrics.textfile_dir'],
    ['a metrics directory that is a number', '[metrics]\ntextfile_dir = 9100\n', 'metrics.textfile_dir'],
  ];
  for (const [name, text, key] of ranges) {
    test(`out of range: ${name} names ${key} and line 2`, () => {
      const msg = configError(text);
      assert.ok(msg.startsWith(`${SOURCE}:2: ${key}: `), msg);
    });
  }

  test('the metrics directory: what is wrong with it is said in words', () => {
    assert.match(configError('[metrics]\ntextfile_dir = "prom"\n'), /:2: metrics\.textfile_dir: must be an absolute path, or "" for none$/);
    assert.match(configError('[metrics]\ntextfile_dir = "/a\\tb"\n'), /:2: metrics\.textfile_dir: must not hold control characters$/);
    assert.match(configError('[metrics]\ndir = "/x"\n'), /:2: metrics\.dir: unknown key$/);
    assert.equal(parseConfig('[metrics]\ntextfile_dir = ""\n', SOURCE).metricsTextfileDir, '');
  });

  test('boundary values are accepted', () => {
    const c = parseConfig('[pressure]\nfull_limit_pct = 100\nduration_ms = 100\n[kill]\ngrace_ms = 30000\ncooldown_ms = 0\n', SOURCE);
    assert.equal(c.pressureFullLimitPct, 100);
    assert.equal(c.pressureDurationMs, 100);
    assert.equal(c.killGraceMs, 30000);
    assert.equal(c.cooldownMs, 0);
  });

  test('TOML syntax error: the message has the source and the line, on one line', () => {
    const msg = configError('[pressure]\nfull_limit_pct = 20\nduration_ms = = 5\n');
    assert.match(msg, new RegExp(`^${SOURCE.replace(/\./g, '\\.')}:3: `));
    assert.ok(!msg.includes('\n'), msg);
  });

  test('duplicate key is a TOML error on the second line', () => {
    assert.match(configError('[kill]\ndry_run = true\ndry_run = false\n'), /:3: /);
  });
});

describe('lineOf', () => {
  const text = [
    '# comment',                 // 1
    'top = 1',                   // 2
    '[pressure]',                // 3
    'full_limit_pct = 20',       // 4
    '  duration_ms=2000',        // 5
    '',                          // 6
    '[ kill ]  # spaced header', // 7
    '"grace_ms" = 10',           // 8
    'duration_ms = 1',           // 9
    '[elevated]',                // 10
    'full_pct.x = 1',            // 11
  ].join('\n');

  const cases: [readonly (string | number)[], number | null][] = [
    [['pressure', 'full_limit_pct'], 4],
    [['pressure', 'duration_ms'], 5],
    [['pressure'], 3],
    [['kill'], 7],
    [['kill', 'grace_ms'], 8],
    [['kill', 'duration_ms'], 9],
    [['kill', 'absent'], 7], // missing key: its section's header
    [['top'], 2],
    [['elevated', 'full_pct'], 11],
    [['nowhere'], null],
    [['nowhere', 'key'], null],
    [[], null],
  ];
  for (const [path, want] of cases) {
    test(`${JSON.stringify(path)} → ${String(want)}`, () => {
      assert.equal(lineOf(text, path), want);
    });
  }

  test('a key of the same name in an earlier section is not taken', () => {
    assert.equal(lineOf('[a]\nk = 1\n[b]\nk = 2\n', ['b', 'k']), 4);
  });

  test('a key name that is a prefix of another key does not match it', () => {
    assert.equal(lineOf('[kill]\ngrace_ms_extra = 1\ngrace_ms = 2\n', ['kill', 'grace_ms']), 3);
  });
});

describe('assets/config.example.toml', () => {
  test('documents every key, with the defaults as its values', async () => {
    const { readFileSync } = await import('node:fs');
    const { assetPath } = await import('../../agent/io/package-root.js');
    const text = readFileSync(assetPath('config.example.toml'), 'utf8');
    assert.deepEqual(parseConfig(text, 'config.example.toml'), DEFAULT_POLICY);
    // Every key the schema knows appears in the example (a new knob must be documented).
    const keys = [...text.matchAll(/^([a-z_]+) = /gm)].map((m) => m[1]);
    assert.equal(keys.length, Object.keys(DEFAULT_POLICY).length);
  });
});
