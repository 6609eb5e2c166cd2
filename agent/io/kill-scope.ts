// Kill a whole app unit: SIGTERM every process, a grace period while memory allows, then
// cgroup.kill (kernel ≥ 5.14; else SIGKILL every pid, re-reading cgroup.procs until empty),
// then confirm the unit emptied. This is the only place Headroom sends a signal.
import { realpath, writeFile } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KillOutcome } from '../../shared/names.js';
import { isErrno, readTextIfExists } from './files.js';
import { readProcsRecursive } from './read-snapshot.js';

export interface KillScopeOptions {
  /** SIGTERM grace; 0 goes straight to SIGKILL. */
  graceMs: number;
  /** The user's tree: the only place we may kill in. */
  userTree: string;
  /** How long to wait for SIGKILLed processes to exit before reporting a partial kill. */
  forceTimeoutMs?: number;
  pollMs?: number;
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

export async function killScope(cgroupDir: string, opts: KillScopeOptions): Promise<KillScopeResult> {
  const dir = await assertInsideTree(cgroupDir, opts.userTree);
  const pollMs = opts.pollMs ?? 20;
  const forceTimeoutMs = opts.forceTimeoutMs ?? 3000;
  const started = Date.now();
  const initial = await readProcsRecursive(dir);
  let signalled = 0;
  let exitedOnTerm = false;
  let usedCgroupKill = false;

  if (opts.graceMs > 0 && initial.length > 0) {
    signalled += signalAll(initial, 'SIGTERM');
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
