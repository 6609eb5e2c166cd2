// What keeps the agent's own pages in memory while memory runs out (issue 16). Under zram
// thrash the agent took 2.1-4.7 s from "→ critical" to "killing" with only synchronous code
// between: its code and heap had been reclaimed like anyone's and had to fault back in.
// Two things can keep them, measured in the lab guest (docs/residency.md):
//   - cgroup v2 memory.min on the agent's unit. The kernel caps a cgroup's protection at its
//     ancestors' effective protection, and user.slice, user-UID.slice and user@UID.service
//     carry none by default: the unit's own MemoryMin is then void. The deb ships drop-ins
//     that give each of them the same MemoryMin (root must; a user cannot); this module only
//     reads the chain and says what is in force.
//   - mlock2(MLOCK_ONFAULT) of the file-backed, read-only mappings (Node's text and rodata, the
//     libraries): unprivileged within RLIMIT_MEMLOCK, and nothing is read in for it, only
//     pages the agent touches stay. Never the heap: V8 releases heap and code pages with
//     madvise(MADV_DONTNEED), which fails on locked pages, and V8 aborts on that failure
//     (mlockall(MCL_CURRENT) made Node abort at exit). Writable and anonymous mappings are left
//     alone for the same reason.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatBytes } from '../../shared/format.js';
import { LibcError, MLOCK_ONFAULT, mlock2 } from './libc.js';

export interface Mapping {
  start: number;
  end: number;
  perms: string;
  path: string;
}

/**
 * The mappings safe to lock, from /proc/self/maps: backed by a file on disk, not writable
 * (nothing V8 or malloc manages or releases), executable ones first (a fault there stops the
 * loop; rodata is read less often). Not /dev files, memfd or deleted files.
 */
export function lockableMappings(maps: string): Mapping[] {
  const out: Mapping[] = [];
  for (const line of maps.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ \d+\s+(\/.*)$/.exec(line);
    if (!m) continue;
    const [, start, end, perms, path] = m as unknown as [string, string, string, string, string];
    if (perms[0] !== 'r' || perms[1] === 'w') continue;
    if (path.startsWith('/dev/') || path.startsWith('/memfd:') || path.endsWith(' (deleted)')) continue;
    out.push({ start: parseInt(start, 16), end: parseInt(end, 16), perms, path });
  }
  const executable = (x: Mapping): number => (x.perms[2] === 'x' ? 0 : 1);
  return out.sort((a, b) => executable(a) - executable(b) || a.start - b.start);
}

export interface CodeLock {
  /** Bytes of mappings now locked (on fault: only the pages touched are resident). */
  lockedBytes: number;
  /** Bytes of lockable mappings left unlocked (over RLIMIT_MEMLOCK, or refused). */
  unlockedBytes: number;
  /** The first refusal, e.g. "mlock2 failed: errno 12 (ENOMEM)"; null when all were locked. */
  error: string | null;
}

/** Lock the lockable mappings on fault, as far as RLIMIT_MEMLOCK allows; never throws. */
export function lockCode(deps: { maps?: () => string; lock?: (addr: number, len: number) => void } = {}): CodeLock {
  const maps = deps.maps ?? (() => readFileSync('/proc/self/maps', 'utf8'));
  const lock = deps.lock ?? ((addr: number, len: number) => mlock2(addr, len, MLOCK_ONFAULT));
  const result: CodeLock = { lockedBytes: 0, unlockedBytes: 0, error: null };
  let list: Mapping[];
  try {
    list = lockableMappings(maps());
  } catch (err) {
    return { ...result, error: (err as Error).message };
  }
  for (const m of list) {
    const len = m.end - m.start;
    try {
      lock(m.start, len);
      result.lockedBytes += len;
    } catch (err) {
      // Over the limit, a smaller mapping further on may still fit: keep trying.
      result.unlockedBytes += len;
      result.error ??= err instanceof LibcError || err instanceof Error ? err.message : String(err);
    }
  }
  return result;
}

export interface ProtectionLevel {
  /** Cgroup path below the root, e.g. /user.slice/user-1000.slice. */
  cgroup: string;
  /** memory.min and memory.low in bytes (Infinity for "max"); null where unreadable. */
  min: number | null;
  low: number | null;
}

/** memory.min and memory.low of every cgroup from the root's child down to `selfCgroup`. */
export function readProtectionChain(cgroupRoot: string, selfCgroup: string, read: (file: string) => string = (f) => readFileSync(f, 'utf8')): ProtectionLevel[] {
  const parts = selfCgroup.split('/').filter((p) => p.length > 0);
  const value = (file: string): number | null => {
    try {
      const text = read(file).trim();
      return text === 'max' ? Infinity : Number.isSafeInteger(Number(text)) ? Number(text) : null;
    } catch {
      return null;
    }
  };
  return parts.map((_, i) => {
    const cgroup = '/' + parts.slice(0, i + 1).join('/');
    return { cgroup, min: value(join(cgroupRoot, cgroup, 'memory.min')), low: value(join(cgroupRoot, cgroup, 'memory.low')) };
  });
}

export interface Protection {
  /** The most of the agent's memory protection can cover: the smallest value along the chain. */
  minBytes: number;
  lowBytes: number;
  /** The first level that caps the agent's own memory.min below its setting, if any. */
  cappedBy: ProtectionLevel | null;
  text: string;
}

/**
 * What protection is in force. The kernel gives a cgroup at most its ancestors' effective
 * protection (and shares it among siblings that claim some), so the smallest value along the
 * chain is an upper bound of the agent's: 0 anywhere means none.
 */
export function describeProtection(chain: readonly ProtectionLevel[]): Protection {
  const self = chain[chain.length - 1];
  const smallest = (key: 'min' | 'low'): number => chain.reduce((acc, l) => Math.min(acc, l[key] ?? 0), chain.length > 0 ? Infinity : 0);
  const minBytes = smallest('min');
  const lowBytes = smallest('low');
  const own = self?.min ?? 0;
  const cappedBy = own > 0 ? chain.find((l) => (l.min ?? 0) < own) ?? null : null;
  const show = (n: number): string => (n === Infinity ? 'max' : formatBytes(n));
  const name = (l: ProtectionLevel): string => l.cgroup.split('/').pop() ?? l.cgroup;
  let text: string;
  if (!self) text = 'memory protection unknown: the agent\'s cgroup is not known';
  else if (own === 0) {
    text = (self.low ?? 0) === 0 ? `no memory.min or memory.low on ${name(self)}`
      : `no memory.min on ${name(self)}; memory.low ${show(self.low ?? 0)}, ${show(lowBytes)} along the chain (best effort)`;
    return { minBytes, lowBytes, cappedBy, text };
  } else if (cappedBy) {
    text = `memory.min ${show(own)} on ${name(self)} is capped at ${show(minBytes)} by ${name(cappedBy)} (memory.min ${show(cappedBy.min ?? 0)}): ` +
      'cgroup v2 protects no more than the ancestors do; the deb\'s drop-ins give user.slice, user-.slice, user@.service and session.slice MemoryMin';
  } else text = `memory.min ${show(minBytes)} in force along ${chain.map(name).join(' → ')}`;
  if (self && lowBytes > 0 && lowBytes !== minBytes) text += `; memory.low ${show(lowBytes)} (best effort)`;
  return { minBytes, lowBytes, cappedBy, text };
}

/** The soft RLIMIT_MEMLOCK in bytes (Infinity for unlimited), null when unknown: what a refusal is measured against. */
export function memlockLimit(limits: string): number | null {
  const m = /^Max locked memory\s+(\S+)/m.exec(limits);
  if (!m) return null;
  return m[1] === 'unlimited' ? Infinity : Number.isSafeInteger(Number(m[1])) ? Number(m[1]) : null;
}

export interface Residency {
  code: CodeLock;
  protection: Protection;
  /** One line of what is in force, for the log. */
  line: string;
  /** Neither part is in force. */
  unprotected: boolean;
}

/**
 * At start, before the first look: lock the code on fault and say what keeps the agent
 * resident. Never throws: an agent without residency still guards, only later under thrash.
 */
export function keepResident(opts: { cgroupRoot: string; selfCgroup: string | null; lock?: () => CodeLock; read?: (file: string) => string }): Residency {
  const read = opts.read ?? ((f: string) => readFileSync(f, 'utf8'));
  const code = (opts.lock ?? lockCode)();
  const protection = describeProtection(opts.selfCgroup ? readProtectionChain(opts.cgroupRoot, opts.selfCgroup, read) : []);
  let codeText = `code locked on fault: ${formatBytes(code.lockedBytes)} of file mappings`;
  if (code.error !== null) {
    let limit: number | null = null;
    try {
      limit = memlockLimit(read('/proc/self/limits'));
    } catch {
      // the refusal is reported without the limit
    }
    codeText += `, ${formatBytes(code.unlockedBytes)} not (${code.error}${limit !== null ? `, RLIMIT_MEMLOCK ${limit === Infinity ? 'unlimited' : formatBytes(limit)}` : ''})`;
  }
  return { code, protection, line: `residency: ${codeText}; ${protection.text}`, unprotected: code.lockedBytes === 0 && protection.minBytes === 0 };
}
