// Read one Snapshot of the user's tree: pressure, /proc/meminfo and every app unit, with the
// files the policy needs. Reading is all this does; every judgement happens in agent/core.
import { readdir } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import type { Preference } from '../../shared/names.js';
import { SELF_APP_IDS } from '../core/constants.js';
import { parseMeminfo } from '../core/meminfo.js';
import { parseMemoryStat } from '../core/memory-stat.js';
import { parseProcStatus, parseUnifiedCgroup } from '../core/proc-status.js';
import { parsePressure, type PressureSample } from '../core/psi.js';
import type { AppScope, Snapshot } from '../core/snapshot.js';
import { parseAppUnitName, type AppUnitName } from '../core/unit-name.js';
import type { DesktopLookup } from './desktop-entries.js';
import { readNumberIfExists, readTextIfExists } from './files.js';
import type { UserTree } from './user-tree.js';

export interface SnapshotSources {
  tree: UserTree;
  desktop: DesktopLookup;
  /** Effective preference of an app (the user's per-app choice, else the unit's own). */
  preferenceOf(app: { unit: string; appId: string }): Preference;
  /** Monotonic and wall clocks in ms (injected so tests control time). */
  now(): { atMs: number; wallMs: number };
  /** This agent's own cgroup (relative to the cgroup mount), so it never counts itself as an app. */
  selfCgroup: string | null;
}

/** Slices whose members are the session itself, never apps (systemd.io/DESKTOP_ENVIRONMENTS). */
const NEVER_APP_SLICES = new Set(['session.slice', 'init.scope']);
const MAX_DEPTH = 8;

export interface AppUnitDir {
  name: AppUnitName;
  dir: string;
}

/** Every app-*.scope / app-*.service directory below the tree, not descending into them. */
export async function findAppUnits(treePath: string): Promise<AppUnitDir[]> {
  const found: AppUnitDir[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return; // the cgroup vanished between listing and reading: nothing to report
    }
    for (const e of entries) {
      if (!e.isDirectory() || NEVER_APP_SLICES.has(e.name)) continue;
      const child = join(dir, e.name);
      const name = parseAppUnitName(e.name);
      if (name) found.push({ name, dir: child });
      else if (depth < MAX_DEPTH) await walk(child, depth + 1);
    }
  };
  await walk(treePath, 0);
  return found;
}

/** PIDs in a cgroup and all its descendants. */
export async function readProcsRecursive(dir: string): Promise<number[]> {
  const pids: number[] = [];
  const text = await readTextIfExists(join(dir, 'cgroup.procs'));
  if (text !== null) for (const l of text.split('\n')) if (l.trim() !== '') pids.push(Number(l));
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return pids;
  }
  for (const e of entries) if (e.isDirectory()) pids.push(...(await readProcsRecursive(join(dir, e.name))));
  return pids;
}

export async function readPressureFile(path: string): Promise<PressureSample | null> {
  const text = await readTextIfExists(path);
  return text === null ? null : parsePressure(text, path);
}

/** Memory of processes from /proc, for cgroups without the memory controller. */
async function sumProcMemory(procRoot: string, pids: number[]): Promise<{ rssBytes: number; swapBytes: number }> {
  let rssBytes = 0;
  let swapBytes = 0;
  for (const pid of pids) {
    const text = await readTextIfExists(join(procRoot, String(pid), 'status')).catch(() => null);
    if (text === null) continue;
    const m = parseProcStatus(text);
    rssBytes += m.rssBytes;
    swapBytes += m.swapBytes;
  }
  return { rssBytes, swapBytes };
}

export async function readApp(src: SnapshotSources, unit: AppUnitDir): Promise<AppScope | null> {
  const { dir, name } = unit;
  const pids = await readProcsRecursive(dir);
  const [current, swap, statText, pressure, entry] = await Promise.all([
    readNumberIfExists(join(dir, 'memory.current')),
    readNumberIfExists(join(dir, 'memory.swap.current')),
    readTextIfExists(join(dir, 'memory.stat')),
    readPressureFile(join(dir, 'memory.pressure')).catch(() => null),
    src.desktop.lookup(name.appId),
  ]);
  const stat = statText === null ? null : parseMemoryStat(statText, join(dir, 'memory.stat'));
  const fallback = current === null ? await sumProcMemory(src.tree.procRoot, pids) : null;
  const cgroup = relative(src.tree.path, dir);
  const absolute = '/' + relative(src.tree.cgroupRoot, dir);
  const containsSelf = src.selfCgroup !== null && (src.selfCgroup === absolute || src.selfCgroup.startsWith(absolute + '/'));
  const protectedBecause = containsSelf ? 'headroom agent' : SELF_APP_IDS.includes(name.appId) ? 'part of headroom' : '';
  return {
    unit: name.unit,
    cgroup,
    appId: name.appId,
    launcher: name.launcher,
    displayName: entry?.name ?? name.appId,
    icon: entry?.icon ?? '',
    desktopEntry: entry ? basename(entry.path, '.desktop') : '',
    memoryBytes: current ?? fallback!.rssBytes,
    swapBytes: swap ?? fallback?.swapBytes ?? 0,
    anonBytes: stat?.anonBytes ?? 0,
    fileBytes: stat?.fileBytes ?? 0,
    pgscan: stat?.pgscan ?? 0,
    processCount: pids.length,
    fullAvg10: pressure?.full.avg10 ?? 0,
    preference: src.preferenceOf({ unit: name.unit, appId: name.appId }),
    protectedBecause,
  };
}

export async function readApps(src: SnapshotSources): Promise<AppScope[]> {
  const units = await findAppUnits(src.tree.path);
  const apps = await Promise.all(units.map((u) => readApp(src, u).catch(() => null)));
  return apps.filter((a): a is AppScope => a !== null);
}

export async function readSnapshot(src: SnapshotSources): Promise<Snapshot> {
  const { atMs, wallMs } = src.now();
  const treePressure = join(src.tree.path, 'memory.pressure');
  const meminfoPath = join(src.tree.procRoot, 'meminfo');
  const [tree, appSlice, meminfoText, apps] = await Promise.all([
    readPressureFile(treePressure),
    readPressureFile(join(src.tree.path, 'app.slice', 'memory.pressure')).catch(() => null),
    readTextIfExists(meminfoPath),
    readApps(src),
  ]);
  if (tree === null) throw new Error(`${treePressure} vanished: is the user manager still running?`);
  if (meminfoText === null) throw new Error(`${meminfoPath} is missing`);
  return { atMs, wallMs, tree, appSlice, meminfo: parseMeminfo(meminfoText, meminfoPath), apps };
}

/** The agent's own cgroup, from /proc/self/cgroup. */
export async function readSelfCgroup(procRoot: string): Promise<string | null> {
  const text = await readTextIfExists(join(procRoot, 'self', 'cgroup'));
  return text === null ? null : parseUnifiedCgroup(text);
}
