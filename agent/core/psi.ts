// Parse a PSI file (/proc/pressure/memory or a cgroup's memory.pressure):
//   some avg10=0.00 avg60=0.00 avg300=0.00 total=0
//   full avg10=0.00 avg60=0.00 avg300=0.00 total=0
import { ParseError } from './parse-error.js';

export interface PsiLine {
  avg10: number; // percent
  avg60: number;
  avg300: number;
  totalUs: number; // cumulative stall time, microseconds
}
export interface PressureSample {
  some: PsiLine;
  full: PsiLine;
}

const LINE = /^(some|full) avg10=(\d+(?:\.\d+)?) avg60=(\d+(?:\.\d+)?) avg300=(\d+(?:\.\d+)?) total=(\d+)$/;

export function parsePressure(text: string, source = 'memory.pressure'): PressureSample {
  const lines: Partial<Record<'some' | 'full', PsiLine>> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const m = LINE.exec(line);
    if (!m) throw new ParseError(source, `unexpected line ${JSON.stringify(line)}`);
    lines[m[1] as 'some' | 'full'] = {
      avg10: Number(m[2]),
      avg60: Number(m[3]),
      avg300: Number(m[4]),
      totalUs: Number(m[5]),
    };
  }
  if (!lines.some) throw new ParseError(source, 'no "some" line');
  // Kernels before 5.13 have no "full" line for the root /proc/pressure/cpu; memory always has
  // it, so its absence means this is not a memory pressure file.
  if (!lines.full) throw new ParseError(source, 'no "full" line');
  return { some: lines.some, full: lines.full };
}

/**
 * Stall percentage between two samples of the same file, from the `total` counters. avg10 is an
 * exponential average that lags by seconds; a delta over the last interval is what a short
 * trigger duration needs. A counter that went backwards means the cgroup was recreated: 0.
 */
export function stallPct(prevTotalUs: number, totalUs: number, elapsedMs: number): number {
  if (elapsedMs <= 0 || totalUs < prevTotalUs) return 0;
  return Math.min(100, ((totalUs - prevTotalUs) / (elapsedMs * 1000)) * 100);
}
