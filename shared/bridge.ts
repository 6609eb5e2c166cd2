// The dashboard's one API, with two transports: Electron preload IPC (tray-app/preload) and
// localhost HTTP + WebSocket (`headroom dashboard`). The page (tray-app/renderer) sees only
// DashboardBridge; the Node side implements it once, as the agent feed (agent/feed/agent-feed.ts).
import { isPreference, PREFERENCES, type AgentState, type Preference } from './names.js';
import type { AppRecord, ExplanationRecord, EventRecord, LauncherRecord, PressureRecord } from './records.js';

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
  /** Heaviest first; each carries the preference the agent holds for it. */
  apps: AppRecord[];
  /** Kills, would-be kills and warnings, newest first. */
  history: EventRecord[];
  explanation: ExplanationRecord | null;
  facts: SystemFacts | null;
  /** Why the last call to the agent failed, '' when it did not. */
  error: string;
}

export type BridgeEvent =
  | { kind: 'killed'; kill: EventRecord }
  | { kind: 'would-kill'; kill: EventRecord }
  | { kind: 'warned'; kill: EventRecord }
  | { kind: 'paused'; kill: EventRecord }
  | { kind: 'resumed'; kill: EventRecord }
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
  /** Thaw an app the agent paused (its unit or app id); resolves to the resumed record. */
  resumeApp(target: string): Promise<EventRecord>;
  /** Stop an app the agent paused: force false asks it to quit, true kills it at once. */
  quitApp(target: string, force: boolean): Promise<EventRecord>;
  /** Returns the unsubscribe function. */
  subscribe(listener: (event: BridgeEvent) => void): () => void;
}

/** The request/response methods, by name: what both transports carry. */
export const BRIDGE_METHODS = ['load', 'setPreference', 'listLaunchers', 'launch', 'resumeApp', 'quitApp'] as const;
export type BridgeMethod = (typeof BRIDGE_METHODS)[number];
export const isBridgeMethod = (v: unknown): v is BridgeMethod => typeof v === 'string' && (BRIDGE_METHODS as readonly string[]).includes(v);

/** A bridge method with its parameters checked: what either transport hands the feed. */
export type BridgeCall =
  | { method: 'load'; params: [] }
  | { method: 'setPreference'; params: [string, Preference] }
  | { method: 'listLaunchers'; params: [] }
  | { method: 'launch'; params: [string] }
  | { method: 'resumeApp'; params: [string] }
  | { method: 'quitApp'; params: [string, boolean] };

/** Longer than any app id or desktop id (systemd unit names stop at 255). */
const MAX_ID_LENGTH = 255;
const isId = (v: unknown): v is string => typeof v === 'string' && v !== '' && v.length <= MAX_ID_LENGTH;
const notAnId = (what: string): string => `${what} must be a non-empty string of at most ${MAX_ID_LENGTH} characters`;

/**
 * Check one call from a page, for both transports, before anything reaches the agent: the page
 * is ours, but a compromised one must still not get anything but the methods with
 * well-formed arguments through. The typed call, or a sentence saying what is wrong.
 */
export function checkBridgeCall(method: BridgeMethod, params: readonly unknown[]): BridgeCall | string {
  switch (method) {
    case 'load':
    case 'listLaunchers':
      return params.length === 0 ? { method, params: [] } : `${method} takes no parameters`;
    case 'setPreference': {
      if (params.length !== 2) return 'setPreference takes [appId, preference]';
      const [appId, preference] = params;
      if (!isId(appId)) return `setPreference: ${notAnId('appId')}`;
      if (typeof preference !== 'string' || !isPreference(preference)) return `setPreference: preference must be one of ${PREFERENCES.join(', ')} (got ${JSON.stringify(preference)})`;
      return { method, params: [appId, preference] };
    }
    case 'launch': {
      if (params.length !== 1) return 'launch takes [desktopId]';
      const [desktopId] = params;
      return isId(desktopId) ? { method, params: [desktopId] } : `launch: ${notAnId('desktopId')}`;
    }
    case 'resumeApp': {
      if (params.length !== 1) return 'resumeApp takes [target]';
      const [target] = params;
      return isId(target) ? { method, params: [target] } : `resumeApp: ${notAnId('target')}`;
    }
    case 'quitApp': {
      if (params.length !== 2) return 'quitApp takes [target, force]';
      const [target, force] = params;
      if (!isId(target)) return `quitApp: ${notAnId('target')}`;
      // A boolean only: a truthy string must not turn a polite quit into a kill.
      if (typeof force !== 'boolean') return `quitApp: force must be true or false (got ${JSON.stringify(force)})`;
      return { method, params: [target, force] };
    }
  }
}

/** Run a checked call against the bridge's Node side (the feed). */
export function callBridge(bridge: DashboardBridge, call: BridgeCall): Promise<unknown> {
  switch (call.method) {
    case 'load': return bridge.load();
    case 'setPreference': return bridge.setPreference(...call.params);
    case 'listLaunchers': return bridge.listLaunchers();
    case 'launch': return bridge.launch(...call.params);
    case 'resumeApp': return bridge.resumeApp(...call.params);
    case 'quitApp': return bridge.quitApp(...call.params);
  }
}

/** Messages on the wire (WebSocket JSON; the IPC transport uses the same shapes). */
export type BridgeRequest = { id: number; method: BridgeMethod; params: unknown[] };
export type BridgeResponse = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };
export type BridgeMessage = BridgeResponse | { event: BridgeEvent } | SessionGrant;
/**
 * The WebSocket's first message when a page was admitted (agent/dashboard/access.ts): the
 * session it reconnects with from now on, and when that session ends.
 */
export type SessionGrant = { session: { id: string; expiresAtMs: number } };
/** The close code of a WebSocket refused for its credential (a used or expired link, an ended session). */
export const DENIED_CLOSE_CODE = 4401;
