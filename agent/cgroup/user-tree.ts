// Find the user's systemd tree and check that everything the agent needs is there. Each
// failure is one sentence naming what is missing and how to fix it.
import { access, constants, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface UserTree {
  uid: number;
  /** The cgroup v2 mount, normally /sys/fs/cgroup. */
  cgroupRoot: string;
  /** user.slice/user-UID.slice/user@UID.service under the mount (or an override for tests). */
  path: string;
  procRoot: string;
}

export class PreflightError extends Error {
  override name = 'PreflightError';
}

export interface LocateOptions {
  uid: number;
  cgroupRoot?: string;
  /** Use this directory as the user tree instead of the systemd path (tests, unusual setups). */
  userTree?: string;
  procRoot?: string;
}

const exists = (p: string): Promise<boolean> => access(p, constants.R_OK).then(() => true, () => false);

export async function locateUserTree(opts: LocateOptions): Promise<UserTree> {
  const cgroupRoot = opts.cgroupRoot ?? '/sys/fs/cgroup';
  const procRoot = opts.procRoot ?? '/proc';
  if (!opts.userTree && !(await exists(join(cgroupRoot, 'cgroup.controllers')))) {
    throw new PreflightError(`cgroup v2 is not mounted at ${cgroupRoot}: boot with systemd.unified_cgroup_hierarchy=1 (the default since systemd 247), Headroom cannot work on the legacy cgroup v1 hierarchy.`);
  }
  if (!(await exists(join(procRoot, 'pressure', 'memory')))) {
    throw new PreflightError(`the kernel reports no memory pressure (${join(procRoot, 'pressure', 'memory')} is missing): add psi=1 to the kernel command line (Debian and Ubuntu kernels keep PSI off without it) and reboot.`);
  }
  const path = opts.userTree ?? join(cgroupRoot, 'user.slice', `user-${opts.uid}.slice`, `user@${opts.uid}.service`);
  const isDir = await stat(path).then((s) => s.isDirectory(), () => false);
  if (!isDir) {
    throw new PreflightError(opts.userTree
      ? `the user tree ${path} does not exist.`
      : `no systemd user manager is running for uid ${opts.uid} (${path} is missing): log in through a session that starts systemd --user (pam_systemd), or run "loginctl enable-linger" for this user.`);
  }
  if (!(await exists(join(path, 'memory.pressure')))) {
    throw new PreflightError(`${join(path, 'memory.pressure')} is missing: the kernel reports no per-cgroup pressure; add psi=1 to the kernel command line.`);
  }
  return { uid: opts.uid, cgroupRoot, path, procRoot };
}
