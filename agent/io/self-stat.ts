// The agent's own major page faults, from /proc/self/stat. Under thrash the agent's code and
// heap can be reclaimed like anyone's; every page it then needs back is a major fault, paid
// between a wake and the decision. Counting them at the wake and at a kill decision shows
// whether a late kill was the agent faulting itself back in (issue 16, "ready under pressure").
import { readFileSync } from 'node:fs';

/**
 * majflt, field 12 of a /proc/PID/stat line. Fields are counted after the last ')': the
 * command name (field 2) is in parentheses and may itself hold spaces and parentheses.
 */
export function majorFaultsOf(stat: string): number {
  const close = stat.lastIndexOf(')');
  if (close < 0) throw new Error('not a /proc/PID/stat line: no ")" after the command name');
  // After ") " comes field 3 (state), so field 12 is the tenth word.
  const value = Number(stat.slice(close + 2).split(' ')[9]);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error('not a /proc/PID/stat line: no majflt in field 12');
  return value;
}

/**
 * This process's major faults since it started. Synchronous on purpose: one small procfs file
 * whose text the kernel makes on read (no disk, no page cache), and a thread-pool hop would
 * only wait behind the reads a thrashing look has queued.
 */
export function readMajorFaults(procRoot = '/proc'): number {
  return majorFaultsOf(readFileSync(`${procRoot}/self/stat`, 'utf8'));
}
