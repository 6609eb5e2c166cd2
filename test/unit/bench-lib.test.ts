// The pure half of the benchmark: the plan (bench/plan.ts), the parsers of what the guest wrote
// (guest-output.ts), statistics.ts, one run's figures (run-result.ts), the summary
// (summary.ts) and the tables (tables.ts). The guest half needs qemu and is not part of `npm test`.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { killLines, killPaths, killedPids, parseCanary, parseHogStop, parseKv, parseSeries, zramRatio } from '../../bench/guest-output.js';
import { FREEZE_MARGIN_S, batches, makePlan, stormOverdue, type PlanItem } from '../../bench/plan.js';
import { browserOutcome, needlessKillOf, summarizeRun, wrongKillOf, type RunResult } from '../../bench/run-result.js';
import { median, quantile, rankTestP } from '../../bench/statistics.js';
import { bestAnchor, killTimeForRatio, ratioToBestAnchor, summarize } from '../../bench/summary.js';
import { fmtRange, renderBrowserRuns, renderBrowserTable, renderHeadline, renderNoKillTable, renderPauseRuns, renderRatios, renderTable } from '../../bench/tables.js';

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
  test('sampler lines with zram mm_stat: 12 fields, -1 where the device is absent; old 8- and 11-field lines still parse', () => {
    const s = parseSeries([
      '1000 1843200 0 0.00 0.00 0 0.00 1', // an old sampler
      '1100 1800000 2097148 0.00 0.00 0 0.00 1 -1 -1 -1 -1', // no zram device
      '1200 500000 1000000 1.5 0.75 9 2.25 1 900000 290000 300000', // before same_pages (run 241 and earlier)
      '1300 500000 1000000 1.5 0.75 9 2.25 1 900000 290000', // torn
      '1400 500000 1000000 1.5 0.75 9 2.25 1 900000 290000 300000 7 8', // foreign
      '1500 500000 1000000 1.5 0.75 9 2.25 1 900000 290000 300000 40000',
    ].join('\n'));
    assert.equal(s.length, 4);
    assert.equal(s[2]!.zramSameKiB, undefined);
    assert.equal(s[3]!.zramSameKiB, 40000);
    assert.equal(s[0]!.zramOrigKiB, undefined);
    assert.deepEqual(Object.keys(s[1]!).sort(), Object.keys(s[0]!).sort(), 'absent zram: no zram fields');
    assert.deepEqual([s[2]!.zramOrigKiB, s[2]!.zramComprKiB, s[2]!.zramUsedKiB], [900000, 290000, 300000]);
    assert.equal(zramRatio(900000, 300000), 3);
    assert.equal(zramRatio(900000, 0), null);
  });
  test("the hog's stop line", () => {
    assert.deepEqual(parseHogStop('stopped at_ms=1000 reason=low allocated_mib=1500 mem_available_kib=209715 mem_total_kib=2011136'),
      { atMs: 1000, reason: 'low', allocatedMiB: 1500, memAvailableMiB: 205, memAvailablePct: 10.4 });
    assert.equal(parseHogStop(''), null);
    assert.equal(parseHogStop(undefined), null);
    assert.equal(parseHogStop('stopped at_ms=x'), null);
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
      '1795465031.2 lab headroom[1859]: killed vte-spawn-2d6b2e4a-c452-4bcd-9fb4-ddef5f47bfc6.scope: 1 processes, 0 left, cgroup.kill, 40 ms',
      '1795465032.2 lab headroom[1859]: killed snap.firefox.firefox-508c0df6-cebe-436d-9022-d5158df45abb.scope: 3 processes, 0 left, cgroup.kill, 40 ms',
      // run 341: a process still exiting after cgroup.kill; the notice after it is no second kill
      '1796228644.826467 headroom-lab headroom[2410]: partial app-gnome-chromium-2453.scope: 7 processes, 1 left, cgroup.kill, 3810 ms',
      '1796228646.013797 headroom-lab headroom[2711]: Killed chromium (app-gnome-chromium-2453.scope) only in part (1 of 7 processes left) for exhaustion',
      // one marked process (a tab) stopped; the line announcing it is no kill yet
      '1796228700.1 headroom-lab headroom[2711]: killing a chromium tab (renderer, pid 2460, 1.4 GiB) in app-gnome-chromium-2453.scope (exhaustion, no grace): …',
      '1796228700.2 headroom-lab headroom[2711]: stopped a chromium tab (renderer, pid 2460, 1.4 GiB) in app-gnome-chromium-2453.scope, 12 ms; the app runs on',
      // run 356: still exiting after the wait, in zram thrash
      '1796231364.398696 headroom-lab headroom[444]: signalled a chromium tab (renderer, pid 518, 1.5 GiB) in app-gnome-chromium-488.scope, still exiting after 3062 ms; the app runs on',
      '1796231482.468104 headroom-lab headroom[1051]: could not stop a chromium tab (renderer, pid 1120, 1.5 GiB) in app-gnome-chromium-1094.scope, 2029 ms; the app runs on',
    ].join('\n');
    assert.deepEqual(killLines(log), { count: 9, firstAtS: 1795464939.974561 });
    assert.deepEqual(killLines(''), { count: 0, firstAtS: null });
    assert.deepEqual(killedPids('1 x earlyoom[2]: sending SIGKILL to process 77'), [{ pid: 77, name: '' }], 'an older line without uid and name');
    assert.deepEqual(killedPids(log), [{ pid: 1616, name: 'benchbin' }], 'the PID of earlyoom\'s kill line, not of its banner nor the killers that name units');
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
    assert.equal(frozen.wrongKill, false, 'survivors unknown: no wrong kill made up');
    const frozenBurst = summarizeRun({ ...item, workload: 'burst' }, parseKv(`${written}\nhost_frozen_s=305\n`), '', '');
    assert.deepEqual([frozenBurst.needlessKill, needlessKillOf(frozenBurst), wrongKillOf(frozenBurst)], [false, false, false]);
    const cell = summarize([frozen])[0]!;
    assert.deepEqual([cell.runs, cell.killedRuns, cell.rightVictimPct], [1, 0, 0]);
    assert.deepEqual(cell.died, {}, 'survivors unknown, not dead');
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
    assert.match(table, /\| \(2\) zram, fast hog \| Headroom defaults \| 3 \| 100 % \| 0\/3 \| 13\.0 \(12\.0–14\.0\) \| 100 \| 200 \(100–300\) \| 20 \(10–30\) \| – \| 0 \| 3\/3 \| itself 3 \| hog 3 \|/);
    assert.match(table, /kernel only \| 2 \| 50 % \| 0\/2 \| 60\.0 \+ 1× no kill in 200 s \|/);
    const ratios = renderRatios(cells, 200);
    assert.match(ratios, /\| \(2\) zram, fast hog \| Headroom defaults \| 0\.29 \(vs earlyoom defaults\) \| 0\.01 \(vs earlyoom defaults\) \|/);
    assert.equal(fmtRange(null), '–');
    assert.equal(fmtRange({ median: 5, min: 5, max: 5 }, 0), '5');
  });
});

// ---- workloads that need no kill, and where the hog lives beside other apps ----

/** What the guest writes for a burst whose hog stopped at 10.4 % and exited by itself (or not). */
function burstKv(over: Record<string, string> = {}): Map<string, string> {
  return parseKv(kvText({
    workload: 'burst', killer: 'earlyoom', t_end_ms: String(T0 + 45_000), bystanders: 'innocent canary ', killer_kill_lines: '0',
    hog_stopped: `stopped at_ms=${T0 + 14_000} reason=low allocated_mib=1500 mem_available_kib=209715 mem_total_kib=2011136`,
    hog_exited_itself: 'yes', hog_exit_status: '0', ...over,
  }));
}
const burst: PlanItem = { idx: 2, round: 1, killer: 'earlyoom', workload: 'burst' };

describe('verdicts: needless and wrong kills', () => {
  test('a burst whose hog stopped and exited by itself: nothing died, the right verdict', () => {
    // MemAvailable falls 10 MiB per 100 ms line to 200 MiB and stays there while the hog holds it
    const held = seriesText(T0 + 45_000).trim().split('\n').map((l, i) => {
      const f = l.split(' ');
      f[1] = String(Math.max(200 + (i === 300 ? -5 : 0), 1800 - 10 * i) * 1024);
      return f.join(' ');
    }).join('\n');
    const r = summarizeRun(burst, burstKv(), held, '');
    assert.equal(r.needsKill, false);
    assert.equal(r.hogExitedItself, true);
    assert.equal(r.hogKilled, false);
    assert.equal(r.rightVictim, true, 'right = nothing died');
    assert.equal(r.needlessKill, false);
    assert.equal(r.wrongKill, false);
    assert.equal(r.secondsToKill, null, 'no kill, no time to kill');
    assert.equal(r.memAvailableAtKillMiB, null);
    assert.equal(r.killedBy, 'none');
    assert.equal(r.hogGoneS, 45);
    assert.deepEqual(r.hogStop, { atMs: T0 + 14_000, reason: 'low', allocatedMiB: 1500, memAvailableMiB: 205, memAvailablePct: 10.4 });
    assert.equal(r.lowestMemAvailableMiB, 195);
    assert.deepEqual(r.deaths, []);
  });
  test('a burst whose hog was killed counts as a needless kill', () => {
    const r = summarizeRun(burst, burstKv({ hog_exited_itself: 'no', hog_exit_status: '143', t_end_ms: String(T0 + 12_000), killer_kill_lines: '1' }), seriesText(T0 + 12_000), '');
    assert.equal(r.hogKilled, true);
    assert.equal(r.killedBy, 'killer');
    assert.equal(r.needlessKill, true);
    assert.equal(r.rightVictim, false);
    assert.equal(r.wrongKill, false, 'the hog is no bystander');
    assert.equal(r.secondsToKill, 12);
    assert.deepEqual(r.deaths, [{ who: 'hog', atS: 12 }]);
    const byKernel = summarizeRun(burst, burstKv({ hog_exited_itself: 'no', kernel_killed_hog: 'yes', kernel_oom_kills: '1', t_end_ms: String(T0 + 12_000) }), seriesText(T0 + 12_000), '');
    assert.equal(byKernel.needlessKill, true);
    assert.equal(byKernel.killedBy, 'kernel');
  });
  test('a bystander killed in a burst: needless and wrong', () => {
    const r = summarizeRun(burst, burstKv({ innocent_survived: 'no', [`died_innocent_ms`]: String(T0 + 13_000) }), seriesText(T0 + 45_000), '');
    assert.equal(r.hogExitedItself, true);
    assert.equal(r.needlessKill, true);
    assert.equal(r.wrongKill, true);
    assert.equal(r.rightVictim, false);
    assert.deepEqual(r.deaths, [{ who: 'innocent', atS: 13 }]);
  });
  test('a burst that outlived the cap: nothing died, but the run says the bench stopped it', () => {
    const r = summarizeRun(burst, burstKv({ storm_end: 'cap', hog_exited_itself: 'no', t_end_ms: String(T0 + 200_000) }), seriesText(T0 + 300_000), '');
    assert.equal(r.hogKilled, false);
    assert.equal(r.needlessKill, false);
    assert.equal(r.rightVictim, true);
    assert.match(r.notes.join(), /had not ended by the cap/);
  });
  const vte: PlanItem = { idx: 3, round: 1, killer: 'oomd2', workload: 'vte' };
  const vteKv = (over: Record<string, string> = {}): Map<string, string> => parseKv(kvText({
    workload: 'vte', killer: 'oomd2', bystanders: 'innocent canary browser terminal ', browser_survived: 'yes', terminal_survived: 'yes',
    hog_unit: 'vte-spawn-0b7c8a0e-5d1c-4a57-9a55-4a1f0d2d7d61.scope',
    hog_cgroup: '/user.slice/user-1000.slice/user@1000.service/app.slice/app-org.gnome.Terminal.slice/vte-spawn-0b7c8a0e-5d1c-4a57-9a55-4a1f0d2d7d61.scope',
    ...over,
  }));
  test('the session killed after the hog (systemd-oomd took user@1000.service/init.scope, run 148): noted, not right, not wrong', () => {
    const snap = summarizeRun({ ...item, workload: 'snap', killer: 'oomd20' }, parseKv(kvText({
      workload: 'snap', killer: 'oomd20', bystanders: 'innocent canary', innocent_survived: 'no', canary_survived: 'no',
      died_innocent_ms: String(T0 + 13_000), died_canary_ms: String(T0 + 13_100),
    })), seriesText(T0 + 12_000), '', null,
    `${(T0 + 12_900) / 1000} lab systemd-oomd[868]: Killed /user.slice/user-1000.slice/user@1000.service/init.scope due to memory pressure for /user.slice/user-1000.slice/user@1000.service being 51.11% > 50.00% for > 20s with reclaim activity`);
    assert.match(snap.notes.join(), /killed the user manager/);
    assert.equal(snap.rightVictim, false);
    assert.equal(snap.wrongKill, false, 'after the hog');
    assert.deepEqual(snap.deaths?.map((d) => d.who), ['hog', 'innocent', 'canary']);
  });
  test('a terminal tab\'s hog killed, the browser and the terminal server alive: the right victim', () => {
    const r = summarizeRun(vte, vteKv(), seriesText(T0 + 12_000), '');
    assert.equal(r.rightVictim, true);
    assert.equal(r.wrongKill, false);
    assert.equal(r.needlessKill, null, 'a kill was needed');
    assert.match(r.hogCgroup ?? '', /app\.slice\/app-org\.gnome\.Terminal\.slice\/vte-spawn-[0-9a-f-]{36}\.scope$/);
  });
  test('the browser killed before the hog: a wrong kill, even though the hog died later', () => {
    const r = summarizeRun(vte, vteKv({ browser_survived: 'no', died_browser_ms: String(T0 + 8_000) }), seriesText(T0 + 12_000), '');
    assert.equal(r.hogKilled, true);
    assert.equal(r.wrongKill, true);
    assert.equal(r.rightVictim, false);
    assert.deepEqual(r.deaths, [{ who: 'browser', atS: 8 }, { who: 'hog', atS: 12 }]);
  });
  test('the terminal server killed while the hog lived to the cap: wrong; a bystander dying after the hog: not wrong, not right', () => {
    const lived = summarizeRun(vte, vteKv({ storm_end: 'cap', t_end_ms: String(T0 + 200_000), terminal_survived: 'no', died_terminal_ms: String(T0 + 30_000) }), seriesText(T0 + 300_000), '');
    assert.equal(lived.wrongKill, true);
    assert.equal(lived.rightVictim, false);
    const after = summarizeRun(vte, vteKv({ browser_survived: 'no', died_browser_ms: String(T0 + 14_000) }), seriesText(T0 + 12_000), '');
    assert.equal(after.wrongKill, false);
    assert.equal(after.rightVictim, false);
    // seen dead only at the end (no time): after the hog
    const late = summarizeRun(vte, vteKv({ browser_survived: 'no' }), seriesText(T0 + 12_000), '');
    assert.equal(late.wrongKill, false);
    assert.deepEqual(late.deaths?.map((d) => d.who), ['hog', 'browser']);
  });
  test('a compressible burst in zram: the ratio at the stop (mm_stat) and while the hog held its memory (the sampler)', () => {
    const lines: string[] = [];
    for (let t = T0 - 1000; t <= T0 + 60_000; t += 100) {
      const held = t >= T0 + 20_000;
      lines.push(`${t} ${300 * 1024} ${1024 * 1024} 0.00 0.00 0 0.00 ${t < T0 + 55_000 ? 1 : 0} ${held ? 1_200_000 : 100} ${held ? 390_000 : 50} ${held ? 400_000 : 100}`);
    }
    const kv = parseKv(kvText({
      workload: 'zburst', bystanders: 'innocent canary', hog_exited_itself: 'yes', t_end_ms: String(T0 + 55_100), killer_kill_lines: '0',
      hog_stopped: `stopped at_ms=${T0 + 20_000} reason=total allocated_mib=2560 mem_available_kib=307200 mem_total_kib=2011136`,
      zram_mm_stat_at_stop: `${1200 * 1048576} ${390 * 1048576} ${410 * 1048576}`,
    }));
    const r = summarizeRun({ ...item, workload: 'zburst' }, kv, lines.join('\n'), '');
    assert.equal(r.rightVictim, true);
    assert.deepEqual(r.zramAtStop, { origMiB: 1200, comprMiB: 390, usedMiB: 410, ratio: 2.93 });
    assert.equal(r.zramRatioHold, 3);
    assert.equal(r.hogStop?.reason, 'total');
    const cell = summarize([r])[0]!;
    assert.deepEqual(cell.zramRatio, { median: 3, min: 3, max: 3 });
  });
  test('runs recorded before the verdicts: any bystander death is a wrong kill; needless only where no kill was needed', () => {
    const old = run('oomd2', 'apps', 30, 100, { innocentSurvived: false, rightVictim: false });
    delete old.wrongKill;
    assert.equal(wrongKillOf(old), true);
    assert.equal(needlessKillOf(old), null);
    assert.equal(wrongKillOf(run('oomd2', 'apps', 30, 100)), false);
    const oldBurst = run('none', 'burst', 30, 100);
    assert.equal(needlessKillOf(oldBurst), true, 'a killed hog where none was needed');
  });
});

describe('tables of the workloads that need no kill, and the headline', () => {
  const runs = [
    run('headroom', 'burst', null, 50, { needlessKill: false, wrongKill: false, hogExitedItself: true, lowestMemAvailableMiB: 190, hogStop: { atMs: 0, reason: 'low', allocatedMiB: 1500, memAvailableMiB: 200, memAvailablePct: 10.2 } }),
    run('headroom', 'burst', 9, 40, { rightVictim: false, needlessKill: true, wrongKill: false, lowestMemAvailableMiB: 250, deaths: [{ who: 'hog', atS: 9 }] }),
    run('earlyoom', 'burst', null, 60, { needlessKill: false, wrongKill: false, hogExitedItself: true, lowestMemAvailableMiB: 180 }),
    run('none', 'burst', null, 70, { needlessKill: false, wrongKill: false, hogExitedItself: true, lowestMemAvailableMiB: 170 }),
    run('oomd2', 'vte', 20, 100, { rightVictim: false, wrongKill: true, deaths: [{ who: 'browser', atS: 10 }, { who: 'hog', atS: 20 }] }),
    run('earlyoom', 'vte', 30, 100, { wrongKill: false }),
  ];
  for (const r of runs) if (r.workload === 'burst') r.rightVictim = r.needlessKill === false;
  const cells = summarize(runs);
  test('needless and wrong kills per cell; right means nothing died', () => {
    const h = cells.find((c) => c.killer === 'headroom' && c.workload === 'burst')!;
    assert.deepEqual([h.needsKill, h.runs, h.rightVictimPct, h.needlessKills, h.wrongKills, h.exitedItself], [false, 2, 50, 1, 0, 1]);
    assert.deepEqual(h.died, { hog: 1 });
    const o = cells.find((c) => c.killer === 'oomd2' && c.workload === 'vte')!;
    assert.deepEqual([o.needsKill, o.needlessKills, o.wrongKills], [true, null, 1]);
    assert.deepEqual(o.died, { browser: 1, hog: 1 });
  });
  test('each table has its own workloads; the no-kill table has no time to kill', () => {
    const noKill = renderNoKillTable(cells);
    assert.match(noKill, /nothing died \(right\) \| needless kill \| wrong kill/);
    assert.doesNotMatch(noKill, /s to kill/);
    assert.match(noKill, /\| \(5\) no swap, burst stopping at 10 % \| Headroom defaults \| 2 \| 50 % \| 1\/2 \| 0\/2 \| 1\/2 \| 200 \| 10\.2 \| 220 \(190–250\) \| – \|/);
    assert.match(noKill, /\| hog 1 \| – \| – \|$/m, 'no major faults or kill-path line recorded: dashes, not zeros');
    assert.doesNotMatch(noKill, /GNOME Terminal/);
    const kill = renderTable(cells, 200);
    assert.doesNotMatch(kill, /burst/);
    assert.match(kill, /\| \(8\) no swap, hog in a GNOME Terminal tab \| systemd-oomd, tuned \(50 %, 2 s\) \| 1 \| 0 % \| 1\/1 \| 20\.0 \|.*\| hog 1, browser 1 \|/);
    assert.doesNotMatch(renderRatios(cells, 200), /burst/);
    assert.equal(renderNoKillTable(summarize(runs.filter((r) => r.workload === 'vte'))), '');
  });
  test('the headline: Headroom against the best anchor, counts of right, needless and wrong', () => {
    assert.equal(bestAnchor(cells, 'vte', 200)?.killer, 'earlyoom', 'a wrong kill loses to a slower right one');
    assert.equal(bestAnchor(cells, 'burst', 200)?.killer, 'earlyoom', 'equal verdicts: the smaller canary stall');
    const h = renderHeadline(cells, 200);
    assert.match(h, /\| \(5\) no swap, burst stopping at 10 % \| no \| 2 runs: 1 right, 1 needless, 0 wrong \| 220 MiB \| earlyoom defaults \| 1 run: 1 right, 0 needless, 0 wrong \| 180 MiB \|/);
    assert.match(h, /\| \(8\) no swap, hog in a GNOME Terminal tab \| yes \| no runs yet \| – \| earlyoom defaults \| 1 run: 1 right, – needless, 0 wrong \| 30\.0 s \|/);
    assert.equal(h.split('\n').length, 2 + 11, 'one line per workload');
    assert.match(h, /\| \(10\) zram, browser-like app with a hog tab \| yes \| no runs yet \|/);
  });
});

// ---- the killer's side of a storm, and the browser-like app (workload 10) ----

describe("the killer's major faults and Headroom's kill-path line", () => {
  const line = (at: number, n: string, m: number, k: number, cause = 'pressure trigger'): string =>
    `${at} lab headroom[1859]: kill path: woke by ${cause} ${n} ms before the kill decision, ${m} major faults since waking, ${k} since start`;
  test('every kill-path line in order, its figures and time; none in a log without one', () => {
    const log = [
      '1795465029.1 lab headroom[1859]: → critical',
      line(1795465029.4, '312', 17, 240),
      '1795465029.5 lab headroom[1859]: killing app-gnome-chromium-812.scope (exhaustion, grace 0 ms)',
      line(1795465050.2, '4.5', 0, 241, 'timer'),
    ].join('\n');
    assert.deepEqual(killPaths(log), [
      { cause: 'pressure trigger', wakeToDecisionMs: 312, faultsSinceWake: 17, faultsSinceStart: 240, atS: 1795465029.4 },
      { cause: 'timer', wakeToDecisionMs: 4.5, faultsSinceWake: 0, faultsSinceStart: 241, atS: 1795465050.2 },
    ]);
    assert.deepEqual(killPaths('1795465029.5 lab headroom[1859]: killing app-bench-hog-1.scope'), []);
    assert.deepEqual(killPaths('kill path: woke by timer soon before the kill decision, 1 major faults since waking, 2 since start'), [], 'no number: not the line');
  });
  test("a run's faults are the difference over the storm; the first kill-path line is the run's; absent stays absent", () => {
    const log = `${(T0 + 11_000) / 1000} lab headroom[1]: ${line(0, '800', 41, 300).split(': ').slice(1).join(': ')}\n${(T0 + 11_500) / 1000} x headroom[1]: killed app-bench-hog-1.scope`;
    const r = summarizeRun(item, parseKv(kvText({ killer_majflt_t0: '120', killer_majflt_end: '161' })), seriesText(T0 + 12_000), '', null, log);
    assert.equal(r.killerMajorFaults, 41);
    assert.deepEqual(r.killPath, { cause: 'pressure trigger', wakeToDecisionMs: 800, faultsSinceWake: 41, faultsSinceStart: 300, atS: (T0 + 11_000) / 1000 });
    const none = summarizeRun({ ...item, killer: 'none' }, parseKv(kvText({ killer_majflt_t0: '', killer_majflt_end: '' })), seriesText(T0 + 12_000), '', null, '');
    assert.equal(none.killerMajorFaults, null, 'no killer process: no figure');
    assert.equal(none.killPath, null);
    // a killer restarted in the storm (its new process has fewer faults): no figure rather than a negative one
    assert.equal(summarizeRun(item, parseKv(kvText({ killer_majflt_t0: '500', killer_majflt_end: '3' })), seriesText(T0 + 12_000), '').killerMajorFaults, null);
  });
  test('the storm table shows both per killer with medians and ranges, a dash where a killer has none', () => {
    const cells = summarize([
      run('headroom', 'zram', 12, 100, { killerMajorFaults: 40, killPath: { cause: 'timer', wakeToDecisionMs: 300, faultsSinceWake: 5, faultsSinceStart: 9, atS: 1 } }),
      run('headroom', 'zram', 14, 100, { killerMajorFaults: 60, killPath: { cause: 'timer', wakeToDecisionMs: 500, faultsSinceWake: 5, faultsSinceStart: 9, atS: 1 } }),
      run('headroom', 'zram', 13, 100, { killerMajorFaults: 10 }),
      run('earlyoom', 'zram', 40, 100, { killerMajorFaults: 3 }),
      run('none', 'zram', 60, 100),
    ]);
    const h = cells.find((c) => c.killer === 'headroom')!;
    assert.deepEqual(h.killerMajorFaults, { median: 40, min: 10, max: 60 });
    assert.deepEqual(h.wakeToDecisionMs, { median: 400, min: 300, max: 500 }, 'over the runs that printed the line');
    const table = renderTable(cells, 200);
    assert.match(table.split('\n')[0]!, /\| what died \| the killer's major faults, hog start → storm end \| wake → kill decision, ms \|$/);
    assert.equal(table.split('\n')[1]!.split('|').length, table.split('\n')[0]!.split('|').length, 'the separator has a cell per column');
    assert.match(table, /Headroom defaults .*\| hog 3 \| 40 \(10–60\) \| 400 \(300–500\) \|$/m);
    assert.match(table, /earlyoom defaults .*\| hog 1 \| 3 \| – \|$/m);
    assert.match(table, /kernel only .*\| hog 1 \| – \| – \|$/m);
  });
});

const browserItem: PlanItem = { idx: 5, round: 1, killer: 'earlyoom', workload: 'browser' };
/** A browser run: main 800, renderers 801-805, the hog renderer 806; every part of it alive unless said otherwise. */
function browserKv(over: Record<string, string> = {}): Map<string, string> {
  return parseKv(kvText({
    workload: 'browser', killer: 'earlyoom', bystanders: 'innocent canary ', hog_pid: '806', hog_unit: 'app-gnome-chromium-800.scope',
    browser_main_pid: '800', browser_renderer_pids: '801 802 803 804 805', browser_main_survived: 'yes', browser_renderers_survived: '5',
    browser_unit_survived: 'yes', hog_exit_status: 'signal:9', kernel_killed_pids: '', ...over,
  }));
}

describe('workload (10): a browser-like app with a hog tab', () => {
  test('the outcome from what lived', () => {
    const all = { bystanderDied: false, hogKilled: true, mainSurvived: true, renderers: 5, renderersSurvived: 5, unitSurvived: true };
    assert.equal(browserOutcome(all), 'hog child only');
    assert.equal(browserOutcome({ ...all, mainSurvived: false, renderersSurvived: 0, unitSurvived: false }), 'whole unit');
    assert.equal(browserOutcome({ ...all, renderersSurvived: 4 }), 'hog and part of the app', 'one more renderer went with it');
    assert.equal(browserOutcome({ ...all, mainSurvived: false, renderersSurvived: 0, unitSurvived: true }), 'hog and part of the app', 'something of the unit still lives');
    assert.equal(browserOutcome({ ...all, hogKilled: false }), 'nothing');
    assert.equal(browserOutcome({ ...all, hogKilled: false, mainSurvived: false }), 'the app but not the hog');
    assert.equal(browserOutcome({ ...all, bystanderDied: true }), 'a bystander', 'a bystander outranks the rest');
  });
  test('earlyoom takes the hog renderer: right, the main lives, its kill line names the hog', () => {
    const log = `${(T0 + 11_000) / 1000} lab earlyoom[1595]: sending SIGTERM to process 806 uid 1000 "benchbin": badness 1203, VmRSS 1355 MiB`;
    const r = summarizeRun(browserItem, browserKv({ killer_majflt_t0: '0', killer_majflt_end: '0' }), seriesText(T0 + 12_000), '', null, log);
    assert.equal(r.rightVictim, true);
    assert.equal(r.wrongKill, false);
    assert.deepEqual(r.browser, {
      outcome: 'hog child only', mainSurvived: true, renderers: 5, renderersSurvived: 5, unitSurvived: true, hogExit: 'signal:9',
      killerPicked: ['hog renderer'], kernelPicked: [], userManagerSawKernelOom: null, restStoppedByUserManager: null, oomPolicy: null,
    });
    assert.equal(r.killerMajorFaults, 0, 'zero faults is a figure, not a dash');
    assert.equal(r.secondsToKill, 12, 'time to relief: the hog renderer gone');
  });
  test('the whole unit killed (systemd-oomd, Headroom today): still right, the main did not survive', () => {
    const r = summarizeRun({ ...browserItem, killer: 'oomd2' }, browserKv({
      killer: 'oomd2', browser_main_survived: 'no', browser_renderers_survived: '0', browser_unit_survived: 'no',
    }), seriesText(T0 + 12_000), '', null, `${(T0 + 11_000) / 1000} lab systemd-oomd[868]: Killed /user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-chromium-800.scope due to memory pressure`);
    assert.equal(r.rightVictim, true);
    assert.equal(r.browser?.outcome, 'whole unit');
    assert.equal(r.browser?.mainSurvived, false);
    assert.deepEqual(r.browser?.killerPicked, ['the unit'], 'a unit killer names no process, but the unit');
  });
  test('the kernel picks by oom_score; a bystander killed first is a wrong kill; nothing killed by the cap', () => {
    const kernel = summarizeRun({ ...browserItem, killer: 'none' }, browserKv({
      killer: 'none', kernel_killed_hog: 'yes', kernel_oom_kills: '2', kernel_killed_pids: '806 805', browser_renderers_survived: '4', killer_kill_lines: '0',
    }), seriesText(T0 + 12_000), '', null, '');
    assert.equal(kernel.killedBy, 'kernel');
    assert.deepEqual(kernel.browser?.kernelPicked, ['hog renderer', 'renderer']);
    assert.equal(kernel.browser?.outcome, 'hog and part of the app');
    assert.equal(kernel.rightVictim, true, 'the browser\'s own renderers are no bystanders');
    // run 339: the kernel took the hog renderer alone, the user manager stopped the rest of the unit
    const stopped = summarizeRun({ ...browserItem, killer: 'none' }, browserKv({
      killer: 'none', kernel_killed_hog: 'yes', kernel_oom_kills: '1', kernel_killed_pids: '806', killer_kill_lines: '0', browser_main_survived: 'no',
      browser_renderers_survived: '0', browser_unit_survived: 'no', browser_unit_kernel_oom: 'yes', browser_oom_policy: 'stop',
    }), seriesText(T0 + 12_000), '', null, '');
    assert.deepEqual([stopped.browser?.outcome, stopped.browser?.kernelPicked, stopped.browser?.userManagerSawKernelOom, stopped.browser?.oomPolicy], ['whole unit', ['hog renderer'], true, 'stop']);
    assert.match(renderBrowserRuns([stopped]), /\| whole unit, the rest stopped by the user manager \(OOMPolicy=stop\) \| no \|/);
    assert.doesNotMatch(renderBrowserRuns([kernel]), /stopped by the user manager/, 'not recorded: nothing claimed');
    // runs 340, 344, 348: the kernel took the hog, then systemd-oomd killed the rest itself
    const oomd = summarizeRun({ ...browserItem, killer: 'oomd20' }, browserKv({
      killer: 'oomd20', kernel_killed_hog: 'yes', kernel_oom_kills: '1', kernel_killed_pids: '806', browser_main_survived: 'no',
      browser_renderers_survived: '0', browser_unit_survived: 'no', browser_unit_kernel_oom: 'yes', browser_oom_policy: 'stop',
    }), seriesText(T0 + 12_000), '', null, `${(T0 + 13_000) / 1000} lab systemd-oomd[1878]: Killed /user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-chromium-800.scope due to memory pressure`);
    assert.deepEqual([oomd.browser?.userManagerSawKernelOom, oomd.browser?.restStoppedByUserManager, oomd.browser?.killerPicked], [true, false, ['the unit']]);
    assert.doesNotMatch(renderBrowserRuns([oomd]), /stopped by the user manager/);
    const byst = summarizeRun(browserItem, browserKv({ innocent_survived: 'no', died_innocent_ms: String(T0 + 5_000) }), seriesText(T0 + 12_000), '', null,
      `${(T0 + 5_000) / 1000} lab earlyoom[1]: sending SIGTERM to process 777 uid 1000 "benchbin": badness 400, VmRSS 256 MiB`);
    assert.equal(byst.browser?.outcome, 'a bystander');
    assert.deepEqual(byst.browser?.killerPicked, ['"benchbin" (pid 777)']);
    // earlyoom's pick in run 337: the user manager, and with it the session
    const session = summarizeRun(browserItem, browserKv({ innocent_survived: 'no', canary_survived: 'no', died_canary_ms: String(T0 + 11_500), died_innocent_ms: String(T0 + 12_500),
      browser_main_survived: 'no', browser_renderers_survived: '0', browser_unit_survived: 'no', kernel_killed_hog: 'yes', kernel_oom_kills: '1', kernel_killed_pids: '806' }), seriesText(T0 + 14_000), '', null,
    `${(T0 + 10_000) / 1000} lab earlyoom[427]: sending SIGTERM to process 252 uid 1000 "systemd": badness 734, VmRSS 3 MiB`);
    assert.deepEqual([session.browser?.outcome, session.browser?.killerPicked, session.browser?.kernelPicked], ['a bystander', ['"systemd" (pid 252)'], ['hog renderer']]);
    assert.equal(session.wrongKill, true, 'the canary died before the hog was gone');
    assert.match(session.notes.join(), /killed the user manager/);
    assert.equal(byst.wrongKill, true);
    const cap = summarizeRun(browserItem, browserKv({ storm_end: 'cap', t_end_ms: String(T0 + 200_000), killer_kill_lines: '0' }), seriesText(T0 + 300_000), '', null, '');
    assert.equal(cap.browser?.outcome, 'nothing');
    assert.equal(cap.rightVictim, false);
    assert.equal(summarizeRun(item, parseKv(kvText()), seriesText(T0 + 12_000), '').browser, undefined, 'other workloads have no browser record');
  });
  test('per killer: outcomes, main survived, canary, time to relief; run by run: who picked what', () => {
    const b = (killer: string, outcome: 'hog child only' | 'whole unit', main: boolean, secs: number, idx: number, over: Partial<RunResult> = {}): RunResult => run(killer, 'browser', secs, 100 + secs, {
      idx, browser: { outcome, mainSurvived: main, renderers: 5, renderersSurvived: main ? 5 : 0, unitSurvived: main, hogExit: 'signal:9', killerPicked: killer === 'earlyoom' ? ['hog renderer'] : [], kernelPicked: [], userManagerSawKernelOom: null, restStoppedByUserManager: null, oomPolicy: null }, ...over,
    });
    const runs = [
      b('earlyoom', 'hog child only', true, 30, 3, { killerMajorFaults: 0 }), b('earlyoom', 'hog child only', true, 50, 1, { killerMajorFaults: 2 }),
      b('oomd2', 'whole unit', false, 20, 2, { killerMajorFaults: 7 }),
      b('headroom', 'whole unit', false, 15, 4, { killerMajorFaults: 90, killPath: { cause: 'pressure trigger', wakeToDecisionMs: 1200, faultsSinceWake: 80, faultsSinceStart: 400, atS: 1 } }),
    ];
    const table = renderBrowserTable(summarize(runs));
    const head = table.split('\n')[0]!;
    assert.match(head, /\| hog child only \| whole unit \| hog and part of the app \| the app but not the hog \| a bystander \| nothing \| main survived \| canary worst, ms \| time to relief, s \|/);
    assert.equal(table.split('\n')[1]!.split('|').length, head.split('|').length);
    assert.match(table, /\| earlyoom defaults \| 2 \| 2\/2 \| 2 \| 0 \| 0 \| 0 \| 0 \| 0 \| 2\/2 \| 140 \(130–150\) \| 40\.0 \(30\.0–50\.0\) \| 1 \(0–2\) \| – \|/);
    assert.match(table, /\| systemd-oomd, tuned \(50 %, 2 s\) \| 1 \| 1\/1 \| 0 \| 1 \| 0 \| 0 \| 0 \| 0 \| 0\/1 \|/);
    assert.match(table, /\| Headroom defaults \| 1 \| 1\/1 \| 0 \| 1 \|.*\| 0\/1 \| 115 \| 15\.0 \| 90 \| 1200 \|$/m);
    const perRun = renderBrowserRuns(runs).split('\n');
    assert.deepEqual(perRun.slice(2).map((l) => l.split(' | ')[0]), ['| 1', '| 2', '| 3', '| 4'], 'in run order');
    assert.match(perRun[2]!, /\| 1 \| earlyoom defaults \| hog child only \| yes \| 5\/5 \| 150 \| 50\.0 \| itself \| hog renderer \| – \| 2 \| – \|/);
    assert.match(perRun[5]!, /\| 4 \| Headroom defaults \| whole unit \| no \| 0\/5 \| 115 \| 15\.0 \| itself \| – \| – \| 90 \| 1200 \(woke by pressure trigger\) \|/);
    assert.equal(renderBrowserTable(summarize([run('headroom', 'zram', 12, 100)])), '', 'no browser runs: no table');
    assert.equal(renderBrowserRuns([run('headroom', 'zram', 12, 100)]), '');
  });
});

describe('bench workload (11): pause and ask', () => {
  const pauseItem: PlanItem = { idx: 7, round: 1, killer: 'headroom', workload: 'pause' };
  const log = `${(T0 + 11_500) / 1000} x headroom[1]: killed app-bench-hog-7.scope`;
  test('the freeze, the Quit answer and what ended the hog, run by run', () => {
    const quit = summarizeRun(pauseItem, parseKv(kvText({
      workload: 'pause', paused_ms: String(T0 + 5_000), mem_available_mib_at_pause: '410', answered_ms: String(T0 + 10_000), answer: 'quit app-bench-hog-7.scope ',
    })), seriesText(T0 + 12_000), '', null, log);
    assert.deepEqual(quit.pause, { pausedS: 5, memAvailableAtPauseMiB: 410, answeredS: 10, thawedS: null, answer: 'quit app-bench-hog-7.scope' });
    assert.equal(quit.rightVictim, true);
    const anchor = summarizeRun({ ...pauseItem, idx: 8, killer: 'earlyoom' }, parseKv(kvText({ workload: 'pause', killer: 'earlyoom' })), seriesText(T0 + 12_000), '', null,
      `${(T0 + 11_500) / 1000} lab earlyoom[1]: sending SIGTERM to process 777 uid 1000 "benchbin": badness 900, VmRSS 1500 MiB`);
    assert.deepEqual(anchor.pause, { pausedS: null, memAvailableAtPauseMiB: null, answeredS: null, thawedS: null, answer: null }, 'never frozen');
    const kernel = summarizeRun({ ...pauseItem, idx: 9, killer: 'none' }, parseKv(kvText({ workload: 'pause', killer: 'none', kernel_killed_hog: 'yes', kernel_oom_kills: '1', killer_kill_lines: '0' })), seriesText(T0 + 12_000), '', null, '');
    const table = renderPauseRuns([anchor, kernel, quit]);
    const rows = table.split('\n').slice(2);
    assert.equal(rows.length, 3);
    assert.match(rows[0]!, /^\| 7 \| Headroom defaults \| 5\.0 \| 410 \| 10\.0 \| – \| 12\.0 \| Quit, as asked \| no \|/);
    assert.match(rows[1]!, /^\| 8 \| earlyoom defaults \| – \| – \| – \| – \| 12\.0 \| the killer \| no \|/);
    assert.match(rows[2]!, /^\| 9 \| kernel only \| .* \| the kernel \| no \| .* \| 1 \|$/);
    assert.equal(renderPauseRuns([summarizeRun(item, parseKv(kvText()), seriesText(T0 + 12_000), '')]), '', 'no table without runs of (11)');
  });
});
