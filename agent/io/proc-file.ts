// A procfs file the calm agent reads every look (/proc/meminfo), kept open and read again from
// offset 0, as earlyoom does: procfs makes the text anew for a read at offset 0, so one pread
// replaces open, fstat, read and close, and the bytes land in one buffer kept for the purpose.
// Only on procfs: a regular file (a test's stand-in, replaced by rename) is read anew each time,
// since an open descriptor would go on reading the file that was replaced.
import { closeSync, openSync, readFileSync, readSync, statfsSync } from 'node:fs';

const PROC_SUPER_MAGIC = 0x9fa0;
/** /proc/meminfo is about 1.5 KiB; a file that fills this is read whole the slow way. */
const BUFFER_BYTES = 16 * 1024;

export interface ProcFileReader {
  /** The file's text now; throws as readFileSync would (ENOENT, EACCES). */
  read(): string;
  close(): void;
}

export function openProcFile(path: string): ProcFileReader {
  let onProc = false;
  try {
    onProc = statfsSync(path).type === PROC_SUPER_MAGIC;
  } catch {
    // unreadable now: read() reports it, the slow way
  }
  if (!onProc) return { read: () => readFileSync(path, 'utf8'), close: () => undefined };
  const buf = Buffer.alloc(BUFFER_BYTES);
  let fd: number | null = null;
  const readOnce = (): string => {
    fd ??= openSync(path, 'r');
    const n = readSync(fd, buf, 0, buf.length, 0);
    // Larger than the buffer: never so for meminfo, but a cut text must not be parsed.
    return n < buf.length ? buf.toString('latin1', 0, n) : readFileSync(path, 'utf8');
  };
  return {
    read() {
      try {
        return readOnce();
      } catch {
        // A descriptor gone bad (EBADF after a fork's closing, EIO): once more on a fresh one.
        if (fd !== null) {
          try {
            closeSync(fd);
          } catch {
            // already closed
          }
        }
        fd = null;
        return readOnce();
      }
    },
    close() {
      if (fd !== null) closeSync(fd);
      fd = null;
    },
  };
}
