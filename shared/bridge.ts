// The dashboard's one API, with two transports: Electron preload IPC (tray-app/preload) and
// localhost HTTP + WebSocket (`headroom dashboard`). The page (tray-app/renderer) sees only
// DashboardBridge; the Node side implements it once over the agent's D-Bus client.
import type { AgentState, Preference } from './names.js';
import type { AppRecord, ExplanationRecord, KillRecord, LauncherRecord, PressureRecord } from './records.js';

/** Facts about the machine that do not change while the page is open. */
export interface SystemFacts {
  hostname: string;
  os: string; // e.g. "Debian GNU/Linux 12 (bookworm)"
  kernel: string;
  cpus: number;
  memTotalBytes: number;
  swapTotalBytes: number;
}

/** Everything the page shows, in one answer. */
export interface DashboardState {
  agentRunning: boolean;
  /** '' while the agent is not running. */
  state: AgentState | '';
  version: string;
  dryRun: boolean;
  pressure: PressureRecord | null;
  /** Oldest first: GetPressureHistory plus what arrived since. */
  pressureHistory: PressureRecord[];
  /** Heaviest first. */
  apps: AppRecord[];
  /** Kills, would-be kills and warnings, newest first. */
  history: KillRecord[];
  explanation: ExplanationRecord | null;
  preferences: Record<string, Preference>;
  facts: SystemFacts | null;
  /** Why the last call to the agent failed, '' when it did not. */
  error: string;
}

export type BridgeEvent =
  | { kind: 'killed'; kill: KillRecord }
  | { kind: 'would-kill'; kill: KillRecord }
  | { kind: 'warned'; kill: KillRecord }
  | { kind: 'state'; state: AgentState; previous: AgentState; because: string; pressure: PressureRecord }
  | { kind: 'pressure'; pressure: PressureRecord }
  | { kind: 'preference'; appId: string; preference: Preference }
  | { kind: 'agent'; running: boolean };

export interface DashboardBridge {
  load(): Promise<DashboardState>;
  setPreference(appId: string, preference: Preference): Promise<void>;
  listLaunchers(): Promise<LauncherRecord[]>;
  /** Resolves to the new scope's unit name. */
  launch(desktopId: string): Promise<string>;
  /** Returns the unsubscribe function. */
  subscribe(listener: (event: BridgeEvent) => void): () => void;
}

/**
 * A PreferenceChanged event applied to a view of the agent (the dashboard's state, the tray's):
 * the map and the running apps of that id.
 */
export function withPreference<S extends { preferences: Record<string, Preference>; apps: AppRecord[] }>(s: S, appId: string, preference: Preference): S {
  return {
    ...s,
    preferences: { ...s.preferences, [appId]: preference },
    apps: s.apps.map((a) => (a.appId === appId ? { ...a, preference } : a)),
  };
}

/** The request/response methods, by name: what both transports carry. */
export const BRIDGE_METHODS = ['load', 'setPreference', 'listLaunchers', 'launch'] as const;
export type BridgeMethod = (typeof BRIDGE_METHODS)[number];
export const isBridgeMethod = (v: unknown): v is BridgeMethod => typeof v === 'string' && (BRIDGE_METHODS as readonly string[]).includes(v);

/** Messages on the wire (WebSocket JSON; the IPC transport uses the same shapes). */
export type BridgeRequest = { id: number; method: BridgeMethod; params: unknown[] };
export type BridgeResponse = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };
export type BridgeMessage = BridgeResponse | { event: BridgeEvent };
