// Read one Snapshot of the user's tree: pressure, /proc/meminfo, swap, every unit the user
// runs, and the memory outside the tree that Headroom cannot stop. Reading is all this does;
// every judgement happens in agent/core.
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import type { Preference } from '../../shared/names.js';
import { EXPENDABLE_MAX_PER_UNIT, EXPENDABLE_MAX_PIDS, EXPENDABLE_MIN_ADJ, OUTSIDE_MIN_BYTES, SELF_APP_IDS } from '../core/constants.js';
import { parseMeminfo } from '../core/meminfo.js';
import { parseProcStat } from '../core/proc-stat.js';
import { parseProcStatus } from '../core/proc-status.js';
import { expendableKind } from '../core/relief.js';
import { withUnits, type AppUnit, type ExpendableProcess, type Gauges, type OutsideGroup, type Snapshot, type Units } from '../core/snapshot.js';
import { parseProcSwaps, parseZramMmStat, type SwapDevice } from '../core/swap.js';
import { terminalNameFromId, type UserUnitName } from '../core/unit-name.js';
import type { DesktopLookup } from '../desktop/desktop-entries.js';
import { readNumberIfExists, readTextSyncIfExists, threadPoolReads, type FileReads } from '../io/files.js';
import { findUserUnits, readCgroupFootprint, readPressureFile, readPressureFileSync, readProcsRecursive, type UserUnitDir } from './cgroupfs.js';
import type { UserTree } from './user-tree.js';

export interface SnapshotSources {
  tree: UserTree;
  desktop: DesktopLookup;
  /**
   * Effective preference of a unit (the user's per-app choice, else the unit's own
   * ManagedOOMPreference). May wait for the user manager: a unit's own preference must be
   * known before the unit can be chosen.
   */
  preferenceOf(app: { unit: string; appId: string }): Preference | Promise<Preference>;
  /** Monotonic and wall clocks in ms (injected so tests control time). */
  now(): { atMs: number; wallMs: number };
  /** This agent's own cgroup (relative to the cgroup mount), so it never counts itself as an app. */
  selfCgroup: string | null;
}

interface ProcFigures {
  pid: number;
  comm: string;
  rssBytes: number;
  /** RssAnon + RssShmem + VmSwap: what killing it frees. */
  unreclaimableBytes: number;
  swapBytes: number;
}

async function readProc(procRoot: string, pid: number, reads: FileReads): Promise<ProcFigures | null> {
  const text = await reads.text(join(procRoot, String(pid), 'status')).catch(() => null);
  if (text === null) return null;
  const m = parseProcStatus(text);
  return { pid, comm: m.name, rssBytes: m.rssBytes, unreclaimableBytes: m.anonBytes + m.shmemBytes + m.swapBytes, swapBytes: m.swapBytes };
}

async function readProcs(procRoot: string, pids: readonly number[], reads: FileReads): Promise<ProcFigures[]> {
  const all = await Promise.all(pids.map((p) => readProc(procRoot, p, reads)));
  return all.filter((p): p is ProcFigures => p !== null);
}

interface Marked {
  expendable: ExpendableProcess[];
  heaviestKeptBytes: number;
}
const NONE_MARKED: Marked = { expendable: [], heaviestKeptBytes: 0 };

/**
 * The processes of a unit that the app marked as the ones to lose first (AppUnit.expendable).
 * Every pid's oom_score_adj is read (one small file each, up to EXPENDABLE_MAX_PIDS); the rest
 * only for units that marked some: most units have one process, or none marked.
 */
async function readMarked(procRoot: string, pids: readonly number[], reads: FileReads): Promise<Marked> {
  if (pids.length < 2) return NONE_MARKED;
  const considered = pids.slice(0, EXPENDABLE_MAX_PIDS);
  const adjs = await Promise.all(considered.map((pid) => readNumberIfExists(join(procRoot, String(pid), 'oom_score_adj'), reads).catch(() => null)));
  const known = adjs.filter((a): a is number => a !== null);
  if (known.length < 2) return NONE_MARKED;
  const lowest = Math.min(...known);
  const isMarked = (adj: number | null): adj is number => adj !== null && adj >= EXPENDABLE_MIN_ADJ && adj > lowest;
  if (!adjs.some(isMarked)) return NONE_MARKED;
  // Every process's figures, and a marked one's start time and command line, all at once.
  const procs = await Promise.all(considered.map(async (pid, i) => {
    const adj = adjs[i] ?? null;
    const dir = join(procRoot, String(pid));
    const [figures, stat, cmdline] = await Promise.all([
      readProc(procRoot, pid, reads),
      isMarked(adj) ? reads.text(join(dir, 'stat')).catch(() => null) : null,
      isMarked(adj) ? reads.text(join(dir, 'cmdline')).catch(() => null) : null,
    ]);
    return figures ? { figures, adj, stat, cmdline } : null;
  }));
  let heaviestKeptBytes = 0;
  const marked: ExpendableProcess[] = [];
  for (const p of procs) {
    if (p === null) continue;
    if (!isMarked(p.adj)) {
      heaviestKeptBytes = Math.max(heaviestKeptBytes, p.figures.unreclaimableBytes);
      continue;
    }
    let startTicks: number;
    try {
      if (p.stat === null) continue; // exited meanwhile
      startTicks = parseProcStat(p.stat).startTicks;
    } catch {
      continue;
    }
    marked.push({ pid: p.figures.pid, startTicks, comm: p.figures.comm, kind: expendableKind(p.cmdline ?? ''), oomScoreAdj: p.adj, unreclaimableBytes: p.figures.unreclaimableBytes });
  }
  marked.sort((a, b) => b.unreclaimableBytes - a.unreclaimableBytes || a.pid - b.pid);
  return { expendable: marked.slice(0, EXPENDABLE_MAX_PER_UNIT), heaviestKeptBytes };
}

/** The heaviest process; of equals the newest (a tab's job started after its shell). */
const heaviest = (procs: readonly ProcFigures[]): ProcFigures | null =>
  procs.reduce<ProcFigures | null>((best, p) => (best === null || p.unreclaimableBytes >= best.unreclaimableBytes ? p : best), null);

export async function readApp(src: SnapshotSources, unit: UserUnitDir, reads: FileReads = threadPoolReads): Promise<AppUnit | null> {
  const { dir, name } = unit;
  const pids = await readProcsRecursive(dir, reads);
  const [figures, pressure, procs, marked] = await Promise.all([
    readCgroupFootprint(dir, reads),
    readPressureFile(join(dir, 'memory.pressure'), reads).catch(() => null),
    // A tab is named by its job, and a cgroup without a memory controller is measured by its processes.
    name.kind === 'terminal-tab' ? readProcs(src.tree.procRoot, pids, reads) : Promise.resolve(null),
    readMarked(src.tree.procRoot, pids, reads),
  ]);
  const fromProcs = figures === null ? (procs ?? (await readProcs(src.tree.procRoot, pids, reads))) : null;
  const identity = await identify(src, name, procs);
  const cgroup = relative(src.tree.path, dir);
  const absolute = '/' + relative(src.tree.cgroupRoot, dir);
  const containsSelf = src.selfCgroup !== null && (src.selfCgroup === absolute || src.selfCgroup.startsWith(absolute + '/'));
  const protectedBecause = containsSelf ? 'headroom agent' : SELF_APP_IDS.includes(identity.appId) ? 'part of headroom' : '';
  const sum = (f: (p: ProcFigures) => number): number => (fromProcs ?? []).reduce((n, p) => n + f(p), 0);
  return {
    unit: name.unit,
    kind: name.kind,
    cgroup,
    appId: identity.appId,
    launcher: name.launcher,
    displayName: identity.displayName,
    icon: identity.icon,
    desktopEntry: identity.desktopEntry,
    memoryBytes: figures?.current ?? sum((p) => p.rssBytes),
    swapBytes: figures?.swap ?? sum((p) => p.swapBytes),
    anonBytes: figures?.anon ?? 0,
    fileBytes: figures?.file ?? 0,
    shmemBytes: figures?.shmem ?? 0,
    unreclaimableBytes: figures ? figures.anon + figures.shmem + figures.swap : sum((p) => p.unreclaimableBytes),
    pgscan: figures?.pgscan ?? 0,
    processCount: pids.length,
    fullAvg10: pressure?.full.avg10 ?? 0,
    preference: await src.preferenceOf({ unit: name.unit, appId: identity.appId }),
    protectedBecause,
    expendable: marked.expendable,
    heaviestKeptBytes: marked.heaviestKeptBytes,
  };
}

interface Identity {
  appId: string;
  displayName: string;
  icon: string;
  desktopEntry: string;
}

/** The id, name and icon a person would recognise the unit by. */
async function identify(src: SnapshotSources, name: UserUnitName, procs: readonly ProcFigures[] | null): Promise<Identity> {
  const entryOf = async (id: string): Promise<Omit<Identity, 'appId'> | null> => {
    if (id === '') return null;
    const e = await src.desktop.lookup(id);
    return e ? { displayName: e.name, icon: e.icon ?? '', desktopEntry: basename(e.path, '.desktop') } : null;
  };
  switch (name.kind) {
    case 'terminal-tab': {
      // "python3 in Terminal": the job from its heaviest process, the terminal from its slice.
      const job = heaviest(procs ?? [])?.comm ?? '';
      const terminal = await entryOf(name.hostAppId);
      const terminalName = terminal?.displayName || terminalNameFromId(name.hostAppId) || 'a terminal';
      const appId = job || name.hostAppId || 'terminal';
      return { appId, displayName: `${job || 'a job'} in ${terminalName}`, icon: terminal?.icon ?? 'utilities-terminal', desktopEntry: terminal?.desktopEntry ?? '' };
    }
    case 'snap': {
      // The snap's desktop id is <snap>_<app>; without its entry the app's name is the best word.
      const entry = await entryOf(name.appId);
      return { appId: name.appId, ...(entry ?? { displayName: name.appId.slice(name.appId.lastIndexOf('_') + 1), icon: '', desktopEntry: '' }) };
    }
    case 'unit':
      return { appId: name.appId, displayName: name.unit, icon: '', desktopEntry: '' };
    default: {
      const entry = await entryOf(name.appId);
      return { appId: name.appId, ...(entry ?? { displayName: name.appId, icon: '', desktopEntry: '' }) };
    }
  }
}

export async function readApps(src: SnapshotSources, reads: FileReads = threadPoolReads): Promise<AppUnit[]> {
  const units = await findUserUnits(src.tree.path, reads);
  const apps = await Promise.all(units.map((u) => readApp(src, u, reads).catch(() => null)));
  return apps.filter((a): a is AppUnit => a !== null);
}

/** A gauge's file, or null where it is absent or unreadable: a gauge that cannot be read is none. */
function readGaugeFile(path: string): string | null {
  try {
    return readTextSyncIfExists(path);
  } catch {
    return null;
  }
}

/** /proc/swaps and each zram device's mm_stat; [] where /proc/swaps is unreadable. Synchronous: a gauge. */
export function readSwaps(procRoot: string, sysRoot = '/sys'): SwapDevice[] {
  const text = readGaugeFile(join(procRoot, 'swaps'));
  if (text === null) return [];
  const devices = parseProcSwaps(text, join(procRoot, 'swaps'));
  const pageBytes = devices.some((d) => d.kind === 'zram') ? kernelPageBytes() : 0;
  return devices.map((d) => {
    if (d.kind !== 'zram') return { ...d, zram: null };
    const path = join(sysRoot, 'block', basename(d.path), 'mm_stat');
    const mm = readGaugeFile(path);
    return { ...d, zram: mm === null ? null : parseZramMmStat(mm, path, pageBytes) };
  });
}

const AT_PAGESZ = 6n;
let pageBytesOnce: number | undefined;

/**
 * The kernel's page size (zram counts same-filled pages in pages), from this process's
 * auxiliary vector: 4 KiB on x86-64, 16 or 64 KiB on some arm64 kernels. Read once; 4096
 * where /proc/self/auxv cannot be read or is not the 64-bit layout.
 */
export function kernelPageBytes(): number {
  pageBytesOnce ??= pageBytesFromAuxv();
  return pageBytesOnce;
}

function pageBytesFromAuxv(): number {
  if (process.arch === 'arm' || process.arch === 'ia32') return 4096; // 32-bit auxv: 4 KiB pages there
  let buf: Buffer;
  try {
    buf = readFileSync('/proc/self/auxv');
  } catch {
    return 4096;
  }
  const le = endianness() === 'LE';
  for (let at = 0; at + 16 <= buf.length; at += 16) {
    const type = le ? buf.readBigUInt64LE(at) : buf.readBigUInt64BE(at);
    if (type === 0n) break;
    if (type === AT_PAGESZ) {
      const value = Number(le ? buf.readBigUInt64LE(at + 8) : buf.readBigUInt64BE(at + 8));
      return value >= 4096 && value <= 1 << 20 && (value & (value - 1)) === 0 ? value : 4096;
    }
  }
  return 4096;
}

/** The groups outside the tree to measure, with a person's words for each. */
async function outsideCandidates(tree: UserTree, reads: FileReads): Promise<{ dir: string; label: string; ownProcs: boolean }[]> {
  const list = async (dir: string): Promise<string[]> => reads.subdirs(dir).catch(() => []);
  const userSlice = dirname(tree.path);
  const out: { dir: string; label: string; ownProcs: boolean }[] = [];
  for (const n of await list(userSlice)) {
    const session = /^session-(.+)\.scope$/.exec(n);
    if (session) out.push({ dir: join(userSlice, n), label: `your login session ${session[1]!} (outside the desktop's units)`, ownProcs: true });
  }
  for (const n of await list(join(tree.cgroupRoot, 'system.slice'))) out.push({ dir: join(tree.cgroupRoot, 'system.slice', n), label: `the system service ${n}`, ownProcs: false });
  for (const n of await list(join(tree.cgroupRoot, 'user.slice'))) {
    const user = /^user-(\d+)\.slice$/.exec(n);
    if (user && join(tree.cgroupRoot, 'user.slice', n) !== userSlice) out.push({ dir: join(tree.cgroupRoot, 'user.slice', n), label: `the session of user ${user[1]!}`, ownProcs: false });
  }
  for (const n of await list(tree.cgroupRoot)) {
    if (n.endsWith('.slice') && !['user.slice', 'system.slice', '-.slice'].includes(n)) out.push({ dir: join(tree.cgroupRoot, n), label: n === 'machine.slice' ? 'virtual machines and containers (machine.slice)' : n, ownProcs: false });
  }
  return out;
}

/**
 * Memory Headroom cannot stop by unit, group by group (only groups of OUTSIDE_MIN_BYTES and
 * more are read further). Only where the tree is systemd's own user@UID.service: a tree given
 * by hand (tests, unusual setups) has no such neighbours.
 */
export async function readOutside(tree: UserTree, reads: FileReads = threadPoolReads): Promise<OutsideGroup[]> {
  const systemdTree = join(tree.cgroupRoot, 'user.slice', `user-${tree.uid}.slice`, `user@${tree.uid}.service`);
  if (tree.path !== systemdTree) return [];
  const groups = await Promise.all((await outsideCandidates(tree, reads)).map(async (c): Promise<OutsideGroup | null> => {
    const current = await readNumberIfExists(join(c.dir, 'memory.current'), reads).catch(() => null);
    if (current === null || current < OUTSIDE_MIN_BYTES) return null;
    const figures = await readCgroupFootprint(c.dir, reads).catch(() => null);
    const unreclaimableBytes = figures ? figures.anon + figures.shmem + figures.swap : current;
    if (unreclaimableBytes < OUTSIDE_MIN_BYTES) return null;
    // Name the process behind a login session's memory: it is the user's own, and the user can act on it.
    const top = c.ownProcs ? heaviest(await readProcs(tree.procRoot, await readProcsRecursive(c.dir, reads), reads)) : null;
    return { cgroup: '/' + relative(tree.cgroupRoot, c.dir), label: c.label, unreclaimableBytes, topComm: top?.comm ?? '', topPid: top?.pid ?? 0 };
  }));
  return groups.filter((g): g is OutsideGroup => g !== null);
}

/**
 * What says whether memory is running out, the part of a snapshot each look needs: pressure,
 * /proc/meminfo and swap. Synchronous, a handful of small files the kernel makes up on read:
 * under pressure a look must not wait behind the reads of every unit (readUnits).
 * `meminfoText` reads /proc/meminfo (the agent's is kept open: agent/io/proc-file.ts); null
 * when it is missing.
 */
export function readGauges(src: Pick<SnapshotSources, 'tree' | 'now'>, meminfoText: () => string | null = () => readTextSyncIfExists(join(src.tree.procRoot, 'meminfo'))): Gauges {
  const { atMs, wallMs } = src.now();
  const treePressure = join(src.tree.path, 'memory.pressure');
  const meminfoPath = join(src.tree.procRoot, 'meminfo');
  const tree = readPressureFileSync(treePressure);
  if (tree === null) throw new Error(`${treePressure} vanished: is the user manager still running?`);
  // The slice's pressure and the swap devices are extras: unreadable or garbled, they are none
  // (as the async reads' .catch made them), and the look goes on.
  const orNone = <T>(read: () => T, none: T): T => {
    try {
      return read();
    } catch {
      return none;
    }
  };
  const appSlice = orNone(() => readPressureFileSync(join(src.tree.path, 'app.slice', 'memory.pressure')), null);
  const meminfo = meminfoText();
  if (meminfo === null) throw new Error(`${meminfoPath} is missing`);
  return { atMs, wallMs, tree, appSlice, meminfo: parseMeminfo(meminfo, meminfoPath), swaps: orNone(() => readSwaps(src.tree.procRoot), []) };
}

/**
 * Every unit the user runs and the memory outside the tree: the costly part of a snapshot.
 * `reads` says what waits for it (agent/io/files.ts): the pool keeps the loop free, inline
 * wakes nothing.
 */
export async function readUnits(src: SnapshotSources, reads: FileReads = threadPoolReads): Promise<Units> {
  const { atMs } = src.now();
  const [apps, outside] = await Promise.all([readApps(src, reads), readOutside(src.tree, reads).catch(() => [])]);
  return { atMs, apps, outside };
}

/** A whole snapshot: the units, then the gauges as they are once the units are read. */
export async function readSnapshot(src: SnapshotSources): Promise<Snapshot> {
  const units = await readUnits(src);
  return withUnits(readGauges(src), units);
}
