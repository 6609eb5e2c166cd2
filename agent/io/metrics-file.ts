// The metrics file for node_exporter's textfile collector: <dir>/headroom-<uid>.prom, replaced
// atomically (temp file beside it, rename: the collector reads only *.prom, so never a torn
// one). The directory is the admin's ([metrics] textfile_dir; off by default). Written at once
// on an event, after a look at most every METRICS_BUSY_WRITE_MS while not calm, and every
// METRICS_HEARTBEAT_MS whatever the state; never because of a calm look.
import { join } from 'node:path';
import { countKill, countOutOfReach, countPause, countWarning, initialMetrics, METRICS_BUSY_WRITE_MS, METRICS_HEARTBEAT_MS, noteLook, renderMetrics, type MetricsState } from '../core/metrics.js';
import type { EventReport } from '../event-report.js';
import { writeFileAtomic } from './files.js';

export interface MetricsFileOptions {
  /** '' = off. */
  dir: string;
  uid: number;
  /** Wall clock of the last kill attempt known from history, for headroom_last_kill_timestamp_seconds. */
  lastKillAtMs?: number | null;
  now?: () => number;
  heartbeatMs?: number;
  busyWriteMs?: number;
  warn(msg: string): void;
}

export interface MetricsFile extends EventReport {
  /** A reloaded config's directory ('' turns the file off). */
  setDir(dir: string): void;
  /** The path written to, null while off. */
  path(): string | null;
  /** Write headroom_up 0 and stop the heartbeat. */
  stop(): Promise<void>;
  /** Resolves once the writes asked for so far are done. */
  flushed(): Promise<void>;
}

export const metricsFileName = (uid: number): string => `headroom-${uid}.prom`;

export function openMetricsFile(opts: MetricsFileOptions): MetricsFile {
  const now = opts.now ?? Date.now;
  const busyWriteMs = opts.busyWriteMs ?? METRICS_BUSY_WRITE_MS;
  const labels = { uid: String(opts.uid) };
  let state: MetricsState = initialMetrics(now(), opts.lastKillAtMs ?? null);
  let dir = '';
  let lastWriteMs = -Infinity;
  let writing: Promise<void> | null = null;
  let again = false;
  let failing = false;
  let heartbeat: NodeJS.Timeout | null = null;

  const file = (): string | null => (dir === '' ? null : join(dir, metricsFileName(opts.uid)));

  const writeLoop = async (): Promise<void> => {
    do {
      again = false;
      const path = file();
      if (path === null) break;
      lastWriteMs = now();
      try {
        await writeFileAtomic(path, renderMetrics(state, lastWriteMs, labels), { mode: 0o644 });
        failing = false;
      } catch (err) {
        if (!failing) opts.warn(`metrics: cannot write ${path}: ${(err as Error).message} (further failures are not logged until a write succeeds)`);
        failing = true;
      }
    } while (again);
    writing = null;
  };
  /** Write now, or right after the write under way (which may already hold an older state). */
  const write = (): void => {
    if (writing) {
      again = true;
      return;
    }
    writing = writeLoop();
  };
  const event = (change: (m: MetricsState) => MetricsState): void => {
    state = change(state);
    write();
  };

  const setDir = (next: string): void => {
    if (next === dir) return;
    dir = next;
    if (heartbeat) clearInterval(heartbeat);
    heartbeat = null;
    if (dir === '') return;
    heartbeat = setInterval(write, opts.heartbeatMs ?? METRICS_HEARTBEAT_MS);
    heartbeat.unref();
    write();
  };
  setDir(opts.dir);

  return {
    looked(s, pressure) {
      state = noteLook(state, s, pressure);
      if (s !== 'calm' && now() - lastWriteMs >= busyWriteMs) write();
    },
    stateChanged: (s, _previous, _because, pressure) => event((m) => noteLook(m, s, pressure)),
    warned: () => event(countWarning),
    killed: (record) => event((m) => countKill(m, record)),
    outOfReach: () => event(countOutOfReach),
    paused: () => event(countPause),
    resumed: () => undefined,
    setDir,
    path: file,
    async stop() {
      if (heartbeat) clearInterval(heartbeat);
      heartbeat = null;
      state = { ...state, up: false };
      write();
      await (writing ?? Promise.resolve());
    },
    flushed: () => writing ?? Promise.resolve(),
  };
}
