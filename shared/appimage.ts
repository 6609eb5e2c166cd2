// The record `headroom install` leaves when it installed from an AppImage, read by the tray at
// its next start (is the installed agent this image's version, does its image still exist).
// Shared because the CLI writes it and the tray reads it; no Node, no Electron here.

/** Where copies made from AppImages live, under the data home ($XDG_DATA_HOME or ~/.local/share). */
export const APPIMAGE_DIR = 'headroom/appimage';
/** The record's name inside <data home>/headroom/appimage/. */
export const APPIMAGE_RECORD_NAME = 'installed.json';

/** What `headroom install` records beside the copies, for the tray's next start. */
export interface AppImageInstallRecord {
  version: string;
  appImage: string;
  dir: string;
}

export function parseAppImageInstallRecord(text: string): AppImageInstallRecord | null {
  try {
    const o = JSON.parse(text) as Partial<Record<keyof AppImageInstallRecord, unknown>>;
    if (typeof o.version === 'string' && typeof o.appImage === 'string' && typeof o.dir === 'string') return { version: o.version, appImage: o.appImage, dir: o.dir };
  } catch {
    // an unreadable record is no record: the tray offers the install again
  }
  return null;
}

/** Numeric comparison of dotted versions (1.10.0 > 1.9.2); a pre-release sorts before its release. */
export function compareVersions(a: string, b: string): number {
  const split = (v: string): { nums: number[]; pre: string } => {
    const [core = '', pre = ''] = v.split('+')[0]!.split(/-(.*)/s);
    return { nums: core.split('.').map((n) => Number.parseInt(n, 10) || 0), pre };
  };
  const x = split(a);
  const y = split(b);
  for (let i = 0; i < Math.max(x.nums.length, y.nums.length); i++) {
    const d = (x.nums[i] ?? 0) - (y.nums[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  if (x.pre === y.pre) return 0;
  if (x.pre === '') return 1;
  if (y.pre === '') return -1;
  return x.pre < y.pre ? -1 : 1;
}

