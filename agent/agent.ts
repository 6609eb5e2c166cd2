// The agent's loop. The whole kill path reads top to bottom in tick():
//   readGauges (+ the units, read in the background under pressure) → decide (pure,
//   agent/core) → killScope → history + Killed signal.
// Between ticks the agent sleeps: while calm a PSI trigger or a watch timer sized to the free
// memory wakes it; while elevated or critical it polls, faster the worse things are.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { formatBytes } from '../shared/format.js';
import { type AgentState, isPreference, type KillReason, type Preference } from '../shared/names.js';
import type { AppRecord, CandidateRecord, ExplanationRecord, KillRecord, LauncherRecord, PressureRecord } from '../shared/records.js';
import {
  CALM_FULL_TICK_MAX_MS, POLL_ELEVATED_MS, POLL_FALLBACK_MS, REPORT_CANDIDATES,
  type PolicyConfig,
} from './core/constants.js';
import { calmLookWantsTick, calmWatchIntervalMs, decide, describeOutOfReach, describeVictim, INITIAL_MEMORY, killGraceMs, nextLookMs, type Decision, type PolicyMemory } from './core/decide.js';
import type { MemInfo } from './core/meminfo.js';
import { footprintBytes, type RankedCandidate } from './core/rank.js';
import { withUnits, type AppScope, type Gauges, type Snapshot, type Units } from './core/snapshot.js';
import type { AgentApi, AgentSignals } from './bus/agent-service.js';
import type { EventReport } from './event-report.js';
import { AgentError, ERROR_FAILED, ERROR_INVALID_ARGS, ERROR_INVALID_CONFIG, ERROR_NO_SUCH_APP } from './bus/errors.js';
import type { AppLauncher } from './desktop/app-launcher.js';
import type { History } from './io/history.js';
import { UnitGoneError, type KillScopeOptions, type KillScopeResult } from './cgroup/kill-scope.js';
import type { Logger } from './io/log.js';
import type { PreferencesStore } from './io/preferences.js';
import type { PressureWatch } from './cgroup/pressure-watch.js';
import type { UserTree } from './cgroup/user-tree.js';
import type { NoticeSink } from './notice-sink.js';
import { WARN_MIN_INTERVAL_MS } from './core/notices.js';

export interface AgentDeps {
  tree: UserTree;
  config: PolicyConfig;
  version: string;
  /** Pressure, /proc/meminfo and swap: what each look reads. Synchronous (see readGauges). */
  readGauges(): Gauges;
  /** Every unit and the memory outside the tree: read in the background while not calm. */
  readUnits(): Promise<Units>;
  /** /proc/meminfo alone: the cheap look while calm. Synchronous: one small file, no thread pool hop. */
  readMeminfo(): MemInfo;
  killScope(cgroupDir: string, opts: KillScopeOptions): Promise<KillScopeResult>;
  /** Arm PSI triggers; `onEvent` runs on each. */
  watchPressure(onEvent: () => void): PressureWatch;
  history: History;
  preferences: PreferencesStore;
  log: Logger;
  /** Desktop notifications; absent without a session bus. */
  notices?: NoticeSink;
  /** Re-read the config file; throws (with key and line) when it is invalid. */
  loadConfig(): Promise<PolicyConfig>;
  /** Tell systemd about a preference on the app's running units (ManagedOOMPreference). */
  applyUnitPreference?(units: string[], pref: Preference): Promise<void>;
  /** Desktop entries for Launch/ListLaunchers; absent where nothing may be launched. */
  launcher?: AppLauncher;
  /** The journal's structured entries and node_exporter's metrics file (agent/event-report.ts). */
  reports?: EventReport;
}

const PRESSURE_SIGNAL_MIN_INTERVAL_MS = 1000;
/** A victim that vanished before its kill is decided again at once, this many times in a row at most. */
const MAX_GONE_RETRIES = 3;
/** Pressure history for the dashboard: one sample per step at most, this many kept (30 min). */
export const PRESSURE_HISTORY_STEP_MS = 2000;
export const PRESSURE_HISTORY_SAMPLES = 900;

export class Agent implements AgentApi {
  #memory: PolicyMemory = INITIAL_MEMORY;
  #pressure: PressureRecord | null = null;
  #pressureHistory: PressureRecord[] = [];
  #signals: AgentSignals | null = null;
  #watch: PressureWatch | null = null;
  #timer: NodeJS.Timeout | null = null;
  #running = false;
  #ticking: Promise<void> | null = null;
  #tickAgain = false;
  /** Immediate re-decisions after a victim vanished, in this run of ticks. */
  #goneRetries = 0;
  #lastPressureSignalMs = 0;
  /** Wall clock of the last warning, seeded from history so a restarted agent does not repeat it. */
  #lastWarningWallMs = -Infinity;
  #lastApps: readonly AppScope[] = [];
  /** The last units read, which looks under pressure reuse while the next read is under way. */
  #units: Units | null = null;
  #unitsRead: Promise<{ units: Units; serial: number }> | null = null;
  /** Reads are numbered as they start; those up to this one began before the last kill ended and may list its victim. */
  #unitsReads = 0;
  #unitsStaleUpTo = 0;
  #lastMeminfo: MemInfo | null = null;
  #lastFullTickMs = -Infinity;
  /** How soon the last decision wants the next look while not calm (nextLookMs). */
  #nextLookMs = POLL_ELEVATED_MS;
  /** Wall clock of the last "out of reach" notice: once per episode, like warnings. */
  #lastOutOfReachWallMs = -Infinity;
  #config: PolicyConfig;

  constructor(private readonly deps: AgentDeps) {
    this.#config = deps.config;
  }

  /** First tick, then arm the triggers. The bus is attached separately (attachSignals). */
  async start(): Promise<void> {
    this.#running = true;
    const { log } = this.deps;
    this.#watch = this.#config.psiTriggers
      ? this.deps.watchPressure(() => this.wake('psi'))
      : { armed: [], refused: [{ file: 'all', why: 'psi_triggers = false in the config' }], close: () => undefined };
    if (this.#watch.armed.length > 0) log.info(`PSI triggers armed on ${this.#watch.armed.join(', ')}`);
    for (const r of this.#watch.refused) log.info(`no PSI trigger on ${r.file} (${r.why})`);
    if (this.#watch.armed.length === 0) log.warn(`no PSI trigger could be armed: polling every ${POLL_FALLBACK_MS} ms instead`);
    const lastWarning = (await this.deps.history.recent(20).catch(() => [])).find((k) => k.outcome === 'warned');
    if (lastWarning) this.#lastWarningWallMs = lastWarning.atMs;
    await this.tick();
  }

  attachSignals(signals: AgentSignals): void {
    this.#signals = signals;
  }

  stop(): void {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#watch?.close();
    this.#watch = null;
  }

  /** Wake for a tick now (PSI event, config reload). Ticks never overlap. */
  wake(cause: string): void {
    this.deps.log.debug(`wake: ${cause}`);
    void this.tick();
  }

  tick(): Promise<void> {
    if (this.#ticking) {
      this.#tickAgain = true;
      return this.#ticking;
    }
    this.#ticking = (async () => {
      this.#goneRetries = 0;
      do {
        this.#tickAgain = false;
        await this.#tickOnce().catch((err: unknown) => this.deps.log.error(`tick failed: ${err instanceof Error ? err.message : String(err)}`));
      } while (this.#tickAgain && this.#running);
      this.#ticking = null;
      this.#schedule();
    })();
    return this.#ticking;
  }

  /**
   * One look. Calm, it reads everything and waits for it. Under pressure it reads only the
   * gauges and decides on the last units read, while the next read of the units goes on in the
   * background: reading every unit took 0.3-2.8 s a look under thrash (bench, 20 apps + a hog),
   * and whether memory runs out is a question of the gauges alone.
   */
  async #tickOnce(): Promise<void> {
    const startMs = performance.now();
    const units = this.#memory.state === 'calm' || this.#units === null ? await this.#readUnits() : this.#refreshUnits();
    const snapshot = withUnits(this.deps.readGauges(), units);
    const readMs = performance.now() - startMs;
    this.#lastMeminfo = snapshot.meminfo;
    const sinceLastMs = startMs - this.#lastFullTickMs;
    this.#lastFullTickMs = startMs;
    const decision = decide(snapshot, this.#memory, this.#config);
    // How late a look is under load (thrash, page faults) is what decides whether a kill comes
    // in time: every look says when it began, how long its reading took and what it found.
    const { measures: m } = decision;
    this.deps.log.debug(`look: read ${readMs.toFixed(0)} ms, ${Number.isFinite(sinceLastMs) ? `${(sinceLastMs / 1000).toFixed(2)} s after the last` : 'the first'}; ` +
      `${decision.state}, runway ${formatBytes(m.runwayBytes)} falling ${formatBytes(Math.max(0, m.declineBytesPerSec))}/s, ` +
      `exhaustion in ${Number.isFinite(m.exhaustionInMs) ? `${(m.exhaustionInMs / 1000).toFixed(1)} s` : 'never'}, lead ${(m.leadMs / 1000).toFixed(2)} s, full ${m.fullRecentPct.toFixed(0)} %` +
      `${m.zramRatio !== null ? `, zram ${m.zramRatio.toFixed(1)}:1` : ''}, available ${formatBytes(snapshot.meminfo.memAvailableBytes)}, ` +
      `units ${((snapshot.atMs - snapshot.unitsAtMs) / 1000).toFixed(2)} s old`);
    const previous = this.#memory.state;
    const lastKillBefore = this.#memory.lastKill;
    this.#memory = decision.memory;
    this.#nextLookMs = nextLookMs(decision);
    const pressure = this.#notePressure(snapshot, decision);
    this.deps.reports?.looked(decision.state, pressure);

    if (decision.state !== previous) {
      this.deps.log.info(`state ${previous} → ${decision.state}: ${decision.because}`);
      this.#signals?.stateChanged(decision.state, previous, decision.because, pressure);
      this.deps.reports?.stateChanged(decision.state, previous, decision.because, pressure);
      this.#lastPressureSignalMs = snapshot.atMs;
      if (previous === 'calm') this.#warn(snapshot, decision);
    } else if (decision.state !== 'calm' && snapshot.atMs - this.#lastPressureSignalMs >= PRESSURE_SIGNAL_MIN_INTERVAL_MS) {
      this.#signals?.pressureChanged();
      this.#lastPressureSignalMs = snapshot.atMs;
    }

    if (decision.action.kind === 'kill') {
      try {
        await this.#kill(snapshot, decision, decision.action.victim, decision.action.reason, decision.because);
      } catch (err) {
        if (!(err instanceof UnitGoneError)) throw err;
        // It exited between the snapshot and the kill: nothing was stopped, so no cool-down
        // and no record; the next decision comes at once, on a fresh snapshot.
        this.deps.log.info(`${decision.action.victim.app.unit} exited on its own before it could be stopped; deciding again`);
        this.#memory = { ...this.#memory, lastKill: lastKillBefore };
        // At once, but not forever: a snapshot that keeps listing a vanished unit waits for the next tick.
        if (this.#goneRetries++ < MAX_GONE_RETRIES) this.#tickAgain = true;
        return;
      }
    } else if (decision.outOfReach) {
      this.#tellOutOfReach(snapshot, decision);
    } else if (decision.state === 'critical') {
      this.deps.log.debug(decision.because);
    }
  }

  /** The units, read now (or the read under way, if it began after the last kill ended). */
  async #readUnits(): Promise<Units> {
    let read = await this.#startUnitsRead();
    if (read.serial <= this.#unitsStaleUpTo) read = await this.#startUnitsRead();
    return read.units;
  }

  /** The last units read; the next read starts in the background unless one is under way. */
  #refreshUnits(): Units {
    if (this.#unitsRead === null) {
      this.#startUnitsRead().catch((err: unknown) => this.deps.log.error(`reading the units failed: ${err instanceof Error ? err.message : String(err)}`));
    }
    return this.#units!;
  }

  #startUnitsRead(): Promise<{ units: Units; serial: number }> {
    this.#unitsRead ??= (async () => {
      const serial = ++this.#unitsReads;
      try {
        // The user's per-app choices rank the units: refreshed with them, off the quick path.
        await this.deps.preferences.refresh();
        const units = await this.deps.readUnits();
        if (serial > this.#unitsStaleUpTo && (this.#units === null || units.atMs > this.#units.atMs)) {
          this.#units = units;
          this.#lastApps = units.apps;
        }
        return { units, serial };
      } finally {
        this.#unitsRead = null;
      }
    })();
    return this.#unitsRead;
  }

  /** After a kill (or a victim found gone) the next look waits for units read from now on. */
  #unitsNowStale(): void {
    this.#units = null;
    this.#unitsStaleUpTo = this.#unitsReads;
  }

  /** A whole snapshot, for the bus API: the units read now, then the gauges. */
  async #readSnapshot(): Promise<Snapshot> {
    const units = await this.#readUnits();
    return withUnits(this.deps.readGauges(), units);
  }

  /** Memory ran out and its heaviest user is beyond reach: say so, once per episode, and stop nothing. */
  #tellOutOfReach(snapshot: Snapshot, decision: Decision): void {
    if (Math.abs(snapshot.wallMs - this.#lastOutOfReachWallMs) < WARN_MIN_INTERVAL_MS) {
      this.deps.log.debug(decision.because);
      return;
    }
    this.#lastOutOfReachWallMs = snapshot.wallMs;
    this.deps.log.warn(decision.because);
    if (decision.outOfReach) this.deps.notices?.outOfReach(decision.outOfReach, decision.measures);
    if (decision.outOfReach) this.deps.reports?.outOfReach(decision.outOfReach, decision.because, toPressureRecord(snapshot, decision));
  }

  /** The latest sample, for the Pressure property and the dashboard's history. */
  #notePressure(snapshot: Snapshot, decision: Decision): PressureRecord {
    const p = toPressureRecord(snapshot, decision);
    this.#pressure = p;
    const ring = this.#pressureHistory;
    const last = ring[ring.length - 1];
    // One per step; a sample a little older than the newest (an explain() that raced a tick)
    // is dropped, one far older is the wall clock set back and starts anew.
    if (last && p.sampledAtMs - last.sampledAtMs < PRESSURE_HISTORY_STEP_MS && p.sampledAtMs >= last.sampledAtMs - PRESSURE_HISTORY_STEP_MS) return p;
    ring.push(p);
    if (ring.length > PRESSURE_HISTORY_SAMPLES) ring.splice(0, ring.length - PRESSURE_HISTORY_SAMPLES);
    return p;
  }

  /**
   * Leaving calm: name what would go, once per episode, so the user can act first. When the
   * heaviest user is out of reach, that is what is named: the app Headroom would otherwise
   * pick is not the one to close.
   */
  #warn(snapshot: Snapshot, decision: Decision): void {
    const { next } = decision;
    if (decision.action.kind === 'kill' || next.kind === 'nothing') return;
    if (Math.abs(snapshot.wallMs - this.#lastWarningWallMs) < WARN_MIN_INTERVAL_MS) return;
    this.#lastWarningWallMs = snapshot.wallMs;
    if (next.kind === 'out-of-reach') {
      const because = `memory is getting tight; ${describeOutOfReach(next.outside, next.victim)}`;
      this.deps.log.warn(because);
      this.deps.notices?.outOfReach(next.outside, decision.measures);
      this.deps.reports?.outOfReach(next.outside, because, toPressureRecord(snapshot, decision));
      return;
    }
    const { victim } = next;
    this.deps.notices?.warn(victim.app, decision.measures);
    const m = decision.measures;
    const record: KillRecord = {
      ...this.#eventBase(snapshot, decision, victim, m.fullRecentPct > 0 ? 'pressure' : 'exhaustion', `warned: ${decision.because}; ${describeVictim(victim, decision.ranked)}`),
      outcome: 'warned', dryRun: this.#config.dryRun, processCount: victim.app.processCount, processesLeft: victim.app.processCount, graceMs: 0, durationMs: 0,
    };
    this.#signals?.warned(record);
    this.deps.reports?.warned(record);
    void this.deps.history.append(record).catch((err: unknown) => this.deps.log.error(`could not record the warning in history: ${(err as Error).message}`));
  }

  /** What every history entry says about the moment: the app, the pressure, the candidates. */
  #eventBase(snapshot: Snapshot, decision: Decision, victim: RankedCandidate, reason: KillReason, because: string) {
    const { app } = victim;
    return {
      id: `${snapshot.wallMs.toString(36)}-${randomBytes(4).toString('hex')}`,
      unit: app.unit,
      appId: app.appId,
      displayName: app.displayName,
      reason,
      because,
      memoryFreedBytes: app.memoryBytes,
      swapFreedBytes: app.swapBytes,
      someAvg10: snapshot.tree.some.avg10,
      fullAvg10: snapshot.tree.full.avg10,
      fullRecentPct: decision.measures.fullRecentPct,
      memAvailableBytes: snapshot.meminfo.memAvailableBytes,
      swapFreeBytes: snapshot.meminfo.swapFreeBytes,
      atMs: snapshot.wallMs,
      candidates: decision.ranked.slice(0, REPORT_CANDIDATES).map(toCandidateRecord),
    };
  }

  /** Kill (or in dry-run, only report) one victim; record and announce it. */
  async #kill(snapshot: Snapshot, decision: Decision, victim: RankedCandidate, reason: KillReason, because: string): Promise<KillRecord> {
    const { app } = victim;
    const graceMs = killGraceMs(decision.measures, this.#config);
    const base = this.#eventBase(snapshot, decision, victim, reason, because);

    let record: KillRecord;
    if (this.#config.dryRun) {
      record = { ...base, outcome: 'dry-run', dryRun: true, processCount: app.processCount, processesLeft: app.processCount, graceMs, durationMs: 0 };
      this.deps.log.warn(`dry-run: would kill ${app.unit} (${reason}): ${because}`);
      this.#signals?.wouldKill(record);
    } else {
      this.deps.log.warn(`killing ${app.unit} (${reason}, grace ${graceMs} ms): ${because}`);
      // Whether it dies or was gone already, the units read so far list it: the next look waits for new ones.
      const result = await this.deps.killScope(join(this.deps.tree.path, app.cgroup), { graceMs, userTree: this.deps.tree.path })
        .finally(() => this.#unitsNowStale());
      record = { ...base, outcome: result.outcome, dryRun: false, processCount: result.processCount, processesLeft: result.processesLeft, graceMs, durationMs: result.durationMs };
      const how = result.exitedOnTerm ? 'exited on SIGTERM' : result.usedCgroupKill ? 'cgroup.kill' : 'SIGKILL';
      const log = result.outcome === 'killed' ? this.deps.log.warn : this.deps.log.error;
      log(`${result.outcome} ${app.unit}: ${result.processCount} processes, ${result.processesLeft} left, ${how}, ${result.durationMs} ms`);
      this.#signals?.killed(record);
      this.deps.notices?.killed(record, app);
    }
    this.deps.reports?.killed(record);
    await this.deps.history.append(record).catch((err: unknown) => this.deps.log.error(`could not record the kill in history: ${(err as Error).message}`));
    return record;
  }

  #schedule(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (!this.#running) return;
    const state = this.#memory.state;
    // Calm: PSI triggers wake us on stalls; the watch interval covers the no-swap case, where
    // memory runs out before anything stalls (see CALM_WATCH_WORST_RATE_BYTES_PER_S).
    const watchMs = this.#lastMeminfo ? calmWatchIntervalMs(this.#lastMeminfo, this.#config) : POLL_FALLBACK_MS;
    const triggersArmed = (this.#watch?.armed.length ?? 0) > 0;
    const delay = state !== 'calm' ? this.#nextLookMs
      : triggersArmed ? watchMs
      : Math.min(watchMs, POLL_FALLBACK_MS);
    this.#timer = setTimeout(() => (state === 'calm' && triggersArmed ? this.#calmLook() : void this.tick()), delay);
  }

  /**
   * Calm, with PSI triggers armed: read /proc/meminfo alone, and pay for a full tick only near
   * the elevated level or when the last one is CALM_FULL_TICK_MAX_MS old.
   */
  #calmLook(): void {
    this.#timer = null;
    // A tick under way (a PSI wake) reschedules when it ends: looking now would only add one.
    if (!this.#running || this.#ticking) return;
    let meminfo: MemInfo;
    try {
      meminfo = this.deps.readMeminfo();
    } catch {
      void this.tick(); // the full tick reports what is wrong
      return;
    }
    if (calmLookWantsTick(meminfo, this.#config) || performance.now() - this.#lastFullTickMs >= CALM_FULL_TICK_MAX_MS) {
      void this.tick();
      return;
    }
    this.#lastMeminfo = meminfo;
    this.#schedule();
  }

  /** Re-read the config (SIGHUP, Reload). An invalid file keeps the last good config. */
  async reload(): Promise<void> {
    let config: PolicyConfig;
    try {
      config = await this.deps.loadConfig();
    } catch (err) {
      this.deps.log.error(`kept the last good config: ${(err as Error).message}`);
      throw new AgentError(ERROR_INVALID_CONFIG, `kept the last good config: ${(err as Error).message}`);
    }
    this.#config = config;
    this.deps.log.info('reloaded the config');
    this.wake('config');
  }

  // ---- AgentApi (the bus surface) ----

  state(): AgentState {
    return this.#memory.state;
  }
  pressure(): PressureRecord {
    if (!this.#pressure) throw new Error('no sample yet');
    return this.#pressure;
  }
  dryRun(): boolean {
    return this.#config.dryRun;
  }
  version(): string {
    return this.deps.version;
  }

  async listApps(): Promise<AppRecord[]> {
    const snapshot = await this.#readSnapshot();
    // An emptied scope lingers until systemd collects it: it is no longer a running app.
    return snapshot.apps.filter((a) => a.processCount > 0).sort((a, b) => footprintBytes(b) - footprintBytes(a)).map(toAppRecord);
  }

  history(limit: number): Promise<KillRecord[]> {
    return this.deps.history.recent(limit);
  }

  pressureHistory(seconds: number): PressureRecord[] {
    const ring = this.#pressureHistory;
    if (seconds <= 0 || ring.length === 0) return [...ring];
    const since = ring[ring.length - 1]!.sampledAtMs - seconds * 1000;
    return ring.filter((p) => p.sampledAtMs >= since);
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

  /**
   * decide() on a fresh snapshot without committing its memory: exactly what a tick would do.
   * The fresh sample is kept: while calm a full sample comes only every 10 s, and an open
   * dashboard asks this on every refresh.
   */
  async explain(): Promise<ExplanationRecord> {
    const snapshot = await this.#readSnapshot();
    const decision = decide(snapshot, this.#memory, this.#config);
    this.#notePressure(snapshot, decision);
    // A kill's victim is decision.next's too: one choice (nextToGo) for both.
    const next = decision.next.kind === 'victim' ? decision.next.victim : null;
    const because = decision.action.kind === 'kill' ? decision.because
      : decision.next.kind === 'victim' ? `${decision.because}; if memory ran out now, ${describeVictim(decision.next.victim, decision.ranked)}`
      : decision.next.kind === 'out-of-reach' ? `${decision.because}; if memory ran out now, nothing would be stopped: ${describeOutOfReach(decision.next.outside, decision.next.victim)}`
      : `${decision.because}; no app may be killed`;
    return {
      state: decision.state,
      because,
      unit: next?.app.unit ?? '',
      appId: next?.app.appId ?? '',
      displayName: next?.app.displayName ?? '',
      candidates: decision.ranked.map(toCandidateRecord),
    };
  }

  async killApp(target: string): Promise<KillRecord> {
    if (target.trim() === '') throw new AgentError(ERROR_INVALID_ARGS, 'name a unit or an app id to kill');
    const snapshot = await this.#readSnapshot();
    const matches = snapshot.apps.filter((a) => a.unit === target || a.appId === target);
    if (matches.length === 0) throw new AgentError(ERROR_NO_SUCH_APP, `no running app unit or app id ${JSON.stringify(target)}`);
    const app = [...matches].sort((a, b) => footprintBytes(b) - footprintBytes(a))[0]!;
    if (app.protectedBecause !== '') throw new AgentError(ERROR_INVALID_ARGS, `${app.unit} is ${app.protectedBecause}: not killing it`);
    const decision = decide(snapshot, this.#memory, this.#config);
    const ranked = decision.ranked.find((c) => c.app.unit === app.unit);
    const victim: RankedCandidate = { app, excluded: '', growthBytesPerSec: ranked?.growthBytesPerSec ?? 0 };
    try {
      return await this.#kill(snapshot, decision, victim, 'manual', `killed on request (${target})`);
    } catch (err) {
      if (err instanceof UnitGoneError) throw new AgentError(ERROR_NO_SUCH_APP, `${app.unit} exited before it could be stopped`);
      throw err;
    }
  }

  async setPreference(appId: string, pref: string): Promise<void> {
    if (!isPreference(pref)) throw new AgentError(ERROR_INVALID_ARGS, `preference must be none, avoid or omit, not ${JSON.stringify(pref)}`);
    if (appId.trim() === '') throw new AgentError(ERROR_INVALID_ARGS, 'app id must not be empty');
    await this.deps.preferences.set(appId, pref);
    // The units read so far rank the app by its old preference: the next look waits for new ones.
    if (this.#lastApps.some((a) => a.appId === appId)) this.#unitsNowStale();
    this.deps.log.info(`preference for ${appId}: ${pref}`);
    this.#signals?.preferenceChanged(appId, pref);
    // Running instances too, so systemd-oomd (where it runs) honours the choice now.
    const units = this.#lastApps.filter((a) => a.appId === appId).map((a) => a.unit);
    if (units.length > 0) {
      await this.deps.applyUnitPreference?.(units, pref).catch((err: unknown) =>
        this.deps.log.warn(`could not set ManagedOOMPreference=${pref} on ${units.join(', ')}: ${(err as Error).message}`));
    }
  }

  preferences(): Record<string, Preference> {
    return this.deps.preferences.all();
  }
}

function toPressureRecord(s: Snapshot, d: Decision): PressureRecord {
  return {
    someAvg10: s.tree.some.avg10,
    fullAvg10: s.tree.full.avg10,
    someAvg60: s.tree.some.avg60,
    fullAvg60: s.tree.full.avg60,
    fullRecentPct: d.measures.fullRecentPct,
    appsSomeAvg10: s.appSlice?.some.avg10 ?? 0,
    appsFullAvg10: s.appSlice?.full.avg10 ?? 0,
    memTotalBytes: s.meminfo.memTotalBytes,
    memAvailableBytes: s.meminfo.memAvailableBytes,
    swapTotalBytes: s.meminfo.swapTotalBytes,
    swapFreeBytes: s.meminfo.swapFreeBytes,
    sampledAtMs: s.wallMs,
  };
}

const toCandidateRecord = (c: RankedCandidate): CandidateRecord => ({
  unit: c.app.unit,
  appId: c.app.appId,
  displayName: c.app.displayName,
  preference: c.app.preference,
  memoryBytes: c.app.memoryBytes,
  swapBytes: c.app.swapBytes,
  processCount: c.app.processCount,
  excluded: c.excluded,
});

const toAppRecord = (a: AppScope): AppRecord => ({
  unit: a.unit,
  kind: a.kind,
  cgroup: a.cgroup,
  appId: a.appId,
  launcher: a.launcher,
  displayName: a.displayName,
  icon: a.icon,
  desktopEntry: a.desktopEntry,
  preference: a.preference,
  memoryBytes: a.memoryBytes,
  swapBytes: a.swapBytes,
  anonBytes: a.anonBytes,
  fileBytes: a.fileBytes,
  unreclaimableBytes: a.unreclaimableBytes,
  processCount: a.processCount,
  fullAvg10: a.fullAvg10,
});
