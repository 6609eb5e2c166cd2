/**
 * Parsers for what the guest wrote of a run (bench/guest/bench.sh): the sampler's series, the
 * hog's stop line, the canary's wake-ups, the key=value file and the killer's journal.
 */

export interface Sample {
  atMs: number;
  memAvailableKiB: number;
  swapFreeKiB: number;
  some10: number;
  full10: number;
  fullTotalUs: number;
  /** full avg10 of user@1000.service */
  treeFull10: number;
  /** 1 while the hog's scope has processes, 0 once it is empty or gone, -1 unreadable */
  populated: number;
  /**
   * zram's mm_stat (orig_data_size, compr_data_size, mem_used_total), KiB: only in lines of
   * samplers that record it (11 fields), and only while the device exists.
   */
  zramOrigKiB?: number;
  zramComprKiB?: number;
  zramUsedKiB?: number;
  /** Of zramOrigKiB, same-filled pages (same_pages × page size): only in 12-field lines. */
  zramSameKiB?: number;
}

/**
 * The sampler's lines (benchbin sample): 8 fields, or 11 with zram's mm_stat (a field of -1:
 * not there); malformed or torn lines are skipped.
 */
export function parseSeries(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    // 8 fields, 11 with zram (runs up to 241), 12 with zram's same-filled pages.
    if (f.length !== 8 && f.length !== 11 && f.length !== 12) continue;
    const n = f.map(Number);
    if (n.some((x) => !Number.isFinite(x))) continue;
    const s: Sample = {
      atMs: n[0]!, memAvailableKiB: n[1]!, swapFreeKiB: n[2]!, some10: n[3]!, full10: n[4]!, fullTotalUs: n[5]!, treeFull10: n[6]!, populated: n[7]!,
    };
    if (n.length >= 11 && n[8]! >= 0 && n[9]! >= 0 && n[10]! >= 0) {
      s.zramOrigKiB = n[8]!;
      s.zramComprKiB = n[9]!;
      s.zramUsedKiB = n[10]!;
      if (n.length === 12 && n[11]! >= 0) s.zramSameKiB = n[11]!;
    }
    out.push(s);
  }
  return out;
}

/** zram's compression as the kernel accounts it: data stored / memory it takes (orig_data_size / mem_used_total). */
export const zramRatio = (orig: number, used: number): number | null => (used > 0 && orig > 0 ? orig / used : null);

export interface HogStop {
  /** Epoch ms of the hog's check that stopped it. */
  atMs: number;
  /** low: one more step would have brought MemAvailable below its limit; total: it held what it was to hold. */
  reason: string;
  allocatedMiB: number;
  memAvailableMiB: number;
  /** MemAvailable at that check, % of MemTotal. */
  memAvailablePct: number;
}

/** The hog's "stopped at_ms=… reason=… allocated_mib=… mem_available_kib=… mem_total_kib=…" line; null for none. */
export function parseHogStop(line: string | undefined): HogStop | null {
  if (line === undefined || !line.startsWith('stopped')) return null;
  const f = new Map(line.trim().split(/\s+/).slice(1).map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)] as const));
  const at = Number(f.get('at_ms'));
  const avail = Number(f.get('mem_available_kib'));
  const total = Number(f.get('mem_total_kib'));
  const allocated = Number(f.get('allocated_mib'));
  if (![at, avail, total, allocated].every(Number.isFinite) || total <= 0) return null;
  return {
    atMs: at, reason: f.get('reason') ?? '', allocatedMiB: allocated, memAvailableMiB: Math.round(avail / 1024),
    memAvailablePct: Math.round((1000 * avail) / total) / 10,
  };
}

export interface Wake {
  atMs: number;
  lateUs: number;
}

export function parseCanary(text: string): Wake[] {
  const out: Wake[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length !== 2) continue;
    const atMs = Number(f[0]);
    const lateUs = Number(f[1]);
    if (Number.isFinite(atMs) && Number.isFinite(lateUs)) out.push({ atMs, lateUs });
  }
  return out;
}

/** Reads key=value lines into a map (a later key wins): the lab's own reader. */
export { parseKeyValues as parseKv } from '../lab/guest.js';

/**
 * A kill in a killer's journal: earlyoom "sending SIGTERM to process N" (not its start-up
 * banner "sending SIGTERM when mem <= …"), systemd-oomd "Killed /…cgroup", the user manager's
 * "systemd-oomd killed N process(es)", Headroom "killed app-….scope".
 */
// Headroom: "killed <unit>…" for any unit it may stop (app-*, vte-spawn-*, snap.*, …), not "killing <unit>";
// "partial <unit>: N processes, M left" where processes were left after cgroup.kill (run 341);
// "stopped (or signalled) a <app> tab (renderer, pid N, …) in <unit>, … ms; the app runs on" for one marked process
// ("could not stop …" in runs 356-361: that build said so of a tab SIGKILLed but still exiting after 2 s).
export const KILL_LINE_RE = /sending SIG[A-Z]+ to process|Killed \/|systemd-oomd killed|(?:killed|partial) [^ ]+\.(?:scope|service)\b|(?:stopped|signalled|could not stop) .+ in [^ ]+\.(?:scope|service), (?:still exiting after )?\d+ ms; the app runs on/;

/** Kill lines of a killer's journal (`journalctl -o short-unix`), and the first one's time (epoch s). */
export function killLines(log: string): { count: number; firstAtS: number | null } {
  const lines = log.split('\n').filter((l) => KILL_LINE_RE.test(l));
  const first = Number(lines[0]?.split(' ')[0]);
  return { count: lines.length, firstAtS: Number.isFinite(first) && first > 0 ? first : null };
}

/**
 * Headroom's line right before each kill decision (the agent prints it from the build that
 * measures its kill path): what woke it, how long before the decision, and its major faults
 * since waking and since start.
 */
export interface KillPath {
  cause: string;
  wakeToDecisionMs: number;
  faultsSinceWake: number;
  faultsSinceStart: number;
  /** Epoch seconds of the journal line (`journalctl -o short-unix`), null where the line has none. */
  atS: number | null;
}
export const KILL_PATH_RE = /kill path: woke by (.+?) (\d+(?:\.\d+)?) ms before the kill decision, (\d+) major faults since waking, (\d+) since start/;

/** Every kill-path line of a killer's journal, in order; none for a build that does not print it. */
export function killPaths(log: string): KillPath[] {
  const out: KillPath[] = [];
  for (const line of log.split('\n')) {
    const m = KILL_PATH_RE.exec(line);
    if (m === null) continue;
    const at = Number(line.split(' ')[0]);
    out.push({
      cause: m[1]!, wakeToDecisionMs: Number(m[2]), faultsSinceWake: Number(m[3]), faultsSinceStart: Number(m[4]),
      atS: Number.isFinite(at) && at > 0 ? at : null,
    });
  }
  return out;
}

/**
 * The processes a process-granular killer named in its kill lines, in order: earlyoom's
 * "sending SIG… to process N uid U "NAME": …" (the name is the comm, which may be absent).
 */
export function killedPids(log: string): Array<{ pid: number; name: string }> {
  const out: Array<{ pid: number; name: string }> = [];
  for (const m of log.matchAll(/sending SIG[A-Z]+ to process (\d+)(?: uid \d+ "([^"]*)")?/g)) out.push({ pid: Number(m[1]), name: m[2] ?? '' });
  return out;
}
