// Least-loss relief: when the unit to stop is a multi-process app that marked some of its
// processes as the ones to lose first (a browser's tab renderers, agent/core/snapshot.ts
// AppUnit.expendable), stop the heaviest of them instead of the app, if that is enough.
//
// Enough means two things, both needed for the kill to relieve memory rather than only lose a tab:
//   1. the marked process is the runaway inside its unit: it grows at least CHILD_RUNAWAY_SHARE
//      of what the unit grows (a unit that does not grow is holding memory, and then its marked
//      process must be its heaviest process: the app's own main process is no tab);
//   2. what it frees keeps the runway above the floor for CHILD_RELIEF_HOLD_MS at the decline
//      that is left once its own growth stops.
// And one follow-up: when memory is still short within CHILD_FOLLOWUP_MS of stopping one of a
// unit's marked processes, the unit itself goes (the hog was not the tab, or there is another).
import { formatBytes, formatSeconds } from '../../shared/format.js';
import { CHILD_FOLLOWUP_MS, CHILD_RELIEF_HOLD_MS, CHILD_RUNAWAY_SHARE, UNIT_GROWING_BYTES_PER_SEC } from './constants.js';
import type { RankedCandidate } from './rank.js';
import type { ExpendableKind, ExpendableProcess } from './snapshot.js';

/** What the choice needs to know of the moment: the runway, its floor and its decline. */
export interface ReliefMeasures {
  runwayBytes: number;
  floorBytes: number;
  declineBytesPerSec: number;
}

/** The last kill the policy remembers (PolicyState.lastKill). childPid 0: a whole unit. */
export interface LastKill {
  atMs: number;
  unit: string;
  childPid: number;
}

export type ChildVerdict =
  | { child: ExpendableProcess; because: string }
  | { child: null; because: string };

/** A marked process's key in the policy's trends: its unit, pid and start time (a reused pid is another process). */
export const childTrendKey = (unit: string, p: Pick<ExpendableProcess, 'pid' | 'startTicks'>): string => `${unit}\u0000${p.pid}:${p.startTicks}`;

/** "a Chromium tab (renderer, pid 4321, 1.2 GiB)" */
export function describeChild(appName: string, p: ExpendableProcess): string {
  const what = p.kind === 'child process' ? `a process of ${appName} (${p.comm}` : `a ${appName} tab (${p.kind}`;
  return `${what}, pid ${p.pid}, ${formatBytes(p.unreclaimableBytes)})`;
}

/**
 * The marked process to stop in place of `victim`, or null with the reason the whole unit goes
 * ('' when the unit marked nothing: nothing to explain). `growthOf` is a marked process's
 * recent growth in bytes/s (undefined: not measured yet).
 */
export function expendableChildToStop(
  victim: RankedCandidate,
  m: ReliefMeasures,
  growthOf: (p: ExpendableProcess) => number | undefined,
  lastKill: LastKill | null,
  atMs: number,
): ChildVerdict {
  const { app } = victim;
  const name = app.displayName || app.appId;
  const heaviest = app.expendable[0];
  if (heaviest === undefined) return { child: null, because: '' };
  if (lastKill && lastKill.unit === app.unit && lastKill.childPid !== 0 && atMs - lastKill.atMs < CHILD_FOLLOWUP_MS) {
    return { child: null, because: `memory is still short ${formatSeconds(atMs - lastKill.atMs)} after one of its processes was stopped, so all of ${name} goes` };
  }
  const childGrowth = Math.max(0, growthOf(heaviest) ?? 0);
  const unitGrowth = victim.growthBytesPerSec;
  const unitGrowing = unitGrowth >= UNIT_GROWING_BYTES_PER_SEC;
  const who = describeChild(name, heaviest);
  if (unitGrowing && childGrowth < CHILD_RUNAWAY_SHARE * unitGrowth) {
    return { child: null, because: `${who} is not what makes ${name} grow (${formatBytes(childGrowth)}/s of ${formatBytes(unitGrowth)}/s), so all of ${name} goes` };
  }
  if (!unitGrowing && heaviest.unreclaimableBytes < app.heaviestKeptBytes) {
    return { child: null, because: `${name}'s own main process outweighs ${who}, so all of ${name} goes` };
  }
  const declineAfter = Math.max(0, m.declineBytesPerSec - childGrowth);
  const marginAfter = m.runwayBytes + heaviest.unreclaimableBytes - m.floorBytes;
  const holdNeeded = (declineAfter * CHILD_RELIEF_HOLD_MS) / 1000;
  if (marginAfter <= 0 || marginAfter < holdNeeded) {
    return { child: null, because: `stopping ${who} would not free enough (memory would run out again within ${formatSeconds(CHILD_RELIEF_HOLD_MS)}), so all of ${name} goes` };
  }
  return { child: heaviest, because: `${who} goes in its place: ${name} marked it as the process to lose first, and ${name} runs on` };
}

/**
 * What a marked process is, from its command line (NUL-separated, as /proc/PID/cmdline): a
 * Chromium or Electron renderer carries --type=renderer; a Firefox content process carries
 * -contentproc and ends in its type, "tab" for a web page.
 */
export function expendableKind(cmdline: string): ExpendableKind {
  const args = cmdline.split('\0').filter((a) => a !== '');
  if (args.includes('--type=renderer')) return 'renderer';
  if (args.includes('-contentproc') && args[args.length - 1] === 'tab') return 'content process';
  return 'child process';
}
