// Whether the tray offers `headroom install` when it starts, and how it finds out that the
// agent is installed. Pure: install-check.ts reads the files and the remembered answer.

/** What the user answered last time (remembered in $XDG_CONFIG_HOME/headroom/tray.json). */
export type InstallAnswer = 'never' | null;

export interface FirstRunFacts {
  /** Running from an AppImage ($APPIMAGE is set): nothing installed the agent's unit for us. */
  appImage: boolean;
  /** A D-Bus activation file for org.headroom.Agent1 exists. */
  installed: boolean;
  agentRunning: boolean;
  answer: InstallAnswer;
}

/**
 * Offer to install only where it is needed and wanted: from an AppImage (the deb installs the
 * unit itself, a checkout runs the agent from `npm start`), with no agent installed or
 * running, and not after "Don't ask again". "Not now" asks again at the next start.
 */
export function shouldOfferInstall(f: FirstRunFacts): boolean {
  return f.appImage && !f.installed && !f.agentRunning && f.answer !== 'never';
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
