// What launching a desktop entry means: which entries are launchable, the argv an entry's Exec=
// expands to (Terminal=true inside the user's terminal), and the entries a launcher menu lists.
// Pure: the file text, the installed-program check and the terminal come in as arguments, so
// `headroom run X.desktop` and the agent's Launch method share one set of rules.
import type { LauncherRecord } from '../../../shared/records.js';
import { desktopEntryKeys, parseDesktopEntry } from './desktop-entry.js';
import { DesktopExecError, expandExec } from './desktop-exec.js';

export interface DesktopFileText {
  /** Desktop file id without ".desktop" (e.g. "org.gnome.TextEditor"). */
  id: string;
  path: string;
  text: string;
}

export interface DesktopLaunchContext {
  locale: string;
  cwd: string;
  /** Is this TryExec= program installed (a path, or a name looked up on PATH)? */
  isInstalled(program: string): boolean;
  /** The terminal to run Terminal=true entries in, as an argv prefix (["xterm", "-e"]); null if none. */
  terminal: readonly string[] | null;
}

export interface DesktopLaunch {
  appId: string;
  name: string;
  argv: string[];
  workingDirectory: string | null;
}

/** Why an entry cannot be launched. `usage`: the caller passed files the entry cannot take. */
export class DesktopLaunchError extends Error {
  override name = 'DesktopLaunchError';
  constructor(message: string, readonly kind: 'entry' | 'usage' = 'entry') {
    super(message);
  }
}

/** Expand a desktop entry for `targets` (files/URLs), or say exactly why it cannot run. */
export function planDesktopLaunch(file: DesktopFileText, targets: readonly string[], ctx: DesktopLaunchContext): DesktopLaunch {
  const where = file.path;
  const entry = parseDesktopEntry(file.text, ctx.locale);
  if (!entry) throw new DesktopLaunchError(`${where} is not a desktop entry (no [Desktop Entry] group with Type= and Name=)`);
  if (entry.hidden) throw new DesktopLaunchError(`${where} has Hidden=true: the desktop treats that entry as deleted, so it is not run`);
  const keys = desktopEntryKeys(file.text);
  const type = keys.get('Type');
  if (type !== 'Application') throw new DesktopLaunchError(`${where} is of Type=${type ?? ''}, not Application: there is nothing to run`);
  if (entry.exec.trim() === '') throw new DesktopLaunchError(`${where} has no Exec= line, so there is nothing to run (D-Bus-activated apps must be started over the bus)`);
  const tryExec = keys.get('TryExec');
  if (tryExec && !ctx.isInstalled(tryExec)) {
    throw new DesktopLaunchError(`${where}: its TryExec= program ${JSON.stringify(tryExec)} is not installed (or not executable), so the entry is not usable`);
  }
  let argv: string[];
  try {
    argv = expandExec(entry.exec, { where, name: entry.name, icon: entry.icon, location: file.path, targets: [...targets], cwd: ctx.cwd });
  } catch (err) {
    if (err instanceof DesktopExecError) throw new DesktopLaunchError(err.message, err.kind === 'usage' ? 'usage' : 'entry');
    throw err;
  }
  if (keys.get('Terminal') === 'true') {
    if (!ctx.terminal) {
      throw new DesktopLaunchError(`${where} has Terminal=true, but no terminal emulator was found (set $TERMINAL, or install x-terminal-emulator, gnome-terminal, konsole, xfce4-terminal or xterm)`);
    }
    argv = [...ctx.terminal, ...argv];
  }
  const path = keys.get('Path');
  return { appId: file.id, name: entry.name, argv, workingDirectory: path ? path : null };
}

/**
 * Terminal emulators, most specific first, and how each takes a command: the argv prefix before
 * the program. x-terminal-emulator is Debian's alternative and takes -e like xterm.
 */
export const TERMINALS: readonly (readonly string[])[] = [
  ['x-terminal-emulator', '-e'],
  ['gnome-terminal', '--'],
  ['kgx', '--'],
  ['konsole', '-e'],
  ['xfce4-terminal', '-x'],
  ['xterm', '-e'],
];

/** The terminal prefix: $TERMINAL (taken as "run with -e") if installed, else the first installed known one. */
export function chooseTerminal(envTerminal: string | undefined, isInstalled: (program: string) => boolean): string[] | null {
  if (envTerminal && envTerminal.trim() !== '' && isInstalled(envTerminal.trim())) {
    const known = TERMINALS.find(([name]) => name === envTerminal.trim());
    return known ? [...known] : [envTerminal.trim(), '-e'];
  }
  const found = TERMINALS.find(([name]) => isInstalled(name!));
  return found ? [...found] : null;
}

/** Entries a launcher menu shows: applications not hidden, not NoDisplay, usable here; by name. */
export function launcherRecords(files: readonly DesktopFileText[], ctx: Pick<DesktopLaunchContext, 'locale' | 'isInstalled'> & { desktops: readonly string[] }): LauncherRecord[] {
  const out: LauncherRecord[] = [];
  for (const file of files) {
    const entry = parseDesktopEntry(file.text, ctx.locale);
    if (!entry || entry.hidden || entry.noDisplay || entry.exec.trim() === '') continue;
    const keys = desktopEntryKeys(file.text);
    if (keys.get('Type') !== 'Application') continue;
    const tryExec = keys.get('TryExec');
    if (tryExec && !ctx.isInstalled(tryExec)) continue;
    if (!shownIn(keys, ctx.desktops)) continue;
    const localized = (key: string): string => {
      const lang = ctx.locale.split(/[.@]/)[0] ?? '';
      const short = lang.split('_')[0] ?? '';
      return (lang && keys.get(`${key}[${lang}]`)) || (short && keys.get(`${key}[${short}]`)) || keys.get(key) || '';
    };
    out.push({
      desktopId: file.id,
      name: entry.name,
      genericName: localized('GenericName'),
      comment: localized('Comment'),
      icon: entry.icon,
      terminal: keys.get('Terminal') === 'true',
    });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name) || a.desktopId.localeCompare(b.desktopId));
}

/** OnlyShowIn=/NotShowIn= against $XDG_CURRENT_DESKTOP's names (an empty list matches no OnlyShowIn). */
function shownIn(keys: Map<string, string>, desktops: readonly string[]): boolean {
  const list = (k: string): string[] => (keys.get(k) ?? '').split(';').filter((d) => d !== '');
  const only = list('OnlyShowIn');
  if (only.length > 0 && !only.some((d) => desktops.includes(d))) return false;
  return !list('NotShowIn').some((d) => desktops.includes(d));
}
