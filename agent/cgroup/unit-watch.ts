// Which units come and go, told by the kernel rather than found by reading the whole tree
// every few seconds: an inotify watch (fs.watch) on the user tree and on every slice in it.
// cgroupfs reports a cgroup's mkdir and rmdir to a watch on its parent, as any directory
// does; scopes and services are not descended into (their children are the app's business,
// and findUserUnits does not list them either). A slice that appears is watched in turn.
// Where a watch cannot be added (inotify's per-user limit, a tree that vanished) the watch
// says so through `watching`, and the caller goes back to reading the tree on a timer.
import { readdirSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';

export interface UnitWatch {
  /** False once any slice could not be watched: a unit may then come unnoticed. */
  readonly watching: boolean;
  /** Slices watched now (the tree counts as one). */
  readonly slices: number;
  /** Why watching stopped, for the log; '' while it is whole. */
  readonly why: string;
  close(): void;
}

/** How deep slices nest below the tree that are still watched (findUserUnits reads as deep). */
export const UNIT_WATCH_MAX_DEPTH = 8;

const UNIT_DIR = /\.(scope|service|slice)$/;

/**
 * Watch `treePath` and its slices; `onChange` runs (synchronously, from the event loop) for
 * every unit or slice created or removed. It is called often during an app's start (several
 * cgroups at once): the caller coalesces.
 */
export function watchUnits(treePath: string, onChange: () => void, maxDepth = UNIT_WATCH_MAX_DEPTH): UnitWatch {
  const watchers = new Map<string, FSWatcher>();
  let why = '';
  let closed = false;
  const fail = (dir: string, err: unknown): void => {
    if (why === '') why = `${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
  };
  const forget = (dir: string): void => {
    for (const [d, w] of watchers) {
      if (d === dir || d.startsWith(dir + '/')) {
        w.close();
        watchers.delete(d);
      }
    }
  };
  const add = (dir: string, depth: number): void => {
    if (closed || watchers.has(dir)) return;
    let w: FSWatcher;
    try {
      w = watch(dir, { persistent: false }, (event, name) => {
        if (event !== 'rename' || typeof name !== 'string' || !UNIT_DIR.test(name)) return;
        const child = join(dir, name);
        // A new slice is watched before anyone is told, so a scope made in it right after is seen.
        if (name.endsWith('.slice') && depth < maxDepth) {
          if (watchers.has(child)) forget(child);
          else add(child, depth + 1);
        }
        onChange();
      });
    } catch (err) {
      // The tree itself gone is the monitor's to report; a slice gone between the event and the
      // watch is no loss. Anything else (ENOSPC: inotify's limit) means units may come unseen.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || depth === 0) fail(dir, err);
      return;
    }
    // A watched slice removed: its watch ends with an error or a last event; it is dropped either way.
    w.on('error', () => forget(dir));
    watchers.set(dir, w);
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    if (depth < maxDepth) for (const e of entries) if (e.isDirectory() && e.name.endsWith('.slice')) add(join(dir, e.name), depth + 1);
  };
  add(treePath, 0);
  return {
    get watching() {
      return !closed && why === '' && watchers.has(treePath);
    },
    get slices() {
      return watchers.size;
    },
    get why() {
      return why;
    },
    close() {
      closed = true;
      for (const w of watchers.values()) w.close();
      watchers.clear();
    },
  };
}
