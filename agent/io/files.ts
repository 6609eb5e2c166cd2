// Small filesystem helpers shared by the readers and the state stores.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { dirname } from 'node:path';
import { parseProcStat } from '../core/proc-stat.js';

const isErrno = (err: unknown, ...codes: string[]): boolean =>
  err instanceof Error && 'code' in err && codes.includes(String((err as NodeJS.ErrnoException).code));

export { isErrno };

/** A file's text, or null when it (or its cgroup) does not exist. Other errors propagate. */
export async function readTextIfExists(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT', 'ENODEV', 'ESRCH')) return null;
    throw err;
  }
}

/**
 * The same, synchronously: for the few small files the kernel makes up on read (/proc,
 * cgroupfs) on the path that must stay quick under memory pressure, where an async read would
 * queue in the thread pool behind the reads of every unit.
 */
export function readTextSyncIfExists(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT', 'ENODEV', 'ESRCH')) return null;
    throw err;
  }
}

/**
 * How a reader of many small kernel files (the units' cgroup and /proc files) gets them; both
 * answer alike, and differ in what waits. Failures reject as the fs calls would.
 */
export interface FileReads {
  /** A file's text, or null when it (or its cgroup) does not exist (readTextIfExists). */
  text(path: string): Promise<string | null>;
  /** The names of a directory's subdirectories. */
  subdirs(path: string): Promise<string[]>;
}

const dirNames = (entries: readonly { name: string; isDirectory(): boolean }[]): string[] => entries.filter((e) => e.isDirectory()).map((e) => e.name);

/**
 * Through libuv's thread pool: the main thread is free meanwhile, so looks under pressure go on
 * while the units are read. Each file costs four pool hops (open, fstat, read, close), and each
 * completion wakes the main thread.
 */
export const threadPoolReads: FileReads = {
  text: readTextIfExists,
  subdirs: async (path) => dirNames(await readdir(path, { withFileTypes: true })),
};

/**
 * On the calling thread, synchronously: no hops and no wake-ups, the loop held for the read.
 * For the calm full tick, which waits for the units anyway: read through the pool, its two
 * reads a minute made nearly all of a calm agent's wake-ups (docs/benchmark.md, idle).
 */
export const inlineReads: FileReads = {
  text: (path) => settledNow(() => readTextSyncIfExists(path)),
  subdirs: (path) => settledNow(() => dirNames(readdirSync(path, { withFileTypes: true }))),
};

/** What `read` returns or throws, run now, as a settled promise. */
function settledNow<T>(read: () => T): Promise<T> {
  try {
    return Promise.resolve(read());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

/** A single-number file such as memory.current, or null when absent ("max" reads as Infinity). */
export async function readNumberIfExists(path: string, reads: FileReads = threadPoolReads): Promise<number | null> {
  const text = await reads.text(path);
  if (text === null) return null;
  const t = text.trim();
  if (t === 'max') return Infinity;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

/** The agent's state (preferences, history) is the user's alone: what they run and what died. */
export const STATE_FILE_MODE = 0o600;
export const STATE_DIR_MODE = 0o700;

export interface AtomicWriteOptions {
  /** Mode of a new file (an existing file keeps the mode its owner gave it). */
  mode?: number;
  /** Mode of directories this creates on the way. */
  dirMode?: number;
}

/**
 * Replace a file atomically: write a temp file beside it, fsync, rename over. A crash leaves
 * either the old or the new content, never a torn file. A rewrite keeps the file's mode: a user
 * who made it 0600 does not find it 0644 after the next write.
 */
export async function writeFileAtomic(path: string, data: string, opts: AtomicWriteOptions = {}): Promise<void> {
  await mkdir(dirname(path), { recursive: true, ...(opts.dirMode !== undefined ? { mode: opts.dirMode } : {}) });
  const existing = await stat(path).then((s) => s.mode & 0o7777, () => null);
  const mode = existing ?? opts.mode ?? 0o644;
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fh = await open(tmp, 'wx', mode);
  try {
    await fh.chmod(mode); // open()'s mode passes through the umask
    await fh.writeFile(data, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

const LOCK_WAIT_MS = 5000;
const LOCK_POLL_MS = 10;

/**
 * Run `work` holding `<path>.lock` (O_EXCL create; the holder's pid and start time inside).
 * Read-modify-write of a shared file (the CLI without an agent, the agent) must not lose an
 * update. A lock whose holder is gone (crashed) is taken over, also when its pid now belongs to
 * another process: the start time tells them apart. Callers in one process queue before this.
 */
export async function withFileLock<T>(path: string, work: () => Promise<T>): Promise<T> {
  const lock = `${path}.lock`;
  await mkdir(dirname(path), { recursive: true, mode: STATE_DIR_MODE });
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const fh = await open(lock, 'wx', 0o600);
      await fh.writeFile(`${process.pid} ${processStartTime(process.pid) ?? ''}`.trim());
      await fh.close();
      break;
    } catch (err) {
      if (!isErrno(err, 'EEXIST')) throw err;
      const [pidText = '', startText] = (await readFile(lock, 'utf8').catch(() => '')).trim().split(/\s+/);
      const holder = Number(pidText);
      if (holder > 0 && !holderAlive(holder, startText)) {
        await unlink(lock).catch(() => undefined);
        continue;
      }
      if (Date.now() > deadline) throw new Error(`${lock} is held by process ${holder || 'unknown'}; remove it if that process is gone`);
      await sleep(LOCK_POLL_MS);
    }
  }
  try {
    return await work();
  } finally {
    await unlink(lock).catch(() => undefined);
  }
}

/** A process's start time (clock ticks since boot, /proc/PID/stat field 22), null if it is gone. */
export function processStartTime(pid: number, procRoot = '/proc'): string | null {
  try {
    return String(parseProcStat(readFileSync(`${procRoot}/${pid}/stat`, 'utf8')).startTicks);
  } catch {
    return null;
  }
}

function holderAlive(pid: number, startTime: string | undefined): boolean {
  if (startTime !== undefined && startTime !== '') return processStartTime(pid) === startTime;
  return processExists(pid); // a lock of an older version: the pid alone
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return isErrno(err, 'EPERM');
  }
}
