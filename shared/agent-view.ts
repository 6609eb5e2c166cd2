// What a view of the agent keeps between its answers, and how each signal changes it: the
// pressure ring, the kill history, and the app list's preferences. Written once and used by
// the feed (agent/feed/), the tray (tray-app/main/tray-state.ts) and the page
// (tray-app/renderer/view-model.ts), so the three cannot keep the same data three ways.
import { isPreference, type Preference } from './names.js';
import type { AppRecord, EventRecord, PressureRecord } from './records.js';

/** How much pressure history a view keeps: the agent keeps 30 min, so do we. */
export const PRESSURE_WINDOW_MS = 30 * 60 * 1000;
/**
 * Kill history kept by a view; the agent's own default answer is 50. The menu shows five and
 * the page all of them: the rest guard against warnings crowding the kills out.
 */
export const HISTORY_LIMIT = 50;

/**
 * Merge pressure samples into an oldest-first ring: one sample per timestamp (the incoming
 * copy wins), nothing older than `windowMs` before `nowMs`.
 */
export function mergePressure(ring: readonly PressureRecord[], incoming: readonly PressureRecord[], nowMs: number, windowMs = PRESSURE_WINDOW_MS): PressureRecord[] {
  const byTime = new Map<number, PressureRecord>();
  for (const p of ring) byTime.set(p.sampledAtMs, p);
  for (const p of incoming) byTime.set(p.sampledAtMs, p);
  const oldest = nowMs - windowMs;
  return [...byTime.values()].filter((p) => p.sampledAtMs >= oldest).sort((a, b) => a.sampledAtMs - b.sampledAtMs);
}

/**
 * One live sample into the ring, the window ending at that sample: a page needs no clock of
 * its own to keep the ring (and the agent's clock is the one the samples carry).
 */
export const withPressure = (ring: readonly PressureRecord[], p: PressureRecord): PressureRecord[] => mergePressure(ring, [p], p.sampledAtMs);

/** The newer of two samples (either may be missing). */
export const newerPressure = (a: PressureRecord | null, b: PressureRecord | null): PressureRecord | null =>
  a === null || (b !== null && b.sampledAtMs >= a.sampledAtMs) ? b : a;

/** Put a kill at the front of a newest-first history; the same id (a signal seen twice) once. */
export function prependKill(history: readonly EventRecord[], kill: EventRecord, limit = HISTORY_LIMIT): EventRecord[] {
  return [kill, ...history.filter((k) => k.id !== kill.id)].slice(0, limit);
}

/**
 * The preference a record (an app, a candidate) is under, as the agent resolved it: its own
 * `preference` field. The agent's answer already folds the stored preference and the unit's
 * ManagedOOMPreference together, so a view never resolves it again; anything but avoid or omit
 * reads as none.
 */
export const preferenceOf = (record: { preference: string }): Preference =>
  isPreference(record.preference) ? record.preference : 'none';

/** A PreferenceChanged signal applied to a view's app list: the running apps of that id. */
export function withPreference<S extends { apps: AppRecord[] }>(s: S, appId: string, preference: Preference): S {
  return { ...s, apps: s.apps.map((a) => (a.appId === appId ? { ...a, preference } : a)) };
}

/**
 * A Paused or Resumed signal applied to a view's app list: the paused unit shows its deadline
 * at once (and loses it on Resumed), before the next ListApps says the same.
 */
export function withPause(apps: readonly AppRecord[], event: EventRecord): AppRecord[] {
  const until = event.outcome === 'paused' ? event.pausedUntilMs : 0;
  return apps.map((a) => (a.unit === event.unit ? { ...a, pausedUntilMs: until } : a));
}

/** A Killed signal applied to a view's app list: a scope that emptied is gone now, not at the next refresh. */
export const withoutKilled = (apps: readonly AppRecord[], kill: EventRecord): AppRecord[] =>
  kill.outcome === 'killed' ? apps.filter((a) => a.unit !== kill.unit) : [...apps];
