// Parse /proc/meminfo. Only the fields the policy needs; all of them are required.
import { ParseError } from './parse-error.js';

export interface MemInfo {
  memTotalBytes: number;
  memAvailableBytes: number;
  swapTotalBytes: number;
  swapFreeBytes: number;
}

const FIELDS = { MemTotal: 'memTotalBytes', MemAvailable: 'memAvailableBytes', SwapTotal: 'swapTotalBytes', SwapFree: 'swapFreeBytes' } as const;

export function parseMeminfo(text: string, source = '/proc/meminfo'): MemInfo {
  const found: Partial<MemInfo> = {};
  for (const line of text.split('\n')) {
    const m = /^(\w+):\s+(\d+)(?: kB)?$/.exec(line.trim());
    if (!m) continue;
    const key = FIELDS[m[1] as keyof typeof FIELDS] as keyof MemInfo | undefined;
    if (key) found[key] = Number(m[2]) * 1024;
  }
  for (const [name, key] of Object.entries(FIELDS)) {
    if (found[key] === undefined) throw new ParseError(source, `no ${name} line`);
  }
  return found as MemInfo;
}
