// Small filesystem helpers shared by the readers and the state stores.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { dirname } from 'node:path';

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

/** A single-number file such as memory.current, or null when absent ("max" reads as Infinity). */
export async function readNumberIfExists(path: string): Promise<number | null> {
  const text = await readTextIfExists(path);
  if (text === null) return null;
  const t = text.trim();
  if (t === 'max') return Infinity;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

/**
 * Replace a file atomically: write a temp file beside it, fsync, rename over. A crash leaves
 * either the old or the new content, never a torn file.
 */
export async function writeFileAtomic(path: string, data: string, mode = 0o644): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fh = await open(tmp, 'wx', mode);
  try {
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
 * Run `work` holding `<path>.lock` (O_EXCL create, holder's pid inside). Read-modify-write
 * of a shared file (the CLI without an agent, the agent) must not lose an update. A lock
 * whose holder is gone (crashed) is taken over.
 */
export async function withFileLock<T>(path: string, work: () => Promise<T>): Promise<T> {
  const lock = `${path}.lock`;
  await mkdir(dirname(path), { recursive: true });
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const fh = await open(lock, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch (err) {
      if (!isErrno(err, 'EEXIST')) throw err;
      const holder = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
      if (holder > 0 && !processExists(holder)) {
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

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return isErrno(err, 'EPERM');
  }
}
