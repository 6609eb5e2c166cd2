// Kill a whole app unit: SIGTERM every process, a grace period while memory allows, then
// cgroup.kill (kernel ≥ 5.14; else SIGKILL every pid, re-reading cgroup.procs until empty),
// then confirm the unit emptied. With kill-process.ts (one marked process), the only places
// Headroom sends a signal.
//
// SIGTERM goes to pids read from cgroup.procs, one by one: between the read and the signal a
// process could exit and its pid be reused by a stranger. So the unit is frozen first
// (cgroup.freeze): a frozen process can neither exit nor fork nor ask to be moved, so every pid
// read is still the unit's own when it is signalled; then it is thawed to handle the signal.
import { realpath, writeFile } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KillOutcome } from '../../shared/names.js';
import { isErrno, readTextIfExists } from '../io/files.js';
import { readProcsRecursive } from './cgroupfs.js';

export interface KillScopeOptions {
  /** SIGTERM grace; 0 goes straight to SIGKILL. */
  graceMs: number;
  /** The user's tree: the only place we may kill in. */
  userTree: string;
  /** How long to wait for SIGKILLed processes to exit before reporting a partial kill. */
  forceTimeoutMs?: number;
  pollMs?: number;
  /** Tests only: runs after the pids to SIGTERM are read, before they are signalled. */
  beforeSignal?: (pids: number[]) => Promise<void> | void;
}

export interface KillScopeResult {
  outcome: Exclude<KillOutcome, 'dry-run'>;
  processCount: number;
  processesLeft: number;
  durationMs: number;
  /** true when SIGTERM alone emptied the unit. */
  exitedOnTerm: boolean;
  usedCgroupKill: boolean;
}

export class OutsideUserTreeError extends Error {
  override name = 'OutsideUserTreeError';
}

/** The unit's cgroup was gone before anything was signalled: it exited on its own. */
export class UnitGoneError extends Error {
  override name = 'UnitGoneError';
}

/** How long to wait for a freeze to settle; a task in uninterruptible sleep can hold it up. */
const FREEZE_WAIT_MS = 200;

/** Refuse anything that is not strictly inside the user's own tree, after resolving links. */
export async function assertInsideTree(dir: string, userTree: string): Promise<string> {
  const [real, root] = await Promise.all([realpath(dir), realpath(userTree)]);
  if (!real.startsWith(root + sep)) throw new OutsideUserTreeError(`refusing to kill ${real}: it is not inside the user's tree ${root}`);
  return real;
}

const signalAll = (pids: number[], signal: NodeJS.Signals): number => {
  let sent = 0;
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
      sent++;
    } catch (err) {
      if (!isErrno(err, 'ESRCH', 'EPERM')) throw err; // gone already, or not ours: skip it
    }
  }
  return sent;
};

async function isPopulated(dir: string): Promise<boolean> {
  const events = await readTextIfExists(join(dir, 'cgroup.events'));
  if (events !== null) return !/^populated 0$/m.test(events);
  return (await readProcsRecursive(dir)).length > 0;
}

async function waitEmpty(dir: string, timeoutMs: number, pollMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!(await isPopulated(dir))) return true;
    if (Date.now() >= deadline) return false;
    await sleep(pollMs);
  }
}

/** Freeze (true) or thaw the unit; false where cgroup.freeze cannot be written (no such file, not ours). */
export async function setFrozen(dir: string, frozen: boolean): Promise<boolean> {
  try {
    await writeFile(join(dir, 'cgroup.freeze'), frozen ? '1' : '0');
    return true;
  } catch (err) {
    if (isErrno(err, 'ENOENT', 'EACCES', 'EPERM', 'EINVAL', 'EROFS')) return false;
    throw err;
  }
}

/** Wait for cgroup.events to say frozen, at most `waitMs`; true when it did (or cannot say). */
export async function waitFrozen(dir: string, pollMs: number, waitMs = FREEZE_WAIT_MS): Promise<boolean> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const events = await readTextIfExists(join(dir, 'cgroup.events'));
    if (events === null || /^frozen 1$/m.test(events)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(Math.min(pollMs, 10));
  }
}

/** SIGTERM every process of the unit while it is frozen, so no pid can have changed hands. */
async function terminateFrozen(dir: string, pollMs: number, beforeSignal?: (pids: number[]) => Promise<void> | void): Promise<{ pids: number[]; sent: number }> {
  const frozen = await setFrozen(dir, true);
  try {
    if (frozen) await waitFrozen(dir, pollMs);
    const pids = await readProcsRecursive(dir);
    await beforeSignal?.(pids);
    return { pids, sent: signalAll(pids, 'SIGTERM') };
  } finally {
    if (frozen) await setFrozen(dir, false);
  }
}

export async function killScope(cgroupDir: string, opts: KillScopeOptions): Promise<KillScopeResult> {
  const dir = await assertInsideTree(cgroupDir, opts.userTree).catch((err: unknown) => {
    if (isErrno(err, 'ENOENT')) throw new UnitGoneError(`${cgroupDir} is gone: the unit exited before it could be stopped`);
    throw err;
  });
  const pollMs = opts.pollMs ?? 20;
  const forceTimeoutMs = opts.forceTimeoutMs ?? 3000;
  const started = Date.now();
  let initial = await readProcsRecursive(dir);
  let signalled = 0;
  let exitedOnTerm = false;
  let usedCgroupKill = false;

  if (opts.graceMs > 0 && initial.length > 0) {
    const term = await terminateFrozen(dir, pollMs, opts.beforeSignal);
    initial = term.pids;
    signalled += term.sent;
    exitedOnTerm = await waitEmpty(dir, opts.graceMs, pollMs);
  }
  if (!exitedOnTerm) {
    try {
      await writeFile(join(dir, 'cgroup.kill'), '1');
      usedCgroupKill = true;
      signalled += initial.length;
    } catch (err) {
      if (!isErrno(err, 'ENOENT', 'EACCES', 'EPERM', 'EINVAL')) throw err;
    }
    if (!usedCgroupKill) {
      // No cgroup.kill: processes may fork while we kill, so re-read until nothing is left.
      const deadline = Date.now() + forceTimeoutMs;
      for (let pids = await readProcsRecursive(dir); pids.length > 0 && Date.now() < deadline; pids = await readProcsRecursive(dir)) {
        signalled += signalAll(pids, 'SIGKILL');
        await sleep(pollMs);
      }
    }
  }
  const empty = exitedOnTerm || (await waitEmpty(dir, forceTimeoutMs, pollMs));
  const left = empty ? 0 : (await readProcsRecursive(dir)).length;
  return {
    outcome: left === 0 ? 'killed' : signalled > 0 ? 'partial' : 'failed',
    processCount: initial.length,
    processesLeft: left,
    durationMs: Date.now() - started,
    exitedOnTerm,
    usedCgroupKill,
  };
}
