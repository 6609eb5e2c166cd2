// The records the agent reports (shared/records.ts), built from a snapshot and the decision
// made on it. Pure: what is random or read (an event's id) is handed in.
import type { KillOutcome, KillReason } from '../../shared/names.js';
import type { AppRecord, CandidateRecord, ExplanationRecord, EventRecord, PressureRecord } from '../../shared/records.js';
import { REPORT_CANDIDATES } from './constants.js';
import { describeOutOfReach, describeVictim, type Decision } from './decide.js';
import { footprintBytes, type RankedCandidate } from './rank.js';
import type { AppUnit, ExpendableProcess, Snapshot } from './snapshot.js';

/** What was done to the app, in the words of the record. */
interface Outcome {
  outcome: EventRecord['outcome'];
  dryRun: boolean;
  processCount: number;
  processesLeft: number;
  graceMs: number;
  durationMs: number;
  childPid: number;
  childKind: string;
  /** Outcome paused: the deadline on the wall clock; else 0. */
  pausedUntilMs?: number;
}

/** What a kill attempt did (agent/io/kill-scope.ts answers it). */
export interface KillAttempt {
  outcome: Exclude<KillOutcome, 'dry-run'>;
  processCount: number;
  processesLeft: number;
  durationMs: number;
}

/** The figures of the moment: the Pressure property, the dashboard's history, every event. */
export function pressureRecord(s: Snapshot, d: Decision): PressureRecord {
  return {
    someAvg10: s.tree.some.avg10,
    fullAvg10: s.tree.full.avg10,
    someAvg60: s.tree.some.avg60,
    fullAvg60: s.tree.full.avg60,
    fullRecentPct: d.measures.fullRecentPct,
    appsSomeAvg10: s.appSlice?.some.avg10 ?? 0,
    appsFullAvg10: s.appSlice?.full.avg10 ?? 0,
    memTotalBytes: s.meminfo.memTotalBytes,
    memAvailableBytes: s.meminfo.memAvailableBytes,
    swapTotalBytes: s.meminfo.swapTotalBytes,
    swapFreeBytes: s.meminfo.swapFreeBytes,
    sampledAtMs: s.wallMs,
  };
}

/**
 * A history entry about one app at this moment: the app, the pressure, the candidates, and
 * what was done (`outcome`). `nonce` makes the id unique among entries of the same millisecond.
 */
function eventRecord(s: Snapshot, d: Decision, victim: RankedCandidate, reason: KillReason, because: string, outcome: Outcome, nonce: string): EventRecord {
  const { app } = victim;
  return {
    id: `${s.wallMs.toString(36)}-${nonce}`,
    unit: app.unit,
    appId: app.appId,
    displayName: app.displayName,
    reason,
    because,
    memoryFreedBytes: app.memoryBytes,
    swapFreedBytes: app.swapBytes,
    someAvg10: s.tree.some.avg10,
    fullAvg10: s.tree.full.avg10,
    fullRecentPct: d.measures.fullRecentPct,
    memAvailableBytes: s.meminfo.memAvailableBytes,
    swapFreeBytes: s.meminfo.swapFreeBytes,
    atMs: s.wallMs,
    candidates: d.ranked.slice(0, REPORT_CANDIDATES).map(candidateRecord),
    ...outcome,
    pausedUntilMs: outcome.pausedUntilMs ?? 0,
  };
}

/** Nothing done to the app (a warning, a dry run): all its processes are left. */
const untouchedOutcome = (app: AppUnit, outcome: 'warned' | 'dry-run' | 'paused' | 'resumed', dryRun: boolean, graceMs: number): Outcome =>
  ({ outcome, dryRun, processCount: app.processCount, processesLeft: app.processCount, graceMs, durationMs: 0, childPid: 0, childKind: '' });

/** A kill that was attempted, and what came of it. */
export const killRecord = (s: Snapshot, d: Decision, victim: RankedCandidate, reason: KillReason, because: string, graceMs: number, attempt: KillAttempt, nonce: string): EventRecord =>
  eventRecord(s, d, victim, reason, because, { outcome: attempt.outcome, dryRun: false, processCount: attempt.processCount, processesLeft: attempt.processesLeft, graceMs, durationMs: attempt.durationMs, childPid: 0, childKind: '' }, nonce);

/** What stopping one marked process came to (agent/cgroup/kill-process.ts answers it). */
export interface ChildKillAttempt {
  /**
   * The SIGKILL always went out (else killProcess throws). true: it exited within the wait;
   * false: still exiting (under thrash a process paging its swap back to free it takes seconds),
   * which the record shows as one process left, never hidden.
   */
  exited: boolean;
  durationMs: number;
}

/**
 * A marked process stopped in place of its app (or, in dry-run, the one that would be): the
 * record names the app, and says which of its processes and what it held. What is freed is the
 * process's own footprint (anon, shmem, swap), not its app's.
 */
export function childKillRecord(s: Snapshot, d: Decision, victim: RankedCandidate, child: ExpendableProcess, reason: KillReason, because: string, attempt: ChildKillAttempt | 'dry-run', nonce: string): EventRecord {
  const dryRun = attempt === 'dry-run';
  const outcome: Outcome = {
    outcome: dryRun ? 'dry-run' : 'child-killed',
    dryRun,
    processCount: 1,
    processesLeft: !dryRun && attempt.exited ? 0 : 1,
    graceMs: 0,
    durationMs: dryRun ? 0 : attempt.durationMs,
    childPid: child.pid,
    childKind: child.kind,
  };
  return { ...eventRecord(s, d, victim, reason, because, outcome, nonce), memoryFreedBytes: child.unreclaimableBytes, swapFreedBytes: 0 };
}

/** The kill dry-run did not do: the record it would have had, nothing touched. */
export const dryRunRecord = (s: Snapshot, d: Decision, victim: RankedCandidate, reason: KillReason, because: string, graceMs: number, nonce: string): EventRecord =>
  eventRecord(s, d, victim, reason, because, untouchedOutcome(victim.app, 'dry-run', true, graceMs), nonce);

/** The warning on leaving calm: the app that would go next, and why. */
export function warningRecord(s: Snapshot, d: Decision, victim: RankedCandidate, dryRun: boolean, nonce: string): EventRecord {
  const reason = d.measures.fullRecentPct > 0 ? 'pressure' : 'exhaustion';
  const because = `warned: ${d.because}; ${describeVictim(victim, d.ranked)}`;
  return eventRecord(s, d, victim, reason, because, untouchedOutcome(victim.app, 'warned', dryRun, 0), nonce);
}

/** An app frozen to ask the user (pause.ts): nothing stopped, every process left, the deadline. */
export function pausedRecord(s: Snapshot, d: Decision, victim: RankedCandidate, because: string, untilWallMs: number, nonce: string): EventRecord {
  const outcome: Outcome = { ...untouchedOutcome(victim.app, 'paused', false, 0), pausedUntilMs: untilWallMs };
  return eventRecord(s, d, victim, 'exhaustion', because, outcome, nonce);
}

/** A paused app thawed; `because` says by whom or why. */
export const resumedRecord = (s: Snapshot, d: Decision, victim: RankedCandidate, reason: KillReason, because: string, nonce: string): EventRecord =>
  eventRecord(s, d, victim, reason, because, untouchedOutcome(victim.app, 'resumed', false, 0), nonce);

/** What would be killed now, and why: decide()'s answer in a person's words. */
export function explanationRecord(d: Decision): ExplanationRecord {
  // A kill's victim is decision.next's too: one choice (nextToGo) for both.
  const next = d.next.kind === 'victim' ? d.next.victim : null;
  const because = d.action.kind !== 'none' ? d.because
    : d.next.kind === 'victim' ? `${d.because}; if memory ran out now, ${describeVictim(d.next.victim, d.ranked)}${d.nextRelief.because !== '' ? `; ${d.nextRelief.because}` : ''}`
    : d.next.kind === 'out-of-reach' ? `${d.because}; if memory ran out now, nothing would be stopped: ${describeOutOfReach(d.next.outside, d.next.victim)}`
    : `${d.because}; no app may be killed`;
  return {
    state: d.state,
    because,
    unit: next?.app.unit ?? '',
    appId: next?.app.appId ?? '',
    displayName: next?.app.displayName ?? '',
    candidates: d.ranked.map(candidateRecord),
  };
}

export const candidateRecord = (c: RankedCandidate): CandidateRecord => ({
  unit: c.app.unit,
  appId: c.app.appId,
  displayName: c.app.displayName,
  preference: c.app.preference,
  memoryBytes: c.app.memoryBytes,
  swapBytes: c.app.swapBytes,
  processCount: c.app.processCount,
  excluded: c.excluded,
});

/** `pausedUntilMs`: the app's deadline while Headroom holds it paused, else 0. */
export const appRecord = (a: AppUnit, pausedUntilMs = 0): AppRecord => ({
  unit: a.unit,
  kind: a.kind,
  cgroup: a.cgroup,
  appId: a.appId,
  launcher: a.launcher,
  displayName: a.displayName,
  icon: a.icon,
  desktopEntry: a.desktopEntry,
  preference: a.preference,
  memoryBytes: a.memoryBytes,
  swapBytes: a.swapBytes,
  anonBytes: a.anonBytes,
  fileBytes: a.fileBytes,
  unreclaimableBytes: a.unreclaimableBytes,
  processCount: a.processCount,
  fullAvg10: a.fullAvg10,
  pausedUntilMs,
});

/** The running apps, heaviest first. An emptied scope lingers until systemd collects it: it is no longer a running app. */
export const runningAppRecords = (apps: readonly AppUnit[], paused: { unit: string; untilWallMs: number } | null = null): AppRecord[] =>
  apps.filter((a) => a.processCount > 0).sort((a, b) => footprintBytes(b) - footprintBytes(a)).map((a) => appRecord(a, a.unit === paused?.unit ? paused.untilWallMs : 0));
