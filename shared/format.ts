// Human-readable figures, the same in notifications, the CLI and the tray.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

export function formatBytes(bytes: number): string {
  let v = Math.max(0, bytes);
  let i = 0;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v.toFixed(0) : v < 10 ? v.toFixed(1) : v.toFixed(0)} ${UNITS[i]}`;
}

export const formatPct = (pct: number): string => `${pct < 10 ? pct.toFixed(1) : pct.toFixed(0)}%`;

export const formatSeconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
