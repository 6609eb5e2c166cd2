// The plain data every decision is made from. Readers in agent/cgroup fill it; nothing in
// agent/core reads a file or a clock.
import type { Preference } from '../../shared/names.js';
import type { MemInfo } from './meminfo.js';
import type { PressureSample } from './psi.js';
import type { SwapDevice } from './swap.js';
import type { UnitKind } from './unit-name.js';

/** A unit of the user's tree that may be stopped: an app, a terminal tab's job, a snap, … */
export interface AppUnit {
  unit: string;
  kind: UnitKind;
  /** cgroup path relative to user@UID.service, e.g. app.slice/app-gnome-firefox-123.scope */
  cgroup: string;
  appId: string;
  launcher: string;
  displayName: string;
  icon: string;
  /** The .desktop id the name and icon came from ('' when none was found). */
  desktopEntry: string;
  /** memory.current: includes page cache, which reclaim can take back without a kill. */
  memoryBytes: number;
  swapBytes: number;
  anonBytes: number;
  fileBytes: number;
  shmemBytes: number;
  /**
   * What a kill would give back: anon + shmem (memory.stat) + swap; resident + swap from
   * /proc where the cgroup has no memory controller. The ranking is by this, not memoryBytes.
   */
  unreclaimableBytes: number;
  pgscan: number;
  processCount: number;
  /** The unit's own full avg10 (0 where its memory.pressure is unreadable). */
  fullAvg10: number;
  /** Effective preference: the user's per-app choice, else the unit's ManagedOOMPreference. */
  preference: Preference;
  /** Non-empty when this unit must never be killed whatever its size (the agent, the tray). */
  protectedBecause: string;
  /**
   * The processes the app itself marked as the ones to lose first, heaviest first: an
   * oom_score_adj of EXPENDABLE_MIN_ADJ or more and above the app's lowest (Chromium and
   * Electron renderers 300-1000, Firefox's background content processes 167-233). [] for most.
   */
  expendable: readonly ExpendableProcess[];
  /** The footprint of the unit's heaviest process it did not mark (0 when it has no marked ones). */
  heaviestKeptBytes: number;
  /**
   * When the kill notice's Reopen launched this unit, in monotonic ms (Snapshot.atMs's clock);
   * absent for every other unit. The agent fills it from the unit names it launched
   * (agent/desktop/reopen-ledger.ts); the ranking spares such a unit for a while (rank.ts).
   */
  reopenedAtMs?: number;
}

export type ExpendableKind = 'renderer' | 'content process' | 'child process';

/** One process an app marked as expendable (AppUnit.expendable). */
export interface ExpendableProcess {
  pid: number;
  /** /proc/PID/stat starttime, clock ticks since boot: with the pid, who this process is. */
  startTicks: number;
  comm: string;
  kind: ExpendableKind;
  oomScoreAdj: number;
  /** RssAnon + RssShmem + VmSwap: what stopping it frees. */
  unreclaimableBytes: number;
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
  /** /proc/swaps, with each zram device's mm_stat. */
  swaps: SwapDevice[];
  apps: AppUnit[];
  /**
   * Monotonic ms when apps and outside were read: a look under pressure reads the gauges anew
   * and uses the last units read (agent.ts), so the units can be older than atMs. Trends are
   * taken at this time, not atMs.
   */
  unitsAtMs: number;
  /**
   * Memory Headroom cannot stop by unit: the user's own logins outside the user manager
   * (user-UID.slice/session-N.scope), system services, other users. Only groups big enough to
   * matter are listed (OUTSIDE_MIN_BYTES).
   */
  outside: OutsideGroup[];
}

export interface OutsideGroup {
  /** cgroup path from the cgroup root, e.g. /user.slice/user-1000.slice/session-3.scope */
  cgroup: string;
  /** A person's words for it: "your login session 3", "system service nginx.service", "user 1001". */
  label: string;
  unreclaimableBytes: number;
  /** Its heaviest process, where its processes can be read ('' / 0 otherwise). */
  topComm: string;
  topPid: number;
}

/** The part of a snapshot that says whether memory is running out: cheap to read, read at every look. */
export type Gauges = Pick<Snapshot, 'atMs' | 'wallMs' | 'tree' | 'appSlice' | 'meminfo' | 'swaps'>;

/** The part of a snapshot that says who could be stopped: costly to read (every unit's files). */
export interface Units {
  atMs: number;
  apps: AppUnit[];
  outside: OutsideGroup[];
}

export const withUnits = (g: Gauges, u: Units): Snapshot => ({ ...g, apps: u.apps, outside: u.outside, unitsAtMs: u.atMs });
