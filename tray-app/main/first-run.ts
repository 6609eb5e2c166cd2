// Whether the tray offers `headroom install` when it starts, and how it finds out that the
// agent is installed. Pure: install-check.ts reads the files and the remembered answer.
import { compareVersions, type AppImageInstallRecord } from '../../shared/appimage.js';

/** What the user answered last time (remembered in $XDG_CONFIG_HOME/headroom/tray.json). */
export type InstallAnswer = 'never' | null;

export interface FirstRunFacts {
  /** Running from an AppImage ($APPIMAGE and this app's version); null for the deb or a checkout. */
  appImage: { path: string; version: string } | null;
  /** A D-Bus activation file for org.headroom.Agent1 exists. */
  installed: boolean;
  agentRunning: boolean;
  answer: InstallAnswer;
  /** What an earlier install from an AppImage recorded (shared/appimage.ts), if any. */
  record: AppImageInstallRecord | null;
  /** Whether the image file that record names still exists. */
  recordImageExists: boolean;
}

/**
 * What to do about `headroom install` at start. Only from an AppImage: the deb installs the
 * unit itself, a checkout runs the agent from `npm start`.
 * - 'offer': nothing installed, no agent running, and not after "Don't ask again" ("Not now"
 *   asks again at the next start);
 * - 'update': installed from an AppImage earlier, and either that image file is gone (moved
 *   or replaced by this one: the unit would fail to start) or this image is newer. The user
 *   said yes once; the install runs again without asking.
 */
export function installStep(f: FirstRunFacts): 'offer' | 'update' | null {
  if (f.appImage === null) return null;
  if (f.installed && f.record !== null) {
    if (!f.recordImageExists && f.record.appImage !== f.appImage.path) return 'update';
    if (compareVersions(f.appImage.version, f.record.version) > 0) return 'update';
    return null;
  }
  return !f.installed && !f.agentRunning && f.answer !== 'never' ? 'offer' : null;
}

/**
 * The bus name a D-Bus service file activates (its Name= in [D-BUS Service]), or null.
 * The daemon activates by that key, not by the file name.
 */
export function activationName(serviceFile: string): string | null {
  let inSection = false;
  for (const raw of serviceFile.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('[')) inSection = line === '[D-BUS Service]';
    else if (inSection && line.startsWith('Name=')) return line.slice('Name='.length).trim();
  }
  return null;
}

/**
 * The session service directories dbus-daemon reads (<standard_session_servicedirs/>):
 * $XDG_DATA_HOME/dbus-1/services, then each of $XDG_DATA_DIRS.
 */
export function sessionServiceDirs(env: { HOME?: string; XDG_DATA_HOME?: string; XDG_DATA_DIRS?: string }): string[] {
  const dataHome = env.XDG_DATA_HOME || `${env.HOME ?? ''}/.local/share`;
  const dataDirs = (env.XDG_DATA_DIRS || '/usr/local/share:/usr/share').split(':').filter((d) => d !== '');
  return [dataHome, ...dataDirs].map((d) => `${d.replace(/\/+$/, '')}/dbus-1/services`);
}
