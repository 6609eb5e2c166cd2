// Human-readable figures, the same in notifications, the CLI and the tray.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/** One decimal below 10, none from 10 up, decided on the rounded figure (9.96 shows as "10"). */
const oneDecimalBelowTen = (v: number): string => (v < 9.95 ? v.toFixed(1) : v.toFixed(0));

export function formatBytes(bytes: number): string {
  let v = Math.max(0, bytes);
  let i = 0;
  const text = (): string => (i === 0 ? v.toFixed(0) : oneDecimalBelowTen(v));
  // Promote on the rounded figure too, so 1023.9 KiB reads "1.0 MiB", never "1024 KiB".
  while (i < UNITS.length - 1 && Number(text()) >= 1024) {
    v /= 1024;
    i++;
  }
  return `${text()} ${UNITS[i]}`;
}

export const formatPct = (pct: number): string => `${oneDecimalBelowTen(pct)}%`;

export const formatSeconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
