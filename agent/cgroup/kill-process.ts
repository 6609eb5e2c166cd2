// Stop one process of an app unit: the one the app marked to lose first (a browser tab's
// renderer, agent/core/relief.ts), while the app runs on. With kill-scope.ts, the only places
// Headroom sends a signal.
//
// The process is named by its pid and its start time as the snapshot read them. A pid alone
// could, by the time of the kill, belong to a stranger: the process exited, its parent reaped
// it and the kernel handed the number on. So the kill opens a pidfd first, a handle on the one
// process behind the pid at that moment, checks through /proc that this process is the one the
// snapshot saw (same start time, still inside the unit), and signals through the handle, which
// can only ever reach that process.
//
// SIGKILL with no grace: a renderer has no session to flush (the browser keeps the tab and shows
// it crashed, to reload), and the memory is needed now.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChildKillAttempt } from '../core/records.js';
import { parseProcStat, type ProcStat } from '../core/proc-stat.js';
import type { ExpendableProcess } from '../core/snapshot.js';
import { isErrno, readTextIfExists } from '../io/files.js';
import { closePidfd, ESRCH, LibcError, pidfdOpen, pidfdSendSignal } from '../io/libc.js';
import { readProcsRecursive } from './cgroupfs.js';
import { assertInsideTree } from './kill-scope.js';

const SIGKILL = 9;

export interface KillProcessOptions {
  /** The unit's cgroup directory: the process must still be inside it. */
  unitDir: string;
  /** The user's tree: the only place we may kill in. */
  userTree: string;
  procRoot?: string;
  /** How long to wait for it to exit. */
  timeoutMs?: number;
  pollMs?: number;
}

/** The process was gone, or no longer the one the snapshot saw, before it was signalled: nothing was done. */
export class ProcessGoneError extends Error {
  override name = 'ProcessGoneError';
}

async function readStat(procRoot: string, pid: number): Promise<ProcStat | null> {
  const text = await readTextIfExists(join(procRoot, String(pid), 'stat')).catch(() => null);
  if (text === null) return null;
  try {
    return parseProcStat(text);
  } catch {
    return null;
  }
}

/** Exited (gone, or a zombie: its memory is given back at exit, before its parent reaps it), or another process now. */
const hasExited = (stat: ProcStat | null, startTicks: number): boolean => stat === null || stat.state === 'Z' || stat.startTicks !== startTicks;

export async function killProcess(target: Pick<ExpendableProcess, 'pid' | 'startTicks'>, opts: KillProcessOptions): Promise<ChildKillAttempt> {
  const procRoot = opts.procRoot ?? '/proc';
  const unitDir = await assertInsideTree(opts.unitDir, opts.userTree).catch((err: unknown) => {
    if (isErrno(err, 'ENOENT')) throw new ProcessGoneError(`${opts.unitDir} is gone`);
    throw err;
  });
  let pidfd: number;
  try {
    pidfd = pidfdOpen(target.pid);
  } catch (err) {
    if (err instanceof LibcError && err.errno === ESRCH) throw new ProcessGoneError(`process ${target.pid} has exited`);
    throw err;
  }
  try {
    // The handle is open: from here on the process behind it cannot turn into another one.
    const stat = await readStat(procRoot, target.pid);
    if (hasExited(stat, target.startTicks)) throw new ProcessGoneError(`process ${target.pid} has exited (its pid is not the process the snapshot saw)`);
    // Still the unit's: listed in its cgroup.procs (or a child cgroup's), wherever cgroup2 is mounted.
    if (!(await readProcsRecursive(unitDir)).includes(target.pid)) throw new ProcessGoneError(`process ${target.pid} is no longer in ${unitDir}`);
    const started = performance.now();
    try {
      pidfdSendSignal(pidfd, SIGKILL);
    } catch (err) {
      if (err instanceof LibcError && err.errno === ESRCH) throw new ProcessGoneError(`process ${target.pid} exited before the signal`);
      throw err;
    }
    // As long as a whole unit's kill waits (kill-scope.ts): in zram thrash a renderer with
    // 400 MiB in swap took longer than 2 s to exit (bench run 356).
    const deadline = started + (opts.timeoutMs ?? 3000);
    for (;;) {
      if (hasExited(await readStat(procRoot, target.pid), target.startTicks)) return { exited: true, durationMs: Math.round(performance.now() - started) };
      if (performance.now() >= deadline) return { exited: false, durationMs: Math.round(performance.now() - started) };
      await sleep(opts.pollMs ?? 10);
    }
  } finally {
    closePidfd(pidfd);
  }
}
