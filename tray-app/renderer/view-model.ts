// What the page shows, computed from DashboardState without touching the DOM: the badge, the
// summary, the chart's series and kill markers, the apps table, the kill history, and how a
// live event changes the state. Plain data in, plain data out, so Node's tests hold it.
import { PRESSURE_WINDOW_MS, preferenceOf, prependKill, withPause, withPreference, withPressure } from '../../shared/agent-view.js';
import type { BridgeEvent, DashboardState, SystemFacts } from '../../shared/bridge.js';
import { isChildEvent, stoppedChildText } from '../../shared/event-words.js';
import { formatBytes, formatPct, formatSeconds, PREFERENCE_LABELS } from '../../shared/format.js';
import { isKillAttempt, type Preference } from '../../shared/names.js';
import type { AppRecord, CandidateRecord, ExplanationRecord, EventRecord, PressureRecord } from '../../shared/records.js';

/** The chart shows at least this much time, more when the history reaches further back. */
export const CHART_MIN_SPAN_MS = 10 * 60 * 1000;

export type BadgeTone = 'calm' | 'elevated' | 'critical' | 'down';

export interface Badge {
  tone: BadgeTone;
  /** A glyph whose shape differs per tone, so colour is never the only cue. */
  glyph: string;
  label: string;
  detail: string;
}

export function badgeOf(s: Pick<DashboardState, 'agentRunning' | 'state' | 'dryRun'>): Badge {
  if (!s.agentRunning || s.state === '') return { tone: 'down', glyph: '○', label: 'Agent not running', detail: 'Nothing is guarding memory; start it with "headroom agent" or "headroom install".' };
  const dry = s.dryRun ? ' (dry run: it reports but kills nothing)' : '';
  switch (s.state) {
    case 'calm': return { tone: 'calm', glyph: '●', label: 'Calm', detail: `Memory is fine${dry}.` };
    case 'elevated': return { tone: 'elevated', glyph: '▲', label: 'Elevated', detail: `Memory is getting tight; the agent looks more often${dry}.` };
    case 'critical': return { tone: 'critical', glyph: '■', label: 'Critical', detail: `A trigger fired: the agent is stopping the heaviest app${dry}.` };
  }
}

export interface SummaryItem { label: string; value: string }

/** The tooltip-like one-glance figures: available memory, stall, swap. */
export function summaryOf(p: PressureRecord | null): SummaryItem[] {
  if (p === null) return [{ label: 'Memory', value: 'no sample yet' }];
  const availPct = p.memTotalBytes > 0 ? (100 * p.memAvailableBytes) / p.memTotalBytes : 0;
  return [
    { label: 'Available', value: `${formatBytes(p.memAvailableBytes)} of ${formatBytes(p.memTotalBytes)} (${formatPct(availPct)})` },
    { label: 'Stall, last 10 s', value: `some ${formatPct(p.someAvg10)} · full ${formatPct(p.fullAvg10)}` },
    { label: 'Swap', value: p.swapTotalBytes > 0 ? `${formatBytes(p.swapFreeBytes)} free of ${formatBytes(p.swapTotalBytes)}` : 'none' },
  ];
}

export interface KillMarker { atMs: number; label: string; outcome: string }

export interface ChartModel {
  /** Seconds since the epoch (uPlot's x unit), oldest first. */
  xs: number[];
  somePct: number[];
  fullPct: number[];
  availableBytes: number[];
  memTotalBytes: number;
  fromMs: number;
  toMs: number;
  markers: KillMarker[];
}

/**
 * The chart's series over [now − span, now], span at least CHART_MIN_SPAN_MS and longer when
 * the samples reach further back. Kill attempts and dry-run decisions inside it are markers;
 * warnings are not (nothing happened).
 */
export function chartOf(history: readonly PressureRecord[], kills: readonly EventRecord[], nowMs: number): ChartModel {
  const oldest = history[0]?.sampledAtMs ?? nowMs;
  const fromMs = Math.max(nowMs - PRESSURE_WINDOW_MS, Math.min(oldest, nowMs - CHART_MIN_SPAN_MS));
  const shown = history.filter((p) => p.sampledAtMs >= fromMs);
  const markers = kills
    .filter((k) => k.atMs >= fromMs && k.atMs <= nowMs + 60_000 && (isKillAttempt(k.outcome) || k.outcome === 'dry-run'))
    .map((k) => ({ atMs: k.atMs, label: k.displayName || k.appId, outcome: k.outcome }))
    .sort((a, b) => a.atMs - b.atMs);
  return {
    xs: shown.map((p) => p.sampledAtMs / 1000),
    somePct: shown.map((p) => p.someAvg10),
    fullPct: shown.map((p) => p.fullAvg10),
    availableBytes: shown.map((p) => p.memAvailableBytes),
    memTotalBytes: history.at(-1)?.memTotalBytes ?? 0,
    fromMs,
    toMs: nowMs,
    markers,
  };
}

export interface AppRow {
  /** Preferences are per application id, so one row per id (its units summed). */
  appId: string;
  name: string;
  units: string[];
  memoryBytes: number;
  swapBytes: number;
  processCount: number;
  memoryText: string;
  /** Bar length: share of the heaviest row, 0–100. */
  barPct: number;
  /** Share of all memory, for the bar's accessible text. */
  shareOfTotalPct: number;
  preference: Preference;
  nextToGo: boolean;
  /** The unit Headroom holds paused ('' when none): Resume and Quit name it, not the app id. */
  pausedUnit: string;
  /** "paused, stopped at 14:05 unless resumed"; '' while it runs. */
  pausedText: string;
}

export function appRowsOf(apps: readonly AppRecord[], explanation: ExplanationRecord | null, memTotalBytes: number,
  formatTime: (ms: number) => string = (ms) => new Date(ms).toLocaleTimeString()): AppRow[] {
  const byId = new Map<string, AppRow>();
  for (const a of apps) {
    const id = a.appId || a.unit;
    const row = byId.get(id) ?? {
      appId: id, name: a.displayName || id, units: [], memoryBytes: 0, swapBytes: 0, processCount: 0,
      memoryText: '', barPct: 0, shareOfTotalPct: 0, preference: preferenceOf(a), nextToGo: false, pausedUnit: '', pausedText: '',
    };
    if (a.pausedUntilMs > 0) {
      row.pausedUnit = a.unit;
      row.pausedText = `paused, stopped at ${formatTime(a.pausedUntilMs)} unless resumed`;
    }
    row.units.push(a.unit);
    row.memoryBytes += a.memoryBytes;
    row.swapBytes += a.swapBytes;
    row.processCount += a.processCount;
    if (explanation !== null && explanation.unit !== '' && explanation.unit === a.unit) row.nextToGo = true;
    byId.set(id, row);
  }
  const rows = [...byId.values()].sort((a, b) => b.memoryBytes + b.swapBytes - (a.memoryBytes + a.swapBytes) || a.appId.localeCompare(b.appId));
  const heaviest = Math.max(1, ...rows.map((r) => r.memoryBytes + r.swapBytes));
  for (const r of rows) {
    r.memoryText = r.swapBytes > 0 ? `${formatBytes(r.memoryBytes)} + ${formatBytes(r.swapBytes)} swap` : formatBytes(r.memoryBytes);
    r.barPct = Math.round((1000 * (r.memoryBytes + r.swapBytes)) / heaviest) / 10;
    r.shareOfTotalPct = memTotalBytes > 0 ? (100 * r.memoryBytes) / memTotalBytes : 0;
  }
  return rows;
}


export interface CandidateRow { name: string; memoryText: string; preference: string; status: string }

export interface KillRow {
  id: string;
  timeText: string;
  app: string;
  sizeText: string;
  reason: string;
  outcome: string;
  outcomeText: string;
  because: string;
  candidates: CandidateRow[];
}

const OUTCOME_TEXT: Readonly<Record<string, string>> = {
  killed: 'killed',
  partial: 'partly killed',
  failed: 'kill failed',
  'child-killed': 'one tab stopped, the app runs on',
  'dry-run': 'would have been killed (dry run)',
  warned: 'warned (named as next)',
  paused: 'paused, the user asked to resume or quit',
  resumed: 'resumed',
};

export function candidateRowsOf(candidates: readonly CandidateRecord[]): CandidateRow[] {
  return candidates.map((c) => ({
    name: c.displayName || c.appId || c.unit,
    memoryText: formatBytes(c.memoryBytes + c.swapBytes),
    preference: PREFERENCE_LABELS[preferenceOf(c)],
    status: c.excluded === '' ? 'could be killed' : `not a candidate: ${c.excluded}`,
  }));
}

export function killRowsOf(history: readonly EventRecord[], formatTime: (ms: number) => string): KillRow[] {
  return history.map((k) => {
    const attempt = isKillAttempt(k.outcome);
    const left = attempt && k.processesLeft > 0 ? `, ${k.processesLeft} of ${k.processCount} processes left` : '';
    const took = attempt && k.durationMs > 0 ? ` in ${formatSeconds(k.durationMs)}` : '';
    return {
      id: k.id,
      timeText: formatTime(k.atMs),
      app: isChildEvent(k) ? stoppedChildText(k) : k.displayName || k.appId || k.unit,
      sizeText: formatBytes(k.memoryFreedBytes + k.swapFreedBytes),
      reason: k.reason,
      outcome: k.outcome,
      outcomeText: k.outcome === 'paused' && k.pausedUntilMs > 0
        ? `paused until ${formatTime(k.pausedUntilMs)}, the user asked to resume or quit`
        : `${OUTCOME_TEXT[k.outcome] ?? k.outcome}${took}${left}`,
      because: k.because,
      candidates: candidateRowsOf(k.candidates),
    };
  });
}

/** The "would be killed next, because …" sentence. */
export function explanationOf(e: ExplanationRecord | null, agentRunning: boolean): string {
  if (!agentRunning) return 'The agent is not running, so nothing would be killed.';
  if (e === null) return 'No explanation yet.';
  const because = e.because.replace(/[.\s]+$/, '');
  if (e.unit === '') return `Nothing would be killed now${because ? `, because ${because}` : ''}.`;
  return `${e.displayName || e.appId || e.unit} would be killed next, because ${because}.`;
}

export function factsOf(f: SystemFacts | null): SummaryItem[] {
  if (f === null) return [];
  return [
    { label: 'Host', value: f.hostname },
    { label: 'System', value: f.os },
    { label: 'Kernel', value: f.kernel },
    { label: 'CPUs', value: String(f.cpus) },
    { label: 'Memory', value: formatBytes(f.memTotalBytes) },
    { label: 'Swap', value: f.swapTotalBytes > 0 ? formatBytes(f.swapTotalBytes) : 'none' },
  ];
}

/** How one live event changes what the page shows (the rest arrives with the next load). */
export function applyEvent(s: DashboardState, e: BridgeEvent): DashboardState {
  switch (e.kind) {
    case 'killed': case 'would-kill': case 'warned':
      return { ...s, history: prependKill(s.history, e.kill) };
    case 'paused': case 'resumed':
      return { ...s, apps: withPause(s.apps, e.kill), history: prependKill(s.history, e.kill) };
    case 'state':
      return { ...s, state: e.state, pressure: e.pressure, pressureHistory: withPressure(s.pressureHistory, e.pressure) };
    case 'pressure':
      return { ...s, pressure: e.pressure, pressureHistory: withPressure(s.pressureHistory, e.pressure) };
    case 'preference':
      return withPreference(s, e.appId, e.preference);
    case 'agent':
      // Without an agent no toggle can work and the sizes go stale: show none (as load() does).
      return e.running ? { ...s, agentRunning: true } : { ...s, agentRunning: false, state: '', explanation: null, apps: [] };
  }
}

/** Events after which the apps, explanation and state must be asked for again. */
export const needsReload = (e: BridgeEvent): boolean =>
  e.kind === 'killed' || e.kind === 'paused' || e.kind === 'resumed' || e.kind === 'state' || (e.kind === 'agent' && e.running) || e.kind === 'preference';
