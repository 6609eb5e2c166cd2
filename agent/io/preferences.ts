// Per-app preferences (none/avoid/omit by application id, so they survive relaunches),
// persisted atomically as JSON. A damaged file is set aside as a backup, never overwritten
// blindly, and the agent carries on with what it could read. Ids are keys of a Map, never of a
// plain object: an app id such as "constructor" or "__proto__" is just an id. Writers in this
// process take turns in a queue before they take the file lock, so a burst of SetPreference
// calls is a queue, not a convoy of waiters on a lock the process itself holds.
import { rename, stat } from 'node:fs/promises';
import { z } from 'zod';
import { PREFERENCES, type Preference } from '../../shared/names.js';
import { readTextIfExists, STATE_DIR_MODE, STATE_FILE_MODE, withFileLock, writeFileAtomic } from './files.js';

const FileSchema = z.object({
  version: z.literal(1),
  // Checked entry by entry below: a record schema would copy the keys into a plain object.
  apps: z.custom<object>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'expected an object'),
});
const PreferenceSchema = z.enum(PREFERENCES);

/** The file's apps as a Map; throws on an empty id or an unknown preference, naming it. */
function appsOf(raw: object): Map<string, Preference> {
  const apps = new Map<string, Preference>();
  for (const [id, value] of Object.entries(raw)) {
    if (id === '') throw new PreferencesError('an app id is empty');
    const pref = PreferenceSchema.safeParse(value);
    if (!pref.success) throw new PreferencesError(`app ${JSON.stringify(id)}: preference must be one of ${PREFERENCES.join(', ')}`);
    apps.set(id, pref.data);
  }
  return apps;
}

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
  let apps = new Map<string, Preference>();
  let mtimeMs = -1;
  let writes: Promise<unknown> = Promise.resolve();

  const load = async (): Promise<void> => {
    const text = await readTextIfExists(path);
    mtimeMs = await stat(path).then((s) => s.mtimeMs, () => -1);
    if (text === null) {
      apps = new Map();
      return;
    }
    try {
      apps = appsOf(FileSchema.parse(JSON.parse(text)).apps);
    } catch (err) {
      const backup = `${path}.bad-${Date.now()}`;
      await rename(path, backup).catch(() => undefined);
      warn(`${path} is damaged (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); moved it to ${backup} and started with no preferences`);
      apps = new Map();
      mtimeMs = -1;
    }
  };
  await load();

  return {
    get: (appId) => apps.get(appId) ?? 'none',
    // Object.fromEntries defines own properties, so "__proto__" stays a key like any other.
    all: () => Object.fromEntries(apps),
    set(appId, pref) {
      if (appId.trim() === '') return Promise.reject(new PreferencesError('app id must not be empty'));
      if (!(PREFERENCES as readonly string[]).includes(pref)) return Promise.reject(new PreferencesError(`preference must be one of ${PREFERENCES.join(', ')}`));
      const write = writes.then(() => withFileLock(path, async () => {
        await load(); // merge with what other writers (the CLI without an agent) saved meanwhile
        const next = new Map(apps);
        if (pref === 'none') next.delete(appId);
        else next.set(appId, pref);
        await writeFileAtomic(path, JSON.stringify({ version: 1, apps: Object.fromEntries(next) }, null, 2) + '\n', { mode: STATE_FILE_MODE, dirMode: STATE_DIR_MODE });
        apps = next;
        mtimeMs = await stat(path).then((s) => s.mtimeMs, () => -1);
      }));
      writes = write.catch(() => undefined); // one failed write does not stop the queue
      return write;
    },
    async refresh() {
      const m = await stat(path).then((s) => s.mtimeMs, () => -1);
      if (m !== mtimeMs) await load();
    },
  };
}
