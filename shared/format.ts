// Human-readable figures and words, the same in notifications, the CLI and the tray.
import type { Preference } from './names.js';

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

/**
 * Text from outside (app names from .desktop files, unit names, commands) made safe for a
 * terminal or a log line: control characters (C0, DEL, C1) are shown as \xNN, so a newline
 * cannot start a forged journal line ("\n<0>…") and an escape sequence cannot drive the
 * terminal. Everything else, any script or emoji, passes.
 */
export const printable = (text: string): string =>
  // eslint-disable-next-line no-control-regex
  text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

/** Every string inside a value made printable (for records a CLI renders as text). */
export function printableDeep<T>(value: T): T {
  if (typeof value === 'string') return printable(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => printableDeep(v)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, printableDeep(v)])) as T;
  }
  return value;
}

/** What the tray's radio items and the page's toggles say for each preference (systemd's word is the value). */
export const PREFERENCE_LABELS: Readonly<Record<Preference, string>> = { none: 'Normal', avoid: 'Avoid', omit: 'Omit' };
