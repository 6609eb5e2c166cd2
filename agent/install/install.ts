// `headroom install` / `uninstall`, the IO: where the files go, the record of what headroom
// wrote there (so that a user's edits are never overwritten silently), backups, systemctl.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { constants, copyFile, readFile, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ACTIVATION_FILE_NAME, UNIT_NAME, backupName, renderActivation, renderUnit } from './core/install-plan.js';
import { isErrno, readTextIfExists, writeFileAtomic } from '../io/files.js';
import { assetPath, packageRoot, packageVersion } from '../io/package-root.js';
import { dataHome, stateDir } from '../io/paths.js';
import { copiedAppCommand } from './appimage-install.js';

const home = (env: NodeJS.ProcessEnv): string => env.HOME || homedir();

export interface InstallPaths {
  /** $XDG_CONFIG_HOME/systemd/user/headroom-agent.service */
  unit: string;
  /** $XDG_DATA_HOME/dbus-1/services/org.headroom.Agent1.service */
  activation: string;
  /** $XDG_STATE_HOME/headroom/installed.json: what headroom last wrote where. */
  record: string;
}

export function installPaths(env: NodeJS.ProcessEnv = process.env): InstallPaths {
  const config = env.XDG_CONFIG_HOME || join(home(env), '.config');
  return {
    unit: join(config, 'systemd', 'user', UNIT_NAME),
    activation: join(dataHome(env), 'dbus-1', 'services', ACTIVATION_FILE_NAME),
    record: join(stateDir(env), 'installed.json'),
  };
}

/**
 * The command the unit runs for this installation: <package root>/bin/headroom, or for a copy
 * made from an AppImage, the launcher beside it (which runs it with the AppImage's Electron).
 */
export const headroomBin = (): string => copiedAppCommand(packageRoot()) ?? join(packageRoot(), 'bin', 'headroom');

/** What the two files should say for an installation whose command is `bin`. */
export async function desiredFiles(bin: string = headroomBin()): Promise<{ unit: string; activation: string }> {
  const [unitTemplate, activationTemplate] = await Promise.all([
    readFile(assetPath(UNIT_NAME), 'utf8'),
    readFile(assetPath(ACTIVATION_FILE_NAME), 'utf8'),
  ]);
  const version = packageVersion();
  return { unit: renderUnit(unitTemplate, bin, version), activation: renderActivation(activationTemplate, bin, version) };
}

export const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** path → sha256 of the content headroom last wrote there. */
export type InstallRecord = Map<string, string>;

/**
 * Read the record. A missing file is an empty record; an unreadable one is too (with a warning):
 * an empty record can only make install refuse more, never overwrite more.
 */
export async function readInstallRecord(path: string, warn: (msg: string) => void): Promise<InstallRecord> {
  const text = await readTextIfExists(path);
  const record: InstallRecord = new Map();
  if (text === null) return record;
  try {
    const parsed = JSON.parse(text) as { version?: unknown; files?: unknown };
    if (parsed.version !== 1 || typeof parsed.files !== 'object' || parsed.files === null) throw new Error('not a version 1 record');
    for (const [file, entry] of Object.entries(parsed.files as Record<string, unknown>)) {
      const sha = (entry as { sha256?: unknown } | null)?.sha256;
      if (typeof sha === 'string') record.set(file, sha);
    }
  } catch (err) {
    warn(`ignoring ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return record;
}

export async function writeInstallRecord(path: string, record: InstallRecord): Promise<void> {
  const version = packageVersion();
  const files = Object.fromEntries([...record].sort(([a], [b]) => a.localeCompare(b)).map(([file, sha]) => [file, { sha256: sha, headroom: version }]));
  await writeFileAtomic(path, JSON.stringify({ version: 1, files }, null, 2) + '\n');
}

/** Copy a file to <file>.bak-<time> (never over an existing backup); returns the backup's path. */
export async function backupFile(path: string, nowMs = Date.now()): Promise<string> {
  const base = backupName(path, nowMs);
  for (let n = 0; ; n++) {
    const target = n === 0 ? base : `${base}-${n}`;
    try {
      await copyFile(path, target, constants.COPYFILE_EXCL);
      return target;
    } catch (err) {
      if (!isErrno(err, 'EEXIST') || n >= 100) throw err;
    }
  }
}

export async function removeIfExists(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
}

export type SystemctlResult =
  | { ok: true }
  | { ok: false; missing: boolean; detail: string };

/** `systemctl --user ARGS…`, without a shell. Never rejects: a failure is a result. */
export function systemctlUser(args: readonly string[], timeoutMs = 120_000): Promise<SystemctlResult> {
  return new Promise((resolve) => {
    execFile('systemctl', ['--user', ...args], { timeout: timeoutMs, encoding: 'utf8' }, (err, _stdout, stderr) => {
      if (!err) return resolve({ ok: true });
      if (isErrno(err, 'ENOENT')) return resolve({ ok: false, missing: true, detail: 'systemctl is not installed' });
      const e = err as Error & { code?: unknown; killed?: boolean; signal?: string | null };
      const how = e.killed ? `timed out after ${timeoutMs / 1000} s` : typeof e.code === 'number' ? `exit status ${e.code}` : e.signal ? `killed by ${e.signal}` : e.message;
      const said = stderr.trim().split('\n').filter((l) => l !== '').join('; ');
      resolve({ ok: false, missing: false, detail: said === '' ? how : `${how}: ${said}` });
    });
  });
}
