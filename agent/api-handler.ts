// The agent's API (agent/api.ts), answered from the loop's state. The loop (agent/agent.ts)
// hands it a narrow view (LoopView): what it last saw and decided, a fresh read when that is
// stale, and its own kill path for KillApp, so a manual kill is recorded and announced as any.
import { type AgentState, isPreference, type KillReason, type Preference } from '../shared/names.js';
import type { AppRecord, ExplanationRecord, EventRecord, LauncherRecord, PressureRecord } from '../shared/records.js';
import type { PolicyConfig } from './core/constants.js';
import type { Decision } from './core/decide.js';
import type { PausedUnit } from './core/pause.js';
import { footprintBytes, type RankedCandidate } from './core/rank.js';
import { explanationRecord, runningAppRecords } from './core/records.js';
import type { AppUnit, Snapshot } from './core/snapshot.js';
import { AgentError, ERROR_FAILED, ERROR_INVALID_ARGS, ERROR_INVALID_CONFIG, ERROR_NO_SUCH_APP, type AgentApi, type AgentSignals } from './api.js';
import type { AppLauncher } from './desktop/app-launcher.js';
import type { History } from './io/history.js';
import { UnitGoneError } from './cgroup/kill-scope.js';
import type { Logger } from './io/log.js';
import type { PreferencesStore } from './io/preferences.js';

/** A snapshot and the decision made on it. */
export interface Look {
  snapshot: Snapshot;
  decision: Decision;
}

/** What the API sees of the loop. */
export interface LoopView {
  state(): AgentState;
  /** The latest pressure sample (null before the first look). */
  pressure(): PressureRecord | null;
  config(): PolicyConfig;
  /** The last look while it is fresh (LAST_LOOK_FRESH_MS), else null: read anew. */
  freshLook(): Look | null;
  /** A whole snapshot read now: the units, then the gauges. */
  readSnapshot(): Promise<Snapshot>;
  /** decide() without committing its policy state: exactly what a tick would do on this snapshot. */
  decide(snapshot: Snapshot): Decision;
  pressureHistory(seconds: number): PressureRecord[];
  /** The loop's kill path: kill (or in dry-run, only report) one victim; record and announce it. */
  kill(look: Look, victim: RankedCandidate, reason: KillReason, because: string): Promise<EventRecord>;
  /** The app paused to ask the user, if any (agent/core/pause.ts). */
  paused(): PausedUnit | null;
  /** Thaw it; NoSuchApp (AgentError) when `target` names no paused app. */
  resumePaused(target: string): Promise<EventRecord>;
  /** Stop it: SIGTERM and a grace, or (force) SIGKILL at once; NoSuchApp as above. */
  quitPaused(target: string, force: boolean): Promise<EventRecord>;
  /** The apps of the last units read. */
  lastApps(): readonly AppUnit[];
  /** The units read so far no longer hold (a kill, a preference): the next look waits for new ones. */
  unitsNowStale(): void;
  /** Re-read the config; rejects with the loader's error, keeping the last good one. */
  reload(): Promise<void>;
  signals(): AgentSignals | null;
}

/** What the API reaches beyond the loop. */
export interface ApiDeps {
  version: string;
  history: History;
  preferences: PreferencesStore;
  log: Logger;
  /** Tell systemd about a preference on the app's running units (ManagedOOMPreference). */
  applyUnitPreference?(units: string[], pref: Preference): Promise<void>;
  /** Desktop entries for Launch/ListLaunchers; absent where nothing may be launched. */
  launcher?: AppLauncher;
}

export class ApiHandler implements AgentApi {
  constructor(private readonly loop: LoopView, private readonly deps: ApiDeps) {}

  state(): AgentState {
    return this.loop.state();
  }
  pressure(): PressureRecord {
    const p = this.loop.pressure();
    if (!p) throw new Error('no sample yet');
    return p;
  }
  dryRun(): boolean {
    return this.loop.config().dryRun;
  }
  version(): string {
    return this.deps.version;
  }

  async listApps(): Promise<AppRecord[]> {
    return runningAppRecords(this.loop.freshLook()?.snapshot.apps ?? (await this.loop.readSnapshot()).apps, this.loop.paused());
  }

  history(limit: number): Promise<EventRecord[]> {
    return this.deps.history.recent(limit);
  }

  pressureHistory(seconds: number): PressureRecord[] {
    return this.loop.pressureHistory(seconds);
  }

  async listLaunchers(): Promise<LauncherRecord[]> {
    if (!this.deps.launcher) return [];
    return this.deps.launcher.list();
  }

  async launch(desktopId: string, uris: string[]): Promise<string> {
    if (!this.deps.launcher) throw new AgentError(ERROR_FAILED, 'this agent cannot launch apps (no launcher)');
    const id = desktopId.replace(/\.desktop$/, '');
    try {
      const unit = await this.deps.launcher.launch(id, uris, this.deps.preferences.get(id));
      this.deps.log.info(`launched ${id} as ${unit}`);
      return unit;
    } catch (err) {
      throw new AgentError(err instanceof Error && err.name === 'LaunchError' ? ERROR_INVALID_ARGS : ERROR_FAILED, (err as Error).message);
    }
  }

  /** What a tick would decide: the last one's decision while fresh, else one on a snapshot read now. */
  async explain(): Promise<ExplanationRecord> {
    return explanationRecord((this.loop.freshLook() ?? await this.#lookNow()).decision);
  }

  /**
   * A look for a caller. A query writes nothing: the pressure ring holds the agent's own looks,
   * so what the chart shows does not depend on who asked how often.
   */
  async #lookNow(): Promise<Look> {
    const snapshot = await this.loop.readSnapshot();
    return { snapshot, decision: this.loop.decide(snapshot) };
  }

  async killApp(target: string): Promise<EventRecord> {
    if (target.trim() === '') throw new AgentError(ERROR_INVALID_ARGS, 'name a unit or an app id to kill');
    // Always read anew: a kill acts on what runs now, not on what ran at the last look.
    const snapshot = await this.loop.readSnapshot();
    const matches = snapshot.apps.filter((a) => a.unit === target || a.appId === target);
    if (matches.length === 0) throw new AgentError(ERROR_NO_SUCH_APP, `no running app unit or app id ${JSON.stringify(target)}`);
    const app = [...matches].sort((a, b) => footprintBytes(b) - footprintBytes(a))[0]!;
    if (app.protectedBecause !== '') throw new AgentError(ERROR_INVALID_ARGS, `${app.unit} is ${app.protectedBecause}: not killing it`);
    const look = { snapshot, decision: this.loop.decide(snapshot) };
    const ranked = look.decision.ranked.find((c) => c.app.unit === app.unit);
    const victim: RankedCandidate = { app, excluded: '', growthBytesPerSec: ranked?.growthBytesPerSec ?? 0 };
    try {
      return await this.loop.kill(look, victim, 'manual', `killed on request (${target})`);
    } catch (err) {
      if (err instanceof UnitGoneError) throw new AgentError(ERROR_NO_SUCH_APP, `${app.unit} exited before it could be stopped`);
      throw err;
    }
  }

  async resumeApp(target: string): Promise<EventRecord> {
    if (target.trim() === '') throw new AgentError(ERROR_INVALID_ARGS, 'name the paused unit or its app id');
    return this.loop.resumePaused(target);
  }

  async quitApp(target: string, force: boolean): Promise<EventRecord> {
    if (target.trim() === '') throw new AgentError(ERROR_INVALID_ARGS, 'name the paused unit or its app id');
    try {
      return await this.loop.quitPaused(target, force);
    } catch (err) {
      if (err instanceof UnitGoneError) throw new AgentError(ERROR_NO_SUCH_APP, `${target} exited before it could be stopped`);
      throw err;
    }
  }

  async setPreference(appId: string, pref: string): Promise<void> {
    if (!isPreference(pref)) throw new AgentError(ERROR_INVALID_ARGS, `preference must be none, avoid or omit, not ${JSON.stringify(pref)}`);
    if (appId.trim() === '') throw new AgentError(ERROR_INVALID_ARGS, 'app id must not be empty');
    await this.deps.preferences.set(appId, pref);
    // The units read so far rank the app by its old preference: the next look waits for new ones.
    const units = this.loop.lastApps().filter((a) => a.appId === appId).map((a) => a.unit);
    if (units.length > 0) this.loop.unitsNowStale();
    this.deps.log.info(`preference for ${appId}: ${pref}`);
    this.loop.signals()?.preferenceChanged(appId, pref);
    // Running instances too, so systemd-oomd (where it runs) honours the choice now.
    if (units.length > 0) {
      await this.deps.applyUnitPreference?.(units, pref).catch((err: unknown) =>
        this.deps.log.warn(`could not set ManagedOOMPreference=${pref} on ${units.join(', ')}: ${(err as Error).message}`));
    }
  }

  preferences(): Record<string, Preference> {
    return this.deps.preferences.all();
  }

  async reload(): Promise<void> {
    try {
      await this.loop.reload();
    } catch (err) {
      throw new AgentError(ERROR_INVALID_CONFIG, `kept the last good config: ${(err as Error).message}`);
    }
  }
}
