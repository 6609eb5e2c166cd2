// An AppImage of this checkout as electron-builder would lay it out, for `headroom install`
// from an AppImage. Two parts stand in for what cannot be had here:
// - the runtime (a squashfs mounted through FUSE): the image file is a script that hard-links
//   the AppDir into a fresh /tmp-like ".mount_HeadroXXXXXX" per run (a new path each run, as a
//   mount has; the AppDir must be on the same filesystem), sets APPDIR, APPIMAGE, ARGV0 and
//   OWD, execs AppRun in the same process (so the PID stays, as with the real runtime) and
//   removes the "mount" once that process is gone (also when systemd stops the unit);
// - Electron (its binary is downloaded from outside): `headroom-tray` is Node when
//   ELECTRON_RUN_AS_NODE=1, as Electron is; with --tray-runs it does what the tray does for its
//   install offer: run the CLI with itself as Node.
// AppRun exports what electron-builder's AppRun template exports, line for line.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { REPO } from './agent-process.js';

const APPRUN = `#!/bin/sh
export PATH="\${APPDIR}:\${APPDIR}/usr/sbin:\${PATH}"
export XDG_DATA_DIRS="./share/:/usr/share/gnome:/usr/local/share/:/usr/share/:\${XDG_DATA_DIRS}"
export LD_LIBRARY_PATH="\${APPDIR}/usr/lib:\${LD_LIBRARY_PATH}"
export XDG_DATA_DIRS="\${APPDIR}"/usr/share/:"\${XDG_DATA_DIRS}":/usr/share/gnome/:/usr/local/share/:/usr/share/
export GSETTINGS_SCHEMA_DIR="\${APPDIR}/usr/share/glib-2.0/schemas:\${GSETTINGS_SCHEMA_DIR}"
exec "$APPDIR/headroom-tray" "$@"
`;

const electronStandIn = (node: string): string => `#!/bin/sh
if [ "$ELECTRON_RUN_AS_NODE" = 1 ]; then exec '${node}' "$@"; fi
if [ "$1" = --tray-runs ]; then
  shift
  ELECTRON_RUN_AS_NODE=1 exec "$0" "$APPDIR/resources/app/dist/agent/cli/main.js" "$@"
fi
echo 'headroom-tray stand-in: no Electron GUI here' >&2
exit 3
`;

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

const runtime = (stage: string, mounts: string, self: string): string => `#!/bin/sh
mnt=$(mktemp -d ${q(`${mounts}/.mount_HeadroXXXXXX`)}) || exit 1
cp -al ${q(`${stage}/.`)} "$mnt" || exit 1
( trap '' TERM; while kill -0 $$ 2>/dev/null; do sleep 0.1; done; rm -rf "$mnt" ) </dev/null >/dev/null 2>&1 &
export APPDIR="$mnt" APPIMAGE=${q(self)} ARGV0="$0" OWD="$PWD"
exec "$mnt/AppRun" "$@"
`;

/** The production packages (what electron-builder puts into resources/app/node_modules), outermost only. */
function productionModules(): string[] {
  const r = spawnSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: REPO, encoding: 'utf8' });
  const all = r.stdout.split('\n').filter((p) => p.includes('/node_modules/')).map((p) => relative(REPO, p));
  return all.filter((m) => !all.some((o) => o !== m && m.startsWith(`${o}/`)));
}

/**
 * The AppDir of an image of this checkout (dist/ as built) with `version` in its package.json;
 * `node` is the Node the Electron stand-in runs as, on the machine that will run the image.
 */
export function writeFakeAppDir(appDir: string, version: string, node: string): void {
  const app = join(appDir, 'resources', 'app');
  mkdirSync(app, { recursive: true });
  // electron-builder.yml's files: package.json, bin/headroom, assets, dist/{shared,agent,tray-app}
  for (const part of ['bin/headroom', 'assets', 'dist/shared', 'dist/agent', ...productionModules()]) {
    cpSync(join(REPO, part), join(app, part), { recursive: true, verbatimSymlinks: true });
  }
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(app, 'package.json'), JSON.stringify({ ...pkg, version }, null, 2));
  writeFileSync(join(appDir, 'AppRun'), APPRUN, { mode: 0o755 });
  writeFileSync(join(appDir, 'headroom-tray'), electronStandIn(node), { mode: 0o755 });
}

/** The image file's text: "mounts" appDir (as seen where it runs; same filesystem as mounts) under mounts, as `self`. */
export const fakeAppImageRuntime = runtime;

export interface FakeAppImage {
  /** The .AppImage file: what $APPIMAGE names. */
  image: string;
  /** Where its runs are "mounted": empty when none runs. */
  mounts: string;
}

/** Build an image of this checkout on this machine. */
export function buildFakeAppImage(imagePath: string, version: string): FakeAppImage {
  const work = mkdtempSync(join(tmpdir(), 'headroom-appimage-'));
  const appDir = join(work, 'AppDir');
  writeFakeAppDir(appDir, version, process.execPath);
  const mounts = join(work, 'mounts');
  mkdirSync(mounts);
  writeFileSync(imagePath, runtime(appDir, mounts, imagePath));
  chmodSync(imagePath, 0o755);
  return { image: imagePath, mounts };
}
