// Structured entries to the journal through its native protocol, sent by util-linux's
// `logger --journald`: it reads one FIELD=value per line on stdin and hands them to libsystemd's
// sd_journal_sendv(), which speaks the protocol (a datagram on /run/systemd/journal/socket,
// a memfd for large entries). Node has no unix datagram sockets. Why logger, not an npm addon:
//   - the protocol stays in libsystemd's maintained code, as it would through the addons
//     (systemd-journald on npm wraps the same call), without their cost: a node-gyp build per
//     Node ABI, libsystemd-dev for CI, a binary to carry in the deb and the AppImage;
//   - logger is in every systemd distribution (util-linux; Debian's bsdutils is Essential);
//   - events are rare (a kill, a warning, a state change: seconds apart at the most), so one
//     short fork per entry costs nothing that matters; entries go one at a time, in order.
//     But a fork blocks the agent for as long as copying its page tables takes (8-100 ms
//     measured for 150 MiB on a loaded 2-core host), and the entry of a change to critical
//     comes just before the kill: a burst of entries is sent SEND_DELAY_MS later, once the
//     kill's signals are out.
// The log lines (agent/io/log.ts) stay as they are; these entries come beside them. Without a
// journal socket there is nothing to send to and only the lines remain.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeForLogger, killEntry, pauseEntry, outOfReachEntry, stateEntry, warningEntry, type JournalEntry } from '../core/journal-entry.js';
import type { EventReport } from '../event-report.js';

export const JOURNAL_SOCKET = '/run/systemd/journal/socket';
/** A logger that has not finished by then (journald stalled) is killed: the next entry waits for it. */
const SEND_TIMEOUT_MS = 5000;
/** Entries waiting beyond this are dropped (and counted): a stalled journal must not grow the agent. */
const MAX_QUEUED = 64;
export const SEND_DELAY_MS = 1000;

export interface JournalOptions {
  /** Where the journal listens; the entries are sent only if it exists. */
  socket?: string;
  /** The sender, entry on stdin. */
  command?: readonly string[];
  /** The pid the entries name (SYSLOG_PID): the agent's, not logger's. */
  pid?: number;
  /** How long the first entry of a burst waits before it is sent. */
  delayMs?: number;
  warn(msg: string): void;
}

export interface Journal {
  send(entry: JournalEntry): void;
  /** Resolves once every entry queued so far was sent or given up. */
  drained(): Promise<void>;
}

/** null where there is no journal: the caller then has the log lines alone. */
export function openJournal(opts: JournalOptions): Journal | null {
  if (!existsSync(opts.socket ?? JOURNAL_SOCKET)) return null;
  const [cmd, ...args] = opts.command ?? ['logger', '--journald'];
  const pid = String(opts.pid ?? process.pid);
  const queue: string[] = [];
  let sending: Promise<void> | null = null;
  let failing = false;
  let dropped = 0;

  const sendOne = (text: string): Promise<void> => new Promise((resolve) => {
    let stderr = '';
    const done = (problem: string | null): void => {
      clearTimeout(timer);
      if (problem !== null && !failing) opts.warn(`journal: ${problem}; the log lines still say it (further failures are not logged until an entry goes through)`);
      failing = problem !== null;
      resolve();
    };
    const child = spawn(cmd!, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), SEND_TIMEOUT_MS);
    child.stderr.setEncoding('utf8').on('data', (d: string) => { if (stderr.length < 500) stderr += d; });
    child.once('error', (err) => done(`cannot run ${cmd!}: ${err.message}`));
    child.once('close', (code, signal) => done(code === 0 ? null : `${[cmd, ...args].join(' ')} ${signal !== null ? `killed by ${signal}` : `exited ${String(code)}`}: ${stderr.trim().split('\n')[0] ?? ''}`));
    child.stdin.once('error', () => undefined); // a logger that died early: its exit says why
    child.stdin.end(text);
  });

  const pump = async (): Promise<void> => {
    for (let text = queue.shift(); text !== undefined; text = queue.shift()) await sendOne(text);
    if (dropped > 0) {
      opts.warn(`journal: ${dropped} entries dropped while the journal was slow`);
      dropped = 0;
    }
    sending = null;
  };

  return {
    send(entry) {
      if (queue.length >= MAX_QUEUED) {
        dropped++;
        return;
      }
      queue.push(encodeForLogger([...entry, ['SYSLOG_PID', pid]]));
      sending ??= sleep(opts.delayMs ?? SEND_DELAY_MS).then(pump);
    },
    drained: () => sending ?? Promise.resolve(),
  };
}

/** The agent's events as journal entries. */
export function journalReport(journal: Journal): EventReport {
  return {
    looked: () => undefined,
    stateChanged: (state, previous, because, pressure) => journal.send(stateEntry(state, previous, because, pressure)),
    warned: (record) => journal.send(warningEntry(record)),
    killed: (record) => journal.send(killEntry(record)),
    paused: (record) => journal.send(pauseEntry(record)),
    resumed: (record) => journal.send(pauseEntry(record)),
    outOfReach: (group, because, pressure) => journal.send(outOfReachEntry(group, because, pressure)),
  };
}
