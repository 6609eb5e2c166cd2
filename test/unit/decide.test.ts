import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CALM_FULL_TICK_STEADY_MS, CALM_FULL_TICK_WATCHED_MS, CALM_HOLD_MS, CALM_STEADY_BAND_BYTES, DEFAULT_POLICY, GROWTH_MAX_INTERVAL_MS, type PolicyConfig } from '../../agent/core/constants.js';
import { calmFullTickDue, calmLookWantsTick, calmWatchIntervalMs, decide, INITIAL_POLICY_STATE, graceMsFor, type Measures, type Decision, type PolicyState } from '../../agent/core/decide.js';
import type { Snapshot } from '../../agent/core/snapshot.js';
import { app, decideAll, GiB, meminfo, MiB, pressure, snapshot } from '../support/snapshots.js';

const config: PolicyConfig = { ...DEFAULT_POLICY };
const apps = [app('app-headroom-hog-0123456789abcdef.scope', { memoryBytes: 3 * GiB }), app('app-headroom-editor-0123456789abcdef.scope', { memoryBytes: 200 * MiB })];

const run = (snaps: Snapshot[], cfg = config): Decision[] => decideAll(snaps, cfg);

/** Samples every `stepMs` whose full stall is `fullPct` % of each interval. */
/** Samples every `stepMs` whose full stall is `fullPct` % of each interval; memory short (10 %) unless given. */
function stalling(fromMs: number, count: number, stepMs: number, fullPct: number, mem = meminfo(10)): Snapshot[] {
  return Array.from({ length: count }, (_, i) => snapshot(fromMs + i * stepMs, {
    tree: pressure(Math.round(i * stepMs * 1000 * (fullPct / 100)), Math.round(i * stepMs * 1000 * (fullPct / 100))),
    meminfo: mem,
    apps,
  }));
}

describe('decide: state', () => {
  test('plenty of memory and no stall is calm with nothing to do', () => {
    const [d] = run([snapshot(0, { apps })]);
    assert.equal(d!.state, 'calm');
    assert.equal(d!.action.kind, 'none');
    assert.match(d!.because, /memory is fine/);
  });

  test('low MemAvailable alone is elevated, not critical', () => {
    const [d] = run([snapshot(0, { meminfo: meminfo(8), apps })]);
    assert.equal(d!.state, 'elevated');
    assert.equal(d!.action.kind, 'none');
  });

  test('leaving elevated needs CALM_HOLD_MS of calm samples (no flapping)', () => {
    const snaps = [
      snapshot(0, { meminfo: meminfo(8), apps }),
      snapshot(250, { meminfo: meminfo(50), apps }),
      snapshot(250 + CALM_HOLD_MS - 1, { meminfo: meminfo(50), apps }),
      snapshot(250 + CALM_HOLD_MS, { meminfo: meminfo(50), apps }),
    ];
    assert.deepEqual(run(snaps).map((d) => d.state), ['elevated', 'elevated', 'elevated', 'calm']);
  });
});

describe('decide: pressure trigger', () => {
  test('full stall above the limit for the whole duration kills the heaviest app', () => {
    const ds = run(stalling(0, 10, 250, 35)); // 0 … 2250 ms
    const firstKill = ds.findIndex((d) => d.action.kind === 'kill');
    assert.equal(firstKill, 9, 'the first sample starts the window at t=250; 2 s later is t=2250');
    for (const d of ds.slice(1, 9)) {
      assert.equal(d.state, 'elevated');
      assert.equal(d.action.kind, 'none');
    }
    const kill = ds[9]!;
    assert.equal(kill.state, 'critical');
    assert.ok(kill.action.kind === 'kill');
    assert.equal(kill.action.reason, 'pressure');
    assert.equal(kill.action.victim.app.unit, 'app-headroom-hog-0123456789abcdef.scope');
    assert.match(kill.because, /full memory pressure 35% stayed at or above 20% for 2\.0 s while 819 MiB \(10%\) of memory is available and there is no swap; hog is the heaviest of 2 units that may be stopped/);
  });

  test('one sample below the limit restarts the window', () => {
    const snaps = stalling(0, 12, 250, 35);
    // At t=1000 the stall of the last interval is only 10 %: total grows by 25 ms instead of 87.5 ms.
    const dip = 62_500;
    for (let i = 4; i < snaps.length; i++) {
      const s = snaps[i]!;
      snaps[i] = { ...s, tree: pressure(s.tree.full.totalUs - dip, s.tree.some.totalUs - dip) };
    }
    const ds = run(snaps);
    assert.equal(ds.findIndex((d) => d.action.kind === 'kill'), -1, 'the window restarted at t=1250 and 2 s have not passed by t=2750');
    assert.ok(ds.slice(5).every((d) => d.state === 'elevated'));
  });

  test('after a long calm gap the delta is not used (it would dilute a fresh stall): avg10 is', () => {
    const calm = snapshot(0, { apps });
    const later = snapshot(60_000, { tree: pressure(1_000_000, 1_000_000, { some: 40, full: 30 }), apps });
    const [, d] = run([calm, later]);
    assert.equal(d!.measures.fullRecentPct, 30);
    assert.equal(d!.policyState.fullAboveSinceMs, 60_000);
  });

  test('a pressure counter that went backwards (cgroup recreated) reads as no stall', () => {
    const ds = run([
      snapshot(0, { tree: pressure(5_000_000, 5_000_000), apps }),
      snapshot(250, { tree: pressure(10, 10), apps }),
    ]);
    assert.equal(ds[1]!.measures.fullRecentPct, 0);
  });
});

describe('decide: exhaustion trigger', () => {
  test('MemAvailable under the limit with no swap kills at once', () => {
    const [d] = run([snapshot(0, { meminfo: meminfo(3), apps })]);
    assert.ok(d!.action.kind === 'kill');
    assert.equal(d!.action.reason, 'exhaustion');
    assert.match(d!.because, /of memory is available and there is no swap/);
  });

  test('low MemAvailable with plenty of swap free is not exhaustion', () => {
    const [d] = run([snapshot(0, { meminfo: meminfo(3, { swapTotalBytes: 4 * GiB, swapFreeBytes: 3 * GiB }), apps })]);
    assert.equal(d!.action.kind, 'none');
    assert.equal(d!.state, 'elevated');
  });

  test('low MemAvailable with swap nearly full is exhaustion', () => {
    const [d] = run([snapshot(0, { meminfo: meminfo(3, { swapTotalBytes: 4 * GiB, swapFreeBytes: 0.05 * 4 * GiB }), apps })]);
    assert.ok(d!.action.kind === 'kill');
    assert.match(d!.because, /5\.0% of swap is free/);
  });

  test('predicted: falling fast towards the floor kills once the floor is nearer than the next look', () => {
    // 8 GiB: 9 % → 7 % → 5.5 %, 250 ms apart (~400 MiB/s smoothed). At 7 % the floor (4 %) is
    // 0.75 s away, beyond the next look (250 ms + the 250 ms horizon); at 5.5 % it is 0.3 s away.
    const ds = run([
      snapshot(0, { meminfo: meminfo(9), apps }),
      snapshot(250, { meminfo: meminfo(7), apps }),
      snapshot(500, { meminfo: meminfo(5.5), apps }),
    ]);
    assert.deepEqual(ds.map((d) => d.action.kind), ['none', 'none', 'kill']);
    const d = ds[2]!;
    assert.ok(d.action.kind === 'kill');
    assert.equal(d.action.reason, 'exhaustion');
    assert.match(d.because, /memory would be gone in 0\.\d s at \d+ MiB\/s, before another look could act/);
    assert.equal(d.measures.leadMs, 250 + config.exhaustionHorizonMs);
    assert.ok(d.measures.exhaustionInMs <= d.measures.leadMs);
  });

  test('predicted: the same fall with plenty left does not kill', () => {
    const ds = run([snapshot(0, { meminfo: meminfo(40), apps }), snapshot(250, { meminfo: meminfo(38), apps })]);
    assert.equal(ds[1]!.action.kind, 'none');
  });

  test('predicted: a slow decline under the elevated level does not kill', () => {
    const ds = run([snapshot(0, { meminfo: meminfo(9), apps }), snapshot(1000, { meminfo: meminfo(8.9), apps })]);
    assert.equal(ds[1]!.action.kind, 'none');
    assert.ok(ds[1]!.measures.exhaustionInMs > config.exhaustionHorizonMs);
  });
});

describe('decide: after a kill', () => {
  test('one victim per decision, then a cool-down before the next', () => {
    const critical = (t: number): Snapshot => snapshot(t, { meminfo: meminfo(2), apps });
    const ds = run([critical(0), critical(100), critical(config.cooldownMs - 1), critical(config.cooldownMs)]);
    assert.deepEqual(ds.map((d) => d.action.kind), ['kill', 'none', 'none', 'kill']);
    assert.match(ds[1]!.because, /waiting 4\.9 s after stopping app-headroom-hog-0123456789abcdef\.scope/);
    assert.equal(ds[1]!.state, 'critical', 'the state still says critical while cooling down');
  });

  test('a kill restarts the pressure window', () => {
    const ds = run(stalling(0, 10, 250, 35));
    assert.equal(ds[9]!.policyState.fullAboveSinceMs, null);
    assert.equal(ds[9]!.policyState.lastKill?.atMs, 2250);
  });
});

describe('decide: who may die', () => {
  test('critical with only omitted apps kills nothing and says why', () => {
    const [d] = run([snapshot(0, { meminfo: meminfo(2), apps: [app('app-a-1.scope', { preference: 'omit' }), app('app-b-1.scope', { processCount: 0 })] })]);
    assert.equal(d!.state, 'critical');
    assert.equal(d!.action.kind, 'none');
    assert.match(d!.because, /nothing may be stopped \(1 omit, 1 empty\)/);
  });

  test('critical with no apps at all says so', () => {
    const [d] = run([snapshot(0, { meminfo: meminfo(2), apps: [] })]);
    assert.match(d!.because, /no app, terminal job or other unit of yours is running/);
  });

  test('an avoided app is killed when it is the only candidate, and the reason says so', () => {
    const [d] = run([snapshot(0, { meminfo: meminfo(2), apps: [app('app-headroom-editor-0123456789abcdef.scope', { preference: 'avoid', displayName: 'Editor' })] })]);
    assert.ok(d!.action.kind === 'kill');
    assert.match(d!.because, /Editor is the heaviest of 1 unit that may be stopped \(100 MiB that only a kill frees, avoided but nothing else is left\)/);
  });
});

describe('decide is pure', () => {
  test('inputs are not mutated and the same inputs give the same decision', () => {
    const s = snapshot(500, { meminfo: meminfo(2), apps });
    const frozen = JSON.stringify(s);
    const memory: PolicyState = { ...INITIAL_POLICY_STATE, prev: { atMs: 250, fullTotalUs: 0, someTotalUs: 0, memAvailableBytes: 4 * GiB, zramFreeBytes: 0, diskFreeBytes: 0 } };
    const memoryText = JSON.stringify(memory);
    const a = decide(s, memory, config);
    const b = decide(s, memory, config);
    assert.equal(JSON.stringify(s), frozen);
    assert.equal(JSON.stringify(memory), memoryText);
    assert.deepEqual(a, b);
  });
});

describe('calmWatchIntervalMs', () => {
  const at = (availablePct: number, totalGiB = 8): number =>
    calmWatchIntervalMs(meminfo(availablePct, { memTotalBytes: totalGiB * GiB, memAvailableBytes: (totalGiB * GiB * availablePct) / 100 }), config);

  test('half the time a 1 GiB/s hog needs to reach the elevated level', () => {
    // 8 GiB, 30 % available, elevated below 15 %: 15 % = 1.2 GiB of margin → 1.2 s → look again in 0.6 s.
    assert.equal(at(30), 600);
  });

  test('long sleeps with plenty of memory, capped', () => {
    assert.equal(at(90, 64), 10_000);
  });

  test('near or below the line, as often as while elevated', () => {
    assert.equal(at(10.5), 250);
    assert.equal(at(3), 250);
  });

  test('above the floor, a 1 GiB/s hog cannot cross the margin between two looks', () => {
    for (let pct = config.memAvailableElevatedPct + 4; pct <= 100; pct += 3) {
      const marginBytes = (8 * GiB * (pct - config.memAvailableElevatedPct)) / 100;
      assert.ok(at(pct) / 1000 * GiB <= marginBytes, `${pct} %`);
    }
  });
});

describe('calmFullTickDue', () => {
  test('every CALM_FULL_TICK_WATCHED_MS while MemAvailable moves by the band either way, every CALM_FULL_TICK_STEADY_MS while it holds', () => {
    const band = CALM_STEADY_BAND_BYTES;
    assert.equal(calmFullTickDue(CALM_FULL_TICK_WATCHED_MS - 1, 10 * band), false, 'never sooner than CALM_FULL_TICK_WATCHED_MS');
    assert.equal(calmFullTickDue(CALM_FULL_TICK_WATCHED_MS, band), true);
    assert.equal(calmFullTickDue(CALM_FULL_TICK_WATCHED_MS, -band), true, 'MemAvailable up: a unit may grow while another frees');
    assert.equal(calmFullTickDue(CALM_FULL_TICK_WATCHED_MS, band - 1), false);
    assert.equal(calmFullTickDue(CALM_FULL_TICK_WATCHED_MS, -(band - 1)), false);
    assert.equal(calmFullTickDue(CALM_FULL_TICK_STEADY_MS - 1, 0), false);
    assert.equal(calmFullTickDue(CALM_FULL_TICK_STEADY_MS, 0), true, 'steady, but not for longer than CALM_FULL_TICK_STEADY_MS');
    assert.equal(calmFullTickDue(CALM_FULL_TICK_WATCHED_MS, NaN), true, 'no full tick seen yet is not steady');
    assert.equal(calmFullTickDue(Infinity, NaN), true, 'the first');
    assert.ok(CALM_FULL_TICK_WATCHED_MS * 2 <= GROWTH_MAX_INTERVAL_MS, 'while memory moves the trends are kept');
  });
});

describe('calmLookWantsTick', () => {
  const at = (availablePct: number, totalGiB = 2) => ({ ...meminfo(availablePct), memTotalBytes: totalGiB * GiB, memAvailableBytes: (totalGiB * GiB * availablePct) / 100 });
  test('a full tick only within the margin above the elevated level (or below it)', () => {
    const config = { ...DEFAULT_POLICY, memAvailableElevatedPct: 15 };
    assert.equal(calmLookWantsTick(at(80), config), false);
    assert.equal(calmLookWantsTick(at(20.5), config), false);
    assert.equal(calmLookWantsTick(at(19.5), config), true);
    assert.equal(calmLookWantsTick(at(3), config), true);
  });
  test('a meminfo without a total is no basis for skipping the full tick', () => {
    assert.equal(calmLookWantsTick({ ...at(80), memTotalBytes: 0 }, DEFAULT_POLICY), true);
  });
});

describe('graceMsFor', () => {
  const calmish: Measures = { fullRecentPct: 30, someRecentPct: 40, memAvailablePct: 12, swapFreePct: 50, swapAbsorbBytes: 0, runwayBytes: 0.12 * 8 * GiB, runwayPct: 12, zramRatio: null, declineBytesPerSec: 0, exhaustionInMs: Infinity, leadMs: 350, lookGapMs: 100, swapFree: { zram: 0, disk: 0 } };

  test('a pressure kill with memory to spare lets the app flush', () => {
    assert.equal(graceMsFor(calmish, config), config.killGraceMs);
    assert.equal(graceMsFor({ ...calmish, exhaustionInMs: 2 * config.killGraceMs }, config), config.killGraceMs);
  });

  test('no grace at or below the hard limit: a loaded guest spent 2 s of grace at 3.7 %', () => {
    assert.equal(graceMsFor({ ...calmish, runwayPct: config.memAvailableCriticalPct }, config), 0);
    assert.equal(graceMsFor({ ...calmish, runwayPct: 3.7 }, config), 0);
    assert.equal(graceMsFor({ ...calmish, runwayPct: config.memAvailableCriticalPct + 0.1 }, config), config.killGraceMs);
  });

  test('no grace when memory runs out within two graces', () => {
    assert.equal(graceMsFor({ ...calmish, exhaustionInMs: 2 * config.killGraceMs - 1 }, config), 0);
  });

  test('a configured grace of 0 stays 0', () => {
    assert.equal(graceMsFor(calmish, { ...config, killGraceMs: 0 }), 0);
  });
});
