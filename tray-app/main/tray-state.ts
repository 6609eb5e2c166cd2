// What the tray knows about the agent, as one value, and how each event changes it.
// Pure (no Electron, no IO, no clock): main.ts feeds it the agent feed's events and redraws the
// icon, tooltip and menu from the result, so every picture the tray can show is a unit test.
import { prependKill, withoutKilled, withPause, withPreference } from '../../shared/agent-view.js';
import type { BridgeEvent, DashboardState } from '../../shared/bridge.js';
import { formatBytes, formatPct } from '../../shared/format.js';
import type { AgentState } from '../../shared/names.js';
import type { AppRecord, EventRecord, LauncherRecord, PressureRecord } from '../../shared/records.js';

/**
 * connecting: the first answer is not in yet. running: the agent owns its bus name.
 * stopped: it does not (never started, crashed, or stopped by the user).
 */
export type AgentLink = 'connecting' | 'running' | 'stopped';

export interface TrayState {
  link: AgentLink;
  /** A D-Bus activation file for the agent exists (headroom install, or the deb). */
  installed: boolean;
  /** null while the agent is not running. */
  state: AgentState | null;
  dryRun: boolean;
  pressure: PressureRecord | null;
  /** Heaviest first, as the agent lists them, each with the preference the agent holds for it. */
  apps: AppRecord[];
  /** Newest first: kills, would-be kills and warnings (the menu keeps only real kills). */
  history: EventRecord[];
  launchers: LauncherRecord[];
  /** The last failure worth showing ('' when none). */
  error: string;
}

export const initialTrayState: TrayState = {
  link: 'connecting', installed: false, state: null, dryRun: false, pressure: null,
  apps: [], history: [], launchers: [], error: '',
};

export type TrayEvent =
  | BridgeEvent
  | { kind: 'loaded'; dashboard: DashboardState }
  | { kind: 'launchers'; launchers: LauncherRecord[] }
  | { kind: 'installed'; installed: boolean }
  | { kind: 'error'; message: string };

export function reduceTray(s: TrayState, e: TrayEvent): TrayState {
  switch (e.kind) {
    case 'loaded': {
      const d = e.dashboard;
      if (!d.agentRunning) return { ...s, link: 'stopped', state: null, apps: [], history: d.history, error: d.error };
      return {
        ...s, link: 'running', state: d.state === '' ? null : d.state, dryRun: d.dryRun, pressure: d.pressure,
        apps: d.apps, history: d.history, error: d.error,
      };
    }
    case 'agent':
      // Coming back: 'running' now, the figures follow with the next load. Going away: what the
      // agent said about apps and state is no longer true, the history still is.
      return e.running ? { ...s, link: 'running', error: '' } : { ...s, link: 'stopped', state: null, apps: [] };
    case 'state':
      return { ...s, link: 'running', state: e.state, pressure: e.pressure };
    case 'pressure':
      return { ...s, pressure: e.pressure };
    case 'killed':
      return { ...s, apps: withoutKilled(s.apps, e.kill), history: prependKill(s.history, e.kill) };
    case 'paused':
    case 'resumed':
      return { ...s, apps: withPause(s.apps, e.kill), history: prependKill(s.history, e.kill) };
    case 'would-kill':
    case 'warned':
      return { ...s, history: prependKill(s.history, e.kill) };
    case 'preference':
      return withPreference(s, e.appId, e.preference);
    case 'launchers':
      return { ...s, launchers: e.launchers };
    case 'installed':
      return { ...s, installed: e.installed };
    case 'error':
      return { ...s, error: e.message };
  }
}

/**
 * Events after which the tray asks for the app list at once rather than at its next refresh:
 * the agent came back, or an app was paused or resumed (sizes and deadline from the agent).
 */
export const reloadsApps = (e: BridgeEvent): boolean =>
  (e.kind === 'agent' && e.running) || e.kind === 'paused' || e.kind === 'resumed';

/** The apps Headroom holds paused now (pausedUntilMs set), as the agent last listed them. */
export const pausedApps = (s: TrayState): AppRecord[] => (s.link === 'running' ? s.apps.filter((a) => a.pausedUntilMs > 0) : []);

/** Which of the four tray images: one per agent state, and one for "agent not running". */
export type TrayIcon = 'calm' | 'elevated' | 'critical' | 'stopped';
export const TRAY_ICONS: readonly TrayIcon[] = ['calm', 'elevated', 'critical', 'stopped'];

export function trayIcon(s: TrayState): TrayIcon {
  if (s.link !== 'running' || s.state === null) return 'stopped';
  return s.state;
}

const STATE_WORDS: Record<AgentState, string> = {
  calm: 'memory is fine',
  elevated: 'memory is getting tight',
  critical: 'memory is critical',
};

/** One line for the top of the menu (and the tooltip's first line). */
export function statusLine(s: TrayState): string {
  if (s.link === 'connecting') return 'Headroom: connecting to the agent…';
  if (s.link === 'stopped' || s.state === null) {
    return s.installed ? 'Headroom: the agent is not running' : 'Headroom: the agent is not installed or running';
  }
  // A paused app waits for the user's answer: say so where every host shows it. The icon keeps
  // to the memory state (a paused app goes with elevated or critical memory anyway).
  const paused = pausedApps(s)[0];
  const pausedWords = paused === undefined ? '' : `; ${paused.displayName || paused.appId || paused.unit} is paused`;
  return `Headroom: ${STATE_WORDS[s.state]}${pausedWords}${s.dryRun ? ' (dry run: kills nothing)' : ''}`;
}

/** The memory figures, or '' before the first sample. */
export function pressureLine(p: PressureRecord | null): string {
  if (p === null) return '';
  return `Pressure ${formatPct(p.fullAvg10)} · ${formatBytes(p.memAvailableBytes)} of ${formatBytes(p.memTotalBytes)} available`;
}

/**
 * Tooltip text. Plain text, two lines: Electron puts it in the item's SNI ToolTip property
 * (title only), which KDE and Xfce show on hover; GNOME's AppIndicator extension shows no
 * tooltips at all, which is why the menu repeats both lines at its top.
 */
export function trayTooltip(s: TrayState): string {
  const figures = s.link === 'running' ? pressureLine(s.pressure) : '';
  return figures === '' ? statusLine(s) : `${statusLine(s)}\n${figures}`;
}
