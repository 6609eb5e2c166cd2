// Human-readable output of the CLI. --json output bypasses this entirely.
import { formatBytes, formatPct } from '../../shared/format.js';
import type { AppRecord, CandidateRecord, EventRecord, PressureRecord } from '../../shared/records.js';

export function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** While calm a full sample comes only every 10 s (the looks between read meminfo alone): an older one says its age. */
export const renderPressure = (p: PressureRecord, nowMs: number): string => {
  const avail = `${formatBytes(p.memAvailableBytes)} of ${formatBytes(p.memTotalBytes)} available`;
  const swap = p.swapTotalBytes > 0 ? `, swap ${formatBytes(p.swapFreeBytes)} of ${formatBytes(p.swapTotalBytes)} free` : ', no swap';
  const ageS = Math.round((nowMs - p.sampledAtMs) / 1000);
  return `${avail}${swap}; pressure full ${formatPct(p.fullAvg10)} some ${formatPct(p.someAvg10)} (avg10)${ageS >= 5 ? `, sampled ${ageS} s ago` : ''}`;
};

export const renderApps = (apps: AppRecord[]): string =>
  apps.length === 0 ? 'no app units are running' : renderTable(
    ['APP', 'MEMORY', 'SWAP', 'PROCS', 'PREF', 'UNIT'],
    apps.map((a) => [a.displayName === a.appId ? a.appId : `${a.displayName} (${a.appId})`, formatBytes(a.memoryBytes), formatBytes(a.swapBytes), String(a.processCount), a.preference, a.unit]),
  );

export const renderCandidates = (cs: CandidateRecord[]): string =>
  cs.length === 0 ? 'no app units are running' : renderTable(
    ['#', 'APP', 'MEMORY+SWAP', 'PREF', 'KILLABLE', 'UNIT'],
    cs.map((c, i) => [String(i + 1), c.displayName || c.appId, formatBytes(c.memoryBytes + c.swapBytes), c.preference, c.excluded === '' ? 'yes' : `no (${c.excluded})`, c.unit]),
  );

export const renderKill = (k: EventRecord): string => {
  const when = new Date(k.atMs).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  if (k.outcome === 'warned') {
    return `${when}  warned about ${k.displayName || k.appId} (${formatBytes(k.memoryFreedBytes)}, ${k.processCount} processes) [${k.reason}]: ${k.because}`;
  }
  if (k.outcome === 'paused') {
    const until = new Date(k.pausedUntilMs).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
    return `${when}  paused ${k.displayName || k.appId} (${formatBytes(k.memoryFreedBytes + k.swapFreedBytes)}, ${k.processCount} processes) until ${until} [${k.reason}]: ${k.because}`;
  }
  if (k.outcome === 'resumed') return `${when}  resumed ${k.displayName || k.appId} [${k.reason}]: ${k.because}`;
  const what = k.dryRun ? 'would kill' : k.outcome === 'killed' ? 'killed' : `${k.outcome} kill of`;
  const left = k.processesLeft > 0 && !k.dryRun ? `, ${k.processesLeft} processes survived` : '';
  return `${when}  ${what} ${k.displayName || k.appId} (${formatBytes(k.memoryFreedBytes)}, ${k.processCount} processes${left}) [${k.reason}]: ${k.because}`;
};
