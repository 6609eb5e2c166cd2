// The agent's own major page faults, from /proc/self/stat. Under thrash the agent's code and
// heap can be reclaimed like anyone's; every page it then needs back is a major fault, paid
// between a wake and the decision. Counting them at the wake and at a kill decision shows
// whether a late kill was the agent faulting itself back in (issue 16, "ready under pressure").
import { readFileSync } from 'node:fs';
import { parseProcStat } from '../core/proc-stat.js';

/** majflt, field 12 of a /proc/PID/stat line (agent/core/proc-stat.ts counts the fields). */
export const majorFaultsOf = (stat: string): number => parseProcStat(stat, '/proc/self/stat').majorFaults;

/**
 * This process's major faults since it started. Synchronous on purpose: one small procfs file
 * whose text the kernel makes on read (no disk, no page cache), and a thread-pool hop would
 * only wait behind the reads a thrashing look has queued.
 */
export function readMajorFaults(procRoot = '/proc'): number {
  return majorFaultsOf(readFileSync(`${procRoot}/self/stat`, 'utf8'));
}
