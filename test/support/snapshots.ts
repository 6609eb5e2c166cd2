// Builders for policy tests: plain data, no IO, like systemd's test-oomd-util contexts.
import { DEFAULT_POLICY, type PolicyConfig } from '../../agent/core/constants.js';
import { decide, INITIAL_POLICY_STATE, type Decision, type PolicyState } from '../../agent/core/decide.js';
import type { MemInfo } from '../../agent/core/meminfo.js';
import type { PressureSample } from '../../agent/core/psi.js';
import type { AppUnit, Snapshot } from '../../agent/core/snapshot.js';

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

/** A unit; its unreclaimable footprint is memoryBytes + swapBytes unless given. */
export function app(unit: string, over: Partial<AppUnit> = {}): AppUnit {
  const a: Omit<AppUnit, 'unreclaimableBytes'> = {
    unit,
    kind: 'app',
    cgroup: `app.slice/${unit}`,
    appId: unit.replace(/^app-(?:headroom-)?/, '').replace(/-[0-9a-f]+\.scope$/, ''),
    launcher: 'headroom',
    displayName: '',
    icon: '',
    desktopEntry: '',
    memoryBytes: 100 * MiB,
    swapBytes: 0,
    anonBytes: 0,
    fileBytes: 0,
    shmemBytes: 0,
    pgscan: 0,
    processCount: 1,
    fullAvg10: 0,
    preference: 'none',
    protectedBecause: '',
    expendable: [],
    heaviestKeptBytes: 0,
    ...over,
  };
  return { ...a, unreclaimableBytes: over.unreclaimableBytes ?? a.memoryBytes + a.swapBytes };
}

export function pressure(fullTotalUs = 0, someTotalUs = 0, avg10 = { some: 0, full: 0 }): PressureSample {
  return {
    some: { avg10: avg10.some, avg60: 0, avg300: 0, totalUs: someTotalUs },
    full: { avg10: avg10.full, avg60: 0, avg300: 0, totalUs: fullTotalUs },
  };
}

export function meminfo(availablePct: number, over: Partial<MemInfo> = {}): MemInfo {
  const total = 8 * GiB;
  return { memTotalBytes: total, memAvailableBytes: Math.round((total * availablePct) / 100), swapTotalBytes: 0, swapFreeBytes: 0, ...over };
}

export function snapshot(atMs: number, over: Partial<Snapshot> = {}): Snapshot {
  return { atMs, wallMs: 1_800_000_000_000 + atMs, tree: pressure(), appSlice: null, meminfo: meminfo(50), swaps: [], apps: [], outside: [], unitsAtMs: over.atMs ?? atMs, ...over };
}

/** Feed snapshots through decide() the way the agent does, carrying memory forward. */
export function decideAll(snaps: readonly Snapshot[], config: PolicyConfig = DEFAULT_POLICY, memory: PolicyState = INITIAL_POLICY_STATE): Decision[] {
  const out: Decision[] = [];
  for (const s of snaps) {
    const d = decide(s, memory, config);
    memory = d.policyState;
    out.push(d);
  }
  return out;
}
