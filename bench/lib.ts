/**
 * The pure half of the benchmark (bench/README.md): the plan, parsing what the guest wrote,
 * the figures of one run, the summary per killer × workload and the Markdown table.
 * No IO here: bench/run.ts reads and writes, test/unit/bench-lib.test.ts checks this file.
 */

export const KILLERS = [
  { id: 'none', label: 'kernel only' },
  { id: 'oomd20', label: 'systemd-oomd, Fedora (50 %, 20 s)' },
  { id: 'oomd2', label: 'systemd-oomd, tuned (50 %, 2 s)' },
  { id: 'earlyoom', label: 'earlyoom defaults' },
  { id: 'headroom', label: 'Headroom defaults' },
  { id: 'headroom-candidate', label: 'Headroom, candidate defaults' },
  // Runs of Headroom made before the benchmark moved its defaults (a3efece): kept as measured,
  // under their own name, so they are neither lost nor mixed with runs of today's defaults.
  { id: 'headroom-prev', label: 'Headroom, previous defaults (10 %, 5 s)' },
  // Runs of a build whose calm full tick came once a minute (865b401), reverted after its
  // run 130 (fc4dd18): kept as measured, apart from the build that ships.
  { id: 'headroom-calm60', label: 'Headroom, full calm tick every 60 s (reverted)' },
  // Runs of the policy that predicted "below 15 % within 10 s" (a3efece to 6fba500), before the
  // runway policy (agent/core/decide.ts) replaced it: kept as measured, apart from today's.
  { id: 'headroom-pred15', label: 'Headroom, 15 % / 10 s prediction (before the runway policy)' },
  // Runs 236-241 of a build whose look-ahead added the snapshot's read time (fcf4598): it
  // killed a burst that fit (run 239) and was reverted; kept as measured, apart.
  { id: 'headroom-readlead', label: 'Headroom, look-ahead plus read time (reverted)' },
  // Runs 186-244 of the builds before 09eeb3f, whose every look waited for the read of every
  // unit (0.3-3.4 s a look under thrash); 242-244 already left zram's same-filled pages out of
  // its ratio (622a649). Kept as measured, apart from today's.
  { id: 'headroom-unitwait', label: 'Headroom, looks waiting for every unit\'s read (before 09eeb3f)' },
  // Runs 245-289 of the build before df6b089, whose first look after calm took the calm gap
  // (up to ~1 s, a calm tick waiting for the units) for the pace of the looks to come: it
  // killed a burst that fit (run 289). Kept as measured, apart from today's.
  { id: 'headroom-calmlead', label: 'Headroom, lead from the calm gap (before df6b089)' },
] as const;
export type KillerId = (typeof KILLERS)[number]['id'];
/** Killers that only appear in recorded results: nothing can run them any more. */
export const RECORDED_ONLY_KILLERS: readonly string[] = ['headroom-prev', 'headroom-calm60', 'headroom-pred15', 'headroom-readlead', 'headroom-unitwait', 'headroom-calmlead'];
/** Headroom's own rows, compared against the best anchor in this order. */
export const OWN_KILLERS = ['headroom', 'headroom-candidate', 'headroom-calmlead', 'headroom-unitwait', 'headroom-pred15', 'headroom-prev', 'headroom-calm60', 'headroom-readlead'] as const;

/**
 * needsKill false: the hog stops by itself and exits 0 (bench/README.md), so the right verdict
 * is that nothing dies and any death is a needless kill.
 */
export const WORKLOADS = [
  { id: 'nosw', label: '(1) no swap, fast hog', needsKill: true },
  { id: 'zram', label: '(2) zram, fast hog', needsKill: true },
  { id: 'leak', label: '(3) zram, slow leak', needsKill: true },
  { id: 'apps', label: '(4) zram, 20 apps + hog', needsKill: true },
  { id: 'burst', label: '(5) no swap, burst stopping at 10 %', needsKill: false },
  { id: 'burst40', label: '(6) no swap, 40 MiB/s burst stopping at 10 %', needsKill: false },
  { id: 'zburst', label: '(7) zram, compressible burst of 1.3 × RAM', needsKill: false },
  { id: 'vte', label: '(8) no swap, hog in a GNOME Terminal tab', needsKill: true },
  { id: 'snap', label: '(9) zram, hog in a snap scope', needsKill: true },
] as const;
export type WorkloadId = (typeof WORKLOADS)[number]['id'];

export const killerLabel = (id: string): string => KILLERS.find((k) => k.id === id)?.label ?? id;
export const workloadLabel = (id: string): string => WORKLOADS.find((w) => w.id === id)?.label ?? id;
/** Whether a workload's hog must be killed (unknown ids: yes, as the first four). */
export const needsKill = (id: string): boolean => WORKLOADS.find((w) => w.id === id)?.needsKill ?? true;
export const isKiller = (id: string): id is KillerId => KILLERS.some((k) => k.id === id);
export const isWorkload = (id: string): id is WorkloadId => WORKLOADS.some((w) => w.id === id);

export interface PlanItem {
  idx: number;
  round: number;
  killer: KillerId;
  workload: WorkloadId;
}

/**
 * `runs` rounds; in each round every workload once with every killer, the killers rotated by
 * one place per round (and per workload) so that none always runs first or right after
 * another: slow drifts of the host's load spread over all of them.
 */
export function makePlan(runs: number, killers: readonly KillerId[], workloads: readonly WorkloadId[], firstIdx = 1, firstRound = 1): PlanItem[] {
  const plan: PlanItem[] = [];
  let idx = firstIdx;
  for (let r = 0; r < runs; r++) {
    workloads.forEach((workload, w) => {
      for (let k = 0; k < killers.length; k++) {
        const killer = killers[(k + firstRound - 1 + r + w) % killers.length]!;
        plan.push({ idx: idx++, round: firstRound + r, killer, workload });
      }
    });
  }
  return plan;
}

/** Split a plan into boots of at most `perBoot` runs. */
export function batches<T>(items: readonly T[], perBoot: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += Math.max(1, perBoot)) out.push(items.slice(i, i + Math.max(1, perBoot)));
  return out;
}

// ---- what the guest wrote ----

export interface Sample {
  atMs: number;
  memAvailableKiB: number;
  swapFreeKiB: number;
  some10: number;
  full10: number;
  fullTotalUs: number;
  /** full avg10 of user@1000.service */
  treeFull10: number;
  /** 1 while the hog's scope has processes, 0 once it is empty or gone, -1 unreadable */
  populated: number;
  /**
   * zram's mm_stat (orig_data_size, compr_data_size, mem_used_total), KiB: only in lines of
   * samplers that record it (11 fields), and only while the device exists.
   */
  zramOrigKiB?: number;
  zramComprKiB?: number;
  zramUsedKiB?: number;
  /** Of zramOrigKiB, same-filled pages (same_pages × page size): only in 12-field lines. */
  zramSameKiB?: number;
}

/**
 * The sampler's lines (benchbin sample): 8 fields, or 11 with zram's mm_stat (a field of -1:
 * not there); malformed or torn lines are skipped.
 */
export function parseSeries(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    // 8 fields, 11 with zram (runs up to 241), 12 with zram's same-filled pages.
    if (f.length !== 8 && f.length !== 11 && f.length !== 12) continue;
    const n = f.map(Number);
    if (n.some((x) => !Number.isFinite(x))) continue;
    const s: Sample = {
      atMs: n[0]!, memAvailableKiB: n[1]!, swapFreeKiB: n[2]!, some10: n[3]!, full10: n[4]!, fullTotalUs: n[5]!, treeFull10: n[6]!, populated: n[7]!,
    };
    if (n.length >= 11 && n[8]! >= 0 && n[9]! >= 0 && n[10]! >= 0) {
      s.zramOrigKiB = n[8]!;
      s.zramComprKiB = n[9]!;
      s.zramUsedKiB = n[10]!;
      if (n.length === 12 && n[11]! >= 0) s.zramSameKiB = n[11]!;
    }
    out.push(s);
  }
  return out;
}

/** zram's compression as the kernel accounts it: data stored / memory it takes (orig_data_size / mem_used_total). */
export const zramRatio = (orig: number, used: number): number | null => (used > 0 && orig > 0 ? orig / used : null);

export interface HogStop {
  /** Epoch ms of the hog's check that stopped it. */
  atMs: number;
  /** low: one more step would have brought MemAvailable below its limit; total: it held what it was to hold. */
  reason: string;
  allocatedMiB: number;
  memAvailableMiB: number;
  /** MemAvailable at that check, % of MemTotal. */
  memAvailablePct: number;
}

/** The hog's "stopped at_ms=… reason=… allocated_mib=… mem_available_kib=… mem_total_kib=…" line; null for none. */
export function parseHogStop(line: string | undefined): HogStop | null {
  if (line === undefined || !line.startsWith('stopped')) return null;
  const f = new Map(line.trim().split(/\s+/).slice(1).map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)] as const));
  const at = Number(f.get('at_ms'));
  const avail = Number(f.get('mem_available_kib'));
  const total = Number(f.get('mem_total_kib'));
  const allocated = Number(f.get('allocated_mib'));
  if (![at, avail, total, allocated].every(Number.isFinite) || total <= 0) return null;
  return {
    atMs: at, reason: f.get('reason') ?? '', allocatedMiB: allocated, memAvailableMiB: Math.round(avail / 1024),
    memAvailablePct: Math.round((1000 * avail) / total) / 10,
  };
}

export interface Wake {
  atMs: number;
  lateUs: number;
}

export function parseCanary(text: string): Wake[] {
  const out: Wake[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length !== 2) continue;
    const atMs = Number(f[0]);
    const lateUs = Number(f[1]);
    if (Number.isFinite(atMs) && Number.isFinite(lateUs)) out.push({ atMs, lateUs });
  }
  return out;
}

/** Reads key=value lines into a map (a later key wins): the lab's own reader. */
export { parseKeyValues as parseKv } from '../lab/guest.js';

// ---- statistics ----

/** Nearest-rank quantile (q in [0, 1]) of the values; NaN for none. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}
export const median = (values: readonly number[]): number => {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * Two-sided p-value of a Mann–Whitney rank test (mid-ranks for ties): how often a random
 * split of the pooled runs into groups of these sizes separates them at least as well. Exact
 * over every split when there are at most 200,000, otherwise 20,000 splits drawn with a fixed
 * seed (the report must not change between renders). Small samples give large p-values: with
 * 5 runs against 5 the smallest possible is 0.008.
 */
export function rankTestP(a: readonly number[], b: readonly number[]): number {
  const n = a.length + b.length;
  if (a.length === 0 || b.length === 0) return NaN;
  const pooled = [...a, ...b];
  const order = pooled.map((v, i) => ({ v, i })).sort((x, y) => x.v - y.v);
  const ranks = new Array<number>(n);
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && order[j + 1]!.v === order[i]!.v) j++;
    for (let k = i; k <= j; k++) ranks[order[k]!.i] = (i + j) / 2 + 1;
    i = j + 1;
  }
  const k = a.length;
  // Distance of a group's rank sum from what no difference would give: the statistic.
  const centre = (k * (n + 1)) / 2;
  const observed = Math.abs(ranks.slice(0, k).reduce((s, r) => s + r, 0) - centre);
  const atLeast = (sum: number): boolean => Math.abs(sum - centre) >= observed - 1e-9;
  let splits = 1;
  for (let i = 0; i < k; i++) splits = (splits * (n - i)) / (i + 1);
  if (splits <= 200_000) {
    let hits = 0;
    let total = 0;
    const walk = (from: number, left: number, sum: number): void => {
      if (left === 0) {
        total++;
        if (atLeast(sum)) hits++;
        return;
      }
      for (let i = from; i <= n - left; i++) walk(i + 1, left - 1, sum + ranks[i]!);
    };
    walk(0, k, 0);
    return hits / total;
  }
  let seed = 0x9e3779b9;
  const random = (): number => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const draws = 20_000;
  let hits = 1; // the observed split itself
  const idx = ranks.map((_, i) => i);
  for (let d = 0; d < draws; d++) {
    for (let i = 0; i < k; i++) {
      const j = i + Math.floor(random() * (n - i));
      [idx[i], idx[j]] = [idx[j]!, idx[i]!];
    }
    let sum = 0;
    for (let i = 0; i < k; i++) sum += ranks[idx[i]!]!;
    if (atLeast(sum)) hits++;
  }
  return hits / (draws + 1);
}

// ---- one run ----

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
  /** For the plot: seconds from hog start, MemAvailable MiB, full avg10 of the user tree. */
  trace: Array<[number, number, number]>;
  notes: string[];
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

/**
 * A kill in a killer's journal: earlyoom "sending SIGTERM to process N" (not its start-up
 * banner "sending SIGTERM when mem <= …"), systemd-oomd "Killed /…cgroup", the user manager's
 * "systemd-oomd killed N process(es)", Headroom "killed app-….scope".
 */
// Headroom: "killed <unit>…" for any unit it may stop (app-*, vte-spawn-*, snap.*, …), not "killing <unit>".
export const KILL_LINE_RE = /sending SIG[A-Z]+ to process|Killed \/|systemd-oomd killed|killed [^ ]+\.(?:scope|service)\b/;

/** Kill lines of a killer's journal (`journalctl -o short-unix`), and the first one's time (epoch s). */
export function killLines(log: string): { count: number; firstAtS: number | null } {
  const lines = log.split('\n').filter((l) => KILL_LINE_RE.test(l));
  const first = Number(lines[0]?.split(' ')[0]);
  return { count: lines.length, firstAtS: Number.isFinite(first) && first > 0 ? first : null };
}

/**
 * How long after hog start the host waits for the guest to end a run (the cap plus this)
 * before it calls the guest frozen and stops it: under emulation a guest that thrashes without
 * swap can stay unresponsive for 10–20 min before the kernel acts, which cost whole boots.
 */
export const FREEZE_MARGIN_S = 100;

/**
 * Whether the host should call the guest frozen in this run: the storm started (t0_ms
 * written, first seen by the host at `t0SeenAtMs`, host clock) and has not ended (no
 * t_end_ms) cap + FREEZE_MARGIN_S later. The guest ends every run by the cap on its own, so
 * only a guest that stopped making progress gets here.
 */
export function stormOverdue(kv: Map<string, string>, t0SeenAtMs: number | undefined, nowMs: number, capS: number): boolean {
  if (t0SeenAtMs === undefined || !kv.has('t0_ms') || kv.has('t_end_ms')) return false;
  return nowMs - t0SeenAtMs > (capS + FREEZE_MARGIN_S) * 1000;
}

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
    trace: series.filter((_, i) => i % 5 === 0).map((s) => [round1((s.atMs - t0) / 1000), Math.round(s.memAvailableKiB / 1024), s.treeFull10]),
  };
}

// ---- summary per killer × workload ----

export interface Range {
  median: number;
  min: number;
  max: number;
}
const range = (values: readonly number[]): Range | null =>
  values.length === 0 ? null : { median: median(values), min: Math.min(...values), max: Math.max(...values) };

export interface Cell {
  killer: string;
  workload: string;
  runs: number;
  rightVictimPct: number;
  killedRuns: number;
  /** Over the runs in which the hog died before the cap. */
  secondsToKill: Range | null;
  memAvailableAtKillMiB: Range | null;
  canaryWorstMs: Range | null;
  canaryP99Ms: Range | null;
  canaryCalmWorstMs: Range | null;
  kernelOomKills: number;
  innocentSurvived: number;
  killedBy: Record<string, number>;
  /** Whether the workload needs a kill; the verdicts below follow from it. */
  needsKill: boolean;
  /** Runs with a wrong kill (RunResult.wrongKill). */
  wrongKills: number;
  /** Runs with a needless kill; null where the workload needs a kill. */
  needlessKills: number | null;
  /** Runs in which the hog ended by its own exit. */
  exitedItself: number;
  /** The lowest MemAvailable from hog start to its end, over all runs that have it. */
  lowestMemAvailableMiB: Range | null;
  /** MemAvailable at the hog's own stop (workloads that need no kill). */
  memAvailableAtStopMiB: Range | null;
  memAvailableAtStopPct: Range | null;
  /** zram's orig_data_size / mem_used_total while the hog held its memory (at its stop where the series has none). */
  zramRatio: Range | null;
  /** Runs in which each one died (hog, innocent, canary, small app, browser, terminal). */
  died: Record<string, number>;
  /** The killer's own logged kills, summed over the runs. */
  killerKills: number;
}

const bystanderDied = (r: RunResult): boolean =>
  !(r.innocentSurvived && r.canarySurvived && r.smallsSurvived === r.smalls) || (r.deaths ?? []).some((d) => d.who !== 'hog');
/** The wrong-kill verdict; runs stored before it existed: any bystander's death (their order was not recorded). */
export const wrongKillOf = (r: RunResult): boolean => r.wrongKill ?? (bystanderDied(r) || r.notes.some((n) => n.includes('killed the user manager')));
/** The needless-kill verdict; null where the workload needs a kill. */
export const needlessKillOf = (r: RunResult): boolean | null =>
  needsKill(r.workload) ? null : (r.needlessKill ?? (r.hogKilled || bystanderDied(r)));

export function summarize(runs: readonly RunResult[]): Cell[] {
  const cells: Cell[] = [];
  for (const w of WORKLOADS) {
    for (const k of KILLERS) {
      const rs = runs.filter((r) => r.complete && r.killer === k.id && r.workload === w.id);
      if (rs.length === 0) continue;
      const killed = rs.filter((r) => r.hogKilled);
      const killedBy: Record<string, number> = {};
      for (const r of rs) killedBy[r.killedBy] = (killedBy[r.killedBy] ?? 0) + 1;
      const died: Record<string, number> = {};
      for (const r of rs) {
        const who = new Set((r.deaths ?? []).map((d) => d.who));
        // a frozen guest took its survivors with it: unknown, not dead
        if (r.deaths === undefined && !r.notes.some((n) => n.startsWith('guest frozen'))) {
          if (r.hogKilled) who.add('hog');
          if (!r.innocentSurvived) who.add('innocent');
          if (!r.canarySurvived) who.add('canary');
          if (r.smallsSurvived < r.smalls) who.add('small app');
        }
        for (const x of who) died[x] = (died[x] ?? 0) + 1;
      }
      const vals = (f: (r: RunResult) => number | null, from: readonly RunResult[] = rs): number[] =>
        from.map(f).filter((x): x is number => x !== null);
      cells.push({
        killer: k.id,
        workload: w.id,
        runs: rs.length,
        rightVictimPct: Math.round((100 * rs.filter((r) => r.rightVictim).length) / rs.length),
        killedRuns: killed.length,
        secondsToKill: range(vals((r) => r.secondsToKill, killed)),
        memAvailableAtKillMiB: range(vals((r) => r.memAvailableAtKillMiB, killed)),
        canaryWorstMs: range(vals((r) => r.canaryWorstMs)),
        canaryP99Ms: range(vals((r) => r.canaryP99Ms)),
        canaryCalmWorstMs: range(vals((r) => r.canaryCalmWorstMs ?? null)),
        kernelOomKills: rs.reduce((a, r) => a + r.kernelOomKills, 0),
        innocentSurvived: rs.filter((r) => r.innocentSurvived).length,
        killedBy,
        needsKill: w.needsKill,
        wrongKills: rs.filter(wrongKillOf).length,
        needlessKills: w.needsKill ? null : rs.filter((r) => needlessKillOf(r) === true).length,
        exitedItself: rs.filter((r) => r.hogExitedItself === true).length,
        lowestMemAvailableMiB: range(vals((r) => r.lowestMemAvailableMiB ?? null)),
        memAvailableAtStopMiB: range(vals((r) => r.hogStop?.memAvailableMiB ?? null)),
        memAvailableAtStopPct: range(vals((r) => r.hogStop?.memAvailablePct ?? null)),
        zramRatio: range(vals((r) => r.zramRatioHold ?? r.zramAtStop?.ratio ?? null)),
        died,
        killerKills: rs.reduce((a, r) => a + (r.killerKills ?? 0), 0),
      });
    }
  }
  return cells;
}

// ---- Markdown ----

const fmt = (n: number, digits = 1): string => (Number.isInteger(n) && digits === 0 ? String(n) : n.toFixed(digits));
export function fmtRange(r: Range | null, digits = 1): string {
  if (r === null) return '–';
  if (r.min === r.max) return fmt(r.median, digits);
  return `${fmt(r.median, digits)} (${fmt(r.min, digits)}–${fmt(r.max, digits)})`;
}

/** "Headroom / best anchor" for a figure where lower is better; null where either is missing. */
export const isHeadroom = (killer: string): boolean => killer.startsWith('headroom');

export function ratioToBestAnchor(cells: readonly Cell[], workload: string, pick: (c: Cell) => number | null, ownKiller = 'headroom'): { ratio: number; anchor: string } | null {
  const own = cells.find((c) => c.workload === workload && c.killer === ownKiller);
  const ownValue = own ? pick(own) : null;
  if (ownValue === null) return null;
  let best: { value: number; killer: string } | null = null;
  for (const c of cells) {
    if (c.workload !== workload || isHeadroom(c.killer)) continue;
    const v = pick(c);
    if (v === null) continue;
    if (best === null || v < best.value) best = { value: v, killer: c.killer };
  }
  if (best === null || best.value <= 0) return null;
  return { ratio: ownValue / best.value, anchor: best.killer };
}

/** Median seconds to kill, counting a run that hit the cap as the cap (so a never-kill loses). */
export function killTimeForRatio(c: Cell, capS: number): number | null {
  if (c.runs === 0) return null;
  if (c.killedRuns < c.runs / 2) return capS;
  return c.secondsToKill?.median ?? null;
}

const byLabel = (by: Record<string, number>): string =>
  Object.entries(by).map(([who, n]) => `${who === 'killer' ? 'itself' : who === 'none' ? 'nobody' : who} ${n}`).join(', ');
const diedLabel = (c: Cell): string => {
  const order = ['hog', 'innocent', 'canary', 'browser', 'terminal', 'small app'];
  const ws = Object.entries(c.died).sort(([a], [b]) => order.indexOf(a) - order.indexOf(b));
  return ws.length === 0 ? 'nothing' : ws.map(([who, n]) => `${who} ${n}`).join(', ');
};
const count = (n: number, of: number): string => `${n}/${of}`;

/** The table of the workloads that need a kill (the hog's). */
export function renderTable(cells: readonly Cell[], capS: number): string {
  const lines: string[] = [];
  lines.push('| workload | killer | runs | right victim | wrong kill | s to kill, median (range) | MemAvailable at kill, MiB | canary worst, ms | canary p99, ms | canary worst in the calm before, ms | kernel OOM kills | innocent survived | killed by | what died |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const c of cells) {
    if (!c.needsKill) continue;
    const notKilled = c.runs - c.killedRuns;
    const kill = fmtRange(c.secondsToKill) + (notKilled > 0 ? ` + ${notKilled}× no kill in ${capS} s` : '');
    lines.push(
      `| ${workloadLabel(c.workload)} | ${killerLabel(c.killer)} | ${c.runs} | ${c.rightVictimPct} % | ${count(c.wrongKills, c.runs)} | ${kill} | ${fmtRange(c.memAvailableAtKillMiB, 0)} | ${fmtRange(c.canaryWorstMs, 0)} | ${fmtRange(c.canaryP99Ms, 0)} | ${fmtRange(c.canaryCalmWorstMs, 0)} | ${c.kernelOomKills} | ${c.innocentSurvived}/${c.runs} | ${byLabel(c.killedBy)} | ${diedLabel(c)} |`,
    );
  }
  return lines.join('\n');
}

/**
 * The table of the workloads that need no kill: the right verdict is that nothing died; a
 * time to kill means nothing there, so the hog's own stop and the lowest MemAvailable stand
 * in its place.
 */
export function renderNoKillTable(cells: readonly Cell[]): string {
  const lines: string[] = [];
  lines.push('| workload | killer | runs | nothing died (right) | needless kill | wrong kill | hog exited by itself | MemAvailable at the hog\'s stop, MiB | at its stop, % of RAM | lowest MemAvailable, MiB | zram: data / memory used | canary worst, ms | canary p99, ms | canary worst in the calm before, ms | kernel OOM kills | the killer\'s kill lines | what died |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const c of cells) {
    if (c.needsKill) continue;
    lines.push(
      `| ${workloadLabel(c.workload)} | ${killerLabel(c.killer)} | ${c.runs} | ${c.rightVictimPct} % | ${count(c.needlessKills ?? 0, c.runs)} | ${count(c.wrongKills, c.runs)} | ${count(c.exitedItself, c.runs)} | ${fmtRange(c.memAvailableAtStopMiB, 0)} | ${fmtRange(c.memAvailableAtStopPct, 1)} | ${fmtRange(c.lowestMemAvailableMiB, 0)} | ${fmtRange(c.zramRatio, 2)} | ${fmtRange(c.canaryWorstMs, 0)} | ${fmtRange(c.canaryP99Ms, 0)} | ${fmtRange(c.canaryCalmWorstMs, 0)} | ${c.kernelOomKills} | ${c.killerKills} | ${diedLabel(c)} |`,
    );
  }
  return lines.length > 2 ? lines.join('\n') : '';
}

/**
 * The anchor that did best in a workload: the most right verdicts, then the fewest wrong and
 * needless kills, then the shortest median time to kill (workloads that need a kill) or the
 * lowest median canary worst (those that need none).
 */
export function bestAnchor(cells: readonly Cell[], workload: string, capS: number): Cell | null {
  const anchors = cells.filter((c) => c.workload === workload && !isHeadroom(c.killer) && c.runs > 0);
  const score = (c: Cell): number[] => [
    -c.rightVictimPct, c.wrongKills / c.runs, (c.needlessKills ?? 0) / c.runs,
    c.needsKill ? (killTimeForRatio(c, capS) ?? capS) : (c.canaryWorstMs?.median ?? Infinity),
  ];
  const cmp = (a: Cell, b: Cell): number => {
    const x = score(a);
    const y = score(b);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
    return 0;
  };
  return anchors.length === 0 ? null : [...anchors].sort(cmp)[0]!;
}

/**
 * The README's one table: per workload, Headroom (today's defaults) against the best anchor,
 * as counts of right verdicts, needless and wrong kills over the runs, and the median time to
 * kill (or, where no kill is needed, the lowest MemAvailable).
 */
export function renderHeadline(cells: readonly Cell[], capS: number, own = 'headroom'): string {
  const lines: string[] = [];
  lines.push(`| workload | kill needed | ${killerLabel(own)}: runs, right, needless, wrong | median s to kill / lowest MemAvailable | best anchor | its runs, right, needless, wrong | median s to kill / lowest MemAvailable |`);
  lines.push('|---|---|---|---|---|---|---|');
  const verdicts = (c: Cell | null | undefined): string => {
    if (!c) return 'no runs yet';
    const right = Math.round((c.rightVictimPct * c.runs) / 100);
    return `${c.runs} run${c.runs === 1 ? '' : 's'}: ${right} right, ${c.needlessKills === null ? '–' : c.needlessKills} needless, ${c.wrongKills} wrong`;
  };
  const figure = (c: Cell | null | undefined): string => {
    if (!c) return '–';
    if (!c.needsKill) return c.lowestMemAvailableMiB ? `${fmt(c.lowestMemAvailableMiB.median, 0)} MiB` : '–';
    const t = killTimeForRatio(c, capS);
    const missed = c.runs - c.killedRuns;
    return t === null ? '–' : `${t.toFixed(1)} s${missed > 0 ? ` (${missed}× no kill in ${capS} s)` : ''}`;
  };
  for (const w of WORKLOADS) {
    const mine = cells.find((c) => c.workload === w.id && c.killer === own);
    const best = bestAnchor(cells, w.id, capS);
    lines.push(`| ${w.label} | ${w.needsKill ? 'yes' : 'no'} | ${verdicts(mine)} | ${figure(mine)} | ${best ? killerLabel(best.killer) : '–'} | ${best ? verdicts(best) : 'no runs yet'} | ${figure(best)} |`);
  }
  return lines.join('\n');
}

export function renderRatios(cells: readonly Cell[], capS: number): string {
  const lines: string[] = [];
  lines.push('| workload | Headroom | s to kill: Headroom / best anchor | canary worst: Headroom / best anchor | canary p99: Headroom / best anchor |');
  lines.push('|---|---|---|---|---|');
  const show = (r: { ratio: number; anchor: string } | null): string =>
    r === null ? '–' : `${r.ratio.toFixed(2)} (vs ${killerLabel(r.anchor)})${r.ratio <= 1 ? '' : ' **Headroom slower**'}`;
  for (const w of WORKLOADS) {
    if (!w.needsKill) continue;
    for (const own of OWN_KILLERS) {
      if (!cells.some((c) => c.workload === w.id && c.killer === own)) continue;
      lines.push(
        `| ${w.label} | ${killerLabel(own)} | ${show(ratioToBestAnchor(cells, w.id, (c) => killTimeForRatio(c, capS), own))} | ${show(ratioToBestAnchor(cells, w.id, (c) => c.canaryWorstMs?.median ?? null, own))} | ${show(ratioToBestAnchor(cells, w.id, (c) => c.canaryP99Ms?.median ?? null, own))} |`,
      );
    }
  }
  return lines.join('\n');
}
