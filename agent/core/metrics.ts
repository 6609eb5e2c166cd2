// Metrics for node_exporter's textfile collector, in the Prometheus text exposition format
// (0.0.4, what the collector parses). Pure: the counters as data, the events that move them,
// and the file's text; agent/io/metrics-file.ts writes it.
//
// Counters count from the agent's start (headroom_start_time_seconds), like any process's
// counters: Prometheus's rate() and increase() take a restart as a reset. Seeding them from
// history would not be monotonic either: history is trimmed to its newest entries.
import { AGENT_STATES, isKillAttempt, type AgentState } from '../../shared/names.js';
import type { EventRecord, PressureRecord } from '../../shared/records.js';

/** App ids that get a label value of their own, first come; later ones count as OTHER_APP. */
export const MAX_APP_LABELS = 20;
export const OTHER_APP = 'other';
/** The label value of a record without an app id. */
export const UNKNOWN_APP = 'unknown';
/** While not calm, the file follows the agent's looks at most this often… */
export const METRICS_BUSY_WRITE_MS = 5_000;
/** …and in any state it is rewritten this often: its age says whether the agent is alive. */
export const METRICS_HEARTBEAT_MS = 60_000;

export interface KillSeries {
  app: string;
  reason: string;
  outcome: string;
  count: number;
}

export interface MetricsState {
  startedAtMs: number;
  /** false once the agent stopped cleanly. */
  up: boolean;
  /** App ids with a label of their own, in the order they first appeared. */
  apps: readonly string[];
  kills: readonly KillSeries[];
  warnings: number;
  outOfReach: number;
  /** Apps paused to ask the user. */
  pauses: number;
  state: AgentState;
  /** The last look's figures; null before the first. */
  pressure: PressureRecord | null;
  /** Wall clock of the last kill attempt (not a dry run), ms; null if none is known. */
  lastKillAtMs: number | null;
}

export const initialMetrics = (startedAtMs: number, lastKillAtMs: number | null = null): MetricsState => ({
  startedAtMs, up: true, apps: [], kills: [], warnings: 0, outOfReach: 0, pauses: 0, state: 'calm', pressure: null, lastKillAtMs,
});

/** The label value an app id counts under, and the app list that decision leaves behind. */
function appLabel(apps: readonly string[], appId: string): { label: string; apps: readonly string[] } {
  const id = appId === '' ? UNKNOWN_APP : appId;
  if (apps.includes(id)) return { label: id, apps };
  if (apps.length < MAX_APP_LABELS) return { label: id, apps: [...apps, id] };
  return { label: OTHER_APP, apps };
}

/** A kill attempt or a dry-run decision (outcome dry-run). */
export function countKill(m: MetricsState, r: EventRecord): MetricsState {
  const { label, apps } = appLabel(m.apps, r.appId);
  const same = (s: KillSeries): boolean => s.app === label && s.reason === r.reason && s.outcome === r.outcome;
  const kills = m.kills.some(same)
    ? m.kills.map((s) => (same(s) ? { ...s, count: s.count + 1 } : s))
    : [...m.kills, { app: label, reason: r.reason, outcome: r.outcome, count: 1 }];
  return { ...m, apps, kills, lastKillAtMs: isKillAttempt(r.outcome) ? r.atMs : m.lastKillAtMs };
}

export const countWarning = (m: MetricsState): MetricsState => ({ ...m, warnings: m.warnings + 1 });
export const countPause = (m: MetricsState): MetricsState => ({ ...m, pauses: m.pauses + 1 });
export const countOutOfReach = (m: MetricsState): MetricsState => ({ ...m, outOfReach: m.outOfReach + 1 });
export const noteLook = (m: MetricsState, state: AgentState, pressure: PressureRecord): MetricsState => ({ ...m, state, pressure });

/** Exposition format: a label value escapes \, " and newline; HELP text \ and newline. */
export const escapeLabelValue = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const escapeHelp = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

function formatNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf';
  return String(n);
}

type Labels = Readonly<Record<string, string>>;

interface Family {
  name: string;
  type: 'gauge' | 'counter';
  help: string;
  samples: readonly { labels?: Labels; value: number }[];
}

/**
 * The file's text. `constLabels` go on every sample: several users' agents write into one
 * directory, and node_exporter refuses a metric that two files give the same labels.
 */
export function renderMetrics(m: MetricsState, nowMs: number, constLabels: Labels): string {
  const seconds = (ms: number): number => Math.round(ms) / 1000;
  const p = m.pressure;
  const families: Family[] = [
    { name: 'headroom_up', type: 'gauge', help: '1 while the agent runs, 0 once it stopped cleanly. A file older than a few minutes (node_textfile_mtime_seconds) is an agent that died.',
      samples: [{ value: m.up ? 1 : 0 }] },
    { name: 'headroom_start_time_seconds', type: 'gauge', help: 'When the agent started, in seconds since the epoch; the counters count from there.',
      samples: [{ value: seconds(m.startedAtMs) }] },
    { name: 'headroom_last_update_timestamp_seconds', type: 'gauge', help: 'When the agent wrote this file, in seconds since the epoch.',
      samples: [{ value: seconds(nowMs) }] },
    { name: 'headroom_state', type: 'gauge', help: '1 for the memory state the agent is in (calm, elevated, critical), 0 for the others.',
      samples: AGENT_STATES.map((s) => ({ labels: { state: s }, value: s === m.state ? 1 : 0 })) },
    { name: 'headroom_mem_available_bytes', type: 'gauge', help: 'MemAvailable at the agent\'s last look.',
      samples: p ? [{ value: p.memAvailableBytes }] : [] },
    { name: 'headroom_pressure_full_ratio', type: 'gauge', help: 'Share of the last 10 s in which every task of the user\'s tree stalled on memory (PSI full avg10), at the last look.',
      samples: p ? [{ value: p.fullAvg10 / 100 }] : [] },
    { name: 'headroom_kills_total', type: 'counter', help: `Apps stopped, by app id (the first ${MAX_APP_LABELS}; later ones as "${OTHER_APP}"), reason and outcome (killed, partial, failed; dry-run: would have been).`,
      samples: [...m.kills].sort(byLabels).map((s) => ({ labels: { app: s.app, reason: s.reason, outcome: s.outcome }, value: s.count })) },
    { name: 'headroom_warnings_total', type: 'counter', help: 'Warnings that named the app to go next.',
      samples: [{ value: m.warnings }] },
    { name: 'headroom_pauses_total', type: 'counter', help: 'Apps paused while memory ran out slowly, to ask the user (Resume, Quit, Force quit).',
      samples: [{ value: m.pauses }] },
    { name: 'headroom_out_of_reach_total', type: 'counter', help: 'Times memory ran short while its heaviest user was outside Headroom\'s reach.',
      samples: [{ value: m.outOfReach }] },
    { name: 'headroom_last_kill_timestamp_seconds', type: 'gauge', help: 'When the last kill attempt (not a dry run) was made, in seconds since the epoch; 0 if none is known.',
      samples: [{ value: m.lastKillAtMs === null ? 0 : seconds(m.lastKillAtMs) }] },
  ];
  const labelText = (labels: Labels = {}): string => {
    const all = Object.entries({ ...constLabels, ...labels });
    return all.length === 0 ? '' : `{${all.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`;
  };
  return families.map((f) =>
    `# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} ${f.type}\n` +
    f.samples.map((s) => `${f.name}${labelText(s.labels)} ${formatNumber(s.value)}\n`).join('')).join('');
}

/** By code unit, not locale: the same file on every machine. */
const cmp = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);
const byLabels = (a: KillSeries, b: KillSeries): number => cmp(a.app, b.app) || cmp(a.reason, b.reason) || cmp(a.outcome, b.outcome);
