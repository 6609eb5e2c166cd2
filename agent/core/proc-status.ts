// Parse /proc/<pid>/status for a process's name and memory. Used where a cgroup has no memory
// controller (memory.current missing), to still rank apps by real size, and to name a
// terminal tab by its job.

export interface ProcMemory {
  /** The command name (comm, at most 15 bytes), '' if absent. */
  name: string;
  rssBytes: number;
  /** Resident anonymous and shared-memory pages: what reclaim cannot drop. */
  anonBytes: number;
  shmemBytes: number;
  swapBytes: number;
}

export function parseProcStatus(text: string): ProcMemory {
  const kb = (key: string): number => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : 0; // kernel threads have none of these lines
  };
  const name = /^Name:\t(.*)$/m.exec(text)?.[1] ?? '';
  return { name, rssBytes: kb('VmRSS'), anonBytes: kb('RssAnon'), shmemBytes: kb('RssShmem'), swapBytes: kb('VmSwap') };
}

/** The unified-hierarchy path of a process, from /proc/<pid>/cgroup ("0::/path"); null on v1-only. */
export function parseUnifiedCgroup(text: string): string | null {
  const m = /^0::(\/.*)$/m.exec(text);
  return m ? m[1]! : null;
}
