// The agent's loop. The whole kill path reads top to bottom in tick():
//   readGauges (+ the units, read in the background under pressure) → decide (pure,
//   agent/core) → killScope, or killProcess for the tab an app marked to lose first
//   (agent/core/relief.ts), or freezeUnit to pause the app and ask (agent/core/pause.ts) →
//   history + Killed (Paused, Resumed) signal + notification.
// Between ticks the agent sleeps: while calm a PSI trigger or a watch timer sized to the free
// memory wakes it, and so does a unit created or removed (agent/cgroup/unit-watch.ts); while
// elevated or critical it polls, faster the worse things are.
// The records it reports are built in agent/core/records.ts; what callers ask of it is
// answered by agent/api-handler.ts, through the narrow view this loop gives it (LoopView).
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { formatBytes } from '../shared/format.js';
import type { KillReason } from '../shared/names.js';
import type { EventRecord, PressureRecord } from '../shared/records.js';
import {
  CALM_FULL_TICK_MAX_MS, LAST_LOOK_FRESH_MS, MAX_GONE_RETRIES, POLL_ELEVATED_MS, POLL_FALLBACK_MS, PRESSURE_SIGNAL_MIN_INTERVAL_MS, QUIT_GRACE_MS, UNIT_CHANGE_SETTLE_MS,
  type PolicyConfig,
} from './core/constants.js';
import { calmFullTickDue, calmLookWantsTick, calmWatchIntervalMs, decide, describeOutOfReach, INITIAL_POLICY_STATE, graceMsFor, nextLookMs, type Decision, type PolicyState } from './core/decide.js';
import type { MemInfo } from './core/meminfo.js';
import { WARN_MIN_INTERVAL_MS } from './core/notices.js';
import type { RankedCandidate } from './core/rank.js';
import { childKillRecord, dryRunRecord, killRecord, pausedRecord, pressureRecord, resumedRecord, warningRecord, type ChildKillAttempt } from './core/records.js';
import { describeChild } from './core/relief.js';
import { NO_ASKING, resumedSince, type AskContext, type PausedUnit } from './core/pause.js';
import { withUnits, type AppUnit, type ExpendableProcess, type Gauges, type Snapshot, type Units } from './core/snapshot.js';
import type { AgentApi, AgentSignals } from './api.js';
import { ApiHandler, type ApiDeps, type Look, type LoopView } from './api-handler.js';
import type { EventReport } from './event-report.js';
import { ProcessGoneError, type KillProcessOptions } from './cgroup/kill-process.js';
import { UnitGoneError, type KillScopeOptions, type KillScopeResult } from './cgroup/kill-scope.js';
import { thawUnitSync, type FreezeTarget, type FreezeVia } from './cgroup/freeze-unit.js';
import type { PausedEntry, PausedFile } from './io/paused-file.js';
import { AgentError, ERROR_NO_SUCH_APP } from './api.js';
import type { PressureWatch } from './cgroup/pressure-watch.js';
import type { UnitWatch } from './cgroup/unit-watch.js';
import type { UserTree } from './cgroup/user-tree.js';
import type { NoticeSink } from './notice-sink.js';
import { PressureHistory } from './pressure-history.js';
import { readMajorFaults } from './io/self-stat.js';

export interface AgentDeps extends ApiDeps {
  tree: UserTree;
  config: PolicyConfig;
  /** Pressure, /proc/meminfo and swap: what each look reads. Synchronous (see readGauges). */
  readGauges(): Gauges;
  /**
   * Every unit and the memory outside the tree. `inline`: synchronously, with no thread-pool
   * hops to wake the loop, for a calm look that waits for them anyway (Agent.#readsInline says
   * when); else through the thread pool, out of calm in the background of the looks.
   */
  readUnits(opts: { inline: boolean }): Promise<Units>;
  /** /proc/meminfo alone: the cheap look while calm. Synchronous: one small file, no thread pool hop. */
  readMeminfo(): MemInfo;
  killScope(cgroupDir: string, opts: KillScopeOptions): Promise<KillScopeResult>;
  /** Stop one marked process of a unit by pidfd; ProcessGoneError when it was gone first. */
  killProcess(target: Pick<ExpendableProcess, 'pid' | 'startTicks'>, opts: KillProcessOptions): Promise<ChildKillAttempt>;
  /** Pause (freeze) and resume an app unit (agent/cgroup/freeze-unit.ts); without them nothing is paused. */
  freezeUnit?(t: FreezeTarget): Promise<FreezeVia>;
  thawUnit?(t: FreezeTarget, via: FreezeVia): Promise<void>;
  /** Whether a question can be asked now, and which units show it; absent: nothing is paused. */
  asking?(): Promise<AskContext>;
  /** The paused app on disk, for the next agent to thaw should this one die with it frozen. */
  pausedFile?: PausedFile;
  /** Arm PSI triggers; `onEvent` runs on each. */
  watchPressure(onEvent: () => void): PressureWatch;
  /** Watch for units created and removed; `onChange` runs on each. Absent: the calm loop reads the tree every CALM_FULL_TICK_MAX_MS. */
  watchUnits?(onChange: () => void): UnitWatch;
  /** Desktop notifications; absent without a session bus. */
  notices?: NoticeSink;
  /** Re-read the config file; throws (with key and line) when it is invalid. */
  loadConfig(): Promise<PolicyConfig>;
  /** The journal's structured entries and node_exporter's metrics file (agent/event-report.ts). */
  reports?: EventReport;
  /** Monotonic milliseconds (performance.now() unless a test fakes it). */
  now?: () => number;
  /** This process's major page faults since it started (/proc/self/stat unless a test fakes it). Synchronous. */
  readMajorFaults?: () => number;
}

/**
 * What woke the loop for a look, when, and how many major faults the agent had taken by then.
 * A kill decision reports the time and the faults since (the "kill path" line): under zram
 * thrash seconds passed between a wake and a kill decision with only synchronous code between.
 */
interface Wake {
  /** One word: psi, timer, units, config, retry, start, tick (a direct call). */
  cause: string;
  atMs: number;
  /** -1 when /proc/self/stat could not be read. */
  majorFaults: number;
}

export class Agent {
  /** What callers ask of the agent (the bus, the notification actions). */
  readonly api: AgentApi;
  #policyState: PolicyState = INITIAL_POLICY_STATE;
  #pressure: PressureRecord | null = null;
  readonly #pressureHistory = new PressureHistory();
  /** The last tick's snapshot and decision, and when it began: ListApps and Explain answer from it while fresh. */
  #lastLook: (Look & { startMs: number }) | null = null;
  #signals: AgentSignals | null = null;
  #watch: PressureWatch | null = null;
  #unitWatch: UnitWatch | null = null;
  /** Set while a unit change waits out UNIT_CHANGE_SETTLE_MS before the look that reads it. */
  #unitChangeTimer: NodeJS.Timeout | null = null;
  #timer: NodeJS.Timeout | null = null;
  #running = false;
  #ticking: Promise<void> | null = null;
  #tickAgain = false;
  /** Immediate re-decisions after a victim vanished, in this run of ticks. */
  #goneRetries = 0;
  #lastPressureSignalMs = 0;
  /** Wall clock of the last warning, seeded from history so a restarted agent does not repeat it. */
  #lastWarningWallMs = -Infinity;
  #lastApps: readonly AppUnit[] = [];
  /** The last units read, which looks under pressure reuse while the next read is under way. */
  #units: Units | null = null;
  #unitsRead: Promise<{ units: Units; serial: number }> | null = null;
  /** Reads are numbered as they start; those up to this one began before the last kill ended and may list its victim. */
  #unitsReads = 0;
  #unitsStaleUpTo = 0;
  #lastMeminfo: MemInfo | null = null;
  #lastFullTickMs = -Infinity;
  /** MemAvailable as the last full tick saw it: while it holds, the calm full tick waits longer (calmFullTickDue). */
  #availableAtFullTick = NaN;
  /** How soon the last decision wants the next look while not calm (nextLookMs). */
  #nextLookMs = POLL_ELEVATED_MS;
  /** Wall clock of the last "out of reach" notice: once per episode, like warnings. */
  #lastOutOfReachWallMs = -Infinity;
  #config: PolicyConfig;
  readonly #now: () => number;
  readonly #readMajorFaults: () => number;
  /** The earliest wake not yet served by a look: the next look reports from it. */
  #pendingWake: Wake | null = null;
  /** Who can be asked, as of the last units read out of calm (pause.ts). */
  #ask: AskContext = NO_ASKING;
  /** The app this agent froze, and how: what a resume, a stop or the agent's own exit must thaw. */
  #frozen: PausedEntry | null = null;

  constructor(private readonly deps: AgentDeps) {
    this.#config = deps.config;
    this.#now = deps.now ?? (() => performance.now());
    this.#readMajorFaults = deps.readMajorFaults ?? (() => readMajorFaults());
    this.api = new ApiHandler(this.#loopView(), deps);
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
    this.#unitWatch = this.deps.watchUnits?.(() => this.#unitsChanged()) ?? null;
    if (this.#unitWatch?.watching) log.info(`watching ${this.#unitWatch.slices} slices for new units`);
    else if (this.#unitWatch) log.warn(`units not watched (${this.#unitWatch.why}): reading them all every ${CALM_FULL_TICK_MAX_MS / 1000} s instead`);
    const lastWarning = (await this.deps.history.recent(20).catch(() => [])).find((k) => k.outcome === 'warned');
    if (lastWarning) this.#lastWarningWallMs = lastWarning.atMs;
    await this.#thawLeftOver();
    this.#noteWake(this.#wakeNow('start'));
    await this.tick();
  }

  attachSignals(signals: AgentSignals): void {
    this.#signals = signals;
  }

  stop(): void {
    this.#running = false;
    // An agent that goes must not leave its paused app frozen: thawed now, synchronously (the
    // process may exit right after), and the file cleared.
    if (this.#frozen) {
      try {
        thawUnitSync(this.#frozen.cgroupDir);
        this.deps.log.info(`resumed ${this.#frozen.unit}: the agent is stopping`);
      } catch (err) {
        this.deps.log.error(`could not resume ${this.#frozen.unit} on the way out: ${(err as Error).message}`);
      }
      this.#forgetFrozen();
    }
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#unitChangeTimer) clearTimeout(this.#unitChangeTimer);
    this.#unitChangeTimer = null;
    this.#watch?.close();
    this.#watch = null;
    this.#unitWatch?.close();
    this.#unitWatch = null;
  }

  /** Wake for a tick now (PSI event, config reload). Ticks never overlap. */
  wake(cause: string): void {
    this.#noteWake(this.#wakeNow(cause));
    this.deps.log.debug(`wake: ${cause}`);
    void this.tick();
  }

  /**
   * A unit came or went. While calm that is read at once (after the burst of an app's start
   * settles), while memory is plentiful, rather than at the next regular full tick: a storm's
   * first look then meets apps already read. Out of calm every look reads the units anyway.
   */
  #unitsChanged(): void {
    if (!this.#running || this.#unitChangeTimer) return;
    this.#unitChangeTimer = setTimeout(() => {
      this.#unitChangeTimer = null;
      if (this.#running && this.#policyState.state === 'calm') this.wake('units');
    }, UNIT_CHANGE_SETTLE_MS);
  }

  #wakeNow(cause: string): Wake {
    return { cause, atMs: this.#now(), majorFaults: this.#majorFaults() };
  }

  /** The earliest wake counts: a kill it leads to came that late after the loop was first asked to look. */
  #noteWake(wake: Wake): void {
    this.#pendingWake ??= wake;
  }

  #majorFaults(): number {
    try {
      return this.#readMajorFaults();
    } catch {
      return -1; // the line still reports the time; a missing /proc must not stop a look
    }
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
    const wake = this.#pendingWake ?? this.#wakeNow('tick');
    this.#pendingWake = null;
    const startMs = this.#now();
    const units = this.#policyState.state === 'calm' || this.#units === null ? await this.#readUnits(this.#readsInline(wake.cause)) : this.#refreshUnits();
    const snapshot = withUnits(this.deps.readGauges(), units);
    const readMs = this.#now() - startMs;
    this.#lastMeminfo = snapshot.meminfo;
    const sinceLastMs = startMs - this.#lastFullTickMs;
    this.#lastFullTickMs = startMs;
    this.#availableAtFullTick = snapshot.meminfo.memAvailableBytes;
    const decision = decide(snapshot, this.#policyState, this.#config, this.#askNow());
    // Only a kill decision pays for the second read of /proc/self/stat.
    const decided = decision.action.kind === 'kill' ? this.#wakeNow(wake.cause) : null;
    // How late a look is under load (thrash, page faults) is what decides whether a kill comes
    // in time: every look says when it began, how long its reading took and what it found.
    const { measures: m } = decision;
    this.deps.log.debug(`look: read ${readMs.toFixed(0)} ms, ${Number.isFinite(sinceLastMs) ? `${(sinceLastMs / 1000).toFixed(2)} s after the last` : 'the first'}; ` +
      `${decision.state}, runway ${formatBytes(m.runwayBytes)} falling ${formatBytes(Math.max(0, m.declineBytesPerSec))}/s, ` +
      `exhaustion in ${Number.isFinite(m.exhaustionInMs) ? `${(m.exhaustionInMs / 1000).toFixed(1)} s` : 'never'}, lead ${(m.leadMs / 1000).toFixed(2)} s, full ${m.fullRecentPct.toFixed(0)} %` +
      `${m.zramRatio !== null ? `, zram ${m.zramRatio.toFixed(1)}:1` : ''}, available ${formatBytes(snapshot.meminfo.memAvailableBytes)}, ` +
      `units ${((snapshot.atMs - snapshot.unitsAtMs) / 1000).toFixed(2)} s old`);
    const previous = this.#policyState.state;
    const lastKillBefore = this.#policyState.lastKill;
    this.#policyState = decision.policyState;
    this.#nextLookMs = nextLookMs(decision);
    this.#lastLook = { snapshot, decision, startMs };
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
      const { victim, reason, child } = decision.action;
      if (decided) this.#logKillPath(wake, decided);
      try {
        if (child) await this.#killChild(snapshot, decision, victim, child, reason, decision.because);
        else await this.#kill(snapshot, decision, victim, reason, decision.because);
      } catch (err) {
        if (!(err instanceof UnitGoneError) && !(err instanceof ProcessGoneError)) throw err;
        // It exited between the snapshot and the kill: nothing was stopped, so no cool-down
        // and no record; the next decision comes at once, on a fresh snapshot.
        this.deps.log.info(child ? `${describeChild(victim.app.displayName || victim.app.appId, child)} could not be stopped (${err.message}); deciding again`
          : `${victim.app.unit} exited on its own before it could be stopped; deciding again`);
        this.#policyState = { ...this.#policyState, lastKill: lastKillBefore };
        // At once, but not forever: a snapshot that keeps listing a vanished unit waits for the next tick.
        if (this.#goneRetries++ < MAX_GONE_RETRIES) {
          this.#noteWake(this.#wakeNow('retry'));
          this.#tickAgain = true;
        }
        return;
      }
    } else if (decision.action.kind === 'pause') {
      await this.#pause(snapshot, decision, decision.action.victim, decision.action.paused);
    } else if (decision.action.kind === 'resume') {
      await this.#resume(snapshot, decision, decision.action.victim, 'exhaustion', decision.because, false);
    } else if (decision.outOfReach) {
      this.#tellOutOfReach(snapshot, decision);
    } else if (decision.state === 'critical') {
      this.deps.log.debug(decision.because);
    }
  }

  /**
   * The line the benchmark parses (keep its words): how long after its wake a look decided to
   * kill, and how many major faults the agent took meanwhile and since it started.
   */
  #logKillPath(wake: Wake, decided: Wake): void {
    const known = wake.majorFaults >= 0 && decided.majorFaults >= 0;
    this.deps.log.warn(`kill path: woke by ${wake.cause} ${Math.round(decided.atMs - wake.atMs)} ms before the kill decision, ` +
      `${known ? decided.majorFaults - wake.majorFaults : -1} major faults since waking, ${decided.majorFaults} since start`);
  }

  /** The units, read now (or the read under way, if it began after the last kill ended). */
  async #readUnits(inline: boolean): Promise<Units> {
    let read = await this.#startUnitsRead(inline);
    if (read.serial <= this.#unitsStaleUpTo) read = await this.#startUnitsRead(inline);
    return read.units;
  }

  /**
   * Whether the units may be read inline (synchronously, AgentDeps.readUnits): calm, and
   * nothing says memory is short. A stall's wake, or a last look near the elevated level, may
   * be a storm's first look, where the reads fault: the thread pool reads four files at a time
   * and keeps the loop free, and it is the read the storm runs measured.
   */
  #readsInline(cause: string): boolean {
    if (this.#policyState.state !== 'calm' || cause === 'psi') return false;
    return this.#lastMeminfo !== null && !calmLookWantsTick(this.#lastMeminfo, this.#config);
  }

  /** A whole snapshot for a caller: the units read now (or the read under way), then the gauges. */
  async #readSnapshot(): Promise<Snapshot> {
    return withUnits(this.deps.readGauges(), await this.#readUnits(this.#readsInline('api')));
  }

  /** The last units read; the next read starts in the background unless one is under way. */
  #refreshUnits(): Units {
    if (this.#unitsRead === null) {
      this.#startUnitsRead(false).catch((err: unknown) => this.deps.log.error(`reading the units failed: ${err instanceof Error ? err.message : String(err)}`));
    }
    return this.#units!;
  }

  /** A read of the units, or the one under way (however it reads). */
  #startUnitsRead(inline: boolean): Promise<{ units: Units; serial: number }> {
    this.#unitsRead ??= (async () => {
      const serial = ++this.#unitsReads;
      try {
        // The user's per-app choices rank the units: refreshed with them, off the quick path.
        await this.deps.preferences.refresh();
        const units = await this.deps.readUnits({ inline });
        // Who can be asked matters only out of calm, where a pause can come (two bus calls).
        if (this.#policyState.state !== 'calm' && this.deps.asking) this.#ask = await this.deps.asking().catch(() => NO_ASKING);
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

  /**
   * After a kill (or a victim found gone, or a preference set) the next look waits for units
   * read from now on, and the last look no longer answers for the apps.
   */
  #unitsNowStale(): void {
    this.#units = null;
    this.#unitsStaleUpTo = this.#unitsReads;
    this.#lastLook = null;
  }

  /** The last look, unless it began LAST_LOOK_FRESH_MS ago or its units are that much older than its gauges. */
  #freshLook(): Look | null {
    const look = this.#lastLook;
    if (!look || this.#now() - look.startMs >= LAST_LOOK_FRESH_MS) return null;
    if (look.snapshot.atMs - look.snapshot.unitsAtMs >= LAST_LOOK_FRESH_MS) return null;
    return look;
  }

  /** What the API sees of the loop (agent/api-handler.ts). */
  #loopView(): LoopView {
    return {
      state: () => this.#policyState.state,
      pressure: () => this.#pressure,
      config: () => this.#config,
      freshLook: () => this.#freshLook(),
      readSnapshot: () => this.#readSnapshot(),
      decide: (snapshot) => decide(snapshot, this.#policyState, this.#config, this.#askNow()),
      pressureHistory: (seconds) => this.#pressureHistory.since(seconds),
      kill: ({ snapshot, decision }, victim, reason, because) => this.#kill(snapshot, decision, victim, reason, because),
      paused: () => this.#policyState.paused,
      resumePaused: (target) => this.#resumeOnRequest(target),
      quitPaused: (target, force) => this.#quitOnRequest(target, force),
      lastApps: () => this.#lastApps,
      unitsNowStale: () => this.#unitsNowStale(),
      reload: () => this.reload(),
      signals: () => this.#signals,
    };
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
    if (decision.outOfReach) this.deps.reports?.outOfReach(decision.outOfReach, decision.because, pressureRecord(snapshot, decision));
  }

  /** The latest sample, for the Pressure property and the dashboard's history. */
  #notePressure(snapshot: Snapshot, decision: Decision): PressureRecord {
    const p = pressureRecord(snapshot, decision);
    this.#pressure = p;
    this.#pressureHistory.note(p);
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
      this.deps.reports?.outOfReach(next.outside, because, pressureRecord(snapshot, decision));
      return;
    }
    const { victim } = next;
    this.deps.notices?.warn(victim.app, decision.measures);
    const record = warningRecord(snapshot, decision, victim, this.#config.dryRun, eventNonce());
    this.#signals?.warned(record);
    this.deps.reports?.warned(record);
    void this.deps.history.append(record).catch((err: unknown) => this.deps.log.error(`could not record the warning in history: ${(err as Error).message}`));
  }

  /** Pausing needs a way to freeze and someone to ask. */
  #askNow(): AskContext {
    return this.deps.freezeUnit && this.deps.thawUnit ? this.#ask : NO_ASKING;
  }

  /** Nothing is frozen by this agent any more (thawed, or stopped): neither here nor on disk. */
  #forgetFrozen(): void {
    this.#frozen = null;
    void this.deps.pausedFile?.save(null).catch((err: unknown) => this.deps.log.error(`could not clear the paused app: ${(err as Error).message}`));
  }

  #freezeTarget(app: AppUnit): FreezeTarget {
    return { unit: app.unit, cgroupDir: join(this.deps.tree.path, app.cgroup), userTree: this.deps.tree.path };
  }

  /** Forget a pause decide() asked for that did not happen: the unit is not tried again soon, the kill path decides. */
  #pauseNotTaken(unit: string, atMs: number): void {
    const ps = this.#policyState;
    this.#policyState = { ...ps, paused: null, resumedAtMs: resumedSince(ps.resumedAtMs, atMs, unit) };
  }

  /** Freeze the runaway and ask the user (or in dry-run, only say so); record and announce it. */
  async #pause(snapshot: Snapshot, decision: Decision, victim: RankedCandidate, paused: PausedUnit): Promise<void> {
    const { app } = victim;
    if (this.#config.dryRun) {
      this.deps.log.warn(`dry-run: would pause ${app.unit}: ${decision.because}`);
      this.#pauseNotTaken(app.unit, snapshot.atMs);
      return;
    }
    this.deps.log.warn(`pausing ${app.unit}: ${decision.because}`);
    const target = this.#freezeTarget(app);
    let via: FreezeVia;
    try {
      via = await this.deps.freezeUnit!(target);
    } catch (err) {
      this.#pauseNotTaken(app.unit, snapshot.atMs);
      if (err instanceof UnitGoneError) this.deps.log.info(`${app.unit} exited before it could be paused`);
      else this.deps.log.error(`could not pause ${app.unit} (${(err as Error).message}): it is stopped instead if memory runs out`);
      return;
    }
    this.#frozen = { unit: app.unit, cgroupDir: target.cgroupDir, via, atWallMs: snapshot.wallMs };
    void this.deps.pausedFile?.save(this.#frozen).catch((err: unknown) => this.deps.log.error(`could not note the paused app: ${(err as Error).message}`));
    const record = pausedRecord(snapshot, decision, victim, decision.because, paused.untilWallMs, eventNonce());
    this.deps.log.warn(`paused ${app.unit} (${via}); it is stopped in ${Math.round((paused.untilMs - paused.atMs) / 1000)} s unless the user answers or memory recovers`);
    this.#signals?.paused(record);
    this.deps.notices?.paused(record, app);
    this.deps.reports?.paused(record);
    await this.deps.history.append(record).catch((err: unknown) => this.deps.log.error(`could not record the pause in history: ${(err as Error).message}`));
  }

  /** Thaw the paused app (memory recovered, or the user asked); record and announce it. */
  async #resume(snapshot: Snapshot, decision: Decision, victim: RankedCandidate, reason: KillReason, because: string, byUser: boolean): Promise<EventRecord> {
    const { app } = victim;
    const frozen = this.#frozen;
    if (frozen && frozen.unit === app.unit) {
      await this.deps.thawUnit!(this.#freezeTarget(app), frozen.via);
      this.#forgetFrozen();
    }
    const record = resumedRecord(snapshot, decision, victim, reason, because, eventNonce());
    this.deps.log.warn(`resumed ${app.unit}: ${because}`);
    this.#signals?.resumed(record);
    this.deps.notices?.resumed(record, app, byUser);
    this.deps.reports?.resumed(record);
    await this.deps.history.append(record).catch((err: unknown) => this.deps.log.error(`could not record the resume in history: ${(err as Error).message}`));
    return record;
  }

  /** The paused app named by `target` (its unit or app id), on a snapshot read now; NoSuchApp when none is. */
  async #pausedLook(target: string): Promise<{ snapshot: Snapshot; decision: Decision; victim: RankedCandidate }> {
    const paused = this.#policyState.paused;
    if (!paused) throw new AgentError(ERROR_NO_SUCH_APP, `no app is paused (${JSON.stringify(target)})`);
    const snapshot = await this.#readSnapshot();
    const app = snapshot.apps.find((a) => a.unit === paused.unit && a.processCount > 0);
    if (!app || (target !== app.unit && target !== app.appId)) {
      throw new AgentError(ERROR_NO_SUCH_APP, app ? `${JSON.stringify(target)} is not paused (${app.unit} is)` : `${paused.unit} is no longer running`);
    }
    const decision = decide(snapshot, this.#policyState, this.#config, NO_ASKING);
    const victim = decision.ranked.find((c) => c.app.unit === app.unit) ?? { app, excluded: '', growthBytesPerSec: 0 };
    return { snapshot, decision, victim };
  }

  /** Resume, from the notification or the bus: thawed, and not paused again for a while. */
  async #resumeOnRequest(target: string): Promise<EventRecord> {
    const { snapshot, decision, victim } = await this.#pausedLook(target);
    this.#pauseNotTaken(victim.app.unit, snapshot.atMs);
    this.#unitsNowStale();
    return this.#resume(snapshot, decision, victim, 'manual', 'resumed on request: it is not paused again for 10 min, but stopped if memory runs out', true);
  }

  /** Quit (SIGTERM, then SIGKILL after QUIT_GRACE_MS) or Force quit (SIGKILL) the paused app. */
  async #quitOnRequest(target: string, force: boolean): Promise<EventRecord> {
    const { snapshot, decision, victim } = await this.#pausedLook(target);
    this.#policyState = { ...this.#policyState, paused: null };
    return this.#kill(snapshot, decision, victim, 'manual', `${force ? 'force quit' : 'quit'} on request while it was paused`, force ? 0 : QUIT_GRACE_MS);
  }

  /** An earlier agent's paused app, thawed: it died (or was stopped) with it frozen. */
  async #thawLeftOver(): Promise<void> {
    const left = await this.deps.pausedFile?.load();
    if (!left) return;
    try {
      if (this.deps.thawUnit) await this.deps.thawUnit({ unit: left.unit, cgroupDir: left.cgroupDir, userTree: this.deps.tree.path }, left.via);
      else thawUnitSync(left.cgroupDir);
      this.deps.log.warn(`resumed ${left.unit}, which an earlier agent paused and left frozen`);
    } catch (err) {
      this.deps.log.error(`could not resume ${left.unit}, left paused by an earlier agent: ${(err as Error).message}`);
    }
    await this.deps.pausedFile?.save(null).catch(() => undefined);
  }

  /** Kill (or in dry-run, only report) one victim; record and announce it. */
  async #kill(snapshot: Snapshot, decision: Decision, victim: RankedCandidate, reason: KillReason, because: string, graceOverrideMs?: number): Promise<EventRecord> {
    const { app } = victim;
    const graceMs = graceOverrideMs ?? graceMsFor(decision.measures, this.#config);
    const nonce = eventNonce();

    let record: EventRecord;
    if (this.#config.dryRun) {
      record = dryRunRecord(snapshot, decision, victim, reason, because, graceMs, nonce);
      this.deps.log.warn(`dry-run: would kill ${app.unit} (${reason}): ${because}`);
      this.#signals?.wouldKill(record);
    } else {
      this.deps.log.warn(`killing ${app.unit} (${reason}, grace ${graceMs} ms): ${because}`);
      // Whether it dies or was gone already, the units read so far list it: the next look waits for new ones.
      const result = await this.deps.killScope(join(this.deps.tree.path, app.cgroup), { graceMs, userTree: this.deps.tree.path })
        .finally(() => this.#unitsNowStale());
      // A paused app that is stopped is no longer frozen by us (the kill thawed what it signalled).
      if (this.#frozen?.unit === app.unit) {
        this.#forgetFrozen();
      }
      record = killRecord(snapshot, decision, victim, reason, because, graceMs, result, nonce);
      const how = result.exitedOnTerm ? 'exited on SIGTERM' : result.usedCgroupKill ? 'cgroup.kill' : 'SIGKILL';
      const log = result.outcome === 'killed' ? this.deps.log.warn : this.deps.log.error;
      log(`${result.outcome} ${app.unit}: ${result.processCount} processes, ${result.processesLeft} left, ${how}, ${result.durationMs} ms`);
      this.#signals?.killed(record);
      this.deps.notices?.killed(record, app);
    }
    return this.#report(record);
  }

  /**
   * Stop the process the victim marked to lose first, in its place (or in dry-run, only report
   * it); record and announce it. The app runs on: if memory is still short, the next decision
   * stops the app itself (relief.ts, CHILD_FOLLOWUP_MS).
   */
  async #killChild(snapshot: Snapshot, decision: Decision, victim: RankedCandidate, child: ExpendableProcess, reason: KillReason, because: string): Promise<EventRecord> {
    const { app } = victim;
    const who = describeChild(app.displayName || app.appId, child);
    const nonce = eventNonce();
    let record: EventRecord;
    if (this.#config.dryRun) {
      record = childKillRecord(snapshot, decision, victim, child, reason, because, 'dry-run', nonce);
      this.deps.log.warn(`dry-run: would stop ${who} in ${app.unit} (${reason}): ${because}`);
      this.#signals?.wouldKill(record);
    } else {
      this.deps.log.warn(`killing ${who} in ${app.unit} (${reason}, no grace): ${because}`);
      let attempt: ChildKillAttempt;
      try {
        attempt = await this.deps.killProcess(child, { unitDir: join(this.deps.tree.path, app.cgroup), userTree: this.deps.tree.path, procRoot: this.deps.tree.procRoot })
          .finally(() => this.#unitsNowStale());
      } catch (err) {
        if (err instanceof ProcessGoneError) throw err;
        // The tab could not be signalled (no pidfd here, a refusal): memory is still short, so
        // the whole app goes now rather than at the next decision, and the record says why.
        const why = err instanceof Error ? err.message : String(err);
        this.deps.log.error(`could not stop ${who} (${why}): stopping all of ${app.unit} instead`);
        if (this.#policyState.lastKill?.unit === app.unit) this.#policyState = { ...this.#policyState, lastKill: { ...this.#policyState.lastKill, childPid: 0 } };
        return this.#kill(snapshot, decision, victim, reason, `${because}; stopping it failed (${why}), so all of it goes`);
      }
      record = childKillRecord(snapshot, decision, victim, child, reason, because, attempt, nonce);
      this.deps.log.warn(`${attempt.exited ? 'stopped' : 'signalled'} ${who} in ${app.unit}, ${attempt.exited ? '' : 'still exiting after '}${attempt.durationMs} ms; the app runs on`);
      this.#signals?.killed(record);
      this.deps.notices?.killed(record, app);
    }
    return this.#report(record);
  }

  /** Every kill and would-be kill, whole unit or tab, ends here: the journal and metrics, then history. */
  async #report(record: EventRecord): Promise<EventRecord> {
    this.deps.reports?.killed(record);
    await this.deps.history.append(record).catch((err: unknown) => this.deps.log.error(`could not record the kill in history: ${(err as Error).message}`));
    return record;
  }

  #schedule(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (!this.#running) return;
    const state = this.#policyState.state;
    // Calm: PSI triggers wake us on stalls; the watch interval covers the no-swap case, where
    // memory runs out before anything stalls (see CALM_WATCH_WORST_RATE_BYTES_PER_S).
    const watchMs = this.#lastMeminfo ? calmWatchIntervalMs(this.#lastMeminfo, this.#config) : POLL_FALLBACK_MS;
    const triggersArmed = (this.#watch?.armed.length ?? 0) > 0;
    // A paused app's deadline is kept to the look, calm or not: the full tick decides it.
    const paused = this.#policyState.paused;
    const untilPausedMs = paused ? Math.max(0, paused.untilMs - this.#now()) : Infinity;
    const delay = Math.min(untilPausedMs, state !== 'calm' ? this.#nextLookMs
      : triggersArmed ? watchMs
      : Math.min(watchMs, POLL_FALLBACK_MS));
    this.#timer = setTimeout(() => {
      if (state === 'calm' && triggersArmed && !paused) {
        this.#calmLook(this.#now());
      } else {
        this.#noteWake(this.#wakeNow('timer'));
        void this.tick();
      }
    }, delay);
  }

  /**
   * Calm, with PSI triggers armed: read /proc/meminfo alone, and pay for a full tick only near
   * the elevated level or when the last one is CALM_FULL_TICK_MAX_MS old (while the units are
   * watched a new unit wakes a full tick itself, and the regular one keeps the trends:
   * calmFullTickDue).
   */
  #calmLook(wokeAtMs: number): void {
    this.#timer = null;
    // The faults are counted from here, once a tick is called for: read at every calm look,
    // /proc/self/stat cost as much as /proc/meminfo (host profile), for a look that stays calm.
    const wake = (): Wake => ({ cause: 'timer', atMs: wokeAtMs, majorFaults: this.#majorFaults() });
    // A tick under way (a PSI wake) reschedules when it ends: looking now would only add one.
    if (!this.#running || this.#ticking) return;
    let meminfo: MemInfo;
    try {
      meminfo = this.deps.readMeminfo();
    } catch {
      this.#noteWake(wake());
      void this.tick(); // the full tick reports what is wrong
      return;
    }
    // Kept also when a tick follows: near the elevated level, that tick reads through the pool (#readsInline).
    this.#lastMeminfo = meminfo;
    const sinceFullMs = this.#now() - this.#lastFullTickMs;
    const fullDue = this.#unitWatch?.watching ? calmFullTickDue(sinceFullMs, meminfo.memAvailableBytes - this.#availableAtFullTick) : sinceFullMs >= CALM_FULL_TICK_MAX_MS;
    if (calmLookWantsTick(meminfo, this.#config) || fullDue) {
      this.#noteWake(wake());
      void this.tick();
      return;
    }
    this.#schedule();
  }

  /**
   * Re-read the config (SIGHUP, Reload). An invalid file keeps the last good config: it is
   * logged, and the loader's error rejects (the API answers it as InvalidConfig).
   */
  async reload(): Promise<void> {
    let config: PolicyConfig;
    try {
      config = await this.deps.loadConfig();
    } catch (err) {
      this.deps.log.error(`kept the last good config: ${(err as Error).message}`);
      throw err;
    }
    this.#config = config;
    // The last decision was made under the old config (dry-run, limits): not an answer now.
    this.#lastLook = null;
    this.deps.log.info('reloaded the config');
    this.wake('config');
  }
}

/** What makes an event's id unique among those of the same millisecond. */
const eventNonce = (): string => randomBytes(4).toString('hex');
