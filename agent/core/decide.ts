// The decision, as a pure function of (snapshot, what the policy remembers, config):
//   measure → classify the state → if critical and not cooling down, pick the victim.
// The agent calls decide() on every tick and acts on its `action`; Explain calls it too, so
// "what would die now" is by construction what would die.
//
// A kill must be needed. The measure of need is the runway: MemAvailable plus what swap can
// still absorb (zram at its observed compression ratio, disk swap as it is). Memory is
// exhausted when the runway is below the hard floor, and predictably so when, at its current
// decline, it would reach the floor before a later look could still act. A burst that stops
// above the floor is never killed; a stall kills only while the runway is short too.
import type { AgentState, KillReason } from '../../shared/names.js';
import { formatBytes, formatPct, formatSeconds } from '../../shared/format.js';
import {
  CALM_FULL_TICK_STEADY_MS, CALM_FULL_TICK_WATCHED_MS, CALM_HOLD_MS, CALM_LOOK_MARGIN_PCT, CALM_STEADY_BAND_BYTES, CALM_WATCH_MAX_MS, CALM_WATCH_WORST_RATE_BYTES_PER_S, FAST_LOOK_WITHIN_LOOKS, GROWTH_MAX_INTERVAL_MS,
  MAX_RATE_INTERVAL_MS, POLL_CRITICAL_MS, POLL_ELEVATED_MS, RATE_SMOOTHING, ZRAM_MIN_USEFUL_RATIO, ZRAM_PRIOR_RATIO, ZRAM_RATIO_MIN_DELTA_BYTES, ZRAM_RATIO_MIN_OBSERVED_BYTES,
  type PolicyConfig,
} from './constants.js';
import type { MemInfo } from './meminfo.js';
import { stallPct } from './psi.js';
import { describeReopen, footprintBytes, projectedBytes, rankScore, rankVictims, selectVictim, type RankedCandidate } from './rank.js';
import { childTrendKey, expendableChildToStop, type ChildVerdict, type LastKill } from './relief.js';
import { NO_ASKING, pausedVerdict, pauseVerdict, resumedSince, type AskContext, type PauseMeasures, type PausedUnit } from './pause.js';
import type { ExpendableProcess, OutsideGroup, Snapshot } from './snapshot.js';
import { swapAbsorbBytes, zramTotals } from './swap.js';

/** A unit's (or an outside group's) footprint at its last sample, and how fast it grew. */
export interface Trend {
  atMs: number;
  bytes: number;
  growthBytesPerSec: number;
}

/** What the policy carries from one tick to the next. Plain data: it is logged and tested. */
export interface PolicyState {
  state: AgentState;
  prev: { atMs: number; fullTotalUs: number; someTotalUs: number; memAvailableBytes: number; zramFreeBytes: number; diskFreeBytes: number } | null;
  /** Smoothed rate at which the runway is falling, bytes/s (negative while it rises). */
  declineBytesPerSec: number;
  fullAboveSinceMs: number | null;
  calmSinceMs: number | null;
  /** The last kill decided: its unit, and the marked process stopped in its place (childPid 0: the unit). */
  lastKill: LastKill | null;
  /** Footprint trends by unit name, of outside groups by cgroup path, and of marked processes (childTrendKey). */
  trends: ReadonlyMap<string, Trend>;
  /**
   * zram totals when the ratio was last estimated (same-filled pages left out: zramTotals), and
   * the ratio (null: none observed yet).
   */
  zram: { dataBytes: number; memUsedBytes: number; ratio: number | null };
  /** Measures.lookGapMs of the last look: the pace of looks is the shorter of the last two gaps. */
  lookGapMs: number | null;
  /** Since when memory has been out of calm (null while calm): a pause waits for a settled decline. */
  tightSinceMs: number | null;
  /** The app Headroom paused and waits on (pause.ts), if any. */
  paused: PausedUnit | null;
  /** Units resumed lately (monotonic ms), which are not paused again for PAUSE_AGAIN_MS. */
  resumedAtMs: ReadonlyMap<string, number>;
}

export const INITIAL_POLICY_STATE: PolicyState = {
  state: 'calm',
  prev: null,
  declineBytesPerSec: 0,
  fullAboveSinceMs: null,
  calmSinceMs: null,
  lastKill: null,
  trends: new Map(),
  zram: { dataBytes: 0, memUsedBytes: 0, ratio: null },
  lookGapMs: null,
  tightSinceMs: null,
  paused: null,
  resumedAtMs: new Map(),
};

export interface Measures {
  fullRecentPct: number;
  someRecentPct: number;
  memAvailablePct: number;
  /** 0 when there is no swap. */
  swapFreePct: number;
  /** RAM that swapping out could still win (see swapAbsorbBytes). */
  swapAbsorbBytes: number;
  /** MemAvailable + swapAbsorbBytes: how much more can be allocated before memory is gone. */
  runwayBytes: number;
  runwayPct: number;
  /** zram's observed compression ratio, null where none was observed (or no zram). */
  zramRatio: number | null;
  /** Smoothed decline of the runway, bytes/s. */
  declineBytesPerSec: number;
  /** ms until the runway reaches the hard floor at the current decline; Infinity when not declining. */
  exhaustionInMs: number;
  /** ms from this look until a kill decided at the next look would act: the look interval + the horizon. */
  leadMs: number;
  /** The gap before this look as the pace of looks counts it (a gap begun at a calm look as an elevated poll). */
  lookGapMs: number;
  /** Free swap by kind, the basis of the next look's decline. */
  swapFree: { zram: number; disk: number };
}

export type Action =
  | { kind: 'none' }
  /** child: the process the victim marked to lose first, stopped in its place (relief.ts); null: the whole unit. */
  | { kind: 'kill'; reason: Exclude<KillReason, 'manual'>; victim: RankedCandidate; child: ExpendableProcess | null }
  /** Freeze the victim and ask the user (pause.ts); the policy state already holds it as paused. */
  | { kind: 'pause'; victim: RankedCandidate; paused: PausedUnit }
  /** Thaw the paused app: memory recovered, or it may no longer be stopped. */
  | { kind: 'resume'; victim: RankedCandidate };

export interface Decision {
  state: AgentState;
  policyState: PolicyState;
  measures: Measures;
  action: Action;
  /** One sentence: why this state, and why this victim (or why none). */
  because: string;
  ranked: RankedCandidate[];
  /** Set when memory ran out but its heaviest user is out of Headroom's reach, so nothing was stopped. */
  outOfReach: OutsideGroup | null;
  /** Who would go if memory ran out now, in every state: what warnings and explain() name. */
  next: NextToGo;
  /**
   * For next's victim: the marked process (a tab) that would go in its place, and why or why
   * not. Taken on the runway as it is when critical, else as if it were down to the floor
   * ("if memory ran out now"); the kill's child is this one.
   */
  nextRelief: ChildVerdict;
}

/**
 * Who would be stopped if memory ran out now. 'out-of-reach': the heaviest user is a group
 * Headroom cannot stop, and stopping the smaller victim in its place would only lose work.
 * Decided in one place (nextToGo) for the kill, the warning on leaving calm, and explain().
 */
export type NextToGo =
  | { kind: 'victim'; victim: RankedCandidate }
  | { kind: 'out-of-reach'; outside: OutsideGroup; victim: RankedCandidate }
  | { kind: 'nothing' };

const pct = (part: number, whole: number): number => (whole > 0 ? (part / whole) * 100 : 0);
const floorBytes = (s: Snapshot, c: PolicyConfig): number => (s.meminfo.memTotalBytes * c.memAvailableCriticalPct) / 100;

/**
 * The compression ratio of what went into zram lately: from the growth since the last estimate
 * once it is ZRAM_RATIO_MIN_DELTA_BYTES, else the last estimate, else (none yet) all it holds.
 * The recent ratio, not the overall one: pages compressed well an hour ago say nothing about
 * the incompressible hog swapping now. Same-filled pages are left out (zramTotals): zram keeps
 * them for nothing, so idle apps' zeroed pages going first read as 46:1, and the hog's random
 * pages after them cut the runway to MemAvailable in one look (bench run 2 of 2026-12-02:
 * 14 MiB in zram for 2 MiB of RAM, then 1:1, decided at 0 B available).
 */
export function observeZram(s: Snapshot, prev: PolicyState['zram']): PolicyState['zram'] {
  const now = zramTotals(s.swaps);
  if (now.dataBytes === 0) return { ...now, ratio: null };
  const grown = now.dataBytes - prev.dataBytes;
  if (grown < 0) return { ...now, ratio: prev.ratio }; // pages came back in: a new baseline, same ratio
  if (grown >= ZRAM_RATIO_MIN_DELTA_BYTES) return { ...now, ratio: clampRatio(grown / Math.max(1, now.memUsedBytes - prev.memUsedBytes)) };
  if (prev.ratio === null && now.dataBytes >= ZRAM_RATIO_MIN_OBSERVED_BYTES) return { ...now, ratio: clampRatio(now.dataBytes / Math.max(1, now.memUsedBytes)) };
  return prev; // too little new data: keep the baseline and the estimate
}
// Same-filled pages cost zram nothing, so a ratio can be huge; 50:1 is already "free".
const clampRatio = (r: number): number => Math.min(50, Math.max(1, r));

export function measure(s: Snapshot, prior: PolicyState, config: PolicyConfig, zram: PolicyState['zram'] = observeZram(s, prior.zram)): Measures {
  const { meminfo } = s;
  const prev = prior.prev;
  const elapsedMs = prev ? s.atMs - prev.atMs : 0;
  const fresh = prev !== null && elapsedMs > 0 && elapsedMs <= MAX_RATE_INTERVAL_MS;
  const fullRecentPct = fresh ? stallPct(prev.fullTotalUs, s.tree.full.totalUs, elapsedMs) : s.tree.full.avg10;
  const someRecentPct = fresh ? stallPct(prev.someTotalUs, s.tree.some.totalUs, elapsedMs) : s.tree.some.avg10;
  const swapFreePct = meminfo.swapTotalBytes > 0 ? pct(meminfo.swapFreeBytes, meminfo.swapTotalBytes) : 0;
  const ratio = zram.ratio ?? ZRAM_PRIOR_RATIO;
  const swapAbsorb = meminfo.swapTotalBytes > 0 && swapFreePct >= config.swapFreeCriticalPct ? swapAbsorbBytes(effectiveSwaps(s), ratio) : 0;
  const runwayBytes = meminfo.memAvailableBytes + swapAbsorb;
  const free = swapFree(s);
  let declineBytesPerSec = 0;
  if (fresh) {
    // The decline is what allocation takes, valued at today's ratio at both ends: a new estimate
    // of zram's ratio moves the runway, not the rate (a swing 3:1 → 1.5:1 read as 3 GiB/s would
    // kill a burst that fits).
    const gain = swapAbsorb > 0 && ratio >= ZRAM_MIN_USEFUL_RATIO ? 1 - 1 / ratio : 0;
    const taken = (prev.memAvailableBytes - meminfo.memAvailableBytes) + (prev.zramFreeBytes - free.zram) * gain + (swapAbsorb > 0 ? prev.diskFreeBytes - free.disk : 0);
    const instant = (taken / elapsedMs) * 1000;
    declineBytesPerSec = RATE_SMOOTHING * instant + (1 - RATE_SMOOTHING) * prior.declineBytesPerSec;
  }
  const aboveFloor = runwayBytes - floorBytes(s, config);
  const exhaustionInMs = declineBytesPerSec > 0 ? Math.max(0, (aboveFloor / declineBytesPerSec) * 1000) : Infinity;
  // The next look comes about as long after this one as the last ones came (a loaded machine
  // stretches them all); never sooner than the fastest poll. Two exceptions, both seen in the
  // benchmark's storms. A gap that began at a calm look says nothing of the looks to come:
  // calm looks sleep on purpose, and a calm tick waits for every unit, which a storm slows to a
  // second (run 289 took such a gap for the pace and killed a burst that stopped at 10 %). And
  // one long gap is not yet a slow machine: the look that leaves calm also warns and signals,
  // which held the next look back 0.8-1.3 s in the same storms. So the pace is the shorter of
  // the last two gaps: a machine that is really slow shows it twice.
  const gapMs = fresh && prior.state !== 'calm' ? elapsedMs : POLL_ELEVATED_MS;
  const intervalMs = Math.max(POLL_CRITICAL_MS, Math.min(gapMs, prior.lookGapMs ?? gapMs));
  return {
    fullRecentPct,
    someRecentPct,
    memAvailablePct: pct(meminfo.memAvailableBytes, meminfo.memTotalBytes),
    swapFreePct,
    swapAbsorbBytes: swapAbsorb,
    runwayBytes,
    runwayPct: pct(runwayBytes, meminfo.memTotalBytes),
    zramRatio: zram.ratio,
    declineBytesPerSec,
    exhaustionInMs,
    leadMs: intervalMs + config.exhaustionHorizonMs,
    lookGapMs: gapMs,
    swapFree: free,
  };
}

/** Free swap by kind, bytes. */
function swapFree(s: Snapshot): { zram: number; disk: number } {
  let zram = 0;
  let disk = 0;
  for (const d of effectiveSwaps(s)) {
    const free = Math.max(0, d.sizeBytes - d.usedBytes);
    if (d.kind === 'zram') zram += free;
    else disk += free;
  }
  return { zram, disk };
}

/** /proc/swaps when it was read; else meminfo's totals, counted as disk swap. */
function effectiveSwaps(s: Snapshot): Snapshot['swaps'] {
  if (s.swaps.length > 0) return s.swaps;
  const m = s.meminfo;
  return [{ path: 'swap', kind: 'disk', sizeBytes: m.swapTotalBytes, usedBytes: m.swapTotalBytes - m.swapFreeBytes, zram: null }];
}

interface Trigger {
  reason: Exclude<KillReason, 'manual'>;
  because: string;
}

function describeRunway(s: Snapshot, m: Measures): string {
  const avail = `${formatBytes(s.meminfo.memAvailableBytes)} (${formatPct(m.memAvailablePct)}) of memory is available`;
  if (s.meminfo.swapTotalBytes === 0) return `${avail} and there is no swap`;
  if (m.swapAbsorbBytes <= 0) {
    const zram = s.swaps.some((d) => d.kind === 'zram');
    const why = zram && m.zramRatio !== null && m.zramRatio < ZRAM_MIN_USEFUL_RATIO ? `what goes into zram hardly compresses (${m.zramRatio.toFixed(1)}:1)`
      : `${formatPct(m.swapFreePct)} of swap is free`;
    return `${avail} and swap can take no more (${why})`;
  }
  const zram = s.swaps.some((d) => d.kind === 'zram');
  const how = !zram ? '' : m.zramRatio !== null ? ` (zram compresses ${m.zramRatio.toFixed(1)}:1)` : ` (zram counted at ${ZRAM_PRIOR_RATIO}:1 until it shows its own ratio)`;
  return `${avail} and swap can still take ${formatBytes(m.swapAbsorbBytes)}${how}`;
}

/** The first trigger that fires, or null. Pressure first: it is the direct measure of a stall. */
function firedTrigger(s: Snapshot, m: Measures, fullAboveSinceMs: number | null, c: PolicyConfig): Trigger | null {
  // A stall with memory to spare is not relieved by a kill (reclaim or a unit's own limit is
  // stalling, not a shortage): it counts only while the runway is short too.
  if (fullAboveSinceMs !== null && s.atMs - fullAboveSinceMs >= c.pressureDurationMs && m.runwayPct < c.memAvailableElevatedPct) {
    return {
      reason: 'pressure',
      because: `full memory pressure ${formatPct(m.fullRecentPct)} stayed at or above ${formatPct(c.pressureFullLimitPct)} for ${formatSeconds(s.atMs - fullAboveSinceMs)} while ${describeRunway(s, m)}`,
    };
  }
  if (m.runwayPct < c.memAvailableCriticalPct) {
    return { reason: 'exhaustion', because: `only ${describeRunway(s, m)}` };
  }
  if (m.exhaustionInMs <= m.leadMs) {
    return {
      reason: 'exhaustion',
      because: `memory would be gone in ${formatSeconds(m.exhaustionInMs)} at ${formatBytes(m.declineBytesPerSec)}/s, before another look could act (${describeRunway(s, m)})`,
    };
  }
  return null;
}

const isElevated = (m: Measures, fullAboveSinceMs: number | null, c: PolicyConfig): boolean =>
  fullAboveSinceMs !== null ||
  m.fullRecentPct >= c.elevatedFullPct ||
  m.someRecentPct >= c.elevatedSomePct ||
  m.memAvailablePct < c.memAvailableElevatedPct;

/**
 * Footprint trends of this snapshot's units and outside groups, from the last ones, at the
 * time the units were read (unitsAtMs). Units a look reused from an earlier read carry their
 * trend as it was: the same bytes again are no sign that growth stopped.
 */
export function nextTrends(s: Snapshot, previous: ReadonlyMap<string, Trend>): Map<string, Trend> {
  const out = new Map<string, Trend>();
  const atMs = s.unitsAtMs;
  const note = (key: string, bytes: number): void => {
    const last = previous.get(key);
    if (last && last.atMs >= atMs) {
      out.set(key, last);
      return;
    }
    const elapsedMs = last ? atMs - last.atMs : 0;
    let growthBytesPerSec = 0;
    if (last && elapsedMs > 0 && elapsedMs <= GROWTH_MAX_INTERVAL_MS) {
      const instant = ((bytes - last.bytes) / elapsedMs) * 1000;
      growthBytesPerSec = RATE_SMOOTHING * instant + (1 - RATE_SMOOTHING) * last.growthBytesPerSec;
    }
    out.set(key, { atMs, bytes, growthBytesPerSec });
  };
  for (const a of s.apps) {
    note(a.unit, footprintBytes(a));
    for (const p of a.expendable) note(childTrendKey(a.unit, p), p.unreclaimableBytes);
  }
  for (const g of s.outside) note(g.cgroup, g.unreclaimableBytes);
  return out;
}

const growthMap = (trends: ReadonlyMap<string, Trend>): Map<string, number> => new Map([...trends].map(([k, t]) => [k, t.growthBytesPerSec]));

/**
 * The heaviest group outside Headroom's reach, when it outweighs the victim (footprint plus
 * growth, as the ranking counts) and grows at least as fast: then it is the hog, and stopping
 * the victim would only lose the user's work.
 */
function outweighingOutside(s: Snapshot, victim: RankedCandidate, trends: ReadonlyMap<string, Trend>): OutsideGroup | null {
  let best: { g: OutsideGroup; score: number; growth: number } | null = null;
  for (const g of s.outside) {
    const growth = Math.max(0, trends.get(g.cgroup)?.growthBytesPerSec ?? 0);
    const score = projectedBytes(g.unreclaimableBytes, growth);
    if (!best || score > best.score) best = { g, score, growth };
  }
  if (!best || best.score <= rankScore(victim) || best.growth < victim.growthBytesPerSec) return null;
  return best.g;
}

export function nextToGo(s: Snapshot, ranked: readonly RankedCandidate[], trends: ReadonlyMap<string, Trend>): NextToGo {
  const victim = selectVictim(ranked);
  if (!victim) return { kind: 'nothing' };
  const outside = outweighingOutside(s, victim, trends);
  return outside ? { kind: 'out-of-reach', outside, victim } : { kind: 'victim', victim };
}

export function decide(s: Snapshot, prior: PolicyState, config: PolicyConfig, ask: AskContext = NO_ASKING): Decision {
  const zram = observeZram(s, prior.zram);
  const m = measure(s, prior, config, zram);
  const fullAboveSinceMs = m.fullRecentPct >= config.pressureFullLimitPct ? (prior.fullAboveSinceMs ?? s.atMs) : null;
  const trigger = firedTrigger(s, m, fullAboveSinceMs, config);
  const trends = nextTrends(s, prior.trends);
  const ranked = rankVictims(s.apps, growthMap(trends), s.atMs);
  const nextUp = nextToGo(s, ranked, trends);

  let state: AgentState;
  let calmSinceMs: number | null = null;
  if (trigger) state = 'critical';
  else if (isElevated(m, fullAboveSinceMs, config)) state = 'elevated';
  else {
    // Leave a non-calm state only after a quiet hold, so one good sample does not flap the state.
    calmSinceMs = prior.calmSinceMs ?? s.atMs;
    state = prior.state === 'calm' || s.atMs - calmSinceMs >= CALM_HOLD_MS ? 'calm' : 'elevated';
  }

  // The paused app: gone (quit, or stopped by someone) is forgotten; else it is ranked as any.
  const pausedApp = prior.paused ? ranked.find((c) => c.app.unit === prior.paused!.unit && c.app.processCount > 0) : undefined;
  const next: PolicyState = {
    state,
    prev: {
      atMs: s.atMs, fullTotalUs: s.tree.full.totalUs, someTotalUs: s.tree.some.totalUs, memAvailableBytes: s.meminfo.memAvailableBytes,
      zramFreeBytes: m.swapFree.zram, diskFreeBytes: m.swapFree.disk,
    },
    declineBytesPerSec: m.declineBytesPerSec,
    fullAboveSinceMs,
    calmSinceMs,
    lastKill: prior.lastKill,
    trends,
    zram,
    lookGapMs: m.lookGapMs,
    tightSinceMs: state === 'calm' ? null : (prior.tightSinceMs ?? s.atMs),
    paused: pausedApp ? prior.paused : null,
    resumedAtMs: resumedSince(prior.resumedAtMs, s.atMs),
  };
  // Least loss: a tab the app marked to lose first, in place of the whole app, where that is enough.
  const floor = floorBytes(s, config);
  const relief: ChildVerdict = nextUp.kind !== 'victim' ? { child: null, because: '' }
    : expendableChildToStop(nextUp.victim, { runwayBytes: trigger ? m.runwayBytes : floor, floorBytes: floor, declineBytesPerSec: m.declineBytesPerSec },
      (p) => trends.get(childTrendKey(nextUp.victim.app.unit, p))?.growthBytesPerSec, prior.lastKill, s.atMs);
  const none = (because: string, outOfReach: OutsideGroup | null = null): Decision =>
    ({ state, policyState: next, measures: m, action: { kind: 'none' }, because, ranked, outOfReach, next: nextUp, nextRelief: relief });

  const pm: PauseMeasures = {
    availableBytes: s.meminfo.memAvailableBytes, stalling: m.fullRecentPct >= config.elevatedFullPct, runwayBytes: m.runwayBytes, floorBytes: floor, declineBytesPerSec: m.declineBytesPerSec, exhaustionInMs: m.exhaustionInMs, swapAbsorbBytes: m.swapAbsorbBytes,
  };

  if (!trigger) {
    if (next.paused && pausedApp) {
      const verdict = pausedVerdict(next.paused, pausedApp, pm, s.atMs);
      if (verdict.kind === 'resume') {
        return {
          ...none(verdict.because),
          policyState: { ...next, paused: null, resumedAtMs: resumedSince(next.resumedAtMs, s.atMs, pausedApp.app.unit) },
          action: { kind: 'resume', victim: pausedApp },
        };
      }
      if (verdict.kind === 'wait' || (prior.lastKill && s.atMs - prior.lastKill.atMs < config.cooldownMs)) return none(`${describeCalm(state, m)}; ${verdict.because}`);
      return {
        ...none(`${verdict.because}; ${describeVictim(pausedApp, ranked)}`),
        policyState: { ...next, paused: null, fullAboveSinceMs: null, lastKill: { atMs: s.atMs, unit: pausedApp.app.unit, childPid: 0 } },
        action: { kind: 'kill', reason: 'exhaustion', victim: pausedApp, child: null },
      };
    }
    if (nextUp.kind === 'victim' && !next.paused) {
      const tightForMs = next.tightSinceMs === null ? 0 : s.atMs - next.tightSinceMs;
      const verdict = pauseVerdict(nextUp.victim, pm, config.pauseAnswerMs, ask, tightForMs, next.resumedAtMs, relief.child !== null, s.atMs);
      if (verdict.pause) {
        const paused: PausedUnit = {
          unit: nextUp.victim.app.unit, atMs: s.atMs, untilMs: verdict.untilMs, untilWallMs: s.wallMs + (verdict.untilMs - s.atMs),
          growthBytesPerSec: nextUp.victim.growthBytesPerSec, footprintBytes: footprintBytes(nextUp.victim.app),
        };
        return {
          ...none(`${describeCalm(state, m)}; ${verdict.because}`),
          policyState: { ...next, paused },
          action: { kind: 'pause', victim: nextUp.victim, paused },
        };
      }
      // Why it is not paused, where the question arises at all (headroom explain shows it).
      if (verdict.because !== '') return none(`${describeCalm(state, m)}; ${verdict.because}`);
    }
    return none(describeCalm(state, m));
  }
  if (prior.lastKill && s.atMs - prior.lastKill.atMs < config.cooldownMs) {
    const wait = config.cooldownMs - (s.atMs - prior.lastKill.atMs);
    return none(`${trigger.because}; waiting ${formatSeconds(wait)} after stopping ${prior.lastKill.unit} for its memory to show as free`);
  }
  if (nextUp.kind === 'nothing') return none(`${trigger.because}; but nothing may be stopped (${describeExclusions(ranked)})`);
  const { victim } = nextUp;
  if (nextUp.kind === 'out-of-reach') {
    const { outside } = nextUp;
    return none(`${trigger.because}; but ${describeOutOfReach(outside, victim)}`, outside);
  }
  return {
    state,
    // The pressure window starts over: the next kill must be earned by new pressure.
    policyState: {
      ...next, fullAboveSinceMs: null, lastKill: { atMs: s.atMs, unit: victim.app.unit, childPid: relief.child?.pid ?? 0 },
      paused: next.paused?.unit === victim.app.unit && relief.child === null ? null : next.paused,
    },
    measures: m,
    action: { kind: 'kill', reason: trigger.reason, victim, child: relief.child },
    because: `${trigger.because}; ${describeVictim(victim, ranked)}${relief.because !== '' ? `; ${relief.because}` : ''}`,
    ranked,
    outOfReach: null,
    next: nextUp,
    nextRelief: relief,
  };
}

/** Page cache beside the footprint is named in the reason once it is this big (it explains a rank). */
const PAGE_CACHE_WORTH_SAYING_BYTES = 64 * 1024 * 1024;
const nameOf = (c: RankedCandidate): string => c.app.displayName || c.app.appId;

/** "the heaviest user of memory is python3 (pid 4321) in your login session 3 with 1.2 GiB, …" */
export function describeOutOfReach(outside: OutsideGroup, victim: RankedCandidate): string {
  const who = outside.topComm !== '' ? `${outside.topComm} (pid ${outside.topPid}) in ${outside.label}` : outside.label;
  return `the heaviest user of memory is ${who} with ${formatBytes(outside.unreclaimableBytes)}, which Headroom cannot stop: not stopping the smaller ${nameOf(victim)} in its place`;
}

export function describeVictim(victim: RankedCandidate, ranked: readonly RankedCandidate[]): string {
  const eligible = ranked.filter((c) => c.excluded === '').length;
  const { app } = victim;
  const parts = [`${formatBytes(footprintBytes(app))} that only a kill frees`];
  const cacheBytes = app.memoryBytes - (footprintBytes(app) - app.swapBytes);
  if (cacheBytes >= PAGE_CACHE_WORTH_SAYING_BYTES) parts[0] += `; ${formatBytes(cacheBytes)} more is page cache`;
  if (app.swapBytes > 0) parts.push(`${formatBytes(app.swapBytes)} of it in swap`);
  if (victim.growthBytesPerSec >= 1024 * 1024) parts.push(`growing ${formatBytes(victim.growthBytesPerSec)}/s`);
  if (app.preference === 'avoid') parts.push('avoided but nothing else is left');
  const reopen = describeReopen(victim, ranked);
  if (reopen.part !== '') parts.push(reopen.part);
  return `${nameOf(victim)} is the heaviest of ${eligible} unit${eligible === 1 ? '' : 's'} that may be stopped (${parts.join(', ')})${reopen.tail}`;
}

function describeExclusions(ranked: readonly RankedCandidate[]): string {
  if (ranked.length === 0) return 'no app, terminal job or other unit of yours is running';
  const counts = new Map<string, number>();
  for (const c of ranked) counts.set(c.excluded, (counts.get(c.excluded) ?? 0) + 1);
  return [...counts].map(([why, n]) => `${n} ${why}`).join(', ');
}

function describeCalm(state: AgentState, m: Measures): string {
  const avail = `${formatPct(m.memAvailablePct)} of memory available`;
  const swap = m.swapAbsorbBytes > 0 ? ` (${formatPct(m.runwayPct)} counting what swap can absorb)` : '';
  if (state === 'calm') return `memory is fine: ${avail}${swap}, full pressure ${formatPct(m.fullRecentPct)}`;
  return `memory is getting tight: ${avail}${swap}, full pressure ${formatPct(m.fullRecentPct)}, some pressure ${formatPct(m.someRecentPct)}`;
}

/**
 * How long a calm agent may sleep: half the time a hog at CALM_WATCH_WORST_RATE_BYTES_PER_S
 * would need to bring MemAvailable down to the elevated level, within
 * [POLL_ELEVATED_MS, CALM_WATCH_MAX_MS].
 */
export function calmWatchIntervalMs(meminfo: MemInfo, config: PolicyConfig): number {
  const marginBytes = meminfo.memAvailableBytes - (meminfo.memTotalBytes * config.memAvailableElevatedPct) / 100;
  const ms = (marginBytes / CALM_WATCH_WORST_RATE_BYTES_PER_S) * 1000 / 2;
  return Math.round(Math.min(CALM_WATCH_MAX_MS, Math.max(POLL_ELEVATED_MS, ms)));
}

/**
 * How long to wait before the next look while not calm: critical looks fast; elevated looks
 * fast too once the floor is only a few slow looks away at the current decline, since the
 * prediction can only be as late as the looks are far apart.
 */
export function nextLookMs(d: Pick<Decision, 'state' | 'measures'>): number {
  if (d.state === 'critical') return POLL_CRITICAL_MS;
  return d.measures.exhaustionInMs <= FAST_LOOK_WITHIN_LOOKS * POLL_ELEVATED_MS ? POLL_CRITICAL_MS : POLL_ELEVATED_MS;
}

/**
 * While calm, does a look at /proc/meminfo alone call for a full tick? Only near the elevated
 * level can the state leave calm without a stall (stalls wake the agent through PSI triggers),
 * and only a full tick can decide that.
 */
export function calmLookWantsTick(meminfo: MemInfo, config: PolicyConfig): boolean {
  if (meminfo.memTotalBytes <= 0) return true;
  const availablePct = (meminfo.memAvailableBytes / meminfo.memTotalBytes) * 100;
  return availablePct < config.memAvailableElevatedPct + CALM_LOOK_MARGIN_PCT;
}

/**
 * While calm with the units watched (new ones wake a tick themselves), is the regular full tick
 * due, `sinceLastMs` after the last one, with MemAvailable moved by `availableMovedBytes` since?
 * Every CALM_FULL_TICK_WATCHED_MS while memory moves, every CALM_FULL_TICK_STEADY_MS while it
 * holds within CALM_STEADY_BAND_BYTES (either way: a unit can grow while another frees).
 */
export function calmFullTickDue(sinceLastMs: number, availableMovedBytes: number): boolean {
  if (sinceLastMs >= CALM_FULL_TICK_STEADY_MS) return true;
  // NaN (no full tick yet) is not steady.
  return sinceLastMs >= CALM_FULL_TICK_WATCHED_MS && !(Math.abs(availableMovedBytes) < CALM_STEADY_BAND_BYTES);
}

/**
 * SIGTERM grace for a kill. A grace lets a browser flush its session, but it costs memory we
 * may not have: none at or below the hard floor (a loaded lab run gave 2 s at 3.7 % and the
 * kill then took 4 s), none when memory runs out within two graces at the current decline.
 */
export function graceMsFor(m: Measures, config: PolicyConfig): number {
  if (m.runwayPct <= config.memAvailableCriticalPct) return 0;
  if (m.exhaustionInMs < 2 * config.killGraceMs) return 0;
  return config.killGraceMs;
}
