// Kill history: one JSON object per line, appended with a single write so a crash loses at
// most the line being written. Bounded: past MAX_LINES it is rewritten (atomically) to the
// newest KEEP_LINES. Lines that do not parse are skipped and counted, never fatal. Reads take
// only the file's tail, a chunk at a time, and run one at a time with the writes: a history
// file of any size (a 55 MB one aborted the 64 MiB agent at every start) costs at most
// TAIL_MAX_BYTES of memory, and twelve concurrent GetHistory calls do not add up.
import { appendFile, mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { KillSpec, type EventRecord } from '../../shared/records.js';
import { STATE_DIR_MODE, STATE_FILE_MODE, writeFileAtomic } from './files.js';

const MAX_LINES = 2000;
const KEEP_LINES = 1000;
/** A line longer than this is no record of ours (one record with ten candidates is ~3 KB). */
const MAX_LINE_BYTES = 64 * 1024;
/** The most of the file's end a read looks at. */
const TAIL_MAX_BYTES = 8 * 1024 * 1024;
const CHUNK_BYTES = 64 * 1024;

export interface History {
  append(record: EventRecord): Promise<void>;
  /** Newest first. */
  recent(limit: number): Promise<EventRecord[]>;
}

/** Fields added after the first release, with the value an older record means by leaving them out. */
const ADDED_FIELDS: Partial<EventRecord> = { childPid: 0, childKind: '', pausedUntilMs: 0 };

/** A line's record, with what an older version did not write filled in; null if it is no record. */
function eventRecordOf(v: unknown): EventRecord | null {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return null;
  const r: Record<string, unknown> = { ...ADDED_FIELDS, ...(v as Record<string, unknown>) };
  return Object.keys(KillSpec).every((k) => k in r) ? (r as unknown as EventRecord) : null;
}

export function openHistory(path: string, warn: (msg: string) => void = () => undefined): History {
  let lines: number | null = null;

  /** The newest `limit` records (oldest first), from the file's tail. */
  const readTail = async (limit: number): Promise<{ records: EventRecord[]; bad: number }> => {
    const records: EventRecord[] = [];
    let bad = 0;
    for (const line of await tailLines(path, limit)) {
      if (line.length > MAX_LINE_BYTES) {
        bad++;
        continue;
      }
      try {
        const r = eventRecordOf(JSON.parse(line));
        if (r) records.push(r);
        else bad++;
      } catch {
        bad++;
      }
    }
    return { records: records.slice(-limit), bad };
  };

  // Appends and the bounding rewrite run one at a time: a rewrite must not drop an append
  // that landed between its read and its rename.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work, work);
    queue = run.catch(() => undefined);
    return run;
  };

  return {
    append: (record) => serial(async () => {
      await mkdir(dirname(path), { recursive: true, mode: STATE_DIR_MODE });
      let prefix = '';
      if (lines === null) {
        lines = await countLines(path);
        // A crash mid-write can leave a torn last line: start on a fresh line, or the new
        // record would be glued to it and both lost.
        if (!(await endsWithNewline(path))) prefix = '\n';
      }
      await appendFile(path, prefix + JSON.stringify(record) + '\n', { encoding: 'utf8', mode: STATE_FILE_MODE });
      lines += 1;
      if (lines > MAX_LINES) {
        const { records } = await readTail(KEEP_LINES);
        const kept = records.slice(-KEEP_LINES);
        await writeFileAtomic(path, kept.map((r) => JSON.stringify(r)).join('\n') + '\n', { mode: STATE_FILE_MODE, dirMode: STATE_DIR_MODE });
        lines = kept.length;
      }
    }),
    recent: (limit) => serial(async () => {
      const { records, bad } = await readTail(Math.max(0, Math.min(limit, KEEP_LINES)));
      if (bad > 0) warn(`${path}: skipped ${bad} damaged line${bad === 1 ? '' : 's'}`);
      return records.reverse();
    }),
  };
}

/** True for a missing or empty file, or one whose last byte is a newline. */
async function endsWithNewline(path: string): Promise<boolean> {
  const fh = await open(path, 'r').catch(() => null);
  if (!fh) return true;
  try {
    const { size } = await fh.stat();
    if (size === 0) return true;
    const { buffer } = await fh.read(Buffer.alloc(1), 0, 1, size - 1);
    return buffer[0] === 0x0a;
  } finally {
    await fh.close();
  }
}

/**
 * The last `limit` non-empty lines (oldest first), reading backwards a chunk at a time and no
 * further than TAIL_MAX_BYTES from the end. A line cut by that bound is dropped, not guessed.
 */
async function tailLines(path: string, limit: number): Promise<string[]> {
  if (limit <= 0) return [];
  const fh = await open(path, 'r').catch(() => null);
  if (!fh) return [];
  try {
    const { size } = await fh.stat();
    const stop = Math.max(0, size - TAIL_MAX_BYTES);
    const lines: string[] = [];
    let carry: Buffer = Buffer.alloc(0);
    for (let end = size; end > stop && lines.length < limit; ) {
      const start = Math.max(stop, end - CHUNK_BYTES);
      const chunk = Buffer.alloc(end - start);
      await fh.read(chunk, 0, chunk.length, start);
      let buf = Buffer.concat([chunk, carry]);
      // Everything after the first newline is whole lines; before it, a line that goes on further back.
      for (let nl = buf.lastIndexOf(0x0a); nl >= 0 && lines.length < limit; nl = buf.lastIndexOf(0x0a)) {
        const line = buf.subarray(nl + 1);
        if (line.length > 0) lines.push(line.length > MAX_LINE_BYTES ? 'x'.repeat(MAX_LINE_BYTES + 1) : line.toString('utf8'));
        buf = buf.subarray(0, nl);
      }
      // A line still open grows at most to MAX_LINE_BYTES + 1: enough to know it is too long.
      carry = buf.length > MAX_LINE_BYTES ? buf.subarray(buf.length - MAX_LINE_BYTES - 1) : buf;
      end = start;
      if (end === 0 && carry.length > 0 && lines.length < limit) lines.push(carry.toString('utf8')); // the file's first line
    }
    return lines.reverse();
  } finally {
    await fh.close();
  }
}

/** Newline count of the file, a chunk at a time (the size of the file never reaches the heap). */
async function countLines(path: string): Promise<number> {
  const fh = await open(path, 'r').catch(() => null);
  if (!fh) return 0;
  try {
    const chunk = Buffer.alloc(CHUNK_BYTES);
    let n = 0;
    for (let pos = 0; ; ) {
      const { bytesRead } = await fh.read(chunk, 0, CHUNK_BYTES, pos);
      if (bytesRead === 0) return n;
      for (let i = 0; i < bytesRead; i++) if (chunk[i] === 0x0a) n++;
      pos += bytesRead;
    }
  } finally {
    await fh.close();
  }
}
