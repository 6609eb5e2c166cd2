// Per-app preferences (none/avoid/omit by application id, so they survive relaunches),
// persisted atomically as JSON. A damaged file is set aside as a backup, never overwritten
// blindly, and the agent carries on with what it could read.
import { rename, stat } from 'node:fs/promises';
import { z } from 'zod';
import { PREFERENCES, type Preference } from '../../shared/names.js';
import { readTextIfExists, withFileLock, writeFileAtomic } from './files.js';

const FileSchema = z.object({
  version: z.literal(1),
  apps: z.record(z.string().min(1), z.enum(PREFERENCES)),
});

export class PreferencesError extends Error {
  override name = 'PreferencesError';
}

export interface PreferencesStore {
  get(appId: string): Preference;
  all(): Record<string, Preference>;
  set(appId: string, pref: Preference): Promise<void>;
  /** Re-read the file if another process changed it (cheap: one stat). */
  refresh(): Promise<void>;
}

export async function openPreferences(path: string, warn: (msg: string) => void = () => undefined): Promise<PreferencesStore> {
  let apps: Record<string, Preference> = {};
  let mtimeMs = -1;

  const load = async (): Promise<void> => {
    const text = await readTextIfExists(path);
    mtimeMs = await stat(path).then((s) => s.mtimeMs, () => -1);
    if (text === null) {
      apps = {};
      return;
    }
    try {
      apps = FileSchema.parse(JSON.parse(text)).apps;
    } catch (err) {
      const backup = `${path}.bad-${Date.now()}`;
      await rename(path, backup).catch(() => undefined);
      warn(`${path} is damaged (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); moved it to ${backup} and started with no preferences`);
      apps = {};
      mtimeMs = -1;
    }
  };
  await load();

  return {
    get: (appId) => apps[appId] ?? 'none',
    all: () => ({ ...apps }),
    async set(appId, pref) {
      if (appId.trim() === '') throw new PreferencesError('app id must not be empty');
      if (!(PREFERENCES as readonly string[]).includes(pref)) throw new PreferencesError(`preference must be one of ${PREFERENCES.join(', ')}`);
      await withFileLock(path, async () => {
        await load(); // merge with what other writers (the CLI without an agent) saved meanwhile
        const next = { ...apps };
        if (pref === 'none') delete next[appId];
        else next[appId] = pref;
        await writeFileAtomic(path, JSON.stringify({ version: 1, apps: next }, null, 2) + '\n');
        apps = next;
        mtimeMs = await stat(path).then((s) => s.mtimeMs, () => -1);
      });
    },
    async refresh() {
      const m = await stat(path).then((s) => s.mtimeMs, () => -1);
      if (m !== mtimeMs) await load();
    },
  };
}
