// The app the agent holds paused, on disk: an agent that is stopped, crashes or is killed with
// an app frozen must not leave it frozen for good. The next agent thaws what this file names
// (agent.ts, at start). One small JSON object, written atomically; a file that does not parse
// is reported and ignored, never trusted.
import { unlink } from 'node:fs/promises';
import { isErrno, readTextIfExists, STATE_DIR_MODE, STATE_FILE_MODE, writeFileAtomic } from './files.js';

export interface PausedEntry {
  unit: string;
  /** The unit's cgroup directory, absolute. */
  cgroupDir: string;
  /** How it was frozen, so it is thawed the same way. */
  via: 'systemd' | 'cgroup.freeze';
  atWallMs: number;
}

export interface PausedFile {
  load(): Promise<PausedEntry | null>;
  /** null: nothing is paused (the file goes). */
  save(entry: PausedEntry | null): Promise<void>;
}

/** A paused.json beyond this is no file the agent wrote. */
const MAX_BYTES = 16 * 1024;

function entryOf(v: unknown): PausedEntry | null {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return null;
  const r = v as Record<string, unknown>;
  if (typeof r.unit !== 'string' || r.unit === '' || r.unit.length > 255) return null;
  if (typeof r.cgroupDir !== 'string' || !r.cgroupDir.startsWith('/') || r.cgroupDir.length > 4096) return null;
  if (r.via !== 'systemd' && r.via !== 'cgroup.freeze') return null;
  if (typeof r.atWallMs !== 'number' || !Number.isFinite(r.atWallMs)) return null;
  return { unit: r.unit, cgroupDir: r.cgroupDir, via: r.via, atWallMs: r.atWallMs };
}

export function openPausedFile(path: string, warn: (msg: string) => void = () => undefined): PausedFile {
  return {
    async load() {
      const text = await readTextIfExists(path).catch((err: unknown) => {
        warn(`could not read ${path}: ${(err as Error).message}`);
        return null;
      });
      if (text === null) return null;
      let entry: PausedEntry | null = null;
      try {
        entry = text.length <= MAX_BYTES ? entryOf(JSON.parse(text)) : null;
      } catch {
        entry = null;
      }
      if (!entry) warn(`${path} is not a paused app this agent wrote (${text.length} bytes): ignored`);
      return entry;
    },
    async save(entry) {
      if (entry === null) {
        await unlink(path).catch((err: unknown) => {
          if (!isErrno(err, 'ENOENT')) throw err;
        });
        return;
      }
      await writeFileAtomic(path, `${JSON.stringify(entry)}\n`, { mode: STATE_FILE_MODE, dirMode: STATE_DIR_MODE });
    },
  };
}
