// Records as the agent sends them, for the tray's pure-module tests.
import type { DashboardState } from '../../shared/bridge.js';
import type { AppRecord, EventRecord, LauncherRecord, PressureRecord } from '../../shared/records.js';

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

export function pressureRecord(over: Partial<PressureRecord> = {}): PressureRecord {
  return {
    someAvg10: 0, fullAvg10: 0, someAvg60: 0, fullAvg60: 0, fullRecentPct: 0, appsSomeAvg10: 0, appsFullAvg10: 0,
    memTotalBytes: 16 * GiB, memAvailableBytes: 6 * GiB, swapTotalBytes: 0, swapFreeBytes: 0, sampledAtMs: 1_700_000_000_000,
    ...over,
  };
}

export function appRecord(appId: string, memoryBytes: number, over: Partial<AppRecord> = {}): AppRecord {
  return {
    unit: `app-gnome-${appId}-1234.scope`, kind: 'app', cgroup: `app.slice/app-gnome-${appId}-1234.scope`, appId, launcher: 'gnome',
    displayName: appId, icon: '', desktopEntry: '', preference: 'none', memoryBytes, swapBytes: 0, anonBytes: memoryBytes,
    fileBytes: 0, unreclaimableBytes: memoryBytes, processCount: 3, fullAvg10: 0, pausedUntilMs: 0, ...over,
  };
}

let killIds = 0;
export function killRecord(appId: string, outcome: EventRecord['outcome'], over: Partial<EventRecord> = {}): EventRecord {
  killIds += 1;
  return {
    id: `k${killIds}`, unit: `app-gnome-${appId}-1234.scope`, appId, displayName: appId, reason: 'pressure', because: 'because',
    outcome, dryRun: outcome === 'dry-run', processCount: 3, processesLeft: outcome === 'partial' ? 1 : 0,
    memoryFreedBytes: 2 * GiB, swapFreedBytes: 0, graceMs: 1000, durationMs: 200, childPid: 0, childKind: '', pausedUntilMs: 0, someAvg10: 40, fullAvg10: 25,
    fullRecentPct: 30, memAvailableBytes: 100 * MiB, swapFreeBytes: 0, atMs: 1_700_000_000_000, candidates: [], ...over,
  };
}

export function launcherRecord(desktopId: string, name: string, terminal = false): LauncherRecord {
  return { desktopId, name, genericName: '', comment: '', icon: '', terminal };
}

export function dashboardState(over: Partial<DashboardState> = {}): DashboardState {
  return {
    agentRunning: true, state: 'calm', version: '0.1.0', dryRun: false, pressure: pressureRecord(), pressureHistory: [],
    apps: [], history: [], explanation: null, facts: null, error: '', ...over,
  };
}
