/**
 * The Markdown report (bench/results/results.md) from the accumulated results: the main
 * table, the ratios to the anchors, where Headroom loses, idle cost, scale and the leak check.
 * Pure: bench/run.ts writes it, test/unit/bench-report.test.ts checks it.
 */
import { OWN_KILLERS, WORKLOADS, killerLabel, workloadLabel } from './catalogue.js';
import type { RunResult } from './run-result.js';
import { median, rankTestP } from './statistics.js';
import { killTimeForRatio, ratioToBestAnchor, summarize, type Cell } from './summary.js';
import { renderBrowserRuns, renderBrowserTable, renderHeadline, renderNoKillTable, renderPauseRuns, renderRatios, renderTable } from './tables.js';
import type { RankScale } from './scale.js';
import { DEFAULT_POLICY } from '../agent/core/constants.js';
import { describePolicy } from './replay.js';

/** The guest's memory every workload is sized for; idle results without a size were measured at it. */
export const DEFAULT_GUEST_MIB = 2048;

export interface IdleResult {
  killer: string;
  /** Guest memory (absent: DEFAULT_GUEST_MIB). */
  guestMiB?: number;
  seconds: number;
  threads: number;
  cpuSecondsPerMinute: number;
  wakeupsPerMinute: number;
  rssKiBStart: number;
  rssKiBEnd: number;
  /** The next window of the same length, right after the first (absent in older results). */
  steady?: { cpuSecondsPerMinute: number; wakeupsPerMinute: number; rssKiBEnd: number };
  /** RssAnon at the end of the last window: what the kernel cannot evict (absent in older results). */
  rssAnonKiBEnd?: number;
  /** The agent build measured (git state, as RunResult.agentAt; absent in older results). */
  agentAt?: string;
}

export interface ScaleResult {
  processes: number;
  headroomKillDurationMs: number | null;
  headroomGraceMs: number | null;
  headroomGoneSeconds: number;
  headroomCli: string;
  cgroupKillGoneSeconds: number;
}

export interface LeakResult {
  cycles: number;
  rssKiBAfterStart: number;
  rssKiBAfterCycles: number;
  heapUsedKiBAfterStart: number | null;
  heapUsedKiBAfterCycles: number | null;
  seconds: number;
  /** Where the memory is, every 100 cycles from the first reading (bench/leak.ts); absent in older results. */
  samples?: LeakSample[];
  /** The last sample again, right after malloc_trim(0) in the agent. */
  afterTrim?: LeakSample;
  how: string;
}

/** One reading of the agent's memory in the leak check. */
export interface LeakSample {
  cycles: number;
  /** /proc/PID/smaps_rollup Rss and Anonymous. */
  rssKiB: number;
  anonKiB: number;
  /** process.memoryUsage() in the agent. */
  heapTotalKiB: number;
  heapUsedKiB: number;
  externalKiB: number;
  arrayBuffersKiB: number;
  /** glibc mallinfo2() in the agent, all arenas: held from the kernel, mmap()ed chunks, in use, free. */
  mallocArenaKiB: number;
  mallocMmappedKiB: number;
  mallocInUseKiB: number;
  mallocFreeKiB: number;
  threads: number;
  fds: number;
  mappings: number;
}

export interface BootInfo {
  out: string;
  bootSeconds: number | null;
  totalSeconds: number;
  exitCode: number | null;
  timedOut: boolean;
  /** The host stopped this boot because the guest froze in this run (stormOverdue). */
  frozenRun?: number;
  memTotalMiB: number;
  baselineMiB: number;
  systemd: string;
  kernel: string;
  earlyoom: string;
  hostCpus: number;
  hostLoadMean: number;
  /** The commit the agent was built from, and whether agent/ or shared/ had local changes. */
  agentAt?: string;
}

export interface BenchResults {
  capS: number;
  runs: RunResult[];
  idle: IdleResult[];
  scale: ScaleResult | null;
  rank: RankScale | null;
  leak: LeakResult | null;
  boots: BootInfo[];
}

/**
 * Every place where Headroom is not the best: wrong victims, kernel kills, slower or stalls
 * longer. With the runs, each slower/longer also says whether the runs tell the two apart
 * (rankTestP): under emulation on a shared host the canary's worst wake-up varies several-fold
 * from run to run, and a ratio of medians over 5 runs alone can mislead.
 */
export function losses(cells: readonly Cell[], capS: number, runs: readonly RunResult[] = []): string[] {
  const out: string[] = [];
  for (const w of WORKLOADS) for (const ownKiller of OWN_KILLERS) {
    const own = cells.find((c) => c.workload === w.id && c.killer === ownKiller);
    if (!own) continue;
    const who = ownKiller === 'headroom' ? w.label : `${w.label}, ${killerLabel(ownKiller)}`;
    if (own.rightVictimPct < 100) out.push(w.needsKill ? `${who}: right victim in only ${own.rightVictimPct} % of runs` : `${who}: something died in ${100 - own.rightVictimPct} % of runs that needed no kill`);
    if (own.needlessKills !== null && own.needlessKills > 0) out.push(`${who}: needless kill in ${own.needlessKills} of ${own.runs} runs`);
    if (own.wrongKills > 0) out.push(`${who}: wrong kill in ${own.wrongKills} of ${own.runs} runs`);
    if (own.kernelOomKills > 0) out.push(`${who}: ${own.kernelOomKills} kernel OOM kill(s)`);
    if (w.needsKill && own.killedRuns < own.runs) out.push(`${who}: no kill within ${capS} s in ${own.runs - own.killedRuns} of ${own.runs} runs`);
    const checks: Array<[string, (c: Cell) => number | null, (r: RunResult) => number | null]> = [
      ...(w.needsKill ? [['time to kill', (c: Cell) => killTimeForRatio(c, capS), (r: RunResult) => (r.hogKilled ? r.secondsToKill : capS)] as [string, (c: Cell) => number | null, (r: RunResult) => number | null]] : []),
      ['canary worst lateness', (c) => c.canaryWorstMs?.median ?? null, (r) => r.canaryWorstMs],
      ['canary p99 lateness', (c) => c.canaryP99Ms?.median ?? null, (r) => r.canaryP99Ms],
    ];
    for (const [name, pick, perRun] of checks) {
      const r = ratioToBestAnchor(cells, w.id, pick, ownKiller);
      if (r === null || r.ratio <= 1) continue;
      const values = (killer: string): number[] =>
        runs.filter((x) => x.complete && x.killer === killer && x.workload === w.id).map(perRun).filter((v): v is number => v !== null);
      const mine = values(ownKiller);
      const theirs = values(r.anchor);
      const p = rankTestP(mine, theirs);
      const test = Number.isNaN(p) ? ''
        : `; rank test over ${mine.length} vs ${theirs.length} runs: p = ${p.toFixed(2)}${p >= 0.05 ? ', within run-to-run spread' : ''}`;
      out.push(`${who}: ${name} ${r.ratio.toFixed(2)}× that of ${killerLabel(r.anchor)} (medians${test})`);
    }
  }
  return out;
}

const kib = (n: number): string => `${(n / 1024).toFixed(1)} MiB`;

/** Where the agent's memory went over the leak check: one row per sample (MiB). */
export function leakSampleTable(samples: readonly LeakSample[], afterTrim?: LeakSample): string[] {
  const m = (n: number): string => (n / 1024).toFixed(1);
  const row = (s: LeakSample, label: string): string =>
    `| ${label} | ${m(s.rssKiB)} | ${m(s.anonKiB)} | ${m(s.heapUsedKiB)} / ${m(s.heapTotalKiB)} | ${m(s.externalKiB)} (${m(s.arrayBuffersKiB)}) | ` +
    `${m(s.mallocArenaKiB)} (${m(s.mallocInUseKiB)} in use, ${m(s.mallocFreeKiB)} free) + ${m(s.mallocMmappedKiB)} | ${s.threads} | ${s.fds} | ${s.mappings} |`;
  return [
    '| cycles | RSS | anonymous | V8 heap used / total | external (ArrayBuffers) | malloc arenas + mmapped | threads | fds | mappings |',
    '|---|---|---|---|---|---|---|---|---|',
    ...samples.map((s) => row(s, String(s.cycles))),
    ...(afterTrim ? [row(afterTrim, `${afterTrim.cycles}, after GC + malloc_trim(0)`)] : []),
  ];
}

/**
 * Headroom's policy replayed over every recorded storm (bench/replay.ts), per workload and
 * variant of its defaults: in how many runs it would have decided before that run's real
 * kill, when (median s from hog start) and at what MemAvailable; and, for calibration, what
 * the agent really did in its own runs next to the replay of the policy it ran.
 */
export function renderReplay(runs: readonly RunResult[]): string {
  const withReplay = runs.filter((r) => r.complete && r.replay && r.replay.length > 0);
  if (withReplay.length === 0) return '';
  const names = withReplay[0]!.replay!.map((x) => x.variant);
  const today = describePolicy(DEFAULT_POLICY);
  const asRun = (n: string, i: number): string =>
    n === today ? `${n} (today's defaults)` : i === 0 ? `${n} (the previous defaults)` : n;
  const L: string[] = [];
  L.push(`| workload | ${names.map(asRun).join(' | ')} |`);
  L.push(`|---|${names.map(() => '---').join('|')}|`);
  for (const w of WORKLOADS) {
    const rs = withReplay.filter((r) => r.workload === w.id);
    if (rs.length === 0) continue;
    const cells = names.map((n) => {
      const ds = rs.map((r) => r.replay!.find((x) => x.variant === n)).filter((x) => x !== undefined && x.atS !== null);
      if (ds.length === 0) return `none of ${rs.length}`;
      return `${ds.length}/${rs.length}: ${median(ds.map((d) => d!.atS!)).toFixed(1)} s, ${Math.round(median(ds.map((d) => d!.memAvailableMiB!)))} MiB`;
    });
    L.push(`| ${w.label} | ${cells.join(' | ')} |`);
  }
  // Each Headroom killer against the replay of the policy it ran.
  const ran: Array<[string, string]> = [['headroom', today], ['headroom-calm60', today], ['headroom-prev', names[0] ?? '']];
  for (const [killer, variant] of ran) {
    const own = withReplay.filter((r) => r.killer === killer && r.hogKilled && r.secondsToKill !== null);
    const lags = own.map((r) => ({ r, rep: r.replay!.find((x) => x.variant === variant) })).filter((x) => x.rep !== undefined && x.rep.atS !== null);
    if (lags.length === 0) continue;
    L.push('');
    L.push(`Calibration, ${killerLabel(killer)}: the agent's hog was gone ${lags.map((x) => `${x.r.secondsToKill!.toFixed(1)} s`).join(', ')} after hog start; ` +
      `the replay of the same policy decided at ${lags.map((x) => `${x.rep!.atS!.toFixed(1)} s`).join(', ')} ` +
      `(the agent's own delay: its tick interval, a Node tick under emulation, and the kill itself).`);
  }
  return L.join('\n');
}

const README_START = '<!-- bench-tables:';
const README_END = '<!-- /bench-tables -->';

/**
 * What the README shows of the latest results: the headline table alone (the full tables, the
 * ratios and the losses are in results.md), nothing hand-copied.
 */
export function renderReadmeTables(r: BenchResults): string {
  const cells = summarize(r.runs);
  return [
    renderHeadline(cells, r.capS),
    '',
    '"Right": where a kill is needed, the hog died and every bystander lived; where none is needed (the hog',
    'stops by itself and exits 0), nothing died. Needless kill: something died where no kill was needed.',
    'Wrong kill: a bystander died before the hog, or while the hog lived. Best anchor: the most right',
    `verdicts, then the fewest wrong and needless kills, then the shortest time to kill (a run without a kill within the ${r.capS} s cap counts as ${r.capS} s).`,
    'Every figure per killer, the ratios and where Headroom loses: `bench/results/results.md`.',
  ].join('\n');
}

/**
 * The README with its generated block (between `<!-- bench-tables: … -->` and
 * `<!-- /bench-tables -->`) replaced by `content`; the marker lines stay. A README without
 * exactly one such block is an error, not a silent no-op.
 */
export function spliceReadmeTables(readme: string, content: string): string {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start || readme.indexOf(README_START, start + 1) >= 0) {
    throw new Error(`the README needs exactly one block from "${README_START} …" to "${README_END}"`);
  }
  const afterStart = readme.indexOf('\n', start) + 1;
  if (afterStart === 0 || afterStart > end) throw new Error(`the README's "${README_START}" marker needs a line of its own`);
  return `${readme.slice(0, afterStart)}${content.replace(/\n*$/, '\n')}${readme.slice(end)}`;
}

export function renderReport(r: BenchResults): string {
  const cells = summarize(r.runs);
  const complete = r.runs.filter((x) => x.complete);
  const rounds = new Set(complete.map((x) => x.round)).size;
  const boot = r.boots.find((b) => b.systemd !== '');
  const loads = complete.map((x) => x.hostLoad).filter((x): x is number => x !== null);
  const L: string[] = [];
  L.push('# Benchmark results');
  L.push('');
  L.push('Written by `npm run bench` (bench/run.ts); method in bench/README.md.');
  L.push('');
  L.push(`**Software emulation.** The guest (Debian 12, ${boot?.kernel ?? 'kernel 6.1'}, ${boot?.systemd ?? 'systemd 252'}, 2 GiB, 2 vCPU) runs under qemu TCG on a 2-core host shared with other work` +
    `${loads.length ? ` (host 1-min load during runs: median ${[...loads].sort((a, b) => a - b)[Math.floor(loads.length / 2)]!.toFixed(1)}, range ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)})` : ''}. ` +
    'Absolute seconds are several times what real hardware shows; compare killers by the ratios below, not by seconds.');
  L.push('');
  L.push(`${complete.length} complete runs in ${rounds} round(s)${r.runs.length > complete.length ? `, ${r.runs.length - complete.length} incomplete (not counted)` : ''}; killers alternated run by run within each round; cap ${r.capS} s from hog start. ` +
    `earlyoom: ${boot?.earlyoom || 'Debian defaults'}.`);
  L.push('');
  L.push('## Headline');
  L.push('');
  L.push(renderReadmeTables(r).replace('Every figure per killer, the ratios and where Headroom loses: `bench/results/results.md`.', '').trimEnd());
  L.push('');
  L.push('## Workloads that need a kill');
  L.push('');
  L.push('Ranges are min–max over runs. "s to kill": hog start → its scope seen empty, over the runs in which that happened before the cap. ' +
    '"Canary": lateness of a 50 ms timer in its own scope from hog start to 5 s after the kill. Right victim: the hog died and every bystander lived ' +
    '(the innocent app, the canary, the small apps, the browser, the terminal server). Wrong kill: a bystander died before the hog was seen gone, or while it lived ' +
    '(runs from before the guest timed deaths: any bystander\'s death). "What died": in how many runs each one died.');
  L.push('');
  L.push(renderTable(cells, r.capS));
  L.push('');
  const browser = renderBrowserTable(cells);
  if (browser !== '') {
    L.push('## (10) A browser-like app with a hog tab');
    L.push('');
    L.push('One scope as GNOME Shell names a launched app, `app.slice/app-gnome-chromium-PID.scope`: the main process (128 MiB, oom_score_adj 0) and six children that raise ' +
      'their own oom_score_adj to 300 and carry `--type=renderer` as Chromium\'s renderers do; five hold 64 MiB, the sixth is the hog of (2). Beside it the innocent app and the canary. ' +
      'Right: the hog renderer gone and every bystander alive, however much of the browser went with it; "main survived" says whether the browser itself lived. ' +
      '"Hog child only": the main and every other renderer lived; "whole unit": none of them did. Time to relief: hog start → the hog renderer gone. ' +
      '"The killer named": the processes in its own kill lines (earlyoom), by role, or "the unit" where its line names the app\'s scope (systemd-oomd, Headroom); the kernel\'s OOM kills likewise. ' +
      'The killer\'s major faults: /proc/PID/stat field 12 of its main process at hog start and at the storm\'s end; wake → kill decision: Headroom\'s "kill path:" line, "–" where the agent printed none.');
    L.push('');
    L.push(browser);
    L.push('');
    L.push(renderBrowserRuns(r.runs));
    L.push('');
  }
  const pause = renderPauseRuns(r.runs);
  if (pause !== '') {
    L.push('## (11) A slow leak with time to pause and ask');
    L.push('');
    L.push('Lab boot F\'s leak: `app-bench-hog-IDX.scope` grows by 4 MiB of same-filled pages every 100 ms beside 2 GiB of zram, the innocent app and the canary; dunst runs on Xvfb ' +
      'in every killer\'s run, so only Headroom has someone to ask. The guest watches the hog\'s `cgroup.events`: once it reads `frozen 1` it answers **Quit** 5 s later ' +
      '(`headroom quit UNIT`), as a user would. "Thawed before the answer": the killer resumed it first (memory recovered). "Ended by": Quit, as asked, where the hog went after the answer; ' +
      'else the killer, the kernel, or nothing before the cap. The canary\'s record runs from hog start to 5 s after the hog was gone.');
    L.push('');
    L.push(pause);
    L.push('');
  }
  const noKill = renderNoKillTable(cells);
  if (noKill !== '') {
    L.push('## Workloads that need no kill');
    L.push('');
    L.push('The hog stops by itself (before MemAvailable would fall below 10 % of RAM, or once it holds 1.3 × RAM, which fits in zram), holds its memory 30 s and exits 0, ' +
      'writing "exiting 0" first: the right verdict is that **nothing died**. Needless kill: something died (the hog, by the killer or the kernel, or a bystander). ' +
      'There is no time to kill: "MemAvailable at the hog\'s stop" is what the hog read before the step it did not take; "lowest MemAvailable" is over hog start → its exit. ' +
      'zram: orig_data_size / mem_used_total of mm_stat, median while the hog held its memory. "The killer\'s kill lines": the kill lines in its journal (systemd-oomd writes two per kill, its own and the user manager\'s).');
    L.push('');
    L.push(noKill);
    L.push('');
  }
  L.push('## Headroom against the best anchor (ratio of medians, < 1 is better)');
  L.push('');
  L.push(renderRatios(cells, r.capS));
  L.push('');
  const rep = renderReplay(r.runs);
  if (rep !== '') {
    L.push('## Headroom\'s policy replayed over the recorded storms');
    L.push('');
    L.push('decide() run offline over the sampler\'s lines of every run (all killers: each run is the same storm up to its own kill), for its defaults and variants. ' +
      'Per cell: runs in which it would have decided before that run\'s real kill (where no kill is needed: before the hog\'s own exit, so every decision there is a needless kill; the replay always sees the hog as an app, also where its unit is a terminal tab\'s or a snap\'s scope), median seconds from hog start, median MemAvailable then. ' +
      'Optimistic by the agent\'s tick interval (it decides at every ~100 ms sample) and uses system-wide PSI; see the calibration line. bench/replay.ts.');
    L.push('');
    L.push(rep);
    L.push('');
  }
  const lost = losses(cells, r.capS, r.runs);
  L.push('## Where Headroom loses');
  L.push('');
  L.push(lost.length === 0 ? 'Nowhere in these runs.' : lost.map((l) => `- ${l}`).join('\n'));
  L.push('');
  if (r.idle.length > 0) {
    L.push('## Idle cost (no pressure)');
    L.push('');
    // Boots measured with windows of different lengths say each row's; a cost that comes every
    // two minutes (the agent's steady full tick) shows whole only in a window that long.
    const windows = [...new Set(r.idle.map((i) => i.seconds))];
    const mixed = windows.length > 1;
    L.push(`| guest RAM | killer |${mixed ? ' window |' : ''} CPU s / min | wake-ups / min | CPU s / min, next window | wake-ups / min, next window | threads | RSS after start | RSS after the idle windows | of it anonymous |`);
    L.push(`|---|---|${mixed ? '---|' : ''}---|---|---|---|---|---|---|---|`);
    // By guest size, then as measured: the cost against RAM size reads down the table.
    const bySize = [...r.idle].sort((a, b) => (a.guestMiB ?? DEFAULT_GUEST_MIB) - (b.guestMiB ?? DEFAULT_GUEST_MIB));
    for (const i of bySize) {
      // Only Headroom's build changes between boots; the anchors and the Node floors are the same programs.
      const build = i.agentAt !== undefined && i.killer.startsWith('headroom') ? ` (${i.agentAt})` : '';
      L.push(`| ${((i.guestMiB ?? DEFAULT_GUEST_MIB) / 1024).toFixed(0)} GiB | ${killerLabel(i.killer)}${build} |${mixed ? ` ${i.seconds} s |` : ''} ${i.cpuSecondsPerMinute.toFixed(3)} | ${Math.round(i.wakeupsPerMinute)} | ${i.steady ? i.steady.cpuSecondsPerMinute.toFixed(3) : '–'} | ${i.steady ? Math.round(i.steady.wakeupsPerMinute) : '–'} | ${i.threads} | ${kib(i.rssKiBStart)} | ${kib(i.steady?.rssKiBEnd ?? i.rssKiBEnd)} | ${i.rssAnonKiBEnd !== undefined ? kib(i.rssAnonKiBEnd) : '–'} |`);
    }
    L.push('');
    L.push('CPU from the unit\'s cgroup `cpu.stat` usage_usec, per minute; wake-ups = voluntary + involuntary context switches summed over all threads, over ' +
      `${mixed ? 'the window' : `${windows[0]!} s`} in the guest from 10 s after start, and the same length right after it ("next window": the steady state, once a JIT's start-up work is done), nothing else running.`);
    L.push('');
  }
  if (r.leak !== null) {
    L.push('## Leak check (Headroom)');
    L.push('');
    L.push(`${r.leak.cycles} warn/kill cycles in ${r.leak.seconds.toFixed(0)} s: RSS ${kib(r.leak.rssKiBAfterStart)} after start → ${kib(r.leak.rssKiBAfterCycles)} after the cycles` +
      `${r.leak.heapUsedKiBAfterStart !== null && r.leak.heapUsedKiBAfterCycles !== null ? `; V8 heap used ${kib(r.leak.heapUsedKiBAfterStart)} → ${kib(r.leak.heapUsedKiBAfterCycles)}` : ''}. ${r.leak.how}`);
    L.push('');
    if (r.leak.samples !== undefined && r.leak.samples.length > 0) L.push(...leakSampleTable(r.leak.samples, r.leak.afterTrim), '');
    const rss = r.runs.filter((x) => x.complete && !x.killer.startsWith('headroom') && x.killer !== 'none' && x.killerRssKiBBefore !== null && x.killerRssKiBAfter !== null);
    if (rss.length > 0) {
      L.push('systemd-oomd and earlyoom, RSS before and after each storm run (one kill each; they are restarted per run):');
      L.push('');
      for (const k of ['oomd20', 'oomd2', 'earlyoom']) {
        const rs = rss.filter((x) => x.killer === k);
        if (rs.length === 0) continue;
        const growth = rs.map((x) => x.killerRssKiBAfter! - x.killerRssKiBBefore!);
        L.push(`- ${killerLabel(k)}: ${kib(Math.min(...rs.map((x) => x.killerRssKiBBefore!)))}–${kib(Math.max(...rs.map((x) => x.killerRssKiBBefore!)))} before, growth over a run ${Math.min(...growth)}–${Math.max(...growth)} KiB`);
      }
      L.push('');
    }
  }
  if (r.rank !== null || r.scale !== null) {
    L.push('## Scale');
    L.push('');
    if (r.rank !== null) {
      L.push(`- Ranking ${r.rank.scopes.toLocaleString('en')} app scopes (one full decide(), pure policy, host Node ${process.version}): median ${r.rank.medianMs.toFixed(2)} ms, p99 ${r.rank.p99Ms.toFixed(2)} ms over ${r.rank.repetitions} calls (host, not emulated).`);
    }
    if (r.scale !== null) {
      const s = r.scale;
      L.push(`- Killing one scope of ${s.processes} processes in the guest (emulated): Headroom \`headroom kill\` → scope empty ${s.headroomGoneSeconds.toFixed(1)} s` +
        `${s.headroomKillDurationMs !== null ? ` (its kill record: ${s.headroomKillDurationMs} ms from SIGTERM to an empty scope, with up to ${s.headroomGraceMs ?? 0} ms of grace allowed; the rest is the CLI's Node start-up)` : ''}; ` +
        `a bare \`cgroup.kill\` as root: ${s.cgroupKillGoneSeconds.toFixed(1)} s.`);
    }
    L.push('');
  }
  L.push('## Workloads');
  L.push('');
  for (const w of WORKLOADS) L.push(`- ${workloadLabel(w.id)}`);
  return L.join('\n') + '\n';
}
