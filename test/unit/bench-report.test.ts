// The benchmark's report and plot (bench/report.ts, bench/plot.ts) from made-up results.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import type { RunResult } from '../../bench/run-result.js';
import { renderPlot, representative } from '../../bench/plot.js';
import { leakSampleTable, losses, renderReadmeTables, renderReplay, renderReport, spliceReadmeTables, type BenchResults, type LeakSample } from '../../bench/report.js';
import { describePolicy, replay, variants } from '../../bench/replay.js';
import { DEFAULT_POLICY } from '../../agent/core/constants.js';
import { summarize } from '../../bench/summary.js';
import { rankScale } from '../../bench/scale.js';

function run(idx: number, killer: string, workload: string, secondsToKill: number | null, canaryWorstMs: number, over: Partial<RunResult> = {}): RunResult {
  return {
    idx, round: 1, killer, workload, complete: true, cleanBefore: true, memAvailableBeforeMiB: 1800, hogKilled: secondsToKill !== null,
    rightVictim: secondsToKill !== null, secondsToKill, memAvailableAtKillMiB: 150, swapFreeAtKillMiB: 0, canaryWorstMs, canaryP99Ms: canaryWorstMs / 4,
    canaryWakeups: 100, kernelOomKills: 0, killedBy: secondsToKill !== null ? 'killer' : 'none', innocentSurvived: true, canarySurvived: true,
    smalls: 0, smallsSurvived: 0, killerStartSeconds: 1, killerRssKiBBefore: 2000, killerRssKiBAfter: 2100, hostLoad: 1.5, t0Ms: 0,
    trace: [[-1, 1800, 0], [5, 900, 0], [10, 150, 40], [15, 1500, 10]], notes: [], ...over,
  };
}

const results: BenchResults = {
  capS: 200,
  runs: [
    run(1, 'headroom', 'zram', 12, 300), run(2, 'earlyoom', 'zram', 40, 20000), run(3, 'none', 'zram', null, 90000),
    run(4, 'headroom', 'nosw', 30, 900), run(5, 'earlyoom', 'nosw', 20, 500), run(6, 'headroom', 'nosw', 31, 950, { innocentSurvived: false, rightVictim: false }),
  ],
  idle: [
    { killer: 'headroom', seconds: 60, threads: 11, cpuSecondsPerMinute: 0.05, wakeupsPerMinute: 120, rssKiBStart: 60000, rssKiBEnd: 60100, steady: { cpuSecondsPerMinute: 0.02, wakeupsPerMinute: 80.4, rssKiBEnd: 60200 }, rssAnonKiBEnd: 15360 },
    { killer: 'earlyoom', seconds: 60, threads: 1, cpuSecondsPerMinute: 0.2, wakeupsPerMinute: 230, rssKiBStart: 900, rssKiBEnd: 900 },
  ],
  scale: { processes: 2000, headroomKillDurationMs: 2400, headroomGraceMs: 2000, headroomGoneSeconds: 14, headroomCli: '', cgroupKillGoneSeconds: 1.5 },
  rank: { scopes: 1000, repetitions: 10, medianMs: 0.3, p99Ms: 0.5, victim: 'x' },
  leak: { cycles: 1000, rssKiBAfterStart: 60000, rssKiBAfterCycles: 61000, heapUsedKiBAfterStart: null, heapUsedKiBAfterCycles: null, seconds: 900, how: 'on the host' },
  boots: [],
};

describe('bench report', () => {
  test('names every place where Headroom loses', () => {
    const lost = losses(summarize(results.runs), 200);
    assert.deepEqual(lost, [
      '(1) no swap, fast hog: right victim in only 50 % of runs',
      '(1) no swap, fast hog: wrong kill in 1 of 2 runs',
      '(1) no swap, fast hog: time to kill 1.52× that of earlyoom defaults (medians)',
      '(1) no swap, fast hog: canary worst lateness 1.85× that of earlyoom defaults (medians)',
      '(1) no swap, fast hog: canary p99 lateness 1.85× that of earlyoom defaults (medians)',
    ]);
    // With the runs, each loss says whether the runs tell the two apart: 2 runs against 1 cannot
    // (of the 3 ways to split them, 2 separate them as well as the real split does).
    const withRuns = losses(summarize(results.runs), 200, results.runs);
    assert.equal(withRuns[2], '(1) no swap, fast hog: time to kill 1.52× that of earlyoom defaults (medians; rank test over 2 vs 1 runs: p = 0.67, within run-to-run spread)');
    assert.equal(withRuns[3], '(1) no swap, fast hog: canary worst lateness 1.85× that of earlyoom defaults (medians; rank test over 2 vs 1 runs: p = 0.67, within run-to-run spread)');
    const many = [...results.runs, ...[1, 2, 3, 4, 5, 6].map((i) => run(10 + i, i % 2 ? 'earlyoom' : 'headroom', 'nosw', 25, i % 2 ? 100 + i : 5000 + i))];
    assert.match(losses(summarize(many), 200, many).find((l) => l.includes('canary worst')) ?? '', /rank test over 5 vs 4 runs: p = 0\.02\)$/);
  });
  test('where no kill was needed: needless and wrong kills are losses, a time to kill is not compared', () => {
    const burst = [
      run(20, 'headroom', 'burst', 9, 100, { rightVictim: false, needlessKill: true, wrongKill: false }),
      run(21, 'headroom', 'burst', null, 100, { rightVictim: true, needlessKill: false, wrongKill: false, hogExitedItself: true }),
      run(22, 'earlyoom', 'burst', null, 100, { rightVictim: true, needlessKill: false, wrongKill: false, hogExitedItself: true }),
      run(23, 'headroom', 'vte', 10, 100, { rightVictim: false, wrongKill: true }),
      run(24, 'earlyoom', 'vte', 20, 100, { wrongKill: false }),
    ];
    assert.deepEqual(losses(summarize(burst), 200), [
      '(5) no swap, burst stopping at 10 %: something died in 50 % of runs that needed no kill',
      '(5) no swap, burst stopping at 10 %: needless kill in 1 of 2 runs',
      '(8) no swap, hog in a GNOME Terminal tab: right victim in only 0 % of runs',
      '(8) no swap, hog in a GNOME Terminal tab: wrong kill in 1 of 1 runs',
    ]);
  });
  test('the Markdown has the caveat, the tables, idle, leak and scale', () => {
    const md = renderReport(results);
    assert.match(md, /\*\*Software emulation\.\*\*/);
    assert.match(md, /6 complete runs in 1 round\(s\)/);
    assert.match(md, /## Headline\n\n\| workload \| kill needed \|/);
    assert.match(md, /\| \(2\) zram, fast hog \| Headroom defaults \| 1 \| 100 % \| 0\/1 \| 12\.0 \|/);
    assert.match(md, /## Where Headroom loses\n\n- \(1\) no swap/);
    assert.match(md, /\| 2 GiB \| Headroom defaults \| 0\.050 \| 120 \| 0\.020 \| 80 \| 11 \| 58\.6 MiB \| 58\.8 MiB \| 15\.0 MiB \|/);
    assert.match(md, /\| 2 GiB \| earlyoom defaults \| 0\.200 \| 230 \| – \| – \| 1 \| 0\.9 MiB \| 0\.9 MiB \| – \|/, 'older results without a second window or the anonymous part');
    const sized = renderReport({ ...results, idle: [{ ...results.idle[1]!, guestMiB: 8192, cpuSecondsPerMinute: 0.4 }, ...results.idle] });
    assert.match(sized, /\| 2 GiB \| Headroom defaults [^\n]*\n\| 2 GiB \| earlyoom defaults [^\n]*\n\| 8 GiB \| earlyoom defaults \| 0\.400 \|/, 'by guest size, the larger guest after');
    assert.match(md, /over 60 s in the guest from 10 s after start/);
    // Boots with windows of different lengths: each row says its own, and Headroom's rows their build.
    const mixed = renderReport({ ...results, idle: [...results.idle, { ...results.idle[0]!, guestMiB: 8192, seconds: 120, agentAt: 'bd704f7' }] });
    assert.match(mixed, /\| guest RAM \| killer \| window \| CPU s \/ min \|/);
    assert.match(mixed, /\| 2 GiB \| earlyoom defaults \| 60 s \| 0\.200 \|/);
    assert.match(mixed, /\| 8 GiB \| Headroom defaults \(bd704f7\) \| 120 s \| 0\.050 \|/);
    assert.match(mixed, /over the window in the guest/);
    assert.doesNotMatch(renderReport({ ...results, idle: [{ ...results.idle[1]!, agentAt: 'bd704f7' }] }), /earlyoom defaults \(bd704f7\)/, 'the anchors are the same programs whatever the build');
    assert.match(md, /1000 warn\/kill cycles in 900 s: RSS 58\.6 MiB after start → 59\.6 MiB/);
    assert.match(md, /Ranking 1,000 app scopes/);
    assert.match(md, /scope of 2000 processes .* 14\.0 s .* 2400 ms from SIGTERM to an empty scope, with up to 2000 ms of grace/);
  });
});

describe('bench report: the browser-like app (10)', () => {
  test('its own section, per killer and run by run, only where it has runs', () => {
    assert.doesNotMatch(renderReport(results), /## \(10\)/, 'no runs of it: no section');
    const browser = { outcome: 'hog child only' as const, mainSurvived: true, renderers: 5, renderersSurvived: 5, unitSurvived: true, hogExit: 'signal:9', killerPicked: ['hog renderer'], kernelPicked: [], userManagerSawKernelOom: null, restStoppedByUserManager: null, oomPolicy: null };
    const md = renderReport({ ...results, runs: [...results.runs, run(30, 'earlyoom', 'browser', 42, 120, { browser, killerMajorFaults: 3 })] });
    assert.match(md, /## \(10\) A browser-like app with a hog tab\n\nOne scope as GNOME Shell names a launched app, `app\.slice\/app-gnome-chromium-PID\.scope`/);
    assert.match(md, /\| earlyoom defaults \| 1 \| 1\/1 \| 1 \| 0 \| 0 \| 0 \| 0 \| 0 \| 1\/1 \| 120 \| 42\.0 \| 3 \| – \|/);
    assert.match(md, /\| 30 \| earlyoom defaults \| hog child only \| yes \| 5\/5 \| 120 \| 42\.0 \| itself \| hog renderer \| – \| 3 \| – \|/);
    assert.match(md, /\| \(10\) zram, browser-like app with a hog tab \| earlyoom defaults \| 1 \| 100 % \|/, 'and a row of the storm table');
  });
});

describe('leak check table', () => {
  const at = (cycles: number, rssKiB: number, mallocFreeKiB: number): LeakSample => ({
    cycles, rssKiB, anonKiB: rssKiB - 44_000, heapTotalKiB: 23_552, heapUsedKiB: 14_336, externalKiB: 2_560, arrayBuffersKiB: 256,
    mallocArenaKiB: 7_168, mallocMmappedKiB: 260, mallocInUseKiB: 7_168 - mallocFreeKiB, mallocFreeKiB, threads: 11, fds: 20, mappings: 200,
  });
  test('one row per sample, in MiB, and the row after GC and malloc_trim last', () => {
    const rows = leakSampleTable([at(0, 68_608, 2_048), at(100, 74_752, 3_584)], at(100, 73_728, 3_072));
    assert.equal(rows.length, 5);
    assert.equal(rows[2], '| 0 | 67.0 | 24.0 | 14.0 / 23.0 | 2.5 (0.3) | 7.0 (5.0 in use, 2.0 free) + 0.3 | 11 | 20 | 200 |');
    assert.match(rows[4]!, /^\| 100, after GC \+ malloc_trim\(0\) \| 72\.0 \|/);
  });
});

describe('README tables', () => {
  const repo = (name: string): string => readFileSync(fileURLToPath(new URL(`../../../${name}`, import.meta.url)), 'utf8');

  test('the generated block is replaced, the text around it kept', () => {
    const readme = 'intro\n<!-- bench-tables: generated -->\nold table\n<!-- /bench-tables -->\n\nprose\n';
    const next = spliceReadmeTables(readme, renderReadmeTables(results));
    assert.match(next, /^intro\n<!-- bench-tables: generated -->\n\| workload \| kill needed \| Headroom defaults: runs, right, needless, wrong \|/);
    assert.match(next, /\n\| \(1\) no swap, fast hog \| yes \| 2 runs: 1 right, – needless, 1 wrong \| 30\.5 s \| earlyoom defaults \| 1 run: 1 right, – needless, 0 wrong \| 20\.0 s \|\n/);
    assert.match(next, /\n\| \(7\) zram, compressible burst of 1\.3 × RAM \| no \| no runs yet \|/);
    assert.doesNotMatch(next, /\| workload \| killer \|/, 'the full tables are in results.md only');
    assert.match(next, /bench\/results\/results\.md`\.\n<!-- \/bench-tables -->\n\nprose\n$/);
    assert.ok(!next.includes('old table'));
    assert.equal(spliceReadmeTables(next, renderReadmeTables(results)), next, 'rendering twice changes nothing');
  });
  test('a README without exactly one block is an error', () => {
    assert.throws(() => spliceReadmeTables('no block', 'x'), /exactly one block/);
    assert.throws(() => spliceReadmeTables('<!-- bench-tables: a -->\n<!-- bench-tables: b -->\n<!-- /bench-tables -->\n', 'x'), /exactly one block/);
    assert.throws(() => spliceReadmeTables('<!-- /bench-tables -->\n<!-- bench-tables: a -->\n', 'x'), /exactly one block/);
  });
  test("the project's README shows the tables of the committed results", () => {
    const readme = repo('README.md');
    const committed = JSON.parse(repo('bench/results/results.json')) as BenchResults;
    assert.equal(readme, spliceReadmeTables(readme, renderReadmeTables(committed)), 'README.md is behind bench/results/results.json: run npm run bench -- --report-only');
  });
});

describe('bench plot', () => {
  test('one panel per killer and workload, the kill marked, the median run chosen', () => {
    const svg = renderPlot(results.runs, { capS: 200, memTotalMiB: 1900, title: 'T & t', subtitle: 's' });
    assert.match(svg, /^<svg /);
    assert.match(svg, /T &amp; t/);
    assert.equal((svg.match(/<polyline /g) ?? []).length, 2 * 5, 'two lines in each of the five panels with a run');
    assert.match(svg, /run 1: gone at 12\.0 s, by itself; canary 300 ms/);
    assert.match(svg, /run 3: no kill within 200 s/);
    assert.match(svg, /no run/, 'kernel only had no run without swap');
    assert.match(svg, /run 3: no kill within 200 s; canary 90\.0 s/);
    const rep = representative([run(7, 'headroom', 'leak', 10, 1), run(8, 'headroom', 'leak', 30, 1), run(9, 'headroom', 'leak', 20, 1)], 200);
    assert.equal(rep?.idx, 9);
    assert.equal(representative([], 200), null);
  });
});

describe('bench scale', () => {
  test('ranking a thousand scopes picks the heaviest that may die', () => {
    const r = rankScale(1000, 5);
    assert.equal(r.scopes, 1000);
    assert.ok(r.medianMs > 0);
    assert.match(r.victim, /^app-headroom-app\d+-[0-9a-f]{16}\.scope$/);
  });
});

describe('bench replay of the policy', () => {
  // 100 ms samples of a storm without swap: MemAvailable 1800 MiB falling 10 MiB per sample (100 MiB/s)
  const samples = Array.from({ length: 200 }, (_, i) => ({
    atMs: 1000 + 100 * i, memAvailableKiB: (1800 - 10 * i) * 1024, swapFreeKiB: 0, some10: 0, full10: 0, fullTotalUs: 0, treeFull10: 0, populated: 1,
  }));
  const t0 = 1000 + 3000;
  test('the prediction fires just before the runway\'s floor; a longer horizon fires earlier', () => {
    const [base, , horizon1s] = variants();
    const a = replay(samples, t0, 1_000_000, 2000, 0, base!.config);
    assert.equal(a.reason, 'exhaustion');
    // Floor 4 % of 2000 MiB = 80 MiB; at 100 MiB/s, a look + 250 ms ahead is 35 MiB above it.
    assert.ok(a.memAvailableMiB! <= 120 && a.memAvailableMiB! > 80, `at ${a.memAvailableMiB} MiB`);
    const b = replay(samples, t0, 1_000_000, 2000, 0, horizon1s!.config);
    assert.ok(b.atS! < a.atS!, `${b.atS} < ${a.atS}`);
    assert.ok(b.memAvailableMiB! <= 200 && b.memAvailableMiB! > 150, `at ${b.memAvailableMiB} MiB`);
    assert.match(horizon1s!.name, /predicted within a look \+ 1 s/);
    assert.equal(base!.name, describePolicy(DEFAULT_POLICY), 'the first variant is today\'s policy');
  });
  test('nothing before the real kill: no decision', () => {
    const [base] = variants();
    assert.deepEqual(replay(samples, t0, t0 + 5000, 2000, 0, base!.config), { atS: null, memAvailableMiB: null, reason: '' });
  });
  test('the report marks the previous and today\'s defaults and calibrates each Headroom killer against the policy it ran', () => {
    const today = describePolicy(DEFAULT_POLICY);
    const replayed = [
      { variant: 'v1', atS: 9, memAvailableMiB: 150, reason: 'exhaustion' },
      { variant: 'v2', atS: null, memAvailableMiB: null, reason: '' },
      { variant: today, atS: 10, memAvailableMiB: 190, reason: 'exhaustion' },
    ];
    const now = { ...run(1, 'headroom', 'zram', 12, 30), replay: replayed };
    const before = { ...run(2, 'headroom-prev', 'zram', 14, 30), replay: replayed };
    const md = renderReplay([now, before]);
    assert.ok(md.includes(`| workload | v1 (the previous defaults) | v2 | ${today} (today's defaults) |`), md);
    assert.match(md, /\| \(2\) zram, fast hog \| 2\/2: 9\.0 s, 150 MiB \| none of 2 \| 2\/2: 10\.0 s, 190 MiB \|/);
    assert.match(md, /Calibration, Headroom defaults: the agent's hog was gone 12\.0 s after hog start; the replay of the same policy decided at 10\.0 s/);
    assert.match(md, /Calibration, Headroom, previous defaults \(10 %, 5 s\): the agent's hog was gone 14\.0 s after hog start; the replay of the same policy decided at 9\.0 s/);
  });
});
