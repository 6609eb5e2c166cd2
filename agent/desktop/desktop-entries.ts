// Find .desktop files by application id in the XDG data dirs, for display names and icons.
// Results are cached: during a memory crisis the agent must not go reading directories.
import { readdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, join, relative, resolve, sep } from 'node:path';
import { parseDesktopEntry, type DesktopEntry } from './core/desktop-entry.js';
import { readTextIfExists } from '../io/files.js';

export interface DesktopLookup {
  lookup(appId: string): Promise<(DesktopEntry & { path: string }) | null>;
}

export function applicationDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const dataHome = env.XDG_DATA_HOME || join(env.HOME || homedir(), '.local', 'share');
  const dataDirs = (env.XDG_DATA_DIRS || '/usr/local/share:/usr/share').split(':').filter((d) => d !== '');
  return [dataHome, ...dataDirs].map((d) => join(d, 'applications'));
}

/** One path segment of a desktop file id's file name: never empty, ".", "..", or holding a separator. */
const isPlainSegment = (seg: string): boolean => seg !== '' && seg !== '.' && seg !== '..' && !/[/\\\0]/.test(seg);

/**
 * Candidate file names for an id: "org.foo.Bar" → org.foo.Bar.desktop; "kde-foo" also
 * kde/foo.desktop. Only names that stay inside an applications/ directory: an id with a "/"
 * (say, unescaped from a unit name's \x2f) or one whose "-" would make a ".." segment
 * ("..-evil" → ../evil.desktop) yields none of those.
 */
export function desktopFileNames(appId: string): string[] {
  const id = appId.endsWith('.desktop') ? appId.slice(0, -'.desktop'.length) : appId;
  if (!isPlainSegment(id)) return [];
  const names = [`${id}.desktop`];
  const dash = id.indexOf('-');
  if (dash > 0 && isPlainSegment(id.slice(0, dash)) && isPlainSegment(id.slice(dash + 1))) names.push(`${id.slice(0, dash)}/${id.slice(dash + 1)}.desktop`);
  return names;
}

/** `name` below `dir`, or null if it would resolve outside it. */
function inside(dir: string, name: string): string | null {
  const root = resolve(dir);
  const path = resolve(root, name);
  return path.startsWith(root + sep) ? path : null;
}

const MISS_TTL_MS = 60_000;

/** The locale names and comments are shown in (LC_MESSAGES rules: LC_ALL, then LC_MESSAGES, then LANG). */
export const messagesLocale = (env: NodeJS.ProcessEnv = process.env): string => env.LC_ALL || env.LC_MESSAGES || env.LANG || '';

export function createDesktopLookup(dirs = applicationDirs(), locale = messagesLocale()): DesktopLookup {
  const hits = new Map<string, DesktopEntry & { path: string }>();
  const misses = new Map<string, number>();
  return {
    async lookup(appId) {
      const hit = hits.get(appId);
      if (hit) return hit;
      const missedAt = misses.get(appId);
      if (missedAt !== undefined && Date.now() - missedAt < MISS_TTL_MS) return null;
      for (const dir of dirs) {
        for (const name of desktopFileNames(appId)) {
          const path = inside(dir, name);
          if (path === null) continue;
          const text = await readTextIfExists(path).catch(() => null);
          if (text === null) continue;
          const entry = parseDesktopEntry(text, locale);
          // The first file found for an id shadows the rest (spec), even a Hidden one.
          if (!entry || entry.hidden) break;
          const found = { ...entry, path };
          hits.set(appId, found);
          return found;
        }
      }
      misses.set(appId, Date.now());
      return null;
    },
  };
}

export interface DesktopFile {
  /** The desktop file id: its path below applications/ with "/" as "-", minus ".desktop". */
  id: string;
  path: string;
  text: string;
}

/**
 * The .desktop file for an id (with or without ".desktop"), the first one in XDG order, even a
 * Hidden one: it shadows the rest, so the caller must refuse it rather than look further.
 */
export async function findDesktopFile(appId: string, dirs = applicationDirs()): Promise<DesktopFile | null> {
  const id = appId.endsWith('.desktop') ? appId.slice(0, -'.desktop'.length) : appId;
  for (const dir of dirs) {
    for (const name of desktopFileNames(id)) {
      const path = inside(dir, name);
      if (path === null) continue;
      const text = await readTextIfExists(path).catch(() => null);
      if (text !== null) return { id, path, text };
    }
  }
  return null;
}

/** A .desktop file named by its path; its id is derived from the applications dir it is in, if any. */
export async function readDesktopFileAt(file: string, dirs = applicationDirs()): Promise<DesktopFile | null> {
  const path = resolve(file);
  const text = await readTextIfExists(path);
  if (text === null) return null;
  const under = dirs.map((d) => relative(resolve(d), path)).find((r) => r !== '' && !r.startsWith('..') && !r.startsWith(sep));
  const id = (under ?? basename(path)).split(sep).join('-').replace(/\.desktop$/, '');
  return { id, path, text };
}

/**
 * Every .desktop file in the application dirs, by id, the first one in XDG order winning (so a
 * user's Hidden copy shadows the system entry). Subdirectories make ids with "-" (kde/foo → kde-foo).
 */
export async function listDesktopFiles(dirs = applicationDirs()): Promise<DesktopFile[]> {
  const byId = new Map<string, DesktopFile>();
  for (const dir of dirs) {
    let names: string[];
    try {
      names = (await readdir(dir, { recursive: true })).map(String);
    } catch {
      continue; // a missing or unreadable dir is simply not part of this desktop
    }
    for (const name of names.sort()) {
      if (!name.endsWith('.desktop')) continue;
      const id = name.slice(0, -'.desktop'.length).split(sep).join('-');
      if (byId.has(id)) continue;
      const path = join(dir, name);
      const text = await readTextIfExists(path).catch(() => null);
      if (text !== null) byId.set(id, { id, path, text });
    }
  }
  return [...byId.values()];
}
