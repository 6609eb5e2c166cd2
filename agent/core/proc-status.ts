// Parse /proc/<pid>/status for resident and swapped memory. Used only where a cgroup has no
// memory controller (memory.current missing), to still rank apps by real size.

export interface ProcMemory {
  rssBytes: number;
  swapBytes: number;
}

export function parseProcStatus(text: string): ProcMemory {
  const kb = (key: string): number => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : 0; // kernel threads have neither line
  };
  return { rssBytes: kb('VmRSS'), swapBytes: kb('VmSwap') };
}

/** The unified-hierarchy path of a process, from /proc/<pid>/cgroup ("0::/path"); null on v1-only. */
export function parseUnifiedCgroup(text: string): string | null {
  const m = /^0::(\/.*)$/m.exec(text);
  return m ? m[1]! : null;
}
