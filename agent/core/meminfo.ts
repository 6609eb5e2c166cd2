// Parse /proc/meminfo. Only the fields the policy needs; all of them are required.
import { ParseError } from './parse-error.js';

export interface MemInfo {
  memTotalBytes: number;
  memAvailableBytes: number;
  swapTotalBytes: number;
  swapFreeBytes: number;
}

const FIELDS = { MemTotal: 'memTotalBytes', MemAvailable: 'memAvailableBytes', SwapTotal: 'swapTotalBytes', SwapFree: 'swapFreeBytes' } as const;

// The four lines wanted, matched where they are: the calm agent parses this file every look,
// and splitting all ~55 lines made most of the garbage its collector then spent time on.
const WANTED_LINE = /^[ \t]*(MemTotal|MemAvailable|SwapTotal|SwapFree):[ \t]+(\d+)(?: kB)?[ \t\r]*$/gm;

export function parseMeminfo(text: string, source = '/proc/meminfo'): MemInfo {
  const found: Partial<MemInfo> = {};
  WANTED_LINE.lastIndex = 0;
  for (let m = WANTED_LINE.exec(text); m !== null; m = WANTED_LINE.exec(text)) {
    found[FIELDS[m[1] as keyof typeof FIELDS]] = Number(m[2]) * 1024;
  }
  for (const [name, key] of Object.entries(FIELDS)) {
    if (found[key] === undefined) throw new ParseError(source, `no ${name} line`);
  }
  return found as MemInfo;
}
