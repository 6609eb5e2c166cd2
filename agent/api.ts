// The agent's contract with its callers: what it answers (AgentApi), what it announces
// (AgentSignals) and how it refuses (AgentError). agent/bus/agent-service.ts serves these on
// the session bus as org.headroom.Agent1 (assets/org.headroom.Agent1.xml); the notification
// actions call them in-process. The names of the errors are part of that contract.
import type { AgentState, Preference } from '../shared/names.js';
import type { AppRecord, ExplanationRecord, EventRecord, LauncherRecord, PressureRecord } from '../shared/records.js';

/** What the agent offers its callers. Served by agent/api-handler.ts over the loop's state. */
export interface AgentApi {
  state(): AgentState;
  pressure(): PressureRecord;
  dryRun(): boolean;
  version(): string;
  listApps(): Promise<AppRecord[]>;
  history(limit: number): Promise<EventRecord[]>;
  /** Samples of the last `seconds` (0: all kept), oldest first. */
  pressureHistory(seconds: number): PressureRecord[];
  listLaunchers(): Promise<LauncherRecord[]>;
  launch(desktopId: string, uris: string[]): Promise<string>;
  explain(): Promise<ExplanationRecord>;
  killApp(target: string): Promise<EventRecord>;
  setPreference(appId: string, pref: string): Promise<void>;
  preferences(): Record<string, Preference>;
  /** Thaw a paused app (unit or app id); NoSuchApp when nothing by that name is paused. */
  resumeApp(target: string): Promise<EventRecord>;
  /** Stop a paused app: ask it to quit (SIGTERM, grace), or force it (SIGKILL at once). */
  quitApp(target: string, force: boolean): Promise<EventRecord>;
  /** Re-read the config; rejects (keeping the last good one) when the file is invalid. */
  reload(): Promise<void>;
}

/** What the agent tells its listeners. */
export interface AgentSignals {
  killed(record: EventRecord): void;
  wouldKill(record: EventRecord): void;
  warned(record: EventRecord): void;
  paused(record: EventRecord): void;
  resumed(record: EventRecord): void;
  stateChanged(state: AgentState, previous: AgentState, because: string, pressure: PressureRecord): void;
  pressureChanged(): void;
  preferenceChanged(appId: string, pref: Preference): void;
}

// The refusals, by the names the bus sends them under.
export const ERROR_NO_SUCH_APP = 'org.headroom.Agent1.Error.NoSuchApp';
export const ERROR_INVALID_ARGS = 'org.headroom.Agent1.Error.InvalidArgs';
export const ERROR_FAILED = 'org.headroom.Agent1.Error.Failed';
export const ERROR_INVALID_CONFIG = 'org.headroom.Agent1.Error.InvalidConfig';
export type AgentErrorName = typeof ERROR_NO_SUCH_APP | typeof ERROR_INVALID_ARGS | typeof ERROR_FAILED | typeof ERROR_INVALID_CONFIG;

/** A refusal by the agent's API: the caller gets `busName` and the message, word for word. */
export class AgentError extends Error {
  override name = 'AgentError';
  constructor(readonly busName: AgentErrorName, message: string) {
    super(message);
  }
}
