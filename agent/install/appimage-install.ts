// `headroom install` from an AppImage, the IO: copy the app out of the mount, write the two
// launcher scripts and the record the tray reads, link the command into ~/.local/bin, and on
// uninstall take all of it away again. Decisions and file contents: agent/install/core/appimage.ts.
import { cp, lstat, mkdir, readdir, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { appImageInstallDir, appImageRoot, renderAppImageCommand, renderAppImageNode } from './core/appimage.js';
import { APPIMAGE_RECORD_NAME, type AppImageInstallRecord } from '../../shared/appimage.js';
import { isErrno, writeFileAtomic } from '../io/files.js';
import { dataHome } from '../io/paths.js';

/** ~/.local/bin/headroom: where the command of an AppImage installation is linked. */
const commandLink = (env: NodeJS.ProcessEnv): string => join(env.HOME || homedir(), '.local', 'bin', 'headroom');

export interface AppImageLayout {
  /** <data home>/headroom/appimage/<version> */
  dir: string;
  /** <dir>/headroom: what the unit and the activation file run. */
  command: string;
  /** <data home>/headroom/appimage/installed.json */
  record: string;
  /** ~/.local/bin/headroom */
  link: string;
}

export function appImageLayout(version: string, env: NodeJS.ProcessEnv = process.env): AppImageLayout {
  const dir = appImageInstallDir(dataHome(env), version);
  return { dir, command: join(dir, 'headroom'), record: join(appImageRoot(dataHome(env)), APPIMAGE_RECORD_NAME), link: commandLink(env) };
}

/**
 * Whether a headroom package root is one of our copies (<root>/<version>/app): the command
 * for it is then <root>/<version>/headroom, which runs it with the AppImage's Electron.
 */
export function copiedAppCommand(packageRoot: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const root = appImageRoot(dataHome(env));
  const m = packageRoot.startsWith(`${root}/`) ? /^([^/]+)\/app$/.exec(packageRoot.slice(root.length + 1)) : null;
  return m ? join(root, m[1]!, 'headroom') : null;
}

/**
 * Copy the app out of the mount into layout.dir, replacing an earlier copy of the same version
 * only once the new one is complete (a copy into a temporary sibling, then renames), so an
 * interrupted install leaves the last working copy in place.
 */
export async function copyAppOut(packageRoot: string, appImage: string, layout: AppImageLayout): Promise<void> {
  const parent = dirname(layout.dir);
  await mkdir(parent, { recursive: true });
  const fresh = `${layout.dir}.new-${process.pid}`;
  const old = `${layout.dir}.old-${process.pid}`;
  await rm(fresh, { recursive: true, force: true });
  try {
    // Symlinks as they are (node_modules/.bin); the package is self-contained.
    await cp(packageRoot, join(fresh, 'app'), { recursive: true, verbatimSymlinks: true });
    await writeFile(join(fresh, 'node'), renderAppImageNode(appImage), { mode: 0o755 });
    await writeFile(join(fresh, 'headroom'), renderAppImageCommand(layout.dir), { mode: 0o755 });
    let hadOld = false;
    try {
      await rename(layout.dir, old);
      hadOld = true;
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
    }
    await rename(fresh, layout.dir);
    // A running agent keeps its open files; the next start uses the new copy.
    if (hadOld) await rm(old, { recursive: true, force: true });
  } catch (err) {
    await rm(fresh, { recursive: true, force: true });
    throw err;
  }
}

export async function writeAppImageRecord(layout: AppImageLayout, record: AppImageInstallRecord): Promise<void> {
  await writeFileAtomic(layout.record, JSON.stringify(record, null, 2) + '\n');
}

/** Copies of other versions: the unit no longer points at them. */
export async function removeOtherVersions(layout: AppImageLayout): Promise<string[]> {
  const parent = dirname(layout.dir);
  const removed: string[] = [];
  for (const name of await readdir(parent)) {
    const path = join(parent, name);
    if (path === layout.dir || name === APPIMAGE_RECORD_NAME || name.includes('.new-')) continue;
    if (!(await lstat(path)).isDirectory()) continue;
    await rm(path, { recursive: true, force: true });
    removed.push(path);
  }
  return removed;
}

export type LinkResult = 'created' | 'unchanged' | 'updated' | { skipped: string };

/**
 * ~/.local/bin/headroom → <dir>/headroom, so `headroom run firefox` works from a terminal.
 * Never over a file or a link that is not ours (an npm or deb installation, the user's own).
 */
export async function linkCommand(layout: AppImageLayout, env: NodeJS.ProcessEnv = process.env): Promise<LinkResult> {
  const root = appImageRoot(dataHome(env));
  let current: string | null = null;
  try {
    const st = await lstat(layout.link);
    if (!st.isSymbolicLink()) return { skipped: `${layout.link} exists and is not a link headroom made` };
    current = await readlink(layout.link);
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
  if (current === layout.command) return 'unchanged';
  if (current !== null && !current.startsWith(`${root}/`)) return { skipped: `${layout.link} points at ${current}, not at a copy headroom made` };
  await mkdir(dirname(layout.link), { recursive: true });
  const tmp = `${layout.link}.tmp-${process.pid}`;
  await rm(tmp, { force: true });
  await symlink(layout.command, tmp);
  await rename(tmp, layout.link);
  return current === null ? 'created' : 'updated';
}

/** Undo all of it: the link (if ours), every copied version and the record. */
export async function removeAppImageInstall(env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const root = appImageRoot(dataHome(env));
  const link = commandLink(env);
  const removed: string[] = [];
  try {
    if ((await readlink(link)).startsWith(`${root}/`)) {
      await rm(link, { force: true });
      removed.push(link);
    }
  } catch (err) {
    if (!isErrno(err, 'ENOENT') && !isErrno(err, 'EINVAL')) throw err;
  }
  if (await exists(root)) {
    await rm(root, { recursive: true, force: true });
    removed.push(root);
  }
  return removed;
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return false;
    throw err;
  }
}
