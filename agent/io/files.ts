// Small filesystem helpers shared by the readers and the state stores.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
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
