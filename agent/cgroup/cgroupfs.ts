// The cgroup v2 files Headroom reads (Documentation/admin-guide/cgroup-v2.rst): which units
// the user runs, the pids in a unit, its pressure and memory files, and the agent's own
// cgroup. Shared by the snapshot reader and the kill; what the figures mean is agent/core's.
import { join } from 'node:path';
import { SESSION_CORE_UNITS } from '../core/constants.js';
import { parseMemoryStat } from '../core/memory-stat.js';
import { parseUnifiedCgroup } from '../core/proc-status.js';
import { parsePressure, type PressureSample } from '../core/psi.js';
import { classifyUnit, type UserUnitName } from '../core/unit-name.js';
import { readNumberIfExists, readTextIfExists, readTextSyncIfExists, threadPoolReads, type FileReads } from '../io/files.js';

const MAX_DEPTH = 8;

export interface UserUnitDir {
  name: UserUnitName;
  dir: string;
}

/**
 * Every scope and service below the tree that the user runs, not descending into them: apps,
 * terminal tabs, snaps, D-Bus-activated apps, anything else. Left out: the user manager's own
 * init.scope and the session itself (session.slice, where only a terminal tab is the user's
 * job, and SESSION_CORE_UNITS wherever they run).
 */
export async function findUserUnits(treePath: string, reads: FileReads = threadPoolReads): Promise<UserUnitDir[]> {
  const found: UserUnitDir[] = [];
  const walk = async (dir: string, slice: string, inSession: boolean, depth: number): Promise<void> => {
    let names;
    try {
      names = await reads.subdirs(dir);
    } catch {
      return; // the cgroup vanished between listing and reading: nothing to report
    }
    for (const n of names) {
      if (depth === 0 && n === 'init.scope') continue;
      const child = join(dir, n);
      const name = classifyUnit(n, slice);
      if (name) {
        const sessionCore = (inSession && name.kind !== 'terminal-tab') || SESSION_CORE_UNITS.some((re) => re.test(n));
        if (!sessionCore) found.push({ name, dir: child });
      } else if (n.endsWith('.slice') && depth < MAX_DEPTH) {
        await walk(child, n, inSession || n === 'session.slice', depth + 1);
      }
    }
  };
  await walk(treePath, '', false, 0);
  return found;
}

/** PIDs in a cgroup and all its descendants. */
export async function readProcsRecursive(dir: string, reads: FileReads = threadPoolReads): Promise<number[]> {
  const pids: number[] = [];
  const text = await reads.text(join(dir, 'cgroup.procs'));
  if (text !== null) for (const l of text.split('\n')) if (l.trim() !== '') pids.push(Number(l));
  let names;
  try {
    names = await reads.subdirs(dir);
  } catch {
    return pids;
  }
  for (const n of names) pids.push(...(await readProcsRecursive(join(dir, n), reads)));
  return pids;
}

export async function readPressureFile(path: string, reads: FileReads = threadPoolReads): Promise<PressureSample | null> {
  const text = await reads.text(path);
  return text === null ? null : parsePressure(text, path);
}

/** readPressureFile, synchronously: for the gauges, which must not wait behind other reads. */
export function readPressureFileSync(path: string): PressureSample | null {
  const text = readTextSyncIfExists(path);
  return text === null ? null : parsePressure(text, path);
}

/** A cgroup's footprint from its own files: anon + shmem + swap; null without a memory controller. */
export async function readCgroupFootprint(dir: string, reads: FileReads = threadPoolReads): Promise<{ current: number; swap: number; anon: number; file: number; shmem: number; pgscan: number } | null> {
  const [current, swap, statText] = await Promise.all([
    readNumberIfExists(join(dir, 'memory.current'), reads),
    readNumberIfExists(join(dir, 'memory.swap.current'), reads),
    reads.text(join(dir, 'memory.stat')),
  ]);
  if (current === null || statText === null) return null;
  const stat = parseMemoryStat(statText, join(dir, 'memory.stat'));
  return { current, swap: swap ?? 0, anon: stat.anonBytes, file: stat.fileBytes, shmem: stat.shmemBytes, pgscan: stat.pgscan };
}

/** The agent's own cgroup, from /proc/self/cgroup. */
export async function readSelfCgroup(procRoot: string): Promise<string | null> {
  const text = await readTextIfExists(join(procRoot, 'self', 'cgroup'));
  return text === null ? null : parseUnifiedCgroup(text);
}

/** The unit a process runs in: the last part of its cgroup path (null when it is gone or has none). */
export async function readUnitOfPid(procRoot: string, pid: number): Promise<string | null> {
  const text = await readTextIfExists(join(procRoot, String(pid), 'cgroup'));
  const path = text === null ? null : parseUnifiedCgroup(text);
  const unit = path?.split('/').pop() ?? '';
  return /\.(scope|service)$/.test(unit) ? unit : null;
}
