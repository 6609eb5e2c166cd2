// Headroom from an AppImage: how `headroom install` gets the agent out of the image, and what
// the image leaves in the environment. Pure: agent/install/appimage-install.ts does the copying.
//
// An AppImage is mounted at a new $APPDIR (/tmp/.mount_XXXX) each time it runs, only while it
// runs, so a unit cannot point into it. What stays put is the .AppImage file itself ($APPIMAGE)
// and whatever we copy out. So install copies the app (the Node side: bin/, dist/, assets/,
// node_modules/; a few MiB) to $XDG_DATA_HOME/headroom/appimage/<version>/app and runs it with
// the image's Electron acting as Node: `ELECTRON_RUN_AS_NODE=1 <the .AppImage> <script>`.
// electron-builder's AppRun passes its arguments through to the Electron binary unchanged.
import { APPIMAGE_DIR } from '../../../shared/appimage.js';

/** Variables the AppImage runtime and AppRun set for the mount they run from. */
export const APPIMAGE_VARIABLES = ['APPDIR', 'APPIMAGE', 'ARGV0', 'OWD', 'APPIMAGE_SILENT_INSTALL', 'APPIMAGE_EXIT_AFTER_INSTALL'] as const;

/** Search paths electron-builder's AppRun prefixes with its mount ($APPDIR, $APPDIR/usr/lib, …). */
const APPRUN_PATH_LISTS = ['PATH', 'LD_LIBRARY_PATH', 'XDG_DATA_DIRS', 'GSETTINGS_SCHEMA_DIR'] as const;

export type AppImageSource =
  /** Not inside an AppImage: install what runs, where it is. */
  | { kind: 'package' }
  /** Inside a mounted AppImage whose file is known: copy the app out, run it with that file. */
  | { kind: 'appimage'; appImage: string; appDir: string }
  /** Inside a mount, but the image file is unknown (extracted by hand, or $APPIMAGE lost). */
  | { kind: 'refuse'; why: string };

type Env = Readonly<Record<string, string | undefined>>;

const trimSlash = (p: string): string => p.replace(/\/+$/, '');
const isInside = (path: string, dir: string): boolean => path === dir || path.startsWith(`${dir}/`);

export function appImageSource(packageRoot: string, env: Env): AppImageSource {
  const appDir = env.APPDIR ? trimSlash(env.APPDIR) : '';
  if (appDir === '' || !isInside(packageRoot, appDir)) return { kind: 'package' };
  const appImage = env.APPIMAGE ?? '';
  if (appImage.startsWith('/') && !isInside(appImage, appDir)) return { kind: 'appimage', appImage, appDir };
  return {
    kind: 'refuse',
    why: `headroom runs from inside an AppImage mount (${appDir}) but the AppImage file is unknown ($APPIMAGE is ${appImage === '' ? 'not set' : `"${appImage}"`}): `
      + 'a service pointing into the mount would stop working once it exits. Start the .AppImage file itself and install from its tray, '
      + 'install the .deb package, or run "headroom install" from an unpacked copy (npm ci in a checkout).',
  };
}

/** A version usable as a directory name: what package.json versions look like, nothing else. */
export const isSafeVersion = (v: string): boolean => /^[0-9A-Za-z][0-9A-Za-z.+-]*$/.test(v) && !v.includes('..');

/** Where one version of the app lives once copied out: <data home>/headroom/appimage/<version>. */
export function appImageInstallDir(dataHome: string, version: string): string {
  if (!isSafeVersion(version)) throw new Error(`refusing to use "${version}" as a directory name`);
  return `${appImageRoot(dataHome)}/${version}`;
}

/** The parent of every copied-out version (uninstall removes it whole). */
export const appImageRoot = (dataHome: string): string => `${trimSlash(dataHome)}/${APPIMAGE_DIR}`;

/** A word for a POSIX shell: single-quoted unless plainly safe. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * <dir>/node: the AppImage's Electron as Node. The mount is new each run; the image file is
 * what must stay where it was when installed (the tray re-installs when it moved).
 */
export function renderAppImageNode(appImage: string): string {
  return '#!/bin/sh\n'
    + '# Written by headroom install: Node for the copied-out agent is the Electron binary inside\n'
    + '# this AppImage. If the AppImage moves, start it once: its tray installs again.\n'
    + `ELECTRON_RUN_AS_NODE=1 exec ${shellWord(appImage)} "$@"\n`;
}

/** <dir>/headroom: the command (and what the unit runs), like the deb's /usr/bin/headroom. */
export function renderAppImageCommand(dir: string): string {
  return '#!/bin/sh\n'
    + '# Written by headroom install: the headroom command of an AppImage installation.\n'
    + `HEADROOM_NODE=${shellWord(`${dir}/node`)} exec ${shellWord(`${dir}/app/bin/headroom`)} "$@"\n`;
}

/**
 * The environment without what an AppImage added to it. The agent launched from the image
 * inherits AppRun's exports; apps it launches must not look for libraries, data or a Node
 * mode in a mount that belongs to Headroom (and vanishes when Headroom restarts).
 */
export function withoutAppImageEnv(env: Env): Record<string, string> {
  const appDir = env.APPDIR ? trimSlash(env.APPDIR) : '';
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined || key === 'ELECTRON_RUN_AS_NODE' || (APPIMAGE_VARIABLES as readonly string[]).includes(key)) continue;
    if (appDir !== '' && (APPRUN_PATH_LISTS as readonly string[]).includes(key)) {
      const seen = new Set<string>();
      const kept = value.split(':').filter((entry) => {
        // AppRun also prepends "./share/" (relative to the mount) to XDG_DATA_DIRS and appends the
        // system dirs again at every run: drop the former, keep the first of each repeat.
        if (entry === '' || isInside(trimSlash(entry), appDir)) return false;
        if (key !== 'XDG_DATA_DIRS') return true;
        if (entry.startsWith('./') || seen.has(entry)) return false;
        seen.add(entry);
        return true;
      });
      if (kept.length > 0) out[key] = kept.join(':');
      continue;
    }
    out[key] = value;
  }
  return out;
}
