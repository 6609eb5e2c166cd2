// Pause and resume one app unit (agent/core/pause.ts decides when). Through the user manager
// where it can (FreezeUnit/ThawUnit: systemd then knows the unit is frozen, and `systemctl
// --user thaw` and its status agree with us), else by writing the unit's cgroup.freeze, which
// user@.service delegates to the user. A frozen process holds its memory, allocates nothing
// and can still be killed.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UnitGoneError, assertInsideTree, setFrozen, waitFrozen } from './kill-scope.js';
import { isErrno } from '../io/files.js';

export type FreezeVia = 'systemd' | 'cgroup.freeze';

/** The user manager's FreezeUnit (freeze true) or ThawUnit; absent without a user bus. */
export type ManagerFreezer = (unit: string, freeze: boolean) => Promise<void>;

export interface FreezeTarget {
  unit: string;
  cgroupDir: string;
  userTree: string;
}

/** A cgroup that holds up its freeze this long (a task in uninterruptible sleep) is still reported frozen: the write stands. */
const FREEZE_SETTLE_MS = 1000;

export class FreezeError extends Error {
  override name = 'FreezeError';
}

async function insideTree(t: FreezeTarget): Promise<string> {
  return assertInsideTree(t.cgroupDir, t.userTree).catch((err: unknown) => {
    if (isErrno(err, 'ENOENT')) throw new UnitGoneError(`${t.cgroupDir} is gone: the unit exited`);
    throw err;
  });
}

/** Freeze the unit; says how. FreezeError when neither the manager nor cgroup.freeze would. */
export async function freezeUnit(t: FreezeTarget, manager?: ManagerFreezer, debug: (msg: string) => void = () => undefined): Promise<FreezeVia> {
  const dir = await insideTree(t);
  if (manager) {
    try {
      await manager(t.unit, true);
      await waitFrozen(dir, 20, FREEZE_SETTLE_MS);
      return 'systemd';
    } catch (err) {
      debug(`FreezeUnit ${t.unit}: ${(err as Error).message}; writing cgroup.freeze instead`);
    }
  }
  if (!(await setFrozen(dir, true))) throw new FreezeError(`${t.unit} cannot be frozen: its cgroup.freeze is missing or not writable`);
  await waitFrozen(dir, 20, FREEZE_SETTLE_MS);
  return 'cgroup.freeze';
}

/** Thaw the unit the way it was frozen; a unit already gone is no error (nothing is left to thaw). */
export async function thawUnit(t: FreezeTarget, via: FreezeVia, manager?: ManagerFreezer, debug: (msg: string) => void = () => undefined): Promise<void> {
  let dir: string;
  try {
    dir = await insideTree(t);
  } catch (err) {
    if (err instanceof UnitGoneError) return;
    throw err;
  }
  if (via === 'systemd' && manager) {
    try {
      await manager(t.unit, false);
      return;
    } catch (err) {
      debug(`ThawUnit ${t.unit}: ${(err as Error).message}; writing cgroup.freeze instead`);
    }
  }
  if (!(await setFrozen(dir, false))) throw new FreezeError(`${t.unit} cannot be thawed: its cgroup.freeze is missing or not writable`);
}

/**
 * Thaw by cgroup.freeze at once, synchronously: the agent's way out (SIGTERM, exit) and a
 * left-over pause without a user manager to ask. A cgroup already gone needs no thaw.
 */
export function thawUnitSync(cgroupDir: string): void {
  try {
    writeFileSync(join(cgroupDir, 'cgroup.freeze'), '0');
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
}
