// The pure half of the benchmark (bench/lib.ts): plan, parsers, statistics, one run's figures,
// the summary and the table. The guest half needs qemu and is not part of `npm test`.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  FREEZE_MARGIN_S, batches, fmtRange, killLines, killTimeForRatio, makePlan, median, parseCanary, parseKv, parseSeries, quantile, rankTestP, ratioToBestAnchor, renderRatios, renderTable,
  stormOverdue, summarize, summarizeRun, type PlanItem, type RunResult,
} from '../../bench/lib.js';

const T0 = 1_000_000;

function kvText(over: Record<string, string> = {}): string {
  const base: Record<string, string> = {
    idx: '1', killer: 'headroom', workload: 'zram', clean_before: 'yes', mem_available_mib_before: '1800', t0_ms: String(T0),
    t_end_ms: String(T0 + 12_300), storm_end: 'gone', innocent_survived: 'yes', canary_survived: 'yes', smalls: '0', smalls_survived: '0',
    kernel_oom_kills: '0', kernel_killed_hog: 'no', killer_kill_lines: '1', killer_start_s: '12.0', done: 'yes', ...over,
  };
  return Object.entries(base).map(([k, v]) => `${k}=${v}`).join('\n') + '\n';
}

/** Sampler lines every 100 ms from 1 s before T0; MemAvailable falls 10 MiB per line; the hog's scope empties at `goneAtMs`. */
function seriesText(goneAtMs: number): string {
  const lines: string[] = [];
  for (let t = T0 - 1000, i = 0; t <= goneAtMs + 2000; t += 100, i++) {
    lines.push(`${t} ${(1800 - 10 * i) * 1024} 2097148 0.00 ${(i / 10).toFixed(2)} 123 ${(i / 5).toFixed(2)} ${t < goneAtMs ? 1 : 0}`);
  }
  return lines.join('\n') + '\n';
}

const item: PlanItem = { idx: 1, round: 1, killer: 'headroom', workload: 'zram' };

describe('bench plan', () => {
  test('every killer once per workload and round, rotated so none always goes first', () => {
    const plan = makePlan(3, ['none', 'earlyoom', 'headroom'], ['nosw', 'zram']);
    assert.equal(plan.length, 18);
    assert.deepEqual(plan.map((p) => p.idx), Array.from({ length: 18 }, (_, i) => i + 1));
    for (const round of [1, 2, 3]) {
      for (const w of ['nosw', 'zram']) {
        const ks = plan.filter((p) => p.round === round && p.workload === w).map((p) => p.killer);
        assert.deepEqual([...ks].sort(), ['earlyoom', 'headroom', 'none']);
      }
    }
    const firsts = [0, 6, 12].map((i) => plan[i]!.killer);
    assert.equal(new Set(firsts).size, 3, `round starts ${firsts.join(',')}`);
  });
  test('continues numbering and rounds after earlier runs; batches split the plan', () => {
    const plan = makePlan(1, ['none', 'headroom'], ['leak'], 41, 4);
    assert.deepEqual(plan.map((p) => [p.idx, p.round]), [[41, 4], [42, 4]]);
    assert.deepEqual(batches([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]]);
    assert.deepEqual(batches([], 3), []);
  });
});

describe('bench parsers and statistics', () => {
  test('sampler lines; torn or foreign lines are skipped', () => {
    const s = parseSeries('1000 1843200 0 0.00 0.00 0 0.00 1\ngarbage\n1100 1800000 0 1.5 0.75 9 2.25\n1200 1700000 5 1.5 0.75 9 2.25 0\n');
    assert.equal(s.length, 2);
    assert.deepEqual(s[1], { atMs: 1200, memAvailableKiB: 1700000, swapFreeKiB: 5, some10: 1.5, full10: 0.75, fullTotalUs: 9, treeFull10: 2.25, populated: 0 });
  });
  test('canary lines, key=value lines', () => {
    assert.deepEqual(parseCanary('5 100\n6 x\n7 25000\n'), [{ atMs: 5, lateUs: 100 }, { atMs: 7, lateUs: 25000 }]);
    const kv = parseKv('a=1\nb=x=y\nnoise\na=2\n');
    assert.equal(kv.get('a'), '2');
    assert.equal(kv.get('b'), 'x=y');
  });
  test('nearest-rank quantile and median', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(quantile(xs, 0.99), 99);
    assert.equal(quantile(xs, 1), 100);
    assert.equal(quantile([3, 1, 2], 0.5), 2);
    assert.ok(Number.isNaN(quantile([], 0.5)));
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(median([5]), 5);
  });
});

describe('rank test', () => {
  test('exact over every split: separated groups, interleaved groups, ties, symmetry', () => {
    // 5 against 5, fully separated: 2 of the 252 splits are as extreme (one per direction).
    assert.equal(rankTestP([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]), 2 / 252);
    assert.equal(rankTestP([6, 7, 8, 9, 10], [1, 2, 3, 4, 5]), 2 / 252);
    const interleaved = rankTestP([1, 3, 5, 7, 9], [2, 4, 6, 8, 10]);
    assert.ok(interleaved > 0.6 && interleaved < 1, String(interleaved));
    assert.equal(rankTestP([4, 4, 4], [4, 4, 4]), 1, 'all tied: nothing to tell apart');
    assert.equal(rankTestP([1, 2], [2, 3]), rankTestP([2, 3], [1, 2]));
    assert.ok(Number.isNaN(rankTestP([], [1, 2])));
  });
  test('drawn splits when there are too many to walk, the same answer every time', () => {
    const a = Array.from({ length: 20 }, (_, i) => i);
    const b = Array.from({ length: 10 }, (_, i) => 100 + i);
    const p = rankTestP(a, b);
    assert.ok(p > 0 && p < 0.001, String(p));
    assert.equal(rankTestP(a, b), p);
    const mixed = rankTestP(a.map((x) => x * 5), b.map((x) => (x - 100) * 10 + 1));
    assert.ok(mixed > 0.05, String(mixed));
  });
});

describe('kill lines of the killers\' journals', () => {
  test("earlyoom's banner is not a kill; its SIGTERM, oomd's and Headroom's kills are", () => {
    const log = [
      '1795464911.468101 lab earlyoom[1595]: sending SIGTERM when mem <= 10.00% and swap <= 10.00%,',
      '1795464939.812032 lab earlyoom[1595]: low memory! at or below SIGTERM limits: mem 10.00%, swap 10.00%',
      '1795464939.974561 lab earlyoom[1595]: sending SIGTERM to process 1616 uid 1000 "benchbin": badness 1127, VmRSS 1355 MiB',
      '1795465129.284027 lab systemd-oomd[2193]: Killed /user.slice/user-1000.slice/user@1000.service/app.slice/app-bench-hog-11.scope due to memory pressure',
      '1795465029.991927 lab headroom[1859]: killed app-bench-hog-10.scope: 1 processes, 0 left, cgroup.kill, 1920 ms',
      '1795465029.5 lab headroom[1859]: killing app-bench-hog-10.scope (exhaustion, grace 0 ms)',
    ].join('\n');
    assert.deepEqual(killLines(log), { count: 3, firstAtS: 1795464939.974561 });
    assert.deepEqual(killLines(''), { count: 0, firstAtS: null });
    const banner = summarizeRun(item, parseKv(kvText({ killer_kill_lines: '1' })), seriesText(T0 + 12_000), '', null, log.split('\n')[0]);
    assert.equal(banner.killedBy, 'unknown', 'the banner alone is no kill');
    const real = summarizeRun(item, parseKv(kvText({ killer_kill_lines: '0' })), seriesText(T0 + 12_000), '', null, `${(T0 + 11_500) / 1000} x headroom[1]: killed app-bench-hog-1.scope`);
    assert.equal(real.killedBy, 'killer');
    assert.equal(real.killerLoggedKillS, 11.5);
  });
});

describe('one run', () => {
  test('kill time from the sampler, MemAvailable just before, canary over hog start → kill + 5 s', () => {
    const canary = [
      `${T0 - 3500} 700000`, // before the calm window: nowhere
      `${T0 - 500} 900000`, // in the calm before the storm: only the calm figure
      ...Array.from({ length: 200 }, (_, i) => `${T0 + 50 * (i + 1)} ${i === 100 ? 400000 : 1000}`),
      `${T0 + 12_000 + 5000 + 500} 800000`, // after the recovery window: not counted
    ].join('\n');
    const r = summarizeRun(item, parseKv(kvText()), seriesText(T0 + 12_000), canary);
    assert.equal(r.complete, true);
    assert.equal(r.hogKilled, true);
    assert.equal(r.rightVictim, true);
    assert.equal(r.secondsToKill, 12);
    assert.equal(r.killedBy, 'killer');
    // the last line with the hog populated is T0 + 11.9 s: 129 lines after T0 − 1 s
    assert.equal(r.memAvailableAtKillMiB, 1800 - 10 * 129);
    assert.equal(r.canaryWorstMs, 400);
    assert.equal(r.canaryP99Ms, 1);
    assert.equal(r.canaryWakeups, 200);
    assert.equal(r.canaryCalmWorstMs, 900);
    assert.ok(r.trace.length > 0 && r.trace[0]![0] < 0, 'the trace starts before the hog');
  });
  test('the poll loop may see the empty scope first; the earlier observation counts', () => {
    const r = summarizeRun(item, parseKv(kvText({ t_end_ms: String(T0 + 11_000) })), seriesText(T0 + 12_000), '');
    assert.equal(r.secondsToKill, 11);
    assert.equal(r.canaryWorstMs, null);
  });
  test('a kernel kill, a dead innocent, the cap, an unfinished run', () => {
    const kernel = summarizeRun(item, parseKv(kvText({ kernel_killed_hog: 'yes', kernel_oom_kills: '1', killer_kill_lines: '0' })), seriesText(T0 + 30_000), '');
    assert.equal(kernel.killedBy, 'kernel');
    assert.equal(kernel.kernelOomKills, 1);
    const wrong = summarizeRun(item, parseKv(kvText({ innocent_survived: 'no' })), seriesText(T0 + 12_000), '');
    assert.equal(wrong.rightVictim, false);
    const smalls = summarizeRun(item, parseKv(kvText({ smalls: '20', smalls_survived: '19' })), seriesText(T0 + 12_000), '');
    assert.equal(smalls.rightVictim, false);
    const cap = summarizeRun(item, parseKv(kvText({ storm_end: 'cap', t_end_ms: String(T0 + 200_000) })), seriesText(T0 + 300_000), '');
    assert.equal(cap.hogKilled, false);
    assert.equal(cap.rightVictim, false);
    assert.equal(cap.secondsToKill, null);
    assert.equal(cap.killedBy, 'none');
    const unfinished = summarizeRun(item, parseKv(kvText({ done: '' })), '', '');
    assert.equal(unfinished.complete, false);
    const noHog = summarizeRun(item, parseKv(kvText({ hog_scope: 'FAIL', t_end_ms: String(T0 + 500) })), seriesText(T0 + 500), '');
    assert.equal(noHog.complete, false);
    assert.match(noHog.notes.join(), /did not start/);
    const noSwap = summarizeRun(item, parseKv(kvText({ zram_device: 'FAIL' })), seriesText(T0 + 12_000), '');
    assert.equal(noSwap.complete, false);
    assert.match(noSwap.notes.join(), /zram/);
    const unknown = summarizeRun(item, parseKv(kvText({ killer_kill_lines: '0' })), seriesText(T0 + 12_000), '');
    assert.equal(unknown.killedBy, 'unknown');
    assert.match(unknown.notes.join(), /neither the kernel nor the killer/);
    // earlyoom's pick in run 88: the user manager, and with it the session
    const session = summarizeRun(item, parseKv(kvText({ innocent_survived: 'no', canary_survived: 'no', kernel_killed_hog: 'yes', kernel_oom_kills: '1' })), seriesText(T0 + 12_000), '', null,
      `${(T0 + 11_000) / 1000} lab earlyoom[2854]: sending SIGTERM to process 232 uid 1000 "systemd": badness 733, VmRSS 1 MiB`);
    assert.equal(session.rightVictim, false);
    assert.match(session.notes.join(), /killed the user manager/);
    const after = summarizeRun(item, parseKv(kvText({ user_manager_restarted: 'yes' })), seriesText(T0 + 12_000), '');
    assert.match(after.notes.join(), /user manager was gone after the previous run/);
    assert.equal(after.rightVictim, true);
  });

  test('a guest the host stopped as frozen: counted, nothing killed in time, nothing else known', () => {
    // What the guest had written when it froze: up to the gate, no end of the storm.
    const written = kvText({ t_end_ms: '', storm_end: '', innocent_survived: '', canary_survived: '', kernel_oom_kills: '', done: '' })
      .split('\n').filter((l) => !/=$/.test(l)).join('\n');
    const kv = parseKv(written);
    assert.equal(stormOverdue(kv, undefined, T0 + 10_000_000, 200), false, 'not seen by the host yet');
    assert.equal(stormOverdue(kv, T0, T0 + (200 + FREEZE_MARGIN_S) * 1000, 200), false, 'still within cap + margin');
    assert.equal(stormOverdue(kv, T0, T0 + (200 + FREEZE_MARGIN_S) * 1000 + 1, 200), true);
    const ended = parseKv(`${written}\nt_end_ms=${T0 + 400_000}\n`);
    assert.equal(stormOverdue(ended, T0, T0 + 10_000_000, 200), false, 'a slow guest that ended the storm is not frozen');
    assert.equal(stormOverdue(parseKv(kvText({ t0_ms: '' }).replace(/^t0_ms=\n/m, '').replace(/^t_end_ms=.*\n/m, '')), T0, T0 + 10_000_000, 200), false, 'no storm yet');

    const lost = summarizeRun(item, kv, '', '');
    assert.equal(lost.complete, false, 'without the host\'s verdict the run is simply unfinished');
    const frozen = summarizeRun(item, parseKv(`${written}\nhost_frozen_s=305\n`), '', '');
    assert.equal(frozen.complete, true);
    assert.equal(frozen.hogKilled, false);
    assert.equal(frozen.rightVictim, false);
    assert.equal(frozen.secondsToKill, null);
    assert.equal(frozen.killedBy, 'none');
    assert.equal(frozen.canaryWorstMs, null);
    assert.match(frozen.notes.join(), /guest frozen: no progress 305 s after hog start/);
    const cell = summarize([frozen])[0]!;
    assert.deepEqual([cell.runs, cell.killedRuns, cell.rightVictimPct], [1, 0, 0]);
  });
});

function run(killer: string, workload: string, secondsToKill: number | null, canaryWorstMs: number, over: Partial<RunResult> = {}): RunResult {
  return {
    idx: 0, round: 1, killer, workload, complete: true, cleanBefore: true, memAvailableBeforeMiB: 1800, hogKilled: secondsToKill !== null,
    rightVictim: secondsToKill !== null, secondsToKill, memAvailableAtKillMiB: secondsToKill !== null ? 100 : null, swapFreeAtKillMiB: 0,
    canaryWorstMs, canaryP99Ms: canaryWorstMs / 10, canaryWakeups: 100, kernelOomKills: 0, killedBy: secondsToKill !== null ? 'killer' : 'none',
    innocentSurvived: true, canarySurvived: true, smalls: 0, smallsSurvived: 0, killerStartSeconds: 1, killerRssKiBBefore: 1000,
    killerRssKiBAfter: 1000, hostLoad: 1, t0Ms: T0, trace: [[0, 1800, 0], [10, 100, 50]], notes: [], ...over,
  };
}

describe('summary and table', () => {
  const runs = [
    run('headroom', 'zram', 12, 100), run('headroom', 'zram', 14, 300), run('headroom', 'zram', 13, 200),
    run('earlyoom', 'zram', 40, 20000), run('earlyoom', 'zram', 50, 30000),
    run('none', 'zram', null, 90000), run('none', 'zram', 60, 80000, { killedBy: 'kernel', kernelOomKills: 1 }),
    run('headroom', 'nosw', 20, 500, { complete: false }),
  ];
  const cells = summarize(runs);
  test('one cell per killer × workload with runs; incomplete runs are left out', () => {
    assert.deepEqual(cells.map((c) => `${c.workload}/${c.killer}`), ['zram/none', 'zram/earlyoom', 'zram/headroom']);
    const h = cells.find((c) => c.killer === 'headroom')!;
    assert.equal(h.runs, 3);
    assert.equal(h.rightVictimPct, 100);
    assert.deepEqual(h.secondsToKill, { median: 13, min: 12, max: 14 });
    const k = cells.find((c) => c.killer === 'none')!;
    assert.equal(k.killedRuns, 1);
    assert.equal(k.rightVictimPct, 50);
    assert.equal(k.kernelOomKills, 1);
    assert.deepEqual(k.killedBy, { none: 1, kernel: 1 });
  });
  test('ratios: a killer that mostly never kills counts as the cap', () => {
    const none = cells.find((c) => c.killer === 'none')!;
    assert.equal(killTimeForRatio(none, 200), 60, 'one of two runs killed: its median stands');
    assert.equal(killTimeForRatio({ ...none, killedRuns: 0, secondsToKill: null }, 200), 200);
    const r = ratioToBestAnchor(cells, 'zram', (c) => killTimeForRatio(c, 200));
    assert.deepEqual(r, { ratio: 13 / 45, anchor: 'earlyoom' });
    assert.equal(ratioToBestAnchor(cells, 'leak', (c) => c.runs), null);
  });
  test('the Markdown table and ratios', () => {
    const table = renderTable(cells, 200);
    assert.match(table, /\| \(2\) zram, fast hog \| Headroom defaults \| 3 \| 100 % \| 13\.0 \(12\.0–14\.0\) \| 100 \| 200 \(100–300\) \| 20 \(10–30\) \| – \| 0 \| 3\/3 \| itself 3 \|/);
    assert.match(table, /kernel only \| 2 \| 50 % \| 60\.0 \+ 1× no kill in 200 s \|/);
    const ratios = renderRatios(cells, 200);
    assert.match(ratios, /\| \(2\) zram, fast hog \| Headroom defaults \| 0\.29 \(vs earlyoom defaults\) \| 0\.01 \(vs earlyoom defaults\) \|/);
    assert.equal(fmtRange(null), '–');
    assert.equal(fmtRange({ median: 5, min: 5, max: 5 }, 0), '5');
  });
});
