// The page's side of the bridge: what a transport delivers (the WebSocket's JSON, the
// preload's structured clones) is checked here before the page believes it, the mirror of
// checkBridgeCall on the Node side. Each record is checked against its spec in records.ts,
// so the check cannot drift from the bus contract.
import { isAgentState, type Preference } from './names.js';
import {
  AppSpec, ExplanationSpec, KillSpec, LauncherSpec, PressureSpec, RecordDecodeError,
  type FieldSpec, type LauncherRecord, type PressureRecord, type RecordOf, type RecordSpec,
} from './records.js';
import type { BridgeEvent, DashboardBridge, DashboardState, SessionGrant, SystemFacts } from './bridge.js';

/** A bridge as a transport hands it over: the calls of DashboardBridge, answers not yet checked. */
export interface UncheckedBridge {
  load(): Promise<unknown>;
  setPreference(appId: string, preference: Preference): Promise<unknown>;
  listLaunchers(): Promise<unknown>;
  launch(desktopId: string): Promise<unknown>;
  resumeApp(target: string): Promise<unknown>;
  quitApp(target: string, force: boolean): Promise<unknown>;
  subscribe(listener: (event: unknown) => void): () => void;
}

/** Thrown for an answer that is not what the bridge promises (names the first wrong field). */
export class BridgeAnswerError extends RecordDecodeError {
  override name = 'BridgeAnswerError';
}

const fail = (what: string, expected: string): never => { throw new BridgeAnswerError(`${what}: expected ${expected}`); };
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const objectAt = (v: unknown, what: string): Record<string, unknown> => (isObject(v) ? v : fail(what, 'an object'));
const stringAt = (v: unknown, what: string): string => (typeof v === 'string' ? v : fail(what, 'a string'));
const booleanAt = (v: unknown, what: string): boolean => (typeof v === 'boolean' ? v : fail(what, 'a boolean'));
const numberAt = (v: unknown, what: string): number => (typeof v === 'number' && Number.isFinite(v) ? v : fail(what, 'a number'));
const listAt = <T>(v: unknown, what: string, item: (x: unknown, what: string) => T): T[] =>
  (Array.isArray(v) ? v.map((x, i) => item(x, `${what}[${i}]`)) : fail(what, 'a list'));
const orNull = <T>(item: (x: unknown, what: string) => T) => (v: unknown, what: string): T | null => (v === null ? null : item(v, what));

function fieldAt(f: FieldSpec, v: unknown, what: string): unknown {
  if (typeof f !== 'string') return listAt(v, what, (x, w) => plainRecord(f.list, x, w));
  switch (f) {
    case 's': return stringAt(v, what);
    case 'b': return booleanAt(v, what);
    case 'as': return listAt(v, what, stringAt);
    default: return numberAt(v, what);
  }
}

/**
 * A record as plain data (JSON, a structured clone), checked field by field against its spec.
 * Fields the spec does not name are left out, as decodeRecord does for the bus.
 */
export function plainRecord<S extends RecordSpec>(spec: S, v: unknown, what = 'record'): RecordOf<S> {
  const dict = objectAt(v, what);
  const out: Record<string, unknown> = {};
  for (const [field, f] of Object.entries(spec)) out[field] = fieldAt(f, dict[field], `${what}.${field}`);
  return out as RecordOf<S>;
}

const pressureAt = (v: unknown, what: string): PressureRecord => plainRecord(PressureSpec, v, what);
const killAt = (v: unknown, what: string): RecordOf<typeof KillSpec> => plainRecord(KillSpec, v, what);

function factsAt(v: unknown, what: string): SystemFacts {
  const f = objectAt(v, what);
  return {
    hostname: stringAt(f.hostname, `${what}.hostname`), os: stringAt(f.os, `${what}.os`), kernel: stringAt(f.kernel, `${what}.kernel`),
    cpus: numberAt(f.cpus, `${what}.cpus`), memTotalBytes: numberAt(f.memTotalBytes, `${what}.memTotalBytes`), swapTotalBytes: numberAt(f.swapTotalBytes, `${what}.swapTotalBytes`),
  };
}

function agentStateAt(v: unknown, what: string): DashboardState['state'] {
  const s = stringAt(v, what);
  return s === '' || isAgentState(s) ? s : fail(what, 'an agent state or ""');
}

/** load()'s answer. */
export function parseDashboardState(v: unknown): DashboardState {
  const d = objectAt(v, 'load');
  return {
    agentRunning: booleanAt(d.agentRunning, 'agentRunning'),
    state: agentStateAt(d.state, 'state'),
    version: stringAt(d.version, 'version'),
    dryRun: booleanAt(d.dryRun, 'dryRun'),
    pressure: orNull(pressureAt)(d.pressure, 'pressure'),
    pressureHistory: listAt(d.pressureHistory, 'pressureHistory', pressureAt),
    apps: listAt(d.apps, 'apps', (x, w) => plainRecord(AppSpec, x, w)),
    history: listAt(d.history, 'history', killAt),
    explanation: orNull((x, w) => plainRecord(ExplanationSpec, x, w))(d.explanation, 'explanation'),
    facts: orNull(factsAt)(d.facts, 'facts'),
    error: stringAt(d.error, 'error'),
  };
}

/** listLaunchers()'s answer. */
export const parseLaunchers = (v: unknown): LauncherRecord[] => listAt(v, 'launchers', (x, w) => plainRecord(LauncherSpec, x, w));

/** One event; throws for anything the bridge does not send. */
export function parseBridgeEvent(v: unknown): BridgeEvent {
  const e = objectAt(v, 'event');
  switch (e.kind) {
    case 'killed': case 'would-kill': case 'warned': case 'paused': case 'resumed':
      return { kind: e.kind, kill: killAt(e.kill, 'event.kill') };
    case 'state': {
      const state = stringAt(e.state, 'event.state');
      const previous = stringAt(e.previous, 'event.previous');
      if (!isAgentState(state) || !isAgentState(previous)) return fail('event.state', 'agent states');
      return { kind: 'state', state, previous, because: stringAt(e.because, 'event.because'), pressure: pressureAt(e.pressure, 'event.pressure') };
    }
    case 'pressure':
      return { kind: 'pressure', pressure: pressureAt(e.pressure, 'event.pressure') };
    case 'preference': {
      const preference = stringAt(e.preference, 'event.preference');
      if (preference !== 'none' && preference !== 'avoid' && preference !== 'omit') return fail('event.preference', 'none, avoid or omit');
      return { kind: 'preference', appId: stringAt(e.appId, 'event.appId'), preference };
    }
    case 'agent':
      return { kind: 'agent', running: booleanAt(e.running, 'event.running') };
    default:
      return fail('event.kind', 'a known event');
  }
}

/** A WebSocket message with its envelope checked; the event or result inside is not yet. */
export type UncheckedMessage = SessionGrant | { event: unknown } | { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

/**
 * One WebSocket message from `headroom dashboard`: the session grant, an event, or an answer.
 * Only the envelope is checked here: checkedBridge checks what is inside, for both transports.
 */
export function parseBridgeMessage(v: unknown): UncheckedMessage {
  const m = objectAt(v, 'message');
  if ('session' in m) {
    const s = objectAt(m.session, 'session');
    return { session: { id: stringAt(s.id, 'session.id'), expiresAtMs: numberAt(s.expiresAtMs, 'session.expiresAtMs') } };
  }
  if ('event' in m) return { event: m.event };
  const id = numberAt(m.id, 'id');
  return m.ok === true ? { id, ok: true, result: m.result } : { id, ok: false, error: stringAt(m.error, 'error') };
}

/**
 * The DashboardBridge the page uses, over either transport: every answer and event checked.
 * An event that does not parse is dropped (the next load brings the truth); an answer that
 * does not parse fails its call.
 */
export function checkedBridge(raw: UncheckedBridge): DashboardBridge {
  return {
    load: async () => parseDashboardState(await raw.load()),
    setPreference: async (appId, preference) => { await raw.setPreference(appId, preference); },
    listLaunchers: async () => parseLaunchers(await raw.listLaunchers()),
    launch: async (desktopId) => stringAt(await raw.launch(desktopId), 'launch'),
    resumeApp: async (target) => killAt(await raw.resumeApp(target), 'resumeApp'),
    quitApp: async (target, force) => killAt(await raw.quitApp(target, force), 'quitApp'),
    subscribe: (listener) => raw.subscribe((event) => {
      let parsed: BridgeEvent;
      try {
        parsed = parseBridgeEvent(event);
      } catch {
        return;
      }
      listener(parsed);
    }),
  };
}
