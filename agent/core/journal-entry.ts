// Structured journal entries for the events an admin watches: kills, dry-run decisions,
// warnings, out-of-reach notices, state changes. Pure: the fields of one entry and their
// encoding; agent/io/journal.ts sends them. Each event kind has a stable MESSAGE_ID that tools
// match on (as systemd-oomd's d989611b15e44c9dbf31e3c81256e4ed); README "Journal and metrics"
// lists them with their fields. Never change an id: a new meaning gets a new one
// (`systemd-id128 new`).
import { formatBytes, printable } from '../../shared/format.js';
import type { AgentState } from '../../shared/names.js';
import { stoppedChildText } from '../../shared/event-words.js';
import type { EventRecord, PressureRecord } from '../../shared/records.js';
import type { OutsideGroup } from './snapshot.js';

export const MESSAGE_IDS = {
  /** A kill attempt: HEADROOM_OUTCOME killed, partial, failed or child-killed (manual kills too). */
  kill: 'ea58a7f8cc504472a359b24c3660aef1',
  /** Dry-run: what a kill would have stopped; nothing was touched. */
  wouldKill: 'b2ff1355384b470aa26c8a6d81877000',
  /** Memory is getting tight: the app that would go next was named to the user. */
  warning: '48855185cc37483291f8b6a7ab201f51',
  /** Memory is running out and its heaviest user is outside Headroom's reach: nothing is stopped. */
  outOfReach: '49b0d0a5e993461882dcb4cf030575ea',
  /** calm / elevated / critical. */
  stateChanged: 'f4867bf5d2d1409ab770a1a7b4c2faa6',
  /** An app paused while memory ran out slowly; the user is asked until HEADROOM_PAUSED_UNTIL_MS. */
  paused: 'b590784aa4104a0eb061ca05b570a27c',
  /** A paused app thawed, by the user or because memory recovered. */
  resumed: 'c1c5adf62f5f425a915ae0c75ff152c9',
} as const;

/** syslog priorities, the same as the plain log line of each event (agent/io/log.ts). */
const PRIORITY = { err: 3, warning: 4, notice: 5, info: 6 } as const;

/** Field name → value, in order. Names follow journal rules: [A-Z0-9_], a letter first. */
export type JournalEntry = readonly (readonly [name: string, value: string])[];

/** A value longer than this is cut: a `because` is a sentence, an app name at most 255 bytes. */
export const MAX_FIELD_CHARS = 2048;

/** One line per field: what `logger --journald` reads on stdin (agent/io/journal.ts). */
export function encodeForLogger(entry: JournalEntry): string {
  return entry.map(([name, value]) => `${name}=${fieldValue(value)}\n`).join('');
}

/**
 * A value that stays one field: control characters (a newline would start a forged field,
 * "\nPRIORITY=0") show as \xNN, as in the log lines.
 */
export function fieldValue(value: string): string {
  return printable(value.length > MAX_FIELD_CHARS ? `${value.slice(0, MAX_FIELD_CHARS - 1)}…` : value);
}

const common = (messageId: string, priority: number, message: string): [string, string][] => [
  ['MESSAGE', message],
  ['MESSAGE_ID', messageId],
  ['PRIORITY', String(priority)],
  ['SYSLOG_IDENTIFIER', 'headroom'],
];

const nameOf = (r: { displayName: string; appId: string; unit: string }): string => r.displayName || r.appId || r.unit;

/** The fields every entry about an app carries, from its history record. */
function recordFields(r: EventRecord): [string, string][] {
  return [
    ['HEADROOM_EVENT_ID', r.id],
    ['HEADROOM_UNIT', r.unit],
    ['HEADROOM_APP_ID', r.appId],
    ['HEADROOM_APP_NAME', r.displayName],
    ['HEADROOM_REASON', r.reason],
    ['HEADROOM_OUTCOME', r.outcome],
    ['HEADROOM_BECAUSE', r.because],
    ['HEADROOM_FREED_BYTES', String(r.memoryFreedBytes + r.swapFreedBytes)],
    ['HEADROOM_SWAP_FREED_BYTES', String(r.swapFreedBytes)],
    ['HEADROOM_MEM_AVAILABLE_BYTES', String(r.memAvailableBytes)],
    ['HEADROOM_SWAP_FREE_BYTES', String(r.swapFreeBytes)],
    ['HEADROOM_PRESSURE_FULL_AVG10', String(r.fullAvg10)],
    ['HEADROOM_PRESSURE_SOME_AVG10', String(r.someAvg10)],
    ['HEADROOM_PROCESSES', String(r.processCount)],
    ['HEADROOM_PROCESSES_LEFT', String(r.processesLeft)],
    ['HEADROOM_GRACE_MS', String(r.graceMs)],
    ['HEADROOM_DURATION_MS', String(r.durationMs)],
    ...(r.childPid !== 0 ? [['HEADROOM_CHILD_PID', String(r.childPid)], ['HEADROOM_CHILD_KIND', r.childKind]] as [string, string][] : []),
    ['HEADROOM_DRY_RUN', r.dryRun ? '1' : '0'],
  ];
}

function pressureFields(p: PressureRecord): [string, string][] {
  return [
    ['HEADROOM_MEM_AVAILABLE_BYTES', String(p.memAvailableBytes)],
    ['HEADROOM_SWAP_FREE_BYTES', String(p.swapFreeBytes)],
    ['HEADROOM_PRESSURE_FULL_AVG10', String(p.fullAvg10)],
    ['HEADROOM_PRESSURE_SOME_AVG10', String(p.someAvg10)],
  ];
}

/** A kill attempt (killed, partial, failed) or, in dry-run, the kill that was not done. */
export function killEntry(r: EventRecord): JournalEntry {
  const who = `${nameOf(r)} (${r.unit})`;
  const freed = formatBytes(r.memoryFreedBytes + r.swapFreedBytes);
  const [id, priority, message] =
    r.outcome === 'dry-run' ? [MESSAGE_IDS.wouldKill, PRIORITY.warning, `Dry-run: would kill ${who} for ${r.reason}, ${freed}: ${r.because}`]
    : r.outcome === 'killed' ? [MESSAGE_IDS.kill, PRIORITY.warning, `Killed ${who} for ${r.reason}, freeing ${freed}: ${r.because}`]
    : r.outcome === 'child-killed' ? [MESSAGE_IDS.kill, PRIORITY.warning, `Stopped ${stoppedChildText(r)} in ${r.unit} for ${r.reason}; the app runs on: ${r.because}`]
    : r.outcome === 'partial' ? [MESSAGE_IDS.kill, PRIORITY.err, `Killed ${who} only in part (${r.processesLeft} of ${r.processCount} processes left) for ${r.reason}: ${r.because}`]
    : [MESSAGE_IDS.kill, PRIORITY.err, `Could not kill ${who} (${r.outcome}) for ${r.reason}: ${r.because}`];
  return [...common(id, priority, message), ...recordFields(r)];
}

/** An app paused to ask the user, or a paused app resumed. */
export function pauseEntry(r: EventRecord): JournalEntry {
  const who = `${nameOf(r)} (${r.unit})`;
  const entry = r.outcome === 'paused'
    ? common(MESSAGE_IDS.paused, PRIORITY.warning, `Paused ${who}, holding ${formatBytes(r.memoryFreedBytes + r.swapFreedBytes)}, to ask the user: ${r.because}`)
    : common(MESSAGE_IDS.resumed, PRIORITY.notice, `Resumed ${who}: ${r.because}`);
  return [...entry, ...recordFields(r), ...(r.outcome === 'paused' ? [['HEADROOM_PAUSED_UNTIL_MS', String(r.pausedUntilMs)] as const] : [])];
}

/** Leaving calm: the app named as the next to go. */
export function warningEntry(r: EventRecord): JournalEntry {
  return [
    ...common(MESSAGE_IDS.warning, PRIORITY.notice, `Memory is getting tight; ${nameOf(r)} (${r.unit}) would be stopped next: ${r.because}`),
    ...recordFields(r),
  ];
}

export function outOfReachEntry(group: OutsideGroup, because: string, p: PressureRecord): JournalEntry {
  return [
    ...common(MESSAGE_IDS.outOfReach, PRIORITY.warning, `Memory is running out and its heaviest user is out of reach: ${because}`),
    ['HEADROOM_BECAUSE', because],
    ['HEADROOM_CGROUP', group.cgroup],
    ['HEADROOM_GROUP', group.label],
    ['HEADROOM_GROUP_BYTES', String(group.unreclaimableBytes)],
    ['HEADROOM_TOP_COMM', group.topComm],
    ['HEADROOM_TOP_PID', String(group.topPid)],
    ...pressureFields(p),
  ];
}

export function stateEntry(state: AgentState, previous: AgentState, because: string, p: PressureRecord): JournalEntry {
  return [
    ...common(MESSAGE_IDS.stateChanged, PRIORITY.info, `Memory state ${previous} → ${state}: ${because}`),
    ['HEADROOM_STATE', state],
    ['HEADROOM_PREVIOUS_STATE', previous],
    ['HEADROOM_BECAUSE', because],
    ...pressureFields(p),
  ];
}
