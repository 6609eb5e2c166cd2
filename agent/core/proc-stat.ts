// /proc/PID/stat, the fields Headroom needs. The command name (field 2) is in parentheses and
// may itself hold spaces and parentheses, so fields are counted from the last ')'.
import { ParseError } from './parse-error.js';

export interface ProcStat {
  /** One letter: R, S, D, Z (zombie: exited, its memory already given back), … */
  state: string;
  ppid: number;
  /** Major page faults of the process itself (field 12). */
  majorFaults: number;
  /** Clock ticks after boot when it started (field 22): with the pid, who this process is. */
  startTicks: number;
}

export function parseProcStat(text: string, source = '/proc/PID/stat'): ProcStat {
  const close = text.lastIndexOf(')');
  if (close < 0) throw new ParseError(source, 'no command name in parentheses');
  // fields[0] is field 3 (state), so field N is fields[N - 3].
  const fields = text.slice(close + 1).trim().split(/\s+/);
  const num = (n: number): number => {
    const v = Number(fields[n - 3]);
    if (!Number.isSafeInteger(v) || v < 0) throw new ParseError(source, `field ${n} is not a count: ${fields[n - 3] ?? '(missing)'}`);
    return v;
  };
  const state = fields[0] ?? '';
  if (!/^[A-Za-z]$/.test(state)) throw new ParseError(source, `field 3 is not a state: ${state || '(missing)'}`);
  return { state, ppid: num(4), majorFaults: num(12), startTicks: num(22) };
}
