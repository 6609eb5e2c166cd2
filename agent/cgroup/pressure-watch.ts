// Wake the agent on memory pressure without a timer: PSI triggers (Documentation/accounting/
// psi.rst). Write "some <stall µs> <window µs>" to an opened pressure file, then wait for
// POLLPRI. Node cannot poll for POLLPRI itself, so this uses the optional `epoll` addon; where
// it is missing or the kernel refuses (EINVAL for windows that are not a multiple of 2 s when
// unprivileged, EACCES on root-owned files), the caller falls back to polling.
import { closeSync, openSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';

interface EpollInstance {
  add(fd: number, events: number): EpollInstance;
  close(): EpollInstance;
}
interface EpollModule {
  Epoll: { new (cb: (err: Error | null, fd: number, events: number) => void): EpollInstance; EPOLLPRI: number; EPOLLERR: number };
}

export interface PressureWatch {
  /** Files a trigger is armed on. Empty means nothing will wake the agent: poll instead. */
  armed: string[];
  /** Why each refused file was refused. */
  refused: { file: string; why: string }[];
  close(): void;
}

function loadEpoll(): EpollModule | string {
  try {
    return createRequire(import.meta.url)('epoll') as EpollModule;
  } catch (err) {
    return `the optional epoll addon is not installed (${(err as Error).message.split('\n')[0]})`;
  }
}

export function watchPressure(files: readonly string[], trigger: string, onEvent: (file: string) => void): PressureWatch {
  const mod = loadEpoll();
  if (typeof mod === 'string') return { armed: [], refused: files.map((file) => ({ file, why: mod })), close: () => undefined };
  const byFd = new Map<number, string>();
  const epoll = new mod.Epoll((err, fd) => {
    const file = byFd.get(fd);
    if (!err && file !== undefined) onEvent(file);
  });
  const refused: { file: string; why: string }[] = [];
  for (const file of files) {
    let fd = -1;
    try {
      fd = openSync(file, 'r+');
      writeSync(fd, `${trigger}\0`);
      epoll.add(fd, mod.Epoll.EPOLLPRI);
      byFd.set(fd, file);
    } catch (err) {
      if (fd >= 0) closeSync(fd);
      refused.push({ file, why: (err as NodeJS.ErrnoException).code ?? (err as Error).message });
    }
  }
  return {
    armed: [...byFd.values()],
    refused,
    close() {
      epoll.close();
      for (const fd of byFd.keys()) closeSync(fd);
      byFd.clear();
    },
  };
}
