// One logger for the agent. Under systemd (JOURNAL_STREAM set) lines carry the sd-daemon
// priority prefix so journald files them at the right level; on a terminal they carry a time.
// Messages quote names from outside (desktop entries, unit names): control characters are
// escaped, so a name holding "\n<0>" cannot forge a line of another priority.
import { printable } from '../../shared/format.js';
export type Level = 'error' | 'warn' | 'info' | 'debug';
const PRIORITY: Record<Level, number> = { error: 3, warn: 4, info: 6, debug: 7 };

export interface Logger {
  error: (msg: string) => void;
  warn: (msg: string) => void;
  info: (msg: string) => void;
  debug: (msg: string) => void;
}

export function createLogger(opts: { debug?: boolean; journal?: boolean; write?: (line: string) => void } = {}): Logger {
  const journal = opts.journal ?? process.env.JOURNAL_STREAM !== undefined;
  const write = opts.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const emit = (level: Level) => (msg: string): void => {
    if (level === 'debug' && !opts.debug) return;
    const text = printable(msg);
    write(journal ? `<${PRIORITY[level]}>${text}` : `${new Date().toISOString()} ${level.padEnd(5)} ${text}`);
  };
  return { error: emit('error'), warn: emit('warn'), info: emit('info'), debug: emit('debug') };
}
