// App unit names per systemd's desktop conventions (systemd.io/DESKTOP_ENVIRONMENTS):
//   app[-<launcher>]-<ApplicationID>-<RANDOM>.scope
//   app[-<launcher>]-<ApplicationID>[@<RANDOM>].service
// The ID is escaped the way systemd-escape does (\xNN), so "-" only ever separates fields.

const SAFE = /[A-Za-z0-9:_.]/;
const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

/** Escape an application id for use as one field of a unit name. */
export function escapeUnitField(id: string): string {
  let out = '';
  for (const ch of id) {
    if (SAFE.test(ch) && !(out === '' && ch === '.')) {
      out += ch;
      continue;
    }
    // encodeURIComponent yields the UTF-8 bytes as %XX for anything outside ASCII.
    // A lone UTF-16 surrogate has no UTF-8 form: escape it as U+FFFD rather than throw.
    const enc = encodeURIComponent(ch.length === 1 && /[\uD800-\uDFFF]/.test(ch) ? '\uFFFD' : ch);
    out += enc.startsWith('%')
      ? enc.split('%').slice(1).map((b) => `\\x${b.toLowerCase()}`).join('')
      : `\\x${hex2(ch.charCodeAt(0))}`;
  }
  return out;
}

/** Undo escapeUnitField. Malformed escapes are kept literally rather than guessed at. */
export function unescapeUnitField(field: string): string {
  return field.replace(/(?:\\x[0-9a-fA-F]{2})+/g, (run) => {
    const pct = run.replace(/\\x/g, '%');
    try {
      return decodeURIComponent(pct);
    } catch {
      return run;
    }
  });
}

export interface AppUnitName {
  unit: string;
  kind: 'scope' | 'service';
  /** 'headroom', 'gnome', 'flatpak', … or '' when the name carries none. */
  launcher: string;
  appId: string;
  random: string;
}

/** Parse an app unit name; null for anything that is not an app unit. */
export function parseAppUnitName(unit: string): AppUnitName | null {
  const m = /^app-(.+)\.(scope|service)$/.exec(unit);
  if (!m) return null;
  let body = m[1]!;
  const kind = m[2] as 'scope' | 'service';
  let random = '';
  if (kind === 'service') {
    const at = body.indexOf('@');
    if (at >= 0) {
      random = body.slice(at + 1);
      body = body.slice(0, at);
    }
  } else {
    const dash = body.lastIndexOf('-');
    if (dash > 0) {
      random = body.slice(dash + 1);
      body = body.slice(0, dash);
    }
  }
  if (body === '') return null;
  const parts = body.split('-');
  // One field: just the id. Two: launcher and id. More means a launcher that did not escape
  // "-" in the id; the first field is still the launcher by convention.
  const launcher = parts.length >= 2 ? parts[0]! : '';
  const idField = parts.length >= 2 ? parts.slice(1).join('-') : parts[0]!;
  if (idField === '') return null;
  return { unit, kind, launcher: unescapeUnitField(launcher), appId: unescapeUnitField(idField), random };
}

/** Our launches: app-headroom-<escaped id>-<16 hex>.scope. The fixed suffix keeps parsing exact. */
export const HEADROOM_LAUNCHER = 'headroom';
export const SCOPE_RANDOM_PATTERN = /^[0-9a-f]{16}$/;
const MAX_UNIT_NAME = 255;

export function makeScopeName(appId: string, random: string): string {
  if (!SCOPE_RANDOM_PATTERN.test(random)) throw new Error(`scope suffix must be 16 lowercase hex digits, got ${JSON.stringify(random)}`);
  if (appId.trim() === '') throw new Error('app id must not be empty');
  const unit = `app-${HEADROOM_LAUNCHER}-${escapeUnitField(appId)}-${random}.scope`;
  if (unit.length > MAX_UNIT_NAME) throw new Error(`app id ${JSON.stringify(appId)} is too long for a unit name (${unit.length} > ${MAX_UNIT_NAME} characters)`);
  return unit;
}

/** The default id for a command: basename of argv[0], as the conventions suggest. */
export function defaultAppId(command: string): string {
  const base = command.split('/').filter((p) => p !== '').pop() ?? command;
  return base.replace(/\.desktop$/, '');
}

/**
 * What kind of thing a unit in the user's tree is, from its name and its parent slice alone:
 *   app           app-[<launcher>-]<id>-<rand>.scope, app-[<launcher>-]<id>[@<rand>].service
 *                 (GNOME, KDE, flatpak's app-flatpak-<id>-<n>.scope, XDG autostart's @autostart)
 *   terminal-tab  vte-spawn-<uuid>.scope: one tab's job in a VTE terminal (GNOME Terminal,
 *                 Console, Ptyxis, Tilix; VTE src/systemd.cc), in the terminal's own slice
 *                 app-<terminal id>.slice, in app.slice (older VTE) or in session.slice
 *   snap          snap.<snap>.<app>-<uuid>.scope (snapd's tracking scope) or snap.<snap>.<app>.service
 *   dbus          dbus-:<n>-<bus name>@<n>.service (a D-Bus-activated app)
 *   unit          anything else that is a scope or service: shown by its unit name
 */
export type UnitKind = 'app' | 'terminal-tab' | 'snap' | 'dbus' | 'unit';

export interface UserUnitName {
  unit: string;
  kind: UnitKind;
  /** 'headroom', 'gnome', 'flatpak', 'snap', 'dbus', 'vte', … or ''. */
  launcher: string;
  /**
   * The id preferences and desktop entries are keyed by: the app id, the snap's desktop id
   * (<snap>_<app>), the bus name, or the unit name itself. For a terminal tab it is '' here:
   * the job in the tab names it, and only its processes tell which job that is.
   */
  appId: string;
  /** For a terminal tab: the terminal's app id from its slice (org.gnome.Terminal), else ''. */
  hostAppId: string;
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const VTE_SCOPE = new RegExp(`^vte-spawn-${UUID}\\.scope$`);
// snapd: snap names are lowercase letters, digits and '-', with an optional _<instance key>;
// app names letters, digits and '-'; hooks are "hook.<name>".
const SNAP_UNIT = new RegExp(`^snap\\.([a-z0-9-]+(?:_[a-z0-9]+)?)\\.((?:hook\\.)?[A-Za-z0-9-]+?)(?:-${UUID}\\.scope|\\.service)$`);
const DBUS_UNIT = /^dbus-:[0-9.]+-(.+)@\d+\.service$/;
const APP_SLICE = /^app-(.+)\.slice$/;

/** The terminal (or other app) whose own slice this is: app-org.gnome.Terminal.slice → org.gnome.Terminal. */
export function sliceAppId(slice: string): string {
  const m = APP_SLICE.exec(slice);
  return m ? unescapeUnitField(m[1]!) : '';
}

/** Classify a scope or service of the user's tree; null for anything else (slices, sub-cgroups). */
export function classifyUnit(unit: string, parentSlice: string): UserUnitName | null {
  if (!/\.(scope|service)$/.test(unit)) return null;
  if (VTE_SCOPE.test(unit)) return { unit, kind: 'terminal-tab', launcher: 'vte', appId: '', hostAppId: sliceAppId(parentSlice) };
  const snap = SNAP_UNIT.exec(unit);
  if (snap) return { unit, kind: 'snap', launcher: 'snap', appId: `${snap[1]!}_${snap[2]!}`, hostAppId: '' };
  const dbus = DBUS_UNIT.exec(unit);
  if (dbus) return { unit, kind: 'dbus', launcher: 'dbus', appId: unescapeUnitField(dbus[1]!), hostAppId: '' };
  const app = parseAppUnitName(unit);
  if (app) return { unit, kind: 'app', launcher: app.launcher, appId: app.appId, hostAppId: '' };
  return { unit, kind: 'unit', launcher: '', appId: unit, hostAppId: '' };
}

/** A terminal's name when its desktop entry is unknown: org.gnome.Terminal → Terminal. */
export const terminalNameFromId = (id: string): string => id.split('.').filter((p) => p !== '').pop() ?? '';
