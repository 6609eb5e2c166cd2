// Records that cross the bus as a{sv} dictionaries. Each record is declared once, as a table of
// field → D-Bus signature; the TypeScript type, the encoder and the decoder all derive from that
// table, so the agent and its clients cannot disagree about a field.
//
// 64-bit fields (t, x) travel as BigInt on the wire and are plain numbers on both sides: byte
// counts and millisecond timestamps stay far below 2^53, and a BigInt must never reach JSON.

export type ScalarSignature = 's' | 'b' | 'd' | 't' | 'x' | 'u' | 'i' | 'as';
export interface ListOf<S extends RecordSpec> { readonly list: S }
export type FieldSpec = ScalarSignature | ListOf<RecordSpec>;
export type RecordSpec = { readonly [field: string]: FieldSpec };

type FieldValue<F> = F extends 's' ? string
  : F extends 'b' ? boolean
  : F extends 'as' ? string[]
  : F extends ListOf<infer R> ? RecordOf<R>[]
  : number;
export type RecordOf<S extends RecordSpec> = { -readonly [K in keyof S]: FieldValue<S[K]> };

const listOf = <S extends RecordSpec>(spec: S): ListOf<S> => ({ list: spec });

/** Memory pressure of the user's tree and system memory, as last sampled. */
export const PressureSpec = {
  someAvg10: 'd', // % of the last 10 s in which some task stalled on memory
  fullAvg10: 'd', // % of the last 10 s in which all non-idle tasks stalled on memory
  someAvg60: 'd',
  fullAvg60: 'd',
  fullRecentPct: 'd', // full stall % between the last two samples (from the `total` counter)
  appsSomeAvg10: 'd', // the same for app.slice alone (0 where it has no memory.pressure)
  appsFullAvg10: 'd',
  memTotalBytes: 't',
  memAvailableBytes: 't',
  swapTotalBytes: 't',
  swapFreeBytes: 't',
  sampledAtMs: 'x', // wall clock, ms since the epoch
} as const satisfies RecordSpec;
export type PressureRecord = RecordOf<typeof PressureSpec>;

/** A candidate as the policy ranked it; `excluded` is '' for eligible ones, else why not. */
export const CandidateSpec = {
  unit: 's',
  appId: 's',
  displayName: 's',
  preference: 's',
  memoryBytes: 't',
  swapBytes: 't',
  processCount: 'u',
  excluded: 's',
} as const satisfies RecordSpec;
export type CandidateRecord = RecordOf<typeof CandidateSpec>;

/** A running app unit (scope or service) in the user's tree. */
export const AppSpec = {
  unit: 's',
  kind: 's', // 'app', 'terminal-tab', 'snap', 'dbus' or 'unit' (agent/core/unit-name.ts)
  cgroup: 's', // path relative to user@UID.service
  appId: 's',
  launcher: 's', // 'headroom', 'gnome', 'flatpak', … or '' when the name has none
  displayName: 's',
  icon: 's',
  desktopEntry: 's', // .desktop id the name and icon came from, '' if none
  preference: 's',
  memoryBytes: 't',
  swapBytes: 't',
  anonBytes: 't',
  fileBytes: 't',
  unreclaimableBytes: 't', // anon + shmem + swap: what stopping it frees, and what it is ranked by
  processCount: 'u',
  fullAvg10: 'd', // the unit's own memory pressure
  // Paused by Headroom while memory ran out slowly: when it is stopped unless the user resumes
  // it (wall clock, ms since the epoch); 0 while it runs.
  pausedUntilMs: 'x',
} as const satisfies RecordSpec;
export type AppRecord = RecordOf<typeof AppSpec>;

/** One kill (or, in dry-run, one would-be kill). Carried by Killed/WouldKill and kept in history. */
export const KillSpec = {
  id: 's', // unique per event, stable across history and signals
  unit: 's',
  appId: 's',
  displayName: 's',
  reason: 's', // KillReason
  because: 's', // one sentence a person can read
  outcome: 's', // KillOutcome
  dryRun: 'b',
  processCount: 'u', // processes in the scope when the kill began
  processesLeft: 'u', // still there when we gave up (0 when killed)
  memoryFreedBytes: 't', // memory.current of the scope before the kill
  swapFreedBytes: 't',
  graceMs: 'u', // SIGTERM grace that was allowed
  durationMs: 'u', // from first signal until the scope was empty (or we gave up)
  // Outcome child-killed: the one process stopped (processCount 1) and its kind, 'renderer',
  // 'content process' (a tab either way) or 'child process'. 0 and '' for a whole unit.
  childPid: 'u',
  childKind: 's',
  // Outcome paused: when the app is stopped unless the user resumes it (wall clock); else 0.
  pausedUntilMs: 'x',
  someAvg10: 'd',
  fullAvg10: 'd',
  fullRecentPct: 'd',
  memAvailableBytes: 't',
  swapFreeBytes: 't',
  atMs: 'x',
  candidates: listOf(CandidateSpec),
} as const satisfies RecordSpec;
export type EventRecord = RecordOf<typeof KillSpec>;

/** What would die now and why (the Explain method). */
export const ExplanationSpec = {
  state: 's',
  because: 's',
  unit: 's', // '' when nothing would be killed
  appId: 's',
  displayName: 's',
  candidates: listOf(CandidateSpec),
} as const satisfies RecordSpec;
export type ExplanationRecord = RecordOf<typeof ExplanationSpec>;

/** An installed desktop entry the agent can launch into its own scope (ListLaunchers, Launch). */
export const LauncherSpec = {
  desktopId: 's', // e.g. "org.gnome.TextEditor" (file name without .desktop)
  name: 's',
  genericName: 's',
  comment: 's',
  icon: 's',
  terminal: 'b', // Terminal=true: runs inside the user's terminal emulator
} as const satisfies RecordSpec;
export type LauncherRecord = RecordOf<typeof LauncherSpec>;

/** A signature-tagged value: what a D-Bus variant carries, without depending on a D-Bus library. */
export interface Tagged { signature: string; value: unknown }

export class RecordDecodeError extends Error {
  override name = 'RecordDecodeError';
}

const signatureOf = (f: FieldSpec): string => (typeof f === 'string' ? f : 'aa{sv}');

/** Encode a record as a{sv} entries: field → {signature, value}. 64-bit integers become BigInt. */
export function encodeRecord<S extends RecordSpec>(spec: S, record: RecordOf<S>): Record<string, Tagged> {
  const out: Record<string, Tagged> = {};
  for (const [field, f] of Object.entries(spec)) {
    out[field] = { signature: signatureOf(f), value: encodeValue(field, f, (record as Record<string, unknown>)[field]) };
  }
  return out;
}

function encodeValue(field: string, f: FieldSpec, v: unknown): unknown {
  if (typeof f !== 'string') {
    if (!Array.isArray(v)) throw new RecordDecodeError(`field ${field}: expected a list`);
    return v.map((item) => encodeRecord(f.list, item as RecordOf<RecordSpec>));
  }
  switch (f) {
    case 't': case 'x': case 'u': case 'i': {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new RecordDecodeError(`field ${field}: expected a number, got ${String(v)}`);
      const n = Math.round(f === 't' || f === 'u' ? Math.max(0, v) : v);
      return f === 't' || f === 'x' ? BigInt(n) : n;
    }
    case 'd':
      if (typeof v !== 'number' || Number.isNaN(v)) throw new RecordDecodeError(`field ${field}: expected a number`);
      return v;
    default:
      return v;
  }
}

/**
 * Decode a{sv} entries into a record. `entries` maps field → something with `signature`
 * and `value` (a dbus-next Variant qualifies). Unknown fields are ignored so that a newer agent
 * can add fields; a missing or mistyped field is an error naming the field.
 */
export function decodeRecord<S extends RecordSpec>(spec: S, entries: unknown): RecordOf<S> {
  if (entries === null || typeof entries !== 'object') throw new RecordDecodeError('expected a dictionary');
  const dict = entries as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [field, f] of Object.entries(spec)) {
    const tagged = dict[field];
    if (tagged === undefined || tagged === null) throw new RecordDecodeError(`missing field ${field}`);
    const { signature, value } = tagged as Partial<Tagged>;
    if (signature !== signatureOf(f)) {
      throw new RecordDecodeError(`field ${field}: expected signature ${signatureOf(f)}, got ${String(signature)}`);
    }
    out[field] = decodeValue(field, f, value);
  }
  return out as RecordOf<S>;
}

function decodeValue(field: string, f: FieldSpec, v: unknown): unknown {
  if (typeof f !== 'string') {
    if (!Array.isArray(v)) throw new RecordDecodeError(`field ${field}: expected a list`);
    return v.map((item) => decodeRecord(f.list, item));
  }
  switch (f) {
    case 's':
      if (typeof v !== 'string') throw new RecordDecodeError(`field ${field}: expected a string`);
      return v;
    case 'b':
      if (typeof v !== 'boolean') throw new RecordDecodeError(`field ${field}: expected a boolean`);
      return v;
    case 'as':
      if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw new RecordDecodeError(`field ${field}: expected strings`);
      return v;
    default:
      if (typeof v === 'bigint') return Number(v);
      if (typeof v !== 'number') throw new RecordDecodeError(`field ${field}: expected a number`);
      return v;
  }
}

/** A JSON-safe copy of any value: BigInt becomes a number (the CLI's --json and history use this). */
export const toJsonSafe = (value: unknown): unknown =>
  JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))) as unknown;
