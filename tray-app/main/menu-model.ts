// The tray's context menu as plain data, a pure function of TrayState. Electron's
// Menu.buildFromTemplate is applied to it in electron-menu.ts; on Linux the menu is rebuilt
// and set again on every change, because SNI hosts render the exported dbusmenu and Electron
// does not re-export an item that was changed in place.
import { preferenceOf } from '../../shared/agent-view.js';
import { formatBytes, PREFERENCE_LABELS } from '../../shared/format.js';
import { isKillAttempt, type Preference } from '../../shared/names.js';
import type { EventRecord } from '../../shared/records.js';
import { pressureLine, statusLine, type TrayState } from './tray-state.js';

/** What a click asks main.ts to do. */
export type MenuAction =
  | { kind: 'set-preference'; appId: string; preference: Preference }
  | { kind: 'launch'; desktopId: string }
  | { kind: 'resume-app'; unit: string }
  | { kind: 'quit-app'; unit: string; force: boolean }
  | { kind: 'open-dashboard' }
  | { kind: 'start-agent' }
  | { kind: 'install-agent' }
  | { kind: 'quit' };

export type MenuEntry =
  | { type: 'normal'; label: string; enabled: boolean; action: MenuAction | null }
  | { type: 'radio'; label: string; checked: boolean; enabled: boolean; action: MenuAction }
  | { type: 'separator' }
  | { type: 'submenu'; label: string; enabled: boolean; items: MenuEntry[] };

/** Kills the menu lists: the issue asks for the last five. */
export const RECENT_KILLS = 5;
/** Launchers listed in the menu; the rest are one click away in the dashboard. */
export const MENU_LAUNCHERS = 40;

const PREFERENCE_ORDER: readonly Preference[] = ['none', 'avoid', 'omit'];

export interface MenuOptions {
  /** Clock time of a kill, e.g. "14:05" (main.ts uses the local time zone; tests pass a fixed one). */
  timeOf: (atMs: number) => string;
}

const info = (label: string): MenuEntry => ({ type: 'normal', label, enabled: false, action: null });
const item = (label: string, action: MenuAction, enabled = true): MenuEntry => ({ type: 'normal', label, enabled, action });
const separator: MenuEntry = { type: 'separator' };

/** dbusmenu hosts treat "_" as a mnemonic marker: a literal one must be doubled. */
export const menuText = (text: string): string => text.replace(/_/g, '__');

/** Whether a record is a pause or a resume: the menu lists them beside the kills. */
const isPauseEvent = (outcome: string): boolean => outcome === 'paused' || outcome === 'resumed';

/**
 * The real kills (not warnings, not dry-run would-kills) and the pauses and resumes (each asked
 * the user something or answered it), newest first, at most five.
 */
export function recentKills(history: readonly EventRecord[]): EventRecord[] {
  return history.filter((k) => isKillAttempt(k.outcome) || isPauseEvent(k.outcome)).slice(0, RECENT_KILLS);
}

export function killLabel(k: EventRecord, timeOf: (atMs: number) => string): string {
  const name = k.displayName || k.appId || k.unit;
  // A pause or resume freed nothing: its line says what happened, the size being what it held.
  if (k.outcome === 'paused') return `${timeOf(k.atMs)}  Paused ${menuText(name)} (${formatBytes(k.memoryFreedBytes + k.swapFreedBytes)})`;
  if (k.outcome === 'resumed') return `${timeOf(k.atMs)}  Resumed ${menuText(name)}`;
  const outcome = k.outcome === 'killed' ? '' : k.outcome === 'child-killed' ? ' (one tab; still running)' : ` (${k.outcome})`;
  return `${timeOf(k.atMs)}  ${menuText(name)}  ${formatBytes(k.memoryFreedBytes)}  ${k.reason}${outcome}`;
}

export function buildMenuModel(s: TrayState, opts: MenuOptions): MenuEntry[] {
  const running = s.link === 'running';
  const entries: MenuEntry[] = [info(statusLine(s))];
  const figures = running ? pressureLine(s.pressure) : '';
  if (figures !== '') entries.push(info(figures));
  if (s.link === 'stopped') {
    entries.push(s.installed ? item('Start the agent', { kind: 'start-agent' }) : item('Install the agent (headroom install)…', { kind: 'install-agent' }));
  }
  entries.push(separator);

  // Apps: one submenu per running app, with the three preferences as one radio group.
  const apps: MenuEntry[] = s.apps.map((app) => {
    const name = menuText(app.displayName || app.appId || app.unit);
    const current = preferenceOf(app);
    // Preferences are stored per app id; a unit without one cannot be given a preference.
    const settable = running && app.appId !== '';
    const preferences = PREFERENCE_ORDER.map((preference): MenuEntry => ({
      type: 'radio', label: PREFERENCE_LABELS[preference], checked: preference === current, enabled: settable,
      action: { kind: 'set-preference', appId: app.appId, preference },
    }));
    if (app.pausedUntilMs > 0) {
      // Paused: the agent is waiting for the answer, so the answers come first. The unit, not the
      // app id: it names this one paused scope.
      return {
        type: 'submenu', label: `${name} — paused`, enabled: true,
        items: [
          info(`Stopped at ${opts.timeOf(app.pausedUntilMs)} unless resumed`),
          item('Resume', { kind: 'resume-app', unit: app.unit }, running),
          item('Quit', { kind: 'quit-app', unit: app.unit, force: false }, running),
          item('Force quit', { kind: 'quit-app', unit: app.unit, force: true }, running),
          separator, ...preferences,
        ],
      };
    }
    return { type: 'submenu', label: `${name} — ${formatBytes(app.memoryBytes + app.swapBytes)}`, enabled: true, items: preferences };
  });
  entries.push({ type: 'submenu', label: 'Apps', enabled: running, items: apps.length > 0 ? apps : [info(running ? 'No apps running in their own scope' : 'The agent is not running')] });

  const kills = recentKills(s.history);
  entries.push({
    type: 'submenu', label: 'Recent kills', enabled: true,
    items: kills.length > 0 ? kills.map((k) => info(killLabel(k, opts.timeOf))) : [info('No kills yet')],
  });

  // Launch…: through the agent, so the app lands in its own scope (app-headroom-<id>-….scope).
  const shown = s.launchers.slice(0, MENU_LAUNCHERS);
  const launchItems: MenuEntry[] = shown.map((l) => item(`${menuText(l.name)}${l.terminal ? ' (in a terminal)' : ''}`, { kind: 'launch', desktopId: l.desktopId }, running));
  if (s.launchers.length > shown.length) launchItems.push(separator, item(`All ${s.launchers.length} apps: open the dashboard…`, { kind: 'open-dashboard' }));
  entries.push({ type: 'submenu', label: 'Launch…', enabled: running && s.launchers.length > 0, items: launchItems.length > 0 ? launchItems : [info('No desktop entries found')] });

  entries.push(separator, item('Open dashboard', { kind: 'open-dashboard' }), item('Quit', { kind: 'quit' }));
  return entries;
}
