// Swap devices and what they can still take. With zram, "free swap" is virtual: every page
// stored costs RAM too, 1/ratio of its size (real-desktops.md, "Swap and zram"), and an
// incompressible page costs all of it. Disk swap is counted as it is.
import { ZRAM_MIN_USEFUL_RATIO } from './constants.js';
import { ParseError } from './parse-error.js';

export interface ZramStat {
  /** Uncompressed size of what the device holds (mm_stat field 1), same-filled pages included. */
  origBytes: number;
  /**
   * Of that, same-filled pages (mm_stat field 6, same_pages, × the page size): stored as one
   * word each, at no cost. They say nothing about what the next page will cost.
   */
  sameBytes: number;
  /** RAM the device uses for it, allocator overhead included (mm_stat field 3, mem_used_total). */
  memUsedBytes: number;
  /** The device's RAM limit, 0 for none (mm_stat field 4, mem_limit). */
  memLimitBytes: number;
}

export interface SwapDevice {
  path: string;
  kind: 'zram' | 'disk';
  sizeBytes: number;
  usedBytes: number;
  /** mm_stat of a zram device; null for disk swap, or where /sys/block/zramN/mm_stat is unreadable. */
  zram: ZramStat | null;
}

/** /proc/swaps: a header, then "Filename Type Size Used Priority" with sizes in KiB. */
export function parseProcSwaps(text: string, source = '/proc/swaps'): Omit<SwapDevice, 'zram'>[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0 || !/^Filename\s/.test(lines[0]!)) throw new ParseError(source, 'no header line');
  return lines.slice(1).map((line) => {
    const f = line.trim().split(/\s+/);
    if (f.length < 5 || !/^\d+$/.test(f[2]!) || !/^\d+$/.test(f[3]!)) throw new ParseError(source, `unexpected line ${JSON.stringify(line)}`);
    // The kernel writes a space in a file name as \040.
    const path = f[0]!.replace(/\\040/g, ' ');
    return { path, kind: /^\/dev\/zram\d+$/.test(path) ? 'zram' : 'disk', sizeBytes: Number(f[2]) * 1024, usedBytes: Number(f[3]) * 1024 };
  });
}

/**
 * /sys/block/zramN/mm_stat: orig_data_size compr_data_size mem_used_total mem_limit
 * mem_used_max same_pages … (bytes, but same_pages in pages of pageBytes). Kernels before 4.13
 * have no same_pages: 0.
 */
export function parseZramMmStat(text: string, source = 'mm_stat', pageBytes = 4096): ZramStat {
  const f = text.trim().split(/\s+/);
  if (f.length < 4 || f.slice(0, 4).some((v) => !/^\d+$/.test(v))) throw new ParseError(source, `unexpected content ${JSON.stringify(text.slice(0, 80))}`);
  const samePages = f.length >= 6 && /^\d+$/.test(f[5]!) ? Number(f[5]) : 0;
  return { origBytes: Number(f[0]), sameBytes: samePages * pageBytes, memUsedBytes: Number(f[2]), memLimitBytes: Number(f[3]) };
}

/**
 * Totals over every zram device, the basis of the observed compression ratio. dataBytes is
 * what the device holds without its same-filled pages: the pages whose compression costs RAM.
 */
export function zramTotals(swaps: readonly SwapDevice[]): { dataBytes: number; memUsedBytes: number } {
  let dataBytes = 0;
  let memUsedBytes = 0;
  for (const d of swaps) {
    if (d.zram === null) continue;
    dataBytes += Math.max(0, d.zram.origBytes - d.zram.sameBytes);
    memUsedBytes += d.zram.memUsedBytes;
  }
  return { dataBytes, memUsedBytes };
}

/**
 * RAM that swapping out could still win: for disk swap its free space; for zram, free space
 * × (1 − 1/ratio) (a page moved into zram frees its page and costs 1/ratio of one), bounded by
 * the device's RAM limit. A ratio under ZRAM_MIN_USEFUL_RATIO (nearly incompressible pages), or
 * null (none to count by), wins nothing.
 */
export function swapAbsorbBytes(swaps: readonly SwapDevice[], zramRatio: number | null): number {
  let total = 0;
  for (const d of swaps) {
    let free = Math.max(0, d.sizeBytes - d.usedBytes);
    if (d.kind === 'disk') {
      total += free;
      continue;
    }
    if (zramRatio === null || zramRatio < ZRAM_MIN_USEFUL_RATIO) continue;
    if (d.zram && d.zram.memLimitBytes > 0) free = Math.min(free, Math.max(0, d.zram.memLimitBytes - d.zram.memUsedBytes) * zramRatio);
    total += free * (1 - 1 / zramRatio);
  }
  return total;
}
