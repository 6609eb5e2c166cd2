// `headroom install` / `uninstall`, the decisions: what the two installed files say, and what to
// do with each file given what is on disk and what headroom last wrote there. Pure: the IO
// side reads the files and the install record and passes the facts in.

export const UNIT_NAME = 'headroom-agent.service';
export const ACTIVATION_FILE_NAME = 'org.headroom.Agent1.service';

/** A word for a systemd Exec*= line: specifiers (%) and variables ($) doubled, quoted when needed. */
export function systemdExecWord(word: string): string {
  const escaped = word.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  return /^[A-Za-z0-9_@%$+=:,./-]+$/.test(escaped) ? escaped : `"${escaped.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** A word for a D-Bus service file's Exec= (dbus-daemon splits it like a POSIX shell). */
export function dbusExecWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

const marker = (version: string, how: string): string =>
  `# Written by headroom install (headroom ${version}); ${how}\n`;

/** Replace the first `key=` line of a template; the template must have one. */
function rewriteKey(template: string, key: string, value: string, what: string): string {
  const re = new RegExp(`^${key}=.*$`, 'm');
  if (!re.test(template)) throw new Error(`the ${what} template has no ${key}= line`);
  return template.replace(re, `${key}=${value}`);
}

/** The user unit: assets/headroom-agent.service with ExecStart pointing at this installation. */
export function renderUnit(template: string, binPath: string, version: string): string {
  return marker(version, `to change it, use "systemctl --user edit ${UNIT_NAME}" (a drop-in survives upgrades)`)
    + rewriteKey(template, 'ExecStart', `${systemdExecWord(binPath)} agent`, 'unit');
}

/** The D-Bus activation file: the first call to org.headroom.Agent1 starts the unit. */
export function renderActivation(template: string, binPath: string, version: string): string {
  return marker(version, 'headroom uninstall removes it')
    + rewriteKey(template, 'Exec', `${dbusExecWord(binPath)} agent`, 'D-Bus service');
}

export interface FileFacts {
  /** The file's content now, or null if it does not exist. */
  current: string | null;
  /** Whether the current content is exactly what headroom last wrote there (per the install record). */
  matchesRecord: boolean;
}

export type InstallAction =
  | 'create'     // absent: write it
  | 'unchanged'  // already exactly what we would write
  | 'update'     // ours, from an older install: rewrite it
  | 'replace'    // edited or foreign, and --force: back it up, then write
  | 'conflict';  // edited or foreign: refuse

export function planInstallFile(f: FileFacts, desired: string, force: boolean): InstallAction {
  if (f.current === null) return 'create';
  if (f.current === desired) return 'unchanged';
  if (f.matchesRecord) return 'update';
  return force ? 'replace' : 'conflict';
}

export type UninstallAction =
  | 'absent'
  | 'remove'         // ours (as recorded, or what we would write now)
  | 'remove-backup'  // edited or foreign, and --force: back it up, then remove
  | 'conflict';

export function planUninstallFile(f: FileFacts, desired: string, force: boolean): UninstallAction {
  if (f.current === null) return 'absent';
  if (f.current === desired || f.matchesRecord) return 'remove';
  return force ? 'remove-backup' : 'conflict';
}

/** Why a file is refused, and how to proceed. */
export function conflictMessage(path: string, recorded: boolean, command: 'install' | 'uninstall'): string {
  const why = recorded
    ? `${path} was edited since headroom install wrote it`
    : `${path} exists but was not written by headroom install`;
  const alternative = path.endsWith(`/${UNIT_NAME}`) && command === 'install'
    ? `put your changes in a drop-in instead (systemctl --user edit ${UNIT_NAME}), or `
    : '';
  const verb = command === 'install' ? 'replace' : 'remove';
  return `${why}; not touching it. To proceed, ${alternative}run "headroom ${command} --force" to ${verb} it (your version is kept as ${path}.bak-<time>)`;
}

/** A backup name for a file: <file>.bak-YYYYMMDDTHHMMSSZ (neither systemd nor D-Bus loads it). */
export const backupName = (path: string, nowMs: number): string =>
  `${path}.bak-${new Date(nowMs).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`;
