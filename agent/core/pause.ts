// Pause and ask: when memory runs out slowly and one app is what uses it up, freeze that app
// and let the user decide (Resume, Quit, Force quit) instead of stopping it outright, as macOS
// suspends the heaviest app and shows Force Quit. Pure: decide() calls these on its measures.
//
// A pause must buy time and lose nothing; so it is tried only when all of these hold:
//   - there is someone to ask (a notification server the app is not part of) and time to ask:
//     memory would run out between PAUSE_MIN_EXHAUSTION_MS and PAUSE_HORIZON_MS from now, at a
//     decline watched for PAUSE_SETTLE_MS;
//   - swap still takes memory: a frozen app keeps what it holds, and only swap can move it out
//     of the desktop's way (without swap a pause leaves the desktop at the floor: no pause);
//   - the app is the runaway (PAUSE_RUNAWAY_SHARE of the decline is its own growth) and without
//     its growth memory holds for PAUSE_ANSWER_MIN_MS;
//   - MemAvailable itself is still above the floor. The kernel swaps anonymous pages only once
//     the page cache is used up, that is with MemAvailable near 0 (bench run 365: 10-17 MiB of
//     2 GiB for 45 s while zram filled, full pressure 12-20 %): a pause is what keeps the
//     desktop out of that, and once there it would only stall it further;
//   - memory (not swap) lacks room for PAUSE_RECOVERED_ROOM_MS of its growth: with that room it
//     would be resumed at the next look;
//   - the app is one the user launched (an app, a snap, a terminal tab's job), the least-loss
//     choice is not one of its tabs (relief.ts stops that instead), and it was not resumed
//     within PAUSE_AGAIN_MS.
// While it is paused: the desktop stalls on memory with MemAvailable at the floor (the frozen app
// holds what it needs, whatever the runway says) → stop it; memory recovered (MemAvailable has room for PAUSE_RECOVERED_ROOM_MS of
// its growth) → thaw it and say so; no answer by its deadline and memory still short → stop it;
// memory running out anyway (a kill trigger) → the kill path, which ranks it as any other unit.
import { formatBytes, formatSeconds } from '../../shared/format.js';
import {
  PAUSE_AGAIN_MS, PAUSE_ANSWER_MIN_MS, PAUSE_HORIZON_MS, PAUSE_MIN_EXHAUSTION_MS, PAUSE_RECOVERED_ROOM_MS, PAUSE_RUNAWAY_SHARE, PAUSE_SETTLE_MS,
} from './constants.js';
import { footprintBytes, type RankedCandidate } from './rank.js';

/** The app Headroom paused, as the policy remembers it (PolicyState.paused). */
export interface PausedUnit {
  unit: string;
  /** Monotonic ms when it was paused, and when it is stopped unless it is resumed first. */
  atMs: number;
  untilMs: number;
  /** The same deadline on the wall clock, for records and notices. */
  untilWallMs: number;
  /** Its growth when it was paused (bytes/s): the pace it resumes at, the measure of "recovered". */
  growthBytesPerSec: number;
  footprintBytes: number;
}

/** What the pause needs to know of the moment. */
export interface PauseMeasures {
  /** MemAvailable: what the desktop lives on while the app is frozen, before the kernel swaps. */
  availableBytes: number;
  /** The user tree's recent full stall is at the elevated level: the desktop waits on memory. */
  stalling: boolean;
  runwayBytes: number;
  floorBytes: number;
  declineBytesPerSec: number;
  exhaustionInMs: number;
  /** What swap can still take (0: none, or full, or zram that no longer compresses). */
  swapAbsorbBytes: number;
}

/** What decide() is told beyond the snapshot: whether a question can be asked, and of whom not. */
export interface AskContext {
  /** A notification server is there to show the question (and pausing is not switched off). */
  canAsk: boolean;
  /** Units a pause would leave no one to answer: the notification server's, the tray's. */
  askerUnits: ReadonlySet<string>;
}

export const NO_ASKING: AskContext = { canAsk: false, askerUnits: new Set() };

export type PauseVerdict =
  | { pause: true; untilMs: number; because: string }
  | { pause: false; because: string };

const nameOf = (c: RankedCandidate): string => c.app.displayName || c.app.appId;
const PAUSABLE_KINDS: ReadonlySet<string> = new Set(['app', 'snap', 'terminal-tab', 'dbus']);

/**
 * Whether to pause `victim` now (it is nextToGo's victim and no kill trigger fired). `tightForMs`:
 * how long memory has been out of calm; `resumedAtMs`: when each unit was last resumed.
 */
export function pauseVerdict(
  victim: RankedCandidate, m: PauseMeasures, answerMs: number, ask: AskContext, tightForMs: number,
  resumedAtMs: ReadonlyMap<string, number>, tabInstead: boolean, atMs: number,
): PauseVerdict {
  const no = (because: string): PauseVerdict => ({ pause: false, because });
  if (answerMs <= 0 || !ask.canAsk) return no('');
  if (!(m.exhaustionInMs <= PAUSE_HORIZON_MS) || m.exhaustionInMs < PAUSE_MIN_EXHAUSTION_MS || tightForMs < PAUSE_SETTLE_MS) return no('');
  const name = nameOf(victim);
  if (!PAUSABLE_KINDS.has(victim.app.kind)) return no(`${name} is not an app you launched: it is not paused but stopped when memory runs out`);
  if (ask.askerUnits.has(victim.app.unit)) return no(`${name} shows Headroom's questions: it is not paused`);
  if (tabInstead) return no('');
  const resumed = resumedAtMs.get(victim.app.unit);
  if (resumed !== undefined && atMs - resumed < PAUSE_AGAIN_MS) return no(`${name} was resumed ${formatSeconds(atMs - resumed)} ago: it is not paused again, but stopped if memory runs out`);
  if (m.swapAbsorbBytes <= 0) return no(`swap can take no more, so pausing ${name} would hold the desktop at the floor: it is stopped if memory runs out`);
  const growth = Math.max(0, victim.growthBytesPerSec);
  if (growth < PAUSE_RUNAWAY_SHARE * m.declineBytesPerSec) {
    return no(`${name} is not what uses memory up (${formatBytes(growth)}/s of ${formatBytes(m.declineBytesPerSec)}/s): pausing it would not help`);
  }
  if (m.availableBytes <= m.floorBytes) {
    return no(`only ${formatBytes(Math.max(0, m.availableBytes))} of memory is available, under the floor: the kernel is swapping, and a paused ${name} would hold the desktop there, so it is stopped if memory runs out`);
  }
  if (roomForGrowthMs(growth, m.availableBytes - m.floorBytes) >= PAUSE_RECOVERED_ROOM_MS) return no('');
  const margin = m.runwayBytes - m.floorBytes;
  const restDecline = Math.max(0, m.declineBytesPerSec - growth);
  const restHoldsMs = restDecline > 0 ? (margin / restDecline) * 1000 : Infinity;
  if (restHoldsMs < PAUSE_ANSWER_MIN_MS) return no(`memory would run out within ${formatSeconds(restHoldsMs)} even with ${name} paused: no time to ask`);
  const waitMs = Math.min(answerMs, restHoldsMs);
  return {
    pause: true,
    untilMs: atMs + waitMs,
    because: `${name} is what uses memory up (${formatBytes(growth)}/s of ${formatBytes(m.declineBytesPerSec)}/s, memory gone in ${formatSeconds(m.exhaustionInMs)}): ` +
      `paused for you to decide, stopped in ${formatSeconds(waitMs)} without an answer`,
  };
}

/** What becomes of the paused app at this look, when no kill trigger fired. */
export type PausedVerdict =
  | { kind: 'wait'; because: string }
  | { kind: 'resume'; because: string }
  | { kind: 'stop'; because: string };

/** How long `marginBytes` lasts an app growing `growthBytesPerSec`. */
const roomForGrowthMs = (growthBytesPerSec: number, marginBytes: number): number =>
  growthBytesPerSec > 0 ? (marginBytes / growthBytesPerSec) * 1000 : Infinity;

/**
 * Whether memory now has room for the paused app to go on at its old pace: MemAvailable, not
 * the runway, since the pause began when the runway's swap part was all that was left.
 */
export const hasRecovered = (p: PausedUnit, m: Pick<PauseMeasures, 'availableBytes' | 'floorBytes'>): boolean =>
  roomForGrowthMs(Math.max(0, p.growthBytesPerSec), m.availableBytes - m.floorBytes) >= PAUSE_RECOVERED_ROOM_MS;

export function pausedVerdict(p: PausedUnit, app: RankedCandidate, m: PauseMeasures, atMs: number): PausedVerdict {
  const name = nameOf(app);
  const margin = Math.max(0, m.availableBytes - m.floorBytes);
  if (app.excluded !== '') return { kind: 'resume', because: `${name} may no longer be stopped (${app.excluded}): resumed` };
  if (m.availableBytes <= m.floorBytes && m.stalling) {
    return {
      kind: 'stop',
      because: `${name} was paused ${formatSeconds(atMs - p.atMs)} ago and no answer came in time: the desktop is stalling with ${formatBytes(Math.max(0, m.availableBytes))} available, ` +
        `under the floor, while ${name} holds ${formatBytes(p.footprintBytes)}`,
    };
  }
  if (hasRecovered(p, m)) {
    return { kind: 'resume', because: `memory recovered while ${name} was paused (${formatBytes(margin)} above the floor): resumed` };
  }
  if (atMs >= p.untilMs) {
    const growth = Math.max(0, p.growthBytesPerSec);
    const pace = growth > 0 ? `; at its pace of ${formatBytes(growth)}/s it would use the ${formatBytes(margin)} left within ${formatSeconds((margin / growth) * 1000)}` : '';
    return { kind: 'stop', because: `${name} was paused ${formatSeconds(atMs - p.atMs)} ago and no answer came, and memory is still short${pace}` };
  }
  return { kind: 'wait', because: `${name} is paused (${formatBytes(footprintBytes(app.app))}) until you answer, at most ${formatSeconds(p.untilMs - atMs)} more` };
}

/** The units resumed within PAUSE_AGAIN_MS, with `unit` resumed at `atMs` when given. */
export function resumedSince(resumedAtMs: ReadonlyMap<string, number>, atMs: number, unit?: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const [u, t] of resumedAtMs) if (atMs - t < PAUSE_AGAIN_MS) out.set(u, t);
  if (unit !== undefined) out.set(unit, atMs);
  return out;
}
