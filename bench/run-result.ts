/**
 * One run's figures and verdicts (right victim, wrong kill, needless kill), from what the
 * guest wrote of it; and the verdicts of runs stored before the guest recorded them.
 */
import { needsKill } from './catalogue.js';
import { KILL_LINE_RE, killLines, killPaths, killedPids, parseCanary, parseHogStop, parseSeries, zramRatio, type HogStop, type KillPath } from './guest-output.js';
import { median, quantile } from './statistics.js';

export interface RunResult {
  idx: number;
  round: number;
  killer: string;
  workload: string;
  /** The run did not finish (the boot ended first): no figures. */
  complete: boolean;
  cleanBefore: boolean;
  memAvailableBeforeMiB: number | null;
  /** The hog's scope emptied before the cap, and not by the hog's own exit: something killed it. */
  hogKilled: boolean;
  /**
   * Workloads that need a kill: the hog killed, every bystander (innocent app, canary, small
   * apps, browser, terminal server) alive. Workloads that need none: nothing died.
   */
  rightVictim: boolean;
  /** Whether the workload needed a kill (absent in runs summarized before there were workloads that need none: yes). */
  needsKill?: boolean;
  /** The hog wrote "exiting 0": it ended by itself (only hogs that stop by themselves do). */
  hogExitedItself?: boolean;
  /** Where and why the hog stopped by itself (workloads that need no kill). */
  hogStop?: HogStop | null;
  /** Hog start → its scope seen empty, however it ended (a kill or its own exit); null: it lasted to the cap. */
  hogGoneS?: number | null;
  /** The lowest MemAvailable from hog start to its end (kill, own exit or the cap). */
  lowestMemAvailableMiB?: number | null;
  /** zram when the guest saw the hog stop (mm_stat), and the median ratio while it held its memory. */
  zramAtStop?: { origMiB: number; comprMiB: number; usedMiB: number; ratio: number | null } | null;
  zramRatioHold?: number | null;
  /**
   * What died, in order: "hog" when it was killed, and each bystander that did, with seconds
   * from hog start (null: seen dead only at the end of the run).
   */
  deaths?: Array<{ who: string; atS: number | null }>;
  /**
   * A bystander died first, or at all while the hog lived (in a workload that needs no kill:
   * any bystander's death). Runs recorded before deaths were timed: any bystander's death.
   */
  wrongKill?: boolean;
  /** Workloads that need no kill: something died (the hog or a bystander). null where a kill is needed. */
  needlessKill?: boolean | null;
  /** The killer's own kill lines in its journal over the run. */
  killerKills?: number;
  /** The hog's unit and its cgroup as /proc/PID/cgroup gave it. */
  hogUnit?: string;
  hogCgroup?: string;
  /** Hog start (gate opened) → first observation of its scope empty. */
  secondsToKill: number | null;
  /** The lowest MemAvailable from hog start to the kill (and SwapFree at that sample). */
  memAvailableAtKillMiB: number | null;
  swapFreeAtKillMiB: number | null;
  /** The canary's worst and p99 lateness from hog start to 5 s after the kill (or the cap). */
  canaryWorstMs: number | null;
  canaryP99Ms: number | null;
  canaryWakeups: number;
  /**
   * The canary's worst lateness in the calm before hog start (CALM_WINDOW_MS): what the host's
   * own noise does to it with no storm at all. Absent in runs summarized before it existed.
   */
  canaryCalmWorstMs?: number | null;
  kernelOomKills: number;
  /** When the killer's own log says it killed (earlyoom: its SIGTERM), seconds from hog start. */
  killerLoggedKillS?: number | null;
  /** kernel | killer (the one measured) | none (cap reached) */
  killedBy: string;
  innocentSurvived: boolean;
  canarySurvived: boolean;
  smalls: number;
  smallsSurvived: number;
  killerStartSeconds: number | null;
  killerRssKiBBefore: number | null;
  killerRssKiBAfter: number | null;
  /** Mean 1-min load average of the host over the run (other work on the machine). */
  hostLoad: number | null;
  t0Ms: number;
  /** Headroom's policy replayed over this run's samples, per variant of its defaults (bench/replay.ts). */
  replay?: Array<{ variant: string; atS: number | null; memAvailableMiB: number | null; reason: string }>;
  /**
   * The killer's major page faults from hog start to the storm's end (/proc/PID/stat field 12,
   * sampled by the guest at both): its own pages read back in under the storm. Absent: no
   * killer process (kernel only), or a run from before it was recorded.
   */
  killerMajorFaults?: number | null;
  /** Headroom's "kill path:" line before its first kill decision; absent where the agent printed none. */
  killPath?: KillPath | null;
  /** Workload browser: what of the browser-like app died, and who picked which process. */
  browser?: BrowserResult;
  /** Workload pause: whether the hog was frozen, and what came of it. */
  pause?: PauseResult;
  /** For the plot: seconds from hog start, MemAvailable MiB, full avg10 of the user tree. */
  trace: Array<[number, number, number]>;
  notes: string[];
}

/**
 * What died in a run of the browser workload, in the words of issue #15: the hog renderer
 * alone (the browser lives, one tab shows "Aw, Snap!"), the whole unit (main and every
 * renderer), the hog with part of the rest, a bystander (whatever else), or nothing.
 */
export type BrowserOutcome = 'hog child only' | 'whole unit' | 'hog and part of the app' | 'the app but not the hog' | 'a bystander' | 'nothing';
export const BROWSER_OUTCOMES: readonly BrowserOutcome[] = ['hog child only', 'whole unit', 'hog and part of the app', 'the app but not the hog', 'a bystander', 'nothing'];

export interface BrowserResult {
  outcome: BrowserOutcome;
  /** The browser's main process alive at the end of the run (5 s after the hog was gone). */
  mainSurvived: boolean;
  /** Renderers other than the hog, and how many of them lived. */
  renderers: number;
  renderersSurvived: number;
  /** The app's scope still had processes at the end. */
  unitSurvived: boolean;
  /** How the hog renderer ended, as its parent reaped it ("signal:9", "exit:0"); null: not reaped by it. */
  hogExit: string | null;
  /**
   * Who the killer's own kill lines named, by role: earlyoom's PIDs, or "the unit" where a line
   * names the app's scope (systemd-oomd, Headroom); and the kernel's OOM kills by PID.
   */
  killerPicked: string[];
  kernelPicked: string[];
  /**
   * The user manager logged the kernel's OOM kill in the app's unit ("A process of this unit
   * has been killed by the OOM killer"): with the unit's OOMPolicy=stop it then stops the rest
   * of the unit itself. null: not recorded (runs 337-344).
   */
  userManagerSawKernelOom: boolean | null;
  /**
   * The kernel took a process of the unit, the main died, and no kill line of the killer names
   * the unit: the user manager stopped the rest (the kernel alone and earlyoom in runs 337-350;
   * with systemd-oomd, oomd killed the rest itself). null: not recorded.
   */
  restStoppedByUserManager: boolean | null;
  /** The unit's OOMPolicy as the user manager showed it; null: not recorded. */
  oomPolicy: string | null;
}

/** The outcome from what lived: a bystander's death outranks the rest; then whether the hog died. */
export function browserOutcome(x: { bystanderDied: boolean; hogKilled: boolean; mainSurvived: boolean; renderers: number; renderersSurvived: number; unitSurvived: boolean }): BrowserOutcome {
  if (x.bystanderDied) return 'a bystander';
  const restAlive = x.mainSurvived && x.renderersSurvived === x.renderers;
  if (!x.hogKilled) return restAlive ? 'nothing' : 'the app but not the hog';
  if (restAlive) return 'hog child only';
  return !x.mainSurvived && x.renderersSurvived === 0 && !x.unitSurvived ? 'whole unit' : 'hog and part of the app';
}

/**
 * Workload pause, from the guest's watch of the hog's cgroup.events (whoever froze it): seconds
 * from hog start to the freeze, to the bench's Quit (PAUSE_ANSWER_S after it), and to a thaw
 * that came before the answer (the killer resumed it); MemAvailable when the freeze was seen.
 */
export interface PauseResult {
  pausedS: number | null;
  memAvailableAtPauseMiB: number | null;
  answeredS: number | null;
  thawedS: number | null;
  /** What `headroom quit` printed. */
  answer: string | null;
}

function pauseResult(kv: Map<string, string>, t0: number): PauseResult {
  const at = (k: string): number | null => {
    const ms = num(kv.get(k));
    return ms === null ? null : round1((ms - t0) / 1000);
  };
  return {
    pausedS: at('paused_ms'), memAvailableAtPauseMiB: num(kv.get('mem_available_mib_at_pause')), answeredS: at('answered_ms'), thawedS: at('thawed_ms'),
    answer: kv.get('answer')?.trim() || null,
  };
}

const pidList = (v: string | undefined): number[] => (v ?? '').trim().split(/\s+/).filter((w) => w !== '').map(Number).filter(Number.isFinite);

function browserResult(kv: Map<string, string>, hogKilled: boolean, bystanderDied: boolean, killerLog: string | undefined): BrowserResult {
  const main = Number(kv.get('browser_main_pid'));
  const hog = Number(kv.get('hog_pid'));
  const renderers = pidList(kv.get('browser_renderer_pids'));
  // Anything outside the browser by its name where the line gave one (earlyoom took
  // `systemd --user` in run 337, as in runs 88 and 103).
  const role = (pid: number, name = ''): string =>
    (pid === hog ? 'hog renderer' : pid === main ? 'main' : renderers.includes(pid) ? 'renderer' : `${name === '' ? 'other' : `"${name}"`} (pid ${pid})`);
  const mainSurvived = kv.get('browser_main_survived') === 'yes';
  const renderersSurvived = num(kv.get('browser_renderers_survived')) ?? 0;
  const unitSurvived = kv.get('browser_unit_survived') === 'yes';
  const hogExit = kv.get('hog_exit_status')?.trim() || null;
  const unit = kv.get('hog_unit') ?? '';
  const killerKilledUnit = unit !== '' && (killerLog ?? '').split('\n').some((l) => KILL_LINE_RE.test(l) && l.includes(unit));
  const sawKernelOom = kv.has('browser_unit_kernel_oom') ? kv.get('browser_unit_kernel_oom') === 'yes' : null;
  return {
    outcome: browserOutcome({ bystanderDied, hogKilled, mainSurvived, renderers: renderers.length, renderersSurvived, unitSurvived }),
    mainSurvived, renderers: renderers.length, renderersSurvived, unitSurvived, hogExit,
    killerPicked: [...(killerKilledUnit ? ['the unit'] : []), ...(killerLog === undefined ? [] : killedPids(killerLog).map((k) => role(k.pid, k.name)))],
    kernelPicked: pidList(kv.get('kernel_killed_pids')).map((pid) => role(pid)),
    userManagerSawKernelOom: sawKernelOom,
    restStoppedByUserManager: sawKernelOom === null ? null : sawKernelOom && !mainSurvived && !killerKilledUnit,
    oomPolicy: kv.get('browser_oom_policy')?.trim() || null,
  };
}

const num = (v: string | undefined): number | null => {
  if (v === undefined || v.trim() === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
};
const round1 = (n: number): number => Math.round(n * 10) / 10;

/** After the kill the canary keeps recording this long: recovery stalls count too. */
export const RECOVERY_MS = 5000;
/** The guest waits 3 s between starting the sampler and opening the gate: the calm window. */
export const CALM_WINDOW_MS = 3000;

/** The bystanders of a run whose guest did not list them (runs before it did). */
const defaultBystanders = (smalls: number): string[] => ['innocent', 'canary', ...Array.from({ length: smalls }, (_, i) => `small${i + 1}`)];
const ratio2 = (x: number | null): number | null => (x === null ? null : Math.round(x * 100) / 100);

/**
 * Who died and when (the guest's died_NAME_ms: first seen dead by its 0.2 s watch) and the
 * wrong-kill verdict: a bystander dead no later than the hog was seen killed, or dead at all
 * when the hog was not killed. A bystander seen dead only at the end (no time) counts as dying
 * after the hog. Runs whose guest did not list its bystanders had no watch: any death is wrong.
 */
function deathsAndVerdicts(kv: Map<string, string>, t0: number, killAt: number | null, wantKill: boolean, base: RunResult):
  { deaths: Array<{ who: string; atS: number | null }>; bystandersDead: string[]; wrongKill: boolean; orderUnknown: boolean } {
  const listed = kv.get('bystanders')?.trim();
  const survivedKey: Record<string, string> = { innocent: 'innocent_survived', canary: 'canary_survived', browser: 'browser_survived', terminal: 'terminal_survived' };
  const at = (n: string): number | null => num(kv.get(`died_${n}_ms`));
  let dead: string[];
  if (listed) {
    dead = listed.split(/\s+/).filter((n) => at(n) !== null || (survivedKey[n] !== undefined && kv.get(survivedKey[n]) !== 'yes'));
    // a small app dead by the end but never seen dying by the watch
    const seenSmalls = dead.filter((n) => n.startsWith('small')).length;
    for (let i = seenSmalls; i < base.smalls - base.smallsSurvived; i++) dead.push('small?');
  } else {
    dead = defaultBystanders(0).filter((n) => kv.get(survivedKey[n]!) !== 'yes');
    for (let i = 0; i < base.smalls - base.smallsSurvived; i++) dead.push('small?');
  }
  const deaths = dead.map((n) => ({ who: n.startsWith('small') ? 'small app' : n, ms: at(n) }));
  if (killAt !== null) deaths.push({ who: 'hog', ms: killAt });
  deaths.sort((a, b) => (a.ms ?? Infinity) - (b.ms ?? Infinity));
  const orderUnknown = !listed;
  const wrongKill = dead.length > 0 && (orderUnknown || !wantKill || killAt === null || dead.some((n) => at(n) !== null && at(n)! <= killAt));
  return { deaths: deaths.map(({ who, ms }) => ({ who, atS: ms !== null ? round1((ms - t0) / 1000) : null })), bystandersDead: dead, wrongKill, orderUnknown };
}

export function summarizeRun(item: { idx: number; round: number; killer: string; workload: string }, kv: Map<string, string>, seriesText: string, canaryText: string, hostLoad: number | null = null, killerLog?: string): RunResult {
  const notes: string[] = [];
  const t0 = num(kv.get('t0_ms'));
  // A run whose hog never started in its scope measured nothing (systemd-run can time out
  // moving it while the user manager is busy): it does not count.
  const hogFailed = kv.get('hog_scope') === 'FAIL' || kv.get('hog_started') === 'FAIL';
  // Nor does a run whose zram swap could not be set up: it measured the no-swap storm.
  const swapFailed = kv.get('zram_device') === 'FAIL';
  // The host stopped a guest that made no progress long after the cap (stormOverdue): the
  // run counts, as one in which nothing killed the hog in time; what the guest kept in memory
  // (the canary's record, the samples, who survived, the kernel's log) is lost with it.
  const frozenS = num(kv.get('host_frozen_s'));
  const complete = (kv.get('done') === 'yes' || frozenS !== null) && t0 !== null && !hogFailed && !swapFailed;
  const base: RunResult = {
    idx: item.idx, round: item.round, killer: item.killer, workload: item.workload, complete,
    cleanBefore: kv.get('clean_before') === 'yes', memAvailableBeforeMiB: num(kv.get('mem_available_mib_before')),
    hogKilled: false, rightVictim: false, secondsToKill: null, memAvailableAtKillMiB: null, swapFreeAtKillMiB: null,
    canaryWorstMs: null, canaryP99Ms: null, canaryWakeups: 0, kernelOomKills: num(kv.get('kernel_oom_kills')) ?? 0, killedBy: 'none',
    innocentSurvived: kv.get('innocent_survived') === 'yes', canarySurvived: kv.get('canary_survived') === 'yes',
    smalls: num(kv.get('smalls')) ?? 0, smallsSurvived: num(kv.get('smalls_survived')) ?? 0,
    killerStartSeconds: num(kv.get('killer_start_s')), killerRssKiBBefore: num(kv.get('killer_rss_kib_before')), killerRssKiBAfter: num(kv.get('killer_rss_kib_after')),
    hostLoad, t0Ms: t0 ?? 0, trace: [], notes,
  };
  if (!complete || t0 === null) {
    notes.push(hogFailed ? 'the hog did not start in its scope: run not counted'
      : swapFailed ? 'zram swap could not be set up: run not counted' : 'run did not complete');
    return base;
  }
  for (const key of ['apps_started', 'killer_started']) {
    if (kv.get(key) === 'FAIL') notes.push(`${key} failed`);
  }
  if (!base.cleanBefore) notes.push('state before the run was not clean');
  if (kv.get('user_manager_restarted') === 'yes') notes.push('the user manager was gone after the previous run and was started again first');
  // earlyoom's pick in runs 88 and 103: `systemd --user`; systemd-oomd's in run 148, after the hog: user@1000.service/init.scope
  if (killerLog !== undefined && (/to process \d+ uid \d+ "systemd"/.test(killerLog) || /Killed \/\S*user@\d+\.service\/init\.scope /.test(killerLog))) notes.push('the killer killed the user manager (systemd --user): the whole session died with it');
  if (frozenS !== null) {
    notes.push(`guest frozen: no progress ${frozenS} s after hog start, stopped by the host (no canary record, survivors and kernel OOM kills unknown)`);
    // Who died is unknown: no verdict of a wrong or needless kill is made from silence.
    return { ...base, needsKill: needsKill(item.workload), wrongKill: false, needlessKill: needsKill(item.workload) ? null : false };
  }

  const series = parseSeries(seriesText).filter((s) => s.atMs >= t0 - 3000);
  const hogGone = kv.get('storm_end') === 'gone';
  // "exiting 0" is the hog's own last word: a hog gone without it was killed.
  const hogExitedItself = kv.get('hog_exited_itself') === 'yes';
  const hogKilled = hogGone && !hogExitedItself;
  const tEnd = num(kv.get('t_end_ms'));
  let goneAt: number | null = null;
  if (hogGone) {
    const firstGone = series.find((s) => s.atMs >= t0 && s.populated === 0);
    const candidates = [firstGone?.atMs, tEnd ?? undefined].filter((x): x is number => x !== undefined);
    goneAt = candidates.length > 0 ? Math.min(...candidates) : null;
  }
  const killAt = hogKilled ? goneAt : null;
  // The lowest MemAvailable between hog start and the kill: the hog only grows until it is
  // killed, and its exit (freeing gigabytes of zram under emulation) can take seconds during
  // which the scope still counts as populated while memory already comes back.
  const storm = killAt !== null ? series.filter((s) => s.atMs >= t0 && s.atMs < killAt && s.memAvailableKiB >= 0) : [];
  const before = storm.length > 0 ? storm.reduce((a, b) => (b.memAvailableKiB < a.memAvailableKiB ? b : a)) : undefined;
  // The same over the whole storm, however it ended (a kill, the hog's own exit, the cap).
  const stormEnd = goneAt ?? tEnd ?? Infinity;
  const whole = series.filter((s) => s.atMs >= t0 && s.atMs < stormEnd && s.memAvailableKiB >= 0);
  const lowest = whole.length > 0 ? Math.min(...whole.map((s) => s.memAvailableKiB)) : null;
  const hogStop = parseHogStop(kv.get('hog_stopped'));
  const mm = (kv.get('zram_mm_stat_at_stop') ?? '').trim().split(/\s+/).map(Number);
  const zramAtStop = mm.length === 3 && mm.every(Number.isFinite)
    ? { origMiB: Math.round(mm[0]! / 1048576), comprMiB: Math.round(mm[1]! / 1048576), usedMiB: Math.round(mm[2]! / 1048576), ratio: ratio2(zramRatio(mm[0]!, mm[2]!)) }
    : null;
  const holdRatios = hogStop === null ? [] : series
    .filter((s) => s.atMs >= hogStop.atMs && s.atMs < stormEnd && s.zramOrigKiB !== undefined)
    .map((s) => zramRatio(s.zramOrigKiB!, s.zramUsedKiB!)).filter((x): x is number => x !== null);
  // The guest's own count used a looser pattern (it also matched earlyoom's banner): the log wins.
  const fromLog = killerLog !== undefined ? killLines(killerLog) : null;
  const loggedAt = fromLog ? (fromLog.firstAtS ?? NaN) : Number((kv.get('killer_first_kill') ?? '').split(' ')[0]);
  const windowEnd = (killAt ?? tEnd ?? t0) + RECOVERY_MS;
  const canary = parseCanary(canaryText);
  const wakes = canary.filter((w) => w.atMs > t0 && w.atMs <= windowEnd);
  const lates = wakes.map((w) => w.lateUs / 1000);
  const calmLates = canary.filter((w) => w.atMs > t0 - CALM_WINDOW_MS && w.atMs <= t0).map((w) => w.lateUs / 1000);

  const kernelKilledHog = kv.get('kernel_killed_hog') === 'yes';
  const killerKills = fromLog ? fromLog.count : (num(kv.get('killer_kill_lines')) ?? 0);
  const killedBy = !hogKilled ? 'none' : kernelKilledHog ? 'kernel' : killerKills > 0 ? 'killer' : 'unknown';
  if (killedBy === 'unknown') notes.push('hog gone, but neither the kernel nor the killer logged its kill');
  const wantKill = needsKill(item.workload);
  if (!wantKill && !hogGone) notes.push('the hog had not ended by the cap: stopped by the bench');
  const v = deathsAndVerdicts(kv, t0, killAt, wantKill, base);
  const othersAlive = v.bystandersDead.length === 0;
  const faultsT0 = num(kv.get('killer_majflt_t0'));
  const faultsEnd = num(kv.get('killer_majflt_end'));
  const paths = killerLog !== undefined ? killPaths(killerLog) : [];
  if (v.orderUnknown && v.bystandersDead.length > 0) notes.push('bystanders died; the order of deaths was not recorded');

  return {
    ...base,
    hogKilled,
    rightVictim: wantKill ? hogKilled && othersAlive : !hogKilled && othersAlive,
    needsKill: wantKill,
    hogExitedItself,
    hogStop,
    hogGoneS: goneAt !== null ? round1((goneAt - t0) / 1000) : null,
    lowestMemAvailableMiB: lowest !== null ? Math.round(lowest / 1024) : null,
    zramAtStop,
    zramRatioHold: holdRatios.length > 0 ? ratio2(median(holdRatios)) : null,
    deaths: v.deaths,
    wrongKill: v.wrongKill,
    needlessKill: wantKill ? null : hogKilled || !othersAlive,
    killerKills,
    ...(kv.has('hog_unit') ? { hogUnit: kv.get('hog_unit')! } : {}),
    ...(kv.has('hog_cgroup') ? { hogCgroup: kv.get('hog_cgroup')! } : {}),
    secondsToKill: killAt !== null ? round1((killAt - t0) / 1000) : null,
    memAvailableAtKillMiB: before ? Math.round(before.memAvailableKiB / 1024) : null,
    swapFreeAtKillMiB: before ? Math.round(before.swapFreeKiB / 1024) : null,
    canaryWorstMs: lates.length > 0 ? round1(Math.max(...lates)) : null,
    canaryP99Ms: lates.length > 0 ? round1(quantile(lates, 0.99)) : null,
    canaryWakeups: wakes.length,
    canaryCalmWorstMs: calmLates.length > 0 ? round1(Math.max(...calmLates)) : null,
    killedBy,
    killerLoggedKillS: killedBy === 'killer' && Number.isFinite(loggedAt) && loggedAt > 0 ? round1(loggedAt - t0 / 1000) : null,
    killerMajorFaults: faultsT0 !== null && faultsEnd !== null && faultsEnd >= faultsT0 ? faultsEnd - faultsT0 : null,
    killPath: paths[0] ?? null,
    ...(item.workload === 'browser' ? { browser: browserResult(kv, hogKilled, !othersAlive, killerLog) } : {}),
    ...(item.workload === 'pause' ? { pause: pauseResult(kv, t0) } : {}),
    trace: series.filter((_, i) => i % 5 === 0).map((s) => [round1((s.atMs - t0) / 1000), Math.round(s.memAvailableKiB / 1024), s.treeFull10]),
  };
}

const bystanderDied = (r: RunResult): boolean =>
  !(r.innocentSurvived && r.canarySurvived && r.smallsSurvived === r.smalls) || (r.deaths ?? []).some((d) => d.who !== 'hog');
/** The wrong-kill verdict; runs stored before it existed: any bystander's death (their order was not recorded). */
export const wrongKillOf = (r: RunResult): boolean => r.wrongKill ?? (bystanderDied(r) || r.notes.some((n) => n.includes('killed the user manager')));
/** The needless-kill verdict; null where the workload needs a kill. */
export const needlessKillOf = (r: RunResult): boolean | null =>
  needsKill(r.workload) ? null : (r.needlessKill ?? (r.hogKilled || bystanderDied(r)));
