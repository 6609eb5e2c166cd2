// `headroom install` / `headroom uninstall`: the agent as a systemd user service, plus a D-Bus
// activation file so that a call to org.headroom.Agent1 starts it through systemd. Files the
// user edited (or that headroom never wrote) are never overwritten or removed without --force.
import { appImageSource } from '../install/core/appimage.js';
import { UNIT_NAME, conflictMessage, planInstallFile, planUninstallFile, type InstallAction, type UninstallAction } from '../install/core/install-plan.js';
import { appImageLayout, copyAppOut, linkCommand, removeAppImageInstall, removeOtherVersions, writeAppImageRecord, type LinkResult } from '../install/appimage-install.js';
import { readTextIfExists, writeFileAtomic } from '../io/files.js';
import { packageRoot, packageVersion } from '../io/package-root.js';
import {
  backupFile, desiredFiles, headroomBin, installPaths, readInstallRecord, removeIfExists, sha256, systemctlUser, writeInstallRecord,
  type InstallRecord,
} from '../install/install.js';
import { CliError } from './exit-codes.js';
import { printJson } from './query-commands.js';

export interface InstallOptions {
  /** Start the agent now (`enable --now`); false: enable only. */
  start: boolean;
  force: boolean;
  /** False: write the files only (tests). */
  systemctl: boolean;
  json: boolean;
}

const warn = (msg: string): void => {
  process.stderr.write(`headroom: warning: ${msg}\n`);
};

interface Planned<A> {
  path: string;
  desired: string;
  /** Whether the record knows this path at all (for the refusal's wording). */
  recorded: boolean;
  action: A;
}

async function plan<A>(
  files: { path: string; desired: string }[], record: InstallRecord,
  decide: (facts: { current: string | null; matchesRecord: boolean }, desired: string) => A,
): Promise<Planned<A>[]> {
  return Promise.all(files.map(async ({ path, desired }) => {
    const current = await readTextIfExists(path);
    const recordedSha = record.get(path);
    const matchesRecord = current !== null && recordedSha !== undefined && recordedSha === sha256(current);
    return { path, desired, recorded: recordedSha !== undefined, action: decide({ current, matchesRecord }, desired) };
  }));
}

/**
 * Plan both files (unit first, then the activation file) and refuse, naming every conflict,
 * before anything is touched.
 */
async function planOrRefuse<A>(
  verb: 'install' | 'uninstall',
  decide: (facts: { current: string | null; matchesRecord: boolean }, desired: string) => A,
  bin: string,
): Promise<{ paths: ReturnType<typeof installPaths>; record: InstallRecord; plans: Planned<A>[] }> {
  const paths = installPaths();
  const desired = await desiredFiles(bin);
  const record = await readInstallRecord(paths.record, warn);
  const plans = await plan([{ path: paths.unit, desired: desired.unit }, { path: paths.activation, desired: desired.activation }], record, decide);
  const conflicts = plans.filter((p) => p.action === 'conflict');
  if (conflicts.length > 0) throw new CliError(conflicts.map((c) => conflictMessage(c.path, c.recorded, verb)).join('\n'));
  return { paths, record, plans };
}

const systemctlLine = (args: readonly string[]): string => `systemctl --user ${args.join(' ')}`;

export async function install(opts: InstallOptions): Promise<void> {
  const root = packageRoot();
  const source = appImageSource(root, process.env);
  if (source.kind === 'refuse') throw new CliError(source.why);
  // From an AppImage the unit runs a copy outside the mount (agent/install/core/appimage.ts says why).
  const layout = source.kind === 'appimage' ? { ...appImageLayout(packageVersion()), appImage: source.appImage } : null;
  // Refusals (edited files) come before anything is copied or written.
  const { paths, record, plans } = await planOrRefuse('install', (facts, want): InstallAction => planInstallFile(facts, want, opts.force), layout?.command ?? headroomBin());

  const lines: string[] = [];
  let link: LinkResult | null = null;
  if (layout !== null) {
    await copyAppOut(root, layout.appImage, layout);
    await writeAppImageRecord(layout, { version: packageVersion(), appImage: layout.appImage, dir: layout.dir });
    lines.push(`copied the agent out of the AppImage to ${layout.dir}; it runs with ${layout.appImage} as its Node, so keep that file where it is `
      + '(if you move it, start it once and its tray installs again)');
    link = await linkCommand(layout);
    lines.push(typeof link === 'object' ? `not linking the headroom command: ${link.skipped}`
      : link === 'unchanged' ? `${layout.link} already runs this copy` : `${link === 'created' ? 'linked' : 'relinked'} ${layout.link} to it (the headroom command, where ~/.local/bin is on your PATH)`);
  }
  const changed: string[] = [];
  const backups: string[] = [];
  for (const p of plans) {
    if (p.action === 'unchanged') continue;
    const backup = p.action === 'replace' ? await backupFile(p.path) : null;
    await writeFileAtomic(p.path, p.desired);
    changed.push(p.path);
    if (backup !== null) backups.push(backup);
    lines.push(p.action === 'create' ? `wrote ${p.path}`
      : p.action === 'update' ? `updated ${p.path} (it was from an earlier install)`
        : `replaced ${p.path}; your version is kept as ${backup}`);
  }
  let recordChanged = false;
  for (const p of plans) {
    const sha = sha256(p.desired);
    if (record.get(p.path) !== sha) {
      record.set(p.path, sha);
      recordChanged = true;
    }
  }
  if (recordChanged) await writeInstallRecord(paths.record, record);
  if (changed.length === 0) lines.push(`headroom is already installed (${paths.unit}, ${paths.activation}); no file changed`);

  // Then systemd: reload (it must see a new or changed unit), enable, and start unless --no-start.
  // A unit that changed under a running agent takes effect only on restart: try-restart.
  const unitAction = plans[0]!.action;
  const steps: string[][] = [['daemon-reload'], ['enable', ...(opts.start ? ['--now'] : []), UNIT_NAME]];
  if (opts.start && (unitAction === 'update' || unitAction === 'replace')) steps.push(['try-restart', UNIT_NAME]);
  let enabled = false;
  let failure: { step: string[]; missing: boolean; detail: string; remaining: string[][] } | null = null;
  if (!opts.systemctl) {
    lines.push(`not running systemctl (--no-systemctl); to enable it: ${steps.map(systemctlLine).join(' && ')}`);
  } else {
    for (const [i, step] of steps.entries()) {
      const r = await systemctlUser(step);
      if (!r.ok) {
        failure = { step, missing: r.missing, detail: r.detail, remaining: steps.slice(i) };
        break;
      }
      if (step[0] === 'enable') enabled = true;
    }
    if (failure === null) {
      lines.push(opts.start
        ? `enabled and started ${UNIT_NAME}: the agent runs now and at every login`
        : `enabled ${UNIT_NAME}: the agent starts at your next login (or now: systemctl --user start ${UNIT_NAME})`);
    }
  }
  const started = opts.systemctl && opts.start && failure === null;
  // Earlier copies only once the unit points at this one (and a running agent was restarted).
  if (layout !== null && failure === null) {
    for (const dir of await removeOtherVersions(layout)) lines.push(`removed the earlier copy ${dir}`);
  }

  if (opts.json) {
    printJson({
      unit: paths.unit, activation: paths.activation, changed, backups, enabled, started,
      systemctl: failure === null ? null : { failed: systemctlLine(failure.step), detail: failure.detail },
      appImage: layout === null ? null
        : { dir: layout.dir, command: layout.command, appImage: layout.appImage, link: typeof link === 'object' && link !== null ? null : layout.link },
    });
  } else {
    console.log(lines.join('\n'));
  }
  if (failure !== null) {
    const todo = (failure.missing ? steps : failure.remaining).map(systemctlLine).join(' && ');
    throw new CliError(failure.missing
      ? `systemctl was not found, so ${UNIT_NAME} is written but not enabled. The files are in place; on a system with systemd, run: ${todo}`
      : `"${systemctlLine(failure.step)}" failed (${failure.detail}). The files are in place, but ${UNIT_NAME} is not ${enabled ? 'running' : 'enabled'}. `
        + `Is there a systemd user manager here (a desktop login, or "loginctl enable-linger")? Once there is, run: ${todo}`);
  }
}

export interface UninstallOptions {
  force: boolean;
  systemctl: boolean;
  json: boolean;
}

export async function uninstall(opts: UninstallOptions): Promise<void> {
  const { paths, record, plans } = await planOrRefuse('uninstall', (facts, want): UninstallAction => planUninstallFile(facts, want, opts.force), headroomBin());

  const lines: string[] = [];
  const removed: string[] = [];
  const backups: string[] = [];
  let disabled = false;
  const unitPresent = plans[0]!.action !== 'absent';
  let systemctlMissing = !opts.systemctl;
  if (opts.systemctl && unitPresent) {
    // First stop and disable: with the unit file gone, systemctl could no longer find the
    // symlinks to remove. If that fails, remove nothing, so that a retry can still do it.
    const r = await systemctlUser(['disable', '--now', UNIT_NAME]);
    if (!r.ok && !r.missing) {
      throw new CliError(`"${systemctlLine(['disable', '--now', UNIT_NAME])}" failed (${r.detail}); nothing was removed. `
        + `Run "headroom uninstall" again once systemctl works, or stop the agent and remove ${paths.unit} and ${paths.activation} yourself`);
    }
    if (r.ok) {
      disabled = true;
      lines.push(`stopped and disabled ${UNIT_NAME}`);
    } else {
      systemctlMissing = true;
      lines.push(`systemctl was not found: there is no ${UNIT_NAME} to stop or disable`);
    }
  }
  for (const p of plans) {
    if (p.action === 'absent' || p.action === 'conflict') continue;
    const backup = p.action === 'remove-backup' ? await backupFile(p.path) : null;
    await removeIfExists(p.path);
    removed.push(p.path);
    if (backup !== null) backups.push(backup);
    lines.push(backup === null ? `removed ${p.path}` : `removed ${p.path}; your version is kept as ${backup}`);
  }
  let recordChanged = false;
  for (const p of plans) recordChanged = record.delete(p.path) || recordChanged;
  if (recordChanged) await writeInstallRecord(paths.record, record);
  // What an AppImage install copied out: nothing runs it once the unit is gone.
  const copies = await removeAppImageInstall();
  for (const path of copies) lines.push(`removed ${path}`);
  if (removed.length === 0 && copies.length === 0) lines.push(`headroom is not installed here (no ${paths.unit}, no ${paths.activation}); nothing to do`);

  let failure: string | null = null;
  if (unitPresent && !systemctlMissing) {
    const r = await systemctlUser(['daemon-reload']);
    if (!r.ok) failure = `"${systemctlLine(['daemon-reload'])}" failed (${r.detail}). The files are removed; run it once systemctl works, so systemd forgets ${UNIT_NAME}`;
  }
  if (opts.json) printJson({ unit: paths.unit, activation: paths.activation, removed: [...removed, ...copies], backups, disabled });
  else console.log(lines.join('\n'));
  if (failure !== null) throw new CliError(failure);
}
