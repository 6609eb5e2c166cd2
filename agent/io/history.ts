// Kill history: one JSON object per line, appended with a single write so a crash loses at
// most the line being written. Bounded: past MAX_LINES it is rewritten (atomically) to the
// newest KEEP_LINES. Lines that do not parse are skipped and counted, never fatal.
import { appendFile, mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { KillSpec, type KillRecord } from '../../shared/records.js';
import { readTextIfExists, STATE_DIR_MODE, STATE_FILE_MODE, writeFileAtomic } from './files.js';

const MAX_LINES = 2000;
const KEEP_LINES = 1000;

export interface History {
  append(record: KillRecord): Promise<void>;
  /** Newest first. */
  recent(limit: number): Promise<KillRecord[]>;
}

const isKillRecord = (v: unknown): v is KillRecord =>
  v !== null && typeof v === 'object' && Object.keys(KillSpec).every((k) => k in v);

export function openHistory(path: string, warn: (msg: string) => void = () => undefined): History {
  let lines: number | null = null;

  const readAll = async (): Promise<{ records: KillRecord[]; bad: number }> => {
    const text = (await readTextIfExists(path)) ?? '';
    const records: KillRecord[] = [];
    let bad = 0;
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        const v: unknown = JSON.parse(line);
        if (isKillRecord(v)) records.push(v);
        else bad++;
      } catch {
        bad++;
      }
    }
    return { records, bad };
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
        lines = (await readAll()).records.length;
        // A crash mid-write can leave a torn last line: start on a fresh line, or the new
        // record would be glued to it and both lost.
        if (!(await endsWithNewline(path))) prefix = '\n';
      }
      await appendFile(path, prefix + JSON.stringify(record) + '\n', { encoding: 'utf8', mode: STATE_FILE_MODE });
      lines += 1;
      if (lines > MAX_LINES) {
        const { records } = await readAll();
        const kept = records.slice(-KEEP_LINES);
        await writeFileAtomic(path, kept.map((r) => JSON.stringify(r)).join('\n') + '\n', { mode: STATE_FILE_MODE, dirMode: STATE_DIR_MODE });
        lines = kept.length;
      }
    }),
    async recent(limit) {
      const { records, bad } = await readAll();
      if (bad > 0) warn(`${path}: skipped ${bad} damaged line${bad === 1 ? '' : 's'}`);
      return records.slice(-Math.max(0, limit)).reverse();
    },
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
