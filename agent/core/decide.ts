// The decision, as a pure function of (snapshot, what the policy remembers, config):
//   measure → classify the state → if critical and not cooling down, pick the victim.
// The agent calls decide() on every tick and acts on its `action`; Explain calls it too, so
// "what would die now" is by construction what would die.
import type { AgentState, KillReason } from '../../shared/names.js';
import { formatBytes, formatPct, formatSeconds } from '../../shared/format.js';
import { CALM_HOLD_MS, CALM_LOOK_MARGIN_PCT, CALM_WATCH_MAX_MS, CALM_WATCH_WORST_RATE_BYTES_PER_S, MAX_RATE_INTERVAL_MS, POLL_ELEVATED_MS, RATE_SMOOTHING, type PolicyConfig } from './constants.js';
import type { MemInfo } from './meminfo.js';
import { stallPct } from './psi.js';
import { rankVictims, selectVictim, type RankedCandidate } from './rank.js';
import type { Snapshot } from './snapshot.js';

/** What the policy carries from one tick to the next. Plain data: it is logged and tested. */
export interface PolicyMemory {
  state: AgentState;
  prev: { atMs: number; fullTotalUs: number; someTotalUs: number; memAvailableBytes: number } | null;
  /** Smoothed rate at which MemAvailable is falling, bytes/s (negative while it rises). */
  declineBytesPerSec: number;
  fullAboveSinceMs: number | null;
  calmSinceMs: number | null;
  lastKill: { atMs: number; unit: string } | null;
}

export const INITIAL_MEMORY: PolicyMemory = {
  state: 'calm',
  prev: null,
  declineBytesPerSec: 0,
  fullAboveSinceMs: null,
  calmSinceMs: null,
  lastKill: null,
};

export interface Measures {
  fullRecentPct: number;
  someRecentPct: number;
  memAvailablePct: number;
  /** 0 when there is no swap. */
  swapFreePct: number;
  declineBytesPerSec: number;
  /** ms until MemAvailable reaches zero at the current decline; Infinity when not declining. */
  exhaustionInMs: number;
}

export type Action =
  | { kind: 'none' }
  | { kind: 'kill'; reason: Exclude<KillReason, 'manual'>; victim: RankedCandidate };

export interface Decision {
  state: AgentState;
  memory: PolicyMemory;
  measures: Measures;
  action: Action;
  /** One sentence: why this state, and why this victim (or why none). */
  because: string;
  ranked: RankedCandidate[];
}

export function measure(s: Snapshot, memory: PolicyMemory): Measures {
  const { meminfo } = s;
  const prev = memory.prev;
  const elapsedMs = prev ? s.atMs - prev.atMs : 0;
  const fresh = prev !== null && elapsedMs > 0 && elapsedMs <= MAX_RATE_INTERVAL_MS;
  const fullRecentPct = fresh ? stallPct(prev.fullTotalUs, s.tree.full.totalUs, elapsedMs) : s.tree.full.avg10;
  const someRecentPct = fresh ? stallPct(prev.someTotalUs, s.tree.some.totalUs, elapsedMs) : s.tree.some.avg10;
  let declineBytesPerSec = 0;
  if (fresh) {
    const instant = ((prev.memAvailableBytes - meminfo.memAvailableBytes) / elapsedMs) * 1000;
    declineBytesPerSec = RATE_SMOOTHING * instant + (1 - RATE_SMOOTHING) * memory.declineBytesPerSec;
  }
  const exhaustionInMs = declineBytesPerSec > 0 ? (meminfo.memAvailableBytes / declineBytesPerSec) * 1000 : Infinity;
  return {
    fullRecentPct,
    someRecentPct,
    memAvailablePct: pct(meminfo.memAvailableBytes, meminfo.memTotalBytes),
    swapFreePct: meminfo.swapTotalBytes > 0 ? pct(meminfo.swapFreeBytes, meminfo.swapTotalBytes) : 0,
    declineBytesPerSec,
    exhaustionInMs,
  };
}

const pct = (part: number, whole: number): number => (whole > 0 ? (part / whole) * 100 : 0);

interface Trigger {
  reason: Exclude<KillReason, 'manual'>;
  because: string;
}

/** The first trigger that fires, or null. Pressure first: it is the direct measure of a stall. */
function firedTrigger(s: Snapshot, m: Measures, fullAboveSinceMs: number | null, c: PolicyConfig): Trigger | null {
  if (fullAboveSinceMs !== null && s.atMs - fullAboveSinceMs >= c.pressureDurationMs) {
    return {
      reason: 'pressure',
      because: `full memory pressure ${formatPct(m.fullRecentPct)} stayed at or above ${formatPct(c.pressureFullLimitPct)} for ${formatSeconds(s.atMs - fullAboveSinceMs)}`,
    };
  }
  const noSwapLeft = s.meminfo.swapTotalBytes === 0 || m.swapFreePct < c.swapFreeCriticalPct;
  if (m.memAvailablePct < c.memAvailableCriticalPct && noSwapLeft) {
    const swap = s.meminfo.swapTotalBytes === 0 ? 'there is no swap' : `${formatPct(m.swapFreePct)} of swap is free`;
    return {
      reason: 'exhaustion',
      because: `only ${formatBytes(s.meminfo.memAvailableBytes)} (${formatPct(m.memAvailablePct)}) of memory is available and ${swap}`,
    };
  }
  if (m.memAvailablePct < c.memAvailableElevatedPct && m.exhaustionInMs <= c.exhaustionHorizonMs) {
    return {
      reason: 'exhaustion',
      because: `available memory (${formatBytes(s.meminfo.memAvailableBytes)}) would run out in ${formatSeconds(m.exhaustionInMs)} at ${formatBytes(m.declineBytesPerSec)}/s`,
    };
  }
  return null;
}

const isElevated = (m: Measures, fullAboveSinceMs: number | null, c: PolicyConfig): boolean =>
  fullAboveSinceMs !== null ||
  m.fullRecentPct >= c.elevatedFullPct ||
  m.someRecentPct >= c.elevatedSomePct ||
  m.memAvailablePct < c.memAvailableElevatedPct;

export function decide(s: Snapshot, memory: PolicyMemory, config: PolicyConfig): Decision {
  const m = measure(s, memory);
  const fullAboveSinceMs = m.fullRecentPct >= config.pressureFullLimitPct ? (memory.fullAboveSinceMs ?? s.atMs) : null;
  const trigger = firedTrigger(s, m, fullAboveSinceMs, config);
  const ranked = rankVictims(s.apps);

  let state: AgentState;
  let calmSinceMs: number | null = null;
  if (trigger) state = 'critical';
  else if (isElevated(m, fullAboveSinceMs, config)) state = 'elevated';
  else {
    // Leave a non-calm state only after a quiet hold, so one good sample does not flap the state.
    calmSinceMs = memory.calmSinceMs ?? s.atMs;
    state = memory.state === 'calm' || s.atMs - calmSinceMs >= CALM_HOLD_MS ? 'calm' : 'elevated';
  }

  const next: PolicyMemory = {
    state,
    prev: { atMs: s.atMs, fullTotalUs: s.tree.full.totalUs, someTotalUs: s.tree.some.totalUs, memAvailableBytes: s.meminfo.memAvailableBytes },
    declineBytesPerSec: m.declineBytesPerSec,
    fullAboveSinceMs,
    calmSinceMs,
    lastKill: memory.lastKill,
  };

  if (!trigger) {
    return { state, memory: next, measures: m, action: { kind: 'none' }, because: describeCalm(state, m), ranked };
  }
  if (memory.lastKill && s.atMs - memory.lastKill.atMs < config.cooldownMs) {
    const wait = config.cooldownMs - (s.atMs - memory.lastKill.atMs);
    return { state, memory: next, measures: m, action: { kind: 'none' }, because: `${trigger.because}; waiting ${formatSeconds(wait)} after stopping ${memory.lastKill.unit} for its memory to show as free`, ranked };
  }
  const victim = selectVictim(ranked);
  if (!victim) {
    return { state, memory: next, measures: m, action: { kind: 'none' }, because: `${trigger.because}; but no app may be killed (${describeExclusions(ranked)})`, ranked };
  }
  return {
    state,
    // The pressure window starts over: the next kill must be earned by new pressure.
    memory: { ...next, fullAboveSinceMs: null, lastKill: { atMs: s.atMs, unit: victim.app.unit } },
    measures: m,
    action: { kind: 'kill', reason: trigger.reason, victim },
    because: `${trigger.because}; ${describeVictim(victim, ranked)}`,
    ranked,
  };
}

export function describeVictim(victim: RankedCandidate, ranked: readonly RankedCandidate[]): string {
  const eligible = ranked.filter((c) => c.excluded === '').length;
  const name = victim.app.displayName || victim.app.appId;
  const size = `${formatBytes(victim.app.memoryBytes)}${victim.app.swapBytes > 0 ? ` + ${formatBytes(victim.app.swapBytes)} swap` : ''}`;
  const avoid = victim.app.preference === 'avoid' ? ', avoided but nothing else is left' : '';
  return `${name} is the heaviest of ${eligible} app${eligible === 1 ? '' : 's'} that may be killed (${size}${avoid})`;
}

function describeExclusions(ranked: readonly RankedCandidate[]): string {
  if (ranked.length === 0) return 'no app units are running';
  const counts = new Map<string, number>();
  for (const c of ranked) counts.set(c.excluded, (counts.get(c.excluded) ?? 0) + 1);
  return [...counts].map(([why, n]) => `${n} ${why}`).join(', ');
}

function describeCalm(state: AgentState, m: Measures): string {
  const avail = `${formatPct(m.memAvailablePct)} of memory available`;
  if (state === 'calm') return `memory is fine: ${avail}, full pressure ${formatPct(m.fullRecentPct)}`;
  return `memory is getting tight: ${avail}, full pressure ${formatPct(m.fullRecentPct)}, some pressure ${formatPct(m.someRecentPct)}`;
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
 * SIGTERM grace for a kill. A grace lets a browser flush its session, but it costs memory we
 * may not have: none at or below the hard limit (a loaded lab run gave 2 s at 3.7 % and the
 * kill then took 4 s), none when memory runs out within two graces at the current decline.
 */
export function killGraceMs(m: Measures, config: PolicyConfig): number {
  if (m.memAvailablePct <= config.memAvailableCriticalPct) return 0;
  if (m.exhaustionInMs < 2 * config.killGraceMs) return 0;
  return config.killGraceMs;
}
