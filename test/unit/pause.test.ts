// Pause and ask (agent/core/pause.ts through decide()): the slow runaway is frozen and the user
// asked, only where that buys time and loses nothing; while paused it is resumed when memory
// recovers and stopped when no answer comes and memory is still short.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_POLICY, PAUSE_AGAIN_MS, type PolicyConfig } from '../../agent/core/constants.js';
import { decide, INITIAL_POLICY_STATE, type Decision, type PolicyState } from '../../agent/core/decide.js';
import { hasRecovered, pauseVerdict, type AskContext, type PauseMeasures, type PausedUnit } from '../../agent/core/pause.js';
import { explanationRecord } from '../../agent/core/records.js';
import type { AppUnit, ExpendableProcess, Snapshot } from '../../agent/core/snapshot.js';
import { app, GiB, meminfo, MiB, pressure, snapshot } from '../support/snapshots.js';

const ASK: AskContext = { canAsk: true, askerUnits: new Set(['dunst.service']) };
const LEAK_UNIT = 'app-gnome-org.example.Leaky-4242.scope';
const leaky = (bytes: number, over: Partial<AppUnit> = {}): AppUnit =>
  app(LEAK_UNIT, { appId: 'org.example.Leaky', displayName: 'Leaky', memoryBytes: bytes, ...over });
const editor = app('app-gnome-org.gnome.TextEditor-77.scope', { memoryBytes: 300 * MiB });

/** 8 GiB of RAM and 4 GiB of disk swap with `swapFree` of it left. */
const mem = (availableBytes: number, swapFree = 512 * MiB) =>
  meminfo(0, { memAvailableBytes: availableBytes, swapTotalBytes: 4 * GiB, swapFreeBytes: swapFree });
const disk = (swapFree: number): Snapshot['swaps'] => [{ path: '/swapfile', kind: 'disk', sizeBytes: 4 * GiB, usedBytes: 4 * GiB - swapFree, zram: null }];

/** fullUs: the user tree's cumulative full stall, µs. */
interface Look { atMs: number; available: number; app: AppUnit; swapFree?: number; others?: AppUnit[]; fullUs?: number }

function run(looks: Look[], ask: AskContext = ASK, config: PolicyConfig = DEFAULT_POLICY, state: PolicyState = INITIAL_POLICY_STATE): Decision[] {
  const out: Decision[] = [];
  for (const l of looks) {
    const swapFree = l.swapFree ?? 512 * MiB;
    const d = decide(snapshot(l.atMs, {
      meminfo: mem(l.available, swapFree), swaps: disk(swapFree), apps: [l.app, ...(l.others ?? [editor])], tree: pressure(l.fullUs ?? 0, l.fullUs ?? 0),
    }), state, config, ask);
    state = d.policyState;
    out.push(d);
  }
  return out;
}

/** A leak of `rate` bytes/s from 1.4 GiB available, one look a second, for `seconds`. */
function leak(seconds: number, rate = 40 * MiB, over: Partial<AppUnit> = {}): Look[] {
  return Array.from({ length: seconds }, (_, i) => ({ atMs: i * 1000, available: 1.4 * GiB - i * rate, app: leaky(1 * GiB + i * rate, over) }));
}

const firstOf = (ds: Decision[], kind: Decision['action']['kind']): number => ds.findIndex((d) => d.action.kind === kind);

describe('pause: when to pause and ask', () => {
  test('a slow leak with swap still taking memory: the leaking app is paused once the decline has settled, and asked about for a minute', () => {
    const ds = run(leak(12));
    const i = firstOf(ds, 'pause');
    assert.ok(i >= 2, `paused at look ${i}: not before the decline was watched for 2 s out of calm`);
    const d = ds[i]!;
    assert.ok(d.action.kind === 'pause');
    assert.equal(d.action.victim.app.unit, LEAK_UNIT);
    assert.equal(d.action.paused.untilMs - d.action.paused.atMs, DEFAULT_POLICY.pauseAnswerMs, 'the rest of memory holds still: the whole answer time');
    assert.equal(d.action.paused.untilWallMs - d.action.paused.untilMs, 1_800_000_000_000, 'the deadline on the wall clock too');
    assert.equal(d.policyState.paused?.unit, LEAK_UNIT);
    assert.match(d.because, /Leaky is what uses memory up .* paused for you to decide, stopped in 60\.0 s without an answer/);
    assert.equal(ds.slice(0, i).filter((x) => x.action.kind !== 'none').length, 0, 'nothing before it');
    assert.match(explanationRecord(d).because, /paused for you to decide/);
  });

  test('nobody to ask (no notification server), or pausing switched off: no pause, the kill path stops the leak as before', () => {
    for (const [ask, config] of [[{ canAsk: false, askerUnits: new Set<string>() }, DEFAULT_POLICY], [ASK, { ...DEFAULT_POLICY, pauseAnswerMs: 0 }]] as const) {
      const ds = run(leak(44), ask, config);
      assert.equal(firstOf(ds, 'pause'), -1);
      const k = ds[firstOf(ds, 'kill')];
      assert.ok(k && k.action.kind === 'kill' && k.action.victim.app.unit === LEAK_UNIT, 'killed when memory ran out');
    }
  });

  test('no swap left to take the frozen app\'s memory: no pause (it would hold the desktop at the floor)', () => {
    const looks = leak(70, 20 * MiB).map((l) => ({ ...l, swapFree: 0 }));
    const ds = run(looks);
    assert.equal(firstOf(ds, 'pause'), -1);
    assert.ok(firstOf(ds, 'kill') > 0);
  });

  test('the kernel is swapping already (MemAvailable under the floor): no pause, however much swap is left (bench run 365)', () => {
    // MemAvailable sits under the floor (328 MiB of 8 GiB) while the leak goes to swap.
    const looks = Array.from({ length: 60 }, (_, i) => ({ atMs: i * 1000, available: 300 * MiB, swapFree: 2.5 * GiB - i * 40 * MiB, app: leaky(1 * GiB + i * 40 * MiB) }));
    const ds = run(looks);
    assert.equal(firstOf(ds, 'pause'), -1);
    assert.ok(ds.some((d) => /only 300 MiB of memory is available, under the floor: the kernel is swapping, and a paused Leaky would hold the desktop there/.test(d.because)), 'and the refusal says why');
  });

  test('MemAvailable already has room for a minute of the app\'s growth: no pause, it would be resumed at the next look', () => {
    const d = run(leak(12)).at(-1)!;
    const victim = d.ranked.find((c) => c.app.unit === LEAK_UNIT)!;
    const m: PauseMeasures = {
      availableBytes: 1200 * MiB, stalling: false, runwayBytes: 1700 * MiB, floorBytes: 328 * MiB,
      declineBytesPerSec: 25 * MiB, exhaustionInMs: (1372 / 25) * 1000, swapAbsorbBytes: 500 * MiB,
    };
    const at = { ...victim, growthBytesPerSec: 14 * MiB };
    assert.equal(pauseVerdict(at, m, 60_000, ASK, 10_000, new Map(), false, 20_000).pause, false, '872 MiB above the floor is a minute of 14 MiB/s');
    assert.equal(pauseVerdict({ ...at, growthBytesPerSec: 16 * MiB }, m, 60_000, ASK, 10_000, new Map(), false, 20_000).pause, true, 'but not of 16 MiB/s');
    const p: PausedUnit = { unit: LEAK_UNIT, atMs: 0, untilMs: 60_000, untilWallMs: 0, growthBytesPerSec: 16 * MiB, footprintBytes: 1 * GiB };
    assert.equal(hasRecovered(p, { availableBytes: 400 * MiB, floorBytes: 328 * MiB }), false, 'recovered is measured on MemAvailable, not on the runway');
    assert.equal(hasRecovered(p, { availableBytes: 1300 * MiB, floorBytes: 328 * MiB }), true);
  });

  test('a fast hog leaves no time to ask: no pause, it is killed', () => {
    const ds = run(leak(12, 200 * MiB));
    assert.equal(firstOf(ds, 'pause'), -1);
    assert.ok(firstOf(ds, 'kill') > 0);
  });

  test('a fast hog is not paused on the first looks out of calm, whose smoothed rate reads it as half as fast', () => {
    // 100 MiB/s at the elevated poll: memory runs out in ~13 s, too soon to ask; the second
    // look's rate (half of it) would put that at 26 s, inside the pause's window.
    const looks = Array.from({ length: 40 }, (_, i) => ({ atMs: i * 250, available: 1.1 * GiB - i * 25 * MiB, app: leaky(1 * GiB + i * 25 * MiB) }));
    const ds = run(looks);
    assert.equal(ds[0]!.state, 'elevated', 'out of calm from the first look');
    assert.equal(firstOf(ds, 'pause'), -1);
  });

  test('memory falling for another reason: the heaviest app holds still and is not paused', () => {
    const looks = leak(14).map((l) => ({ ...l, app: leaky(1.5 * GiB) }));
    const ds = run(looks);
    assert.equal(firstOf(ds, 'pause'), -1);
  });

  test('the unit that shows the question, a plain service, or an app whose tab goes instead: never paused', () => {
    const asker = run(leak(12), { canAsk: true, askerUnits: new Set([LEAK_UNIT]) });
    assert.equal(firstOf(asker, 'pause'), -1, 'the notification server');
    const service = run(leak(12, 40 * MiB, { kind: 'unit' }));
    assert.equal(firstOf(service, 'pause'), -1, 'a user service nobody launched');
    const tabOf = (i: number): ExpendableProcess => ({ pid: 101, startTicks: 5, comm: 'chromium', kind: 'renderer', oomScoreAdj: 300, unreclaimableBytes: 600 * MiB + i * 40 * MiB });
    const browser = leak(12).map((l, i) => ({ ...l, app: leaky(1 * GiB + i * 40 * MiB, { expendable: [tabOf(i)], heaviestKeptBytes: 300 * MiB }) }));
    assert.equal(firstOf(run(browser), 'pause'), -1, 'its runaway tab is the least loss');
  });
});

describe('pause: while paused', () => {
  /** The leak up to its pause, then `after` looks with the app frozen at its size. */
  function pausedThen(after: (atMs: number, pausedBytes: number, available: number) => Look[]): { ds: Decision[]; at: number } {
    const first = run(leak(12));
    const i = firstOf(first, 'pause');
    const p = leak(12)[i]!;
    const ds = run([...leak(12).slice(0, i + 1), ...after(p.atMs, p.app.memoryBytes, p.available)]);
    return { ds, at: i };
  }

  test('no answer and memory still short: it waits its minute, then the paused app is stopped', () => {
    const { ds, at } = pausedThen((t0, bytes, avail) => Array.from({ length: 62 }, (_, k) => ({ atMs: t0 + (k + 1) * 1000, available: avail, app: leaky(bytes) })));
    const waited = ds.slice(at + 1, at + 60);
    assert.ok(waited.every((d) => d.action.kind === 'none'), 'nothing during the minute');
    assert.match(waited[10]!.because, /Leaky is paused .* until you answer, at most 49\.0 s more/);
    const s = firstOf(ds, 'kill');
    assert.equal(s, at + 60, 'stopped at its deadline');
    const d = ds[s]!;
    assert.ok(d.action.kind === 'kill' && d.action.victim.app.unit === LEAK_UNIT && d.action.child === null);
    assert.match(d.because, /Leaky was paused 60\.0 s ago and no answer came, and memory is still short; at its pace of .* it would use the .* left within/);
    assert.equal(d.policyState.paused, null);
  });

  test('the desktop stalls with MemAvailable under the floor: the paused app is stopped before its deadline; either alone is waited out', () => {
    // MemAvailable sinks 25 MiB/s to 8 GiB's floor of 328 MiB in ~35 s; the runway (with 512 MiB of swap) stays far above it.
    const sinking = (stallFrom: (avail: number) => boolean) => pausedThen((t0, bytes, avail) => {
      let fullUs = 0;
      return Array.from({ length: 62 }, (_, k) => {
        const available = Math.max(200 * MiB, avail - (k + 1) * 25 * MiB);
        if (stallFrom(available)) fullUs += 100_000; // 10 % full stall: elevated, under the 20 % trigger
        return { atMs: t0 + (k + 1) * 1000, available, app: leaky(bytes), fullUs };
      });
    });
    const both = sinking(() => true);
    const s = firstOf(both.ds, 'kill');
    assert.ok(s > both.at && s < both.at + 60, `stopped at look ${s - both.at} of the pause, before its minute was up`);
    const d = both.ds[s]!;
    assert.ok(d.action.kind === 'kill' && d.action.victim.app.unit === LEAK_UNIT);
    assert.ok(d.policyState.prev!.memAvailableBytes <= 328 * MiB && d.measures.runwayBytes > 600 * MiB, 'under the floor by MemAvailable, far above it by the runway');
    assert.match(d.because, /Leaky was paused .* ago and no answer came in time: the desktop is stalling with .* available, under the floor, while Leaky holds/);
    assert.ok(both.ds.slice(both.at + 1, s).every((x) => x.action.kind === 'none'), 'it waited until then');
    // Under the floor without a stall (lab boot F: 50 MiB of 2 GiB, zram untouched), or stalling above it: the minute is waited out.
    for (const [what, run2] of [['no stall', sinking(() => false)], ['stall above the floor', sinking((a) => a > 328 * MiB)]] as const) {
      assert.equal(firstOf(run2.ds, 'kill'), run2.at + 60, `${what}: stopped at its deadline`);
    }
  });

  test('memory recovers meanwhile (another app was closed): it is resumed, and not paused again for 10 min', () => {
    const { ds, at } = pausedThen((t0, bytes, avail) => [
      { atMs: t0 + 1000, available: avail, app: leaky(bytes) },
      { atMs: t0 + 2000, available: avail + 3 * GiB, app: leaky(bytes), others: [] },
      // it leaks on, and memory falls again
      ...Array.from({ length: 40 }, (_, k) => ({ atMs: t0 + 3000 + k * 1000, available: avail + 3 * GiB - (k + 1) * 120 * MiB, app: leaky(bytes + (k + 1) * 120 * MiB), others: [] })),
    ]);
    const r = ds[at + 2]!;
    assert.ok(r.action.kind === 'resume' && r.action.victim.app.unit === LEAK_UNIT);
    assert.match(r.because, /memory recovered while Leaky was paused/);
    assert.equal(r.policyState.paused, null);
    assert.equal(r.policyState.resumedAtMs.get(LEAK_UNIT), r.policyState.prev!.atMs);
    const later = ds.slice(at + 3);
    assert.equal(later.filter((d) => d.action.kind === 'pause').length, 0, 'resumed apps are left to the kill path');
    assert.ok(later.some((d) => d.action.kind === 'kill'), 'which stops it when memory runs out');
    assert.ok(PAUSE_AGAIN_MS >= 10 * 60_000);
  });

  test('the paused app is quit (gone): forgotten, nothing else is done for it', () => {
    const { ds, at } = pausedThen((t0, _bytes, avail) => [{ atMs: t0 + 1000, available: avail + 1 * GiB, app: editor, others: [] }]);
    assert.equal(ds[at + 1]!.policyState.paused, null);
    assert.equal(ds[at + 1]!.action.kind, 'none');
  });

  test('memory runs out anyway (another app grows fast): the kill path decides, as for any unit', () => {
    const { ds, at } = pausedThen((t0, bytes, avail) => Array.from({ length: 8 }, (_, k) => ({
      atMs: t0 + (k + 1) * 1000, available: avail - (k + 1) * 300 * MiB, app: leaky(bytes),
      others: [app('app-gnome-hog-9.scope', { memoryBytes: 500 * MiB + (k + 1) * 300 * MiB })],
    })));
    const k = firstOf(ds, 'kill');
    assert.ok(k > at, 'a kill');
    const d = ds[k]!;
    assert.ok(d.action.kind === 'kill');
    assert.equal(d.action.victim.app.unit, 'app-gnome-hog-9.scope', 'the fast grower, ranked as ever');
    assert.equal(d.policyState.paused?.unit, LEAK_UNIT, 'the paused app stays paused');
  });
});
