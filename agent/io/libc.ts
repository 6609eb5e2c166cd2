// The few libc calls Node does not offer, behind one file (as the D-Bus library is behind
// agent/bus/dbus.ts). koffi is a maintained FFI whose npm package carries prebuilt binaries, so
// nothing is compiled on install and no headers are needed.
//   pidfd_open / pidfd_send_signal: signal one process by a handle that cannot come to mean
//     another process once this one exits and its pid is reused (a tab's renderer, agent/cgroup/kill-process.ts).
//   mlockall / mlock2 / munlockall: keep the agent's pages resident, so it does not fault its
//     own code back in exactly when memory runs out (agent/io/residency.ts says which are safe).
import { closeSync } from 'node:fs';
import { createRequire } from 'node:module';

// The generic syscall numbers: since Linux 5.1 new system calls have one number on every architecture.
const SYS_PIDFD_SEND_SIGNAL = 424;
const SYS_PIDFD_OPEN = 434;

interface Libc {
  syscall4(nr: number, a: number, b: number, c: number, d: number): number;
  mlockall(flags: number): number;
  mlock2(addr: number, len: number, flags: number): number;
  munlockall(): number;
  errno(): number;
}

let libc: Libc | null = null;
/** Loaded on first use, and at start by the agent (loadLibc), not at a kill under pressure. */
export function loadLibc(): Libc {
  if (libc) return libc;
  const require = createRequire(import.meta.url);
  // koffi has no types for its dynamic API that survive strict mode; these are its documented calls.
  const koffi = require('koffi') as {
    load(name: string): { func(signature: string): (...args: number[]) => number };
    errno(): number;
  };
  const lib = koffi.load('libc.so.6');
  const syscall = lib.func('long syscall(long, long, long, long, long)');
  const mlock = lib.func('int mlockall(int)');
  // glibc's wrapper (2.27+), not syscall(): mlock2's number differs between architectures.
  // Addresses pass as numbers: user space ends below 2^47 on x86-64 and arm64, well within 2^53.
  const lock2 = lib.func('int mlock2(uintptr_t, size_t, unsigned int)');
  const unlockAll = lib.func('int munlockall()');
  libc = {
    syscall4: (nr, a, b, c, d) => syscall(nr, a, b, c, d),
    mlockall: (flags) => mlock(flags),
    mlock2: (addr, len, flags) => lock2(addr, len, flags),
    munlockall: () => unlockAll(),
    errno: () => koffi.errno(),
  };
  return libc;
}

export class LibcError extends Error {
  constructor(readonly call: string, readonly errno: number) {
    super(`${call} failed: errno ${errno}${ERRNO_NAMES[errno] ? ` (${ERRNO_NAMES[errno]})` : ''}`);
    this.name = 'LibcError';
  }
}
const ERRNO_NAMES: Record<number, string> = { 1: 'EPERM', 3: 'ESRCH', 11: 'EAGAIN', 12: 'ENOMEM', 22: 'EINVAL', 38: 'ENOSYS' };
export const ESRCH = 3;
export const ENOMEM = 12;

/** A pidfd for `pid`: closes with closePidfd. Throws LibcError (ESRCH: no such process). */
export function pidfdOpen(pid: number): number {
  if (!Number.isSafeInteger(pid) || pid <= 0) throw new RangeError(`not a pid: ${pid}`);
  const c = loadLibc();
  const fd = c.syscall4(SYS_PIDFD_OPEN, pid, 0, 0, 0);
  if (fd < 0) throw new LibcError('pidfd_open', c.errno());
  return fd;
}

/** Send `signal` (a number) to the process behind `pidfd`. Throws LibcError (ESRCH: it has exited). */
export function pidfdSendSignal(pidfd: number, signal: number): void {
  const c = loadLibc();
  if (c.syscall4(SYS_PIDFD_SEND_SIGNAL, pidfd, signal, 0, 0) < 0) throw new LibcError('pidfd_send_signal', c.errno());
}

export const closePidfd = (pidfd: number): void => closeSync(pidfd);

// mlockall is kept for measurement, not used by the agent: with MCL_CURRENT (with or without
// MCL_ONFAULT) V8 aborts at exit (and whenever it frees a code page) because madvise(MADV_DONTNEED)
// on locked pages fails with EINVAL and V8 CHECKs it; unprivileged it fails anyway, since the
// kernel compares the whole address space (~760 MiB for Node 20) with RLIMIT_MEMLOCK; MCL_FUTURE
// alone locks only later mappings and makes every mmap past the limit fail (docs/residency.md).
export const MCL_CURRENT = 1;
export const MCL_FUTURE = 2;
export const MCL_ONFAULT = 4;
/** mlockall(flags); throws LibcError (ENOMEM: over RLIMIT_MEMLOCK, EPERM). */
export function mlockall(flags: number): void {
  const c = loadLibc();
  if (c.mlockall(flags) !== 0) throw new LibcError('mlockall', c.errno());
}

/** mlock2 flag: lock pages as they are faulted in, not all at once (nothing is read in for it). */
export const MLOCK_ONFAULT = 1;
/** mlock2(addr, len, flags); throws LibcError (ENOMEM: over RLIMIT_MEMLOCK or not mapped, EAGAIN, EPERM). */
export function mlock2(addr: number, len: number, flags: number): void {
  const c = loadLibc();
  if (c.mlock2(addr, len, flags) !== 0) throw new LibcError('mlock2', c.errno());
}

/** munlockall(): undo every lock; cannot fail in a way that matters (errors ignored). */
export function munlockall(): void {
  loadLibc().munlockall();
}
