// The metrics file's text (agent/core/metrics.ts), read back by a Prometheus text-format parser
// (parse-prometheus-text-format, ported from the Prometheus Python client's parser).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import parse, { type ParsedFamily } from 'parse-prometheus-text-format';
import { countKill, countOutOfReach, countWarning, initialMetrics, MAX_APP_LABELS, noteLook, OTHER_APP, renderMetrics, UNKNOWN_APP, type MetricsState } from '../../agent/core/metrics.js';
import { killRecord, MiB, pressureRecord } from '../support/tray-fixtures.js';

const START_MS = 1_700_000_000_000;
const NOW_MS = START_MS + 90_500;
const UID = { uid: '1000' };

const families = (m: MetricsState): Map<string, ParsedFamily> => new Map(parse(renderMetrics(m, NOW_MS, UID)).map((f) => [f.name, f]));
const family = (m: MetricsState, name: string): ParsedFamily => {
  const f = families(m).get(name);
  assert.ok(f, `no ${name}`);
  return f;
};
/** name{labels} → value, the const label left out. */
const samples = (f: ParsedFamily): Record<string, number> => Object.fromEntries(f.metrics.map((s) => {
  const { uid, ...rest } = s.labels ?? {};
  assert.equal(uid, '1000', `${f.name} carries the uid label`);
  const labels = Object.entries(rest).map(([k, v]) => `${k}=${v}`).join(',');
  return [labels, Number(s.value)];
}));

describe('renderMetrics', () => {
  test('a fresh agent: up, its start, calm, no kills, HELP and TYPE for every family', () => {
    const m = initialMetrics(START_MS);
    const all = families(m);
    assert.deepEqual([...all.keys()], [
      'headroom_up', 'headroom_start_time_seconds', 'headroom_last_update_timestamp_seconds', 'headroom_state',
      'headroom_mem_available_bytes', 'headroom_pressure_full_ratio', 'headroom_kills_total', 'headroom_warnings_total', 'headroom_pauses_total',
      'headroom_out_of_reach_total', 'headroom_last_kill_timestamp_seconds',
    ]);
    for (const f of all.values()) assert.notEqual(f.help, '', f.name);
    assert.equal(all.get('headroom_kills_total')?.type, 'COUNTER');
    assert.equal(all.get('headroom_warnings_total')?.type, 'COUNTER');
    assert.equal(all.get('headroom_up')?.type, 'GAUGE');
    assert.deepEqual(samples(all.get('headroom_up')!), { '': 1 });
    assert.deepEqual(samples(all.get('headroom_start_time_seconds')!), { '': START_MS / 1000 });
    assert.deepEqual(samples(all.get('headroom_last_update_timestamp_seconds')!), { '': NOW_MS / 1000 });
    assert.deepEqual(samples(all.get('headroom_state')!), { 'state=calm': 1, 'state=elevated': 0, 'state=critical': 0 });
    assert.deepEqual(all.get('headroom_kills_total')?.metrics, []);
    assert.deepEqual(all.get('headroom_mem_available_bytes')?.metrics, [], 'no figure before the first look');
    assert.deepEqual(samples(all.get('headroom_last_kill_timestamp_seconds')!), { '': 0 });
  });

  test('kills count by app, reason and outcome; the last kill attempt is timed, a dry run is not', () => {
    let m = initialMetrics(START_MS);
    m = countKill(m, killRecord('hog', 'killed', { atMs: START_MS + 10_000 }));
    m = countKill(m, killRecord('hog', 'killed', { atMs: START_MS + 20_000 }));
    m = countKill(m, killRecord('hog', 'partial', { reason: 'exhaustion', atMs: START_MS + 30_000 }));
    m = countKill(m, killRecord('code', 'dry-run', { atMs: START_MS + 40_000 }));
    assert.deepEqual(samples(family(m, 'headroom_kills_total')), {
      'app=code,reason=pressure,outcome=dry-run': 1,
      'app=hog,reason=exhaustion,outcome=partial': 1,
      'app=hog,reason=pressure,outcome=killed': 2,
    });
    assert.deepEqual(samples(family(m, 'headroom_last_kill_timestamp_seconds')), { '': (START_MS + 30_000) / 1000 });
  });

  test('the last look: state, MemAvailable and the full-stall ratio', () => {
    const m = noteLook(initialMetrics(START_MS), 'elevated', pressureRecord({ memAvailableBytes: 321 * MiB, fullAvg10: 12.5 }));
    assert.deepEqual(samples(family(m, 'headroom_state')), { 'state=calm': 0, 'state=elevated': 1, 'state=critical': 0 });
    assert.deepEqual(samples(family(m, 'headroom_mem_available_bytes')), { '': 321 * MiB });
    assert.deepEqual(samples(family(m, 'headroom_pressure_full_ratio')), { '': 0.125 });
  });

  test('warnings, out-of-reach notices and a clean stop', () => {
    const m = { ...countOutOfReach(countWarning(countWarning(initialMetrics(START_MS)))), up: false };
    assert.deepEqual(samples(family(m, 'headroom_warnings_total')), { '': 2 });
    assert.deepEqual(samples(family(m, 'headroom_out_of_reach_total')), { '': 1 });
    assert.deepEqual(samples(family(m, 'headroom_up')), { '': 0 });
  });

  test(`app ids beyond the first ${MAX_APP_LABELS} count as "${OTHER_APP}"; an empty one as "${UNKNOWN_APP}"`, () => {
    let m = initialMetrics(START_MS);
    for (let i = 0; i < MAX_APP_LABELS + 5; i++) m = countKill(m, killRecord(`app${i}`, 'killed'));
    m = countKill(m, killRecord('app0', 'killed'));
    m = countKill(m, killRecord('', 'killed'));
    const s = samples(family(m, 'headroom_kills_total'));
    assert.equal(Object.keys(s).length, MAX_APP_LABELS + 1);
    assert.equal(s['app=app0,reason=pressure,outcome=killed'], 2, 'an app with a label keeps it');
    assert.equal(s[`app=${OTHER_APP},reason=pressure,outcome=killed`], 6, 'five late apps and the one without an id');
    assert.equal(s[`app=${UNKNOWN_APP},reason=pressure,outcome=killed`], undefined, 'no room left for it either');
    assert.equal(samples(family(countKill(initialMetrics(START_MS), killRecord('', 'killed')), 'headroom_kills_total'))[`app=${UNKNOWN_APP},reason=pressure,outcome=killed`], 1);
  });

  test('hostile app ids are escaped per the exposition format and read back as they were', () => {
    const ids = ['a"b', 'back\\slash', 'new\nline} 9\nheadroom_up 0', '日本語 🦊', '\\n'];
    let m = initialMetrics(START_MS);
    for (const id of ids) m = countKill(m, killRecord(id, 'killed'));
    const text = renderMetrics(m, NOW_MS, UID);
    const kills = parse(text).find((f) => f.name === 'headroom_kills_total');
    assert.deepEqual(kills?.metrics.map((s) => s.labels?.app).sort(), [...ids].sort());
    assert.deepEqual(samples(family(m, 'headroom_up')), { '': 1 }, 'no forged sample');
    // One sample per line: no id broke out of its quotes.
    assert.equal(text.split('\n').filter((l) => l.startsWith('headroom_kills_total{')).length, ids.length);
  });

  test('numbers the parser reads as Go would: no exponent surprises, integers as integers', () => {
    const m = noteLook(initialMetrics(START_MS), 'critical', pressureRecord({ memAvailableBytes: 2 ** 40, fullAvg10: 0.01 }));
    assert.match(renderMetrics(m, NOW_MS, UID), /^headroom_mem_available_bytes\{uid="1000"\} 1099511627776$/m);
    assert.deepEqual(samples(family(m, 'headroom_pressure_full_ratio')), { '': 0.0001 });
  });
});
