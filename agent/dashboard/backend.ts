// The Node side of the dashboard: one DashboardBridge (shared/bridge.ts) over the agent's D-Bus
// client. Both transports use it: `headroom dashboard` (HTTP + WebSocket, server.ts) and the
// tray's main process (Electron IPC). It outlives the agent: while the agent is gone the page
// keeps its chart and history and says "agent not running"; when the name has an owner again
// it re-reads everything and says so.
import { availableParallelism, hostname as osHostname } from 'node:os';
import si from 'systeminformation';
import type { BridgeEvent, DashboardBridge, DashboardState, SystemFacts } from '../../shared/bridge.js';
import { AGENT_BUS_NAME, isPreference, type AgentState, type Preference } from '../../shared/names.js';
import type { KillRecord, LauncherRecord, PressureRecord } from '../../shared/records.js';
import { AgentCallError, AgentClient, AgentNotRunningError } from '../bus/agent-client.js';
import { getRemoteInterface, nameHasOwner } from '../bus/dbus.js';

/** How much pressure history the page can show: the agent keeps 30 min, so do we. */
export const PRESSURE_WINDOW_MS = 30 * 60 * 1000;
/** Enough kill history for the page; the agent's own default answer is 50. */
export const HISTORY_LIMIT = 50;

export interface DashboardBackend extends DashboardBridge {
  close(): void;
}

export interface BackendOptions {
  /** Session bus address; default: $DBUS_SESSION_BUS_ADDRESS (or $XDG_RUNTIME_DIR/bus). */
  address?: string;
  /** Where the static facts come from (tests); default: systeminformation, asked once. */
  readFacts?: () => Promise<SystemFacts>;
  /** The clock the pressure window is measured on (tests). */
  nowMs?: () => number;
}

/** Static facts from systeminformation: OS, kernel, memory and swap totals; asked once. */
export async function readSystemFacts(): Promise<SystemFacts> {
  const [os, mem] = await Promise.all([si.osInfo(), si.mem()]);
  const release = [os.distro, os.release].filter((s) => s !== '').join(' ');
  return {
    hostname: os.hostname || osHostname(),
    os: os.codename ? `${release} (${os.codename})` : release,
    kernel: os.kernel,
    cpus: availableParallelism(),
    memTotalBytes: mem.total,
    swapTotalBytes: mem.swaptotal,
  };
}

/**
 * Merge pressure samples into an oldest-first ring: one sample per timestamp (the newest
 * copy wins), nothing older than `windowMs` before `nowMs`. Pure, so the unit tests hold it.
 */
export function mergePressure(ring: readonly PressureRecord[], incoming: readonly PressureRecord[], nowMs: number, windowMs = PRESSURE_WINDOW_MS): PressureRecord[] {
  const byTime = new Map<number, PressureRecord>();
  for (const p of ring) byTime.set(p.sampledAtMs, p);
  for (const p of incoming) byTime.set(p.sampledAtMs, p);
  const oldest = nowMs - windowMs;
  return [...byTime.values()].filter((p) => p.sampledAtMs >= oldest).sort((a, b) => a.sampledAtMs - b.sampledAtMs);
}

/** Put a kill at the front of a newest-first history, replacing an entry with the same id. */
export function prependKill(history: readonly KillRecord[], kill: KillRecord, limit = HISTORY_LIMIT): KillRecord[] {
  return [kill, ...history.filter((k) => k.id !== kill.id)].slice(0, limit);
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Connect to the session bus and follow the agent. Resolves even when the agent is not
 * running (the page shows that); rejects only when there is no session bus at all.
 */
export async function createDashboardBackend(opts: BackendOptions = {}): Promise<DashboardBackend> {
  const client = await AgentClient.connect({ address: opts.address, requireRunning: false });
  const backend = new Backend(client, opts.readFacts ?? readSystemFacts, opts.nowMs ?? Date.now);
  try {
    await backend.start();
  } catch (err) {
    client.close();
    throw err;
  }
  return backend;
}

class Backend implements DashboardBackend {
  private readonly listeners = new Set<(event: BridgeEvent) => void>();
  private running = false;
  private closed = false;
  private pressureRing: PressureRecord[] = [];
  private history: KillRecord[] = [];
  private preferences: Record<string, Preference> = {};
  /** The agent's history and pressure ring must be (re)read: at start and after a restart. */
  private needsSeed = true;
  private facts: Promise<SystemFacts | null> | null = null;
  private lastError = '';

  constructor(private readonly client: AgentClient, private readonly readFacts: () => Promise<SystemFacts>, private readonly nowMs: () => number) {}

  async start(): Promise<void> {
    const c = this.client;
    c.onKilled((kill) => this.onKill('killed', kill));
    c.onWouldKill((kill) => this.onKill('would-kill', kill));
    c.onWarned((kill) => this.onKill('warned', kill));
    c.onStateChanged((state: AgentState, previous: AgentState, because: string, pressure: PressureRecord) => {
      this.addPressure(pressure);
      this.emit({ kind: 'state', state, previous, because, pressure });
    });
    c.onPressureChanged((pressure) => {
      this.addPressure(pressure);
      this.emit({ kind: 'pressure', pressure });
    });
    c.onPreferenceChanged((appId, preference) => {
      this.preferences = { ...this.preferences, [appId]: preference };
      this.emit({ kind: 'preference', appId, preference });
    });
    // The agent coming and going: the bus daemon tells every client (no polling needed).
    const daemon = await getRemoteInterface(c.bus, 'org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus');
    daemon.on('NameOwnerChanged', (name: string, _oldOwner: string, newOwner: string) => {
      if (name === AGENT_BUS_NAME) this.setRunning(newOwner !== '');
    });
    this.running = await nameHasOwner(c.bus, AGENT_BUS_NAME);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    this.client.close();
  }

  subscribe(listener: (event: BridgeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  async load(): Promise<DashboardState> {
    const facts = await this.systemFacts();
    if (this.running) {
      try {
        return await this.loadFromAgent(facts);
      } catch (err) {
        this.noteFailure(err);
      }
    }
    return {
      agentRunning: false, state: '', version: '', dryRun: false,
      pressure: this.pressureRing.at(-1) ?? null,
      pressureHistory: this.pressureRing,
      apps: [], history: this.history, explanation: null,
      preferences: this.preferences, facts, error: this.lastError,
    };
  }

  async setPreference(appId: string, preference: Preference): Promise<void> {
    if (appId === '' || !isPreference(preference)) throw new Error(`bad preference ${JSON.stringify(preference)} for ${JSON.stringify(appId)}`);
    await this.guarded(() => this.client.setPreference(appId, preference));
  }

  listLaunchers(): Promise<LauncherRecord[]> {
    return this.guarded(() => this.client.listLaunchers());
  }

  launch(desktopId: string): Promise<string> {
    return this.guarded(() => this.client.launch(desktopId));
  }

  private async loadFromAgent(facts: SystemFacts | null): Promise<DashboardState> {
    const c = this.client;
    if (this.needsSeed) await this.seed();
    else await this.catchUpPressure();
    const [state, version, dryRun, pressure, apps, explanation, preferences] = await Promise.all([
      c.state(), c.version(), c.dryRun(), c.pressure(), c.listApps(), c.explain(), c.preferences(),
    ]);
    this.preferences = preferences;
    this.addPressure(pressure);
    this.lastError = '';
    return {
      agentRunning: true, state, version, dryRun, pressure,
      pressureHistory: this.pressureRing,
      apps, history: this.history, explanation, preferences, facts, error: '',
    };
  }

  /** Read the agent's history and its pressure ring (start, and after the agent restarted). */
  private async seed(): Promise<void> {
    const [history, samples] = await Promise.all([this.client.history(HISTORY_LIMIT), this.pressureSamples(0)]);
    // Signals that arrived while we were asking are newer than the agent's answer: keep them.
    this.history = [...history];
    this.pressureRing = mergePressure(this.pressureRing, samples, this.nowMs());
    this.needsSeed = false;
  }

  /** While calm the agent emits no pressure signals; ask for what it sampled since our newest. */
  private async catchUpPressure(): Promise<void> {
    const newest = this.pressureRing.at(-1)?.sampledAtMs ?? 0;
    const seconds = newest === 0 ? 0 : Math.min(PRESSURE_WINDOW_MS / 1000, Math.ceil((this.nowMs() - newest) / 1000) + 2);
    this.pressureRing = mergePressure(this.pressureRing, await this.pressureSamples(seconds), this.nowMs());
  }

  /** GetPressureHistory; an older agent without it gives an empty answer, not a broken page. */
  private async pressureSamples(seconds: number): Promise<PressureRecord[]> {
    try {
      return await this.client.pressureHistory(seconds);
    } catch (err) {
      if (err instanceof AgentCallError && err.busName === 'org.freedesktop.DBus.Error.UnknownMethod') return [];
      throw err;
    }
  }

  private systemFacts(): Promise<SystemFacts | null> {
    // Facts are nice to have: a failure leaves them out and is asked again on the next load.
    this.facts ??= this.readFacts().catch(() => {
      this.facts = null;
      return null;
    });
    return this.facts;
  }

  /** Run one call to the agent; a vanished agent is noted (and announced) before rethrowing. */
  private async guarded<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      this.noteFailure(err);
      throw err instanceof AgentNotRunningError ? new Error('the Headroom agent is not running') : err;
    }
  }

  private noteFailure(err: unknown): void {
    this.lastError = messageOf(err);
    if (err instanceof AgentNotRunningError) this.setRunning(false);
  }

  private setRunning(running: boolean): void {
    if (this.closed || running === this.running) return;
    this.running = running;
    // A new agent has its own history file view and a fresh pressure ring: read both again.
    if (running) this.needsSeed = true;
    this.emit({ kind: 'agent', running });
  }

  private onKill(kind: 'killed' | 'would-kill' | 'warned', kill: KillRecord): void {
    this.history = prependKill(this.history, kill);
    this.emit({ kind, kill });
  }

  private addPressure(pressure: PressureRecord): void {
    this.pressureRing = mergePressure(this.pressureRing, [pressure], this.nowMs());
  }

  private emit(event: BridgeEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // One broken listener (a closed socket, a destroyed window) must not starve the rest.
      }
    }
  }
}
