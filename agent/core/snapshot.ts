// The plain data every decision is made from. Readers in agent/io fill it; nothing in
// agent/core reads a file or a clock.
import type { Preference } from '../../shared/names.js';
import type { MemInfo } from './meminfo.js';
import type { PressureSample } from './psi.js';

export interface AppScope {
  unit: string;
  /** cgroup path relative to user@UID.service, e.g. app.slice/app-gnome-firefox-123.scope */
  cgroup: string;
  appId: string;
  launcher: string;
  displayName: string;
  icon: string;
  /** The .desktop id the name and icon came from ('' when none was found). */
  desktopEntry: string;
  memoryBytes: number;
  swapBytes: number;
  anonBytes: number;
  fileBytes: number;
  pgscan: number;
  processCount: number;
  /** The unit's own full avg10 (0 where its memory.pressure is unreadable). */
  fullAvg10: number;
  /** Effective preference: the user's per-app choice, else the unit's ManagedOOMPreference. */
  preference: Preference;
  /** Non-empty when this unit must never be killed whatever its size (the agent, the tray). */
  protectedBecause: string;
}

export interface Snapshot {
  /** Monotonic milliseconds: rates and durations are computed from this. */
  atMs: number;
  /** Wall clock, ms since the epoch: only for reports. */
  wallMs: number;
  /** memory.pressure of user@UID.service. */
  tree: PressureSample;
  /** memory.pressure of user@UID.service/app.slice, where the apps live (null if absent). */
  appSlice: PressureSample | null;
  meminfo: MemInfo;
  apps: AppScope[];
}
