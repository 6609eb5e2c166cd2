// The UIs' one link to the agent. A Node process that shows the agent (the tray's main
// process, `headroom dashboard`) opens one feed: it holds the agent client's connection,
// folds the agent's signals into what the pages show (state, pressure ring, kill history),
// and asks the agent only for what no signal tells (the app list above all). It is the DashboardBridge
// (shared/bridge.ts) that both transports carry, Electron IPC and the WebSocket.
//
// It outlives the agent: while the agent is gone it keeps the ring and the history and says
// "not running"; when the name has an owner again it reads the new agent once (the seed).
//
// What a refresh costs, once seeded:
//   never asked again (signals): state (StateChanged), pressure while not calm
//     (PropertiesChanged), kills, warnings and pauses (Killed, WouldKill, Warned, Paused,
//     Resumed; a pause also marks its app, which the next ListApps shows); version and
//     history come with the seed. Preferences need no call at all: each app record carries
//     its own, and the views apply PreferenceChanged to the records they hold.
//   asked, because nothing signals them: ListApps (sizes change silently), DryRun (a Reload
//     may flip it), GetPressureHistory while no signal has brought a sample lately (calm),
//     and Explain only for the page (the tray never shows it; it reads every cgroup).
import { HISTORY_LIMIT, mergePressure, newerPressure, PRESSURE_WINDOW_MS, prependKill } from '../../shared/agent-view.js';
import type { BridgeEvent, DashboardBridge, DashboardState, SystemFacts } from '../../shared/bridge.js';
import { AGENT_BUS_NAME, isPreference, type AgentState, type Preference } from '../../shared/names.js';
import type { EventRecord, LauncherRecord, PressureRecord } from '../../shared/records.js';
import { AgentCallError, AgentClient, AgentNotRunningError } from '../bus/agent-client.js';
import { getRemoteInterface, nameHasOwner } from '../bus/dbus.js';

/**
 * No catch-up within this of the newest sample or of the last time we asked: signals are
 * bringing them (one a second at most while not calm). While calm the agent samples without
 * signalling, every few seconds.
 */
export const CATCH_UP_AFTER_MS = 2000;

/** What the feed uses of the agent's client (agent/bus/agent-client.ts): its calls and signals. */
export type FeedClient = Pick<AgentClient,
  'state' | 'version' | 'dryRun' | 'pressure' | 'listApps' | 'explain' | 'history' | 'pressureHistory' | 'setPreference' | 'listLaunchers' | 'launch'
  | 'resumeApp' | 'quitApp'
  | 'onKilled' | 'onWouldKill' | 'onWarned' | 'onPaused' | 'onResumed' | 'onStateChanged' | 'onPressureChanged' | 'onPreferenceChanged' | 'close'>;

/**
 * Follow whether the agent owns its bus name: `onChange` each time that changes, and whether
 * it does now. The bus daemon announces it to every client, so nothing polls.
 */
export type WatchAgentName = (onChange: (running: boolean) => void) => Promise<boolean>;

export interface FeedOptions {
  /** Session bus address; default: $DBUS_SESSION_BUS_ADDRESS (or $XDG_RUNTIME_DIR/bus). */
  address?: string;
  /** The machine's facts for the page (system-facts.ts), asked once; without it there are none. */
  readFacts?: () => Promise<SystemFacts>;
  /** The clock the pressure window is measured on (tests). */
  nowMs?: () => number;
}

/**
 * Connect to the session bus and follow the agent. Resolves even when the agent is not
 * running (the pages show that); rejects only when there is no session bus at all.
 */
export async function openAgentFeed(opts: FeedOptions = {}): Promise<AgentFeed> {
  const client = await AgentClient.connect({ address: opts.address, requireRunning: false });
  const feed = new AgentFeed(client, opts.readFacts ?? null, opts.nowMs ?? Date.now);
  const watchName: WatchAgentName = async (onChange) => {
    const daemon = await getRemoteInterface(client.bus, 'org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus');
    daemon.on('NameOwnerChanged', (name: string, _oldOwner: string, newOwner: string) => {
      if (name === AGENT_BUS_NAME) onChange(newOwner !== '');
    });
    return nameHasOwner(client.bus, AGENT_BUS_NAME);
  };
  try {
    await feed.follow(watchName);
  } catch (err) {
    client.close();
    throw err;
  }
  return feed;
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export class AgentFeed implements DashboardBridge {
  readonly #listeners = new Set<(event: BridgeEvent) => void>();
  #closed = false;
  #running = false;
  /** The seed of the agent now running: null until asked (at start, and after each restart). */
  #seed: Promise<void> | null = null;
  /** Kills signalled while the seed's GetHistory is out (newer than its answer); null between seeds. */
  #killsDuringSeed: EventRecord[] | null = null;

  // What the running agent told us (reset when it goes away). DryRun and the app list are
  // asked each time: nothing signals them.
  #state: AgentState | '' = '';
  #version = '';
  // What outlives the agent.
  #pressure: PressureRecord | null = null;
  /** Oldest first, PRESSURE_WINDOW_MS of it. */
  #ring: PressureRecord[] = [];
  /** When we last asked the agent for its samples (the seed, a catch-up). */
  #askedPressureAtMs = 0;
  /** Newest first, HISTORY_LIMIT of it. */
  #history: EventRecord[] = [];
  #facts: Promise<SystemFacts | null> | null = null;
  /** Why the last call to the agent failed, '' when it did not. */
  #error = '';
  /** ListApps and Explain in flight: a second asker (tray and window at once) joins the first. */
  readonly #inFlight = new Map<'apps' | 'explain', Promise<unknown>>();

  constructor(private readonly client: FeedClient, private readonly readFacts: (() => Promise<SystemFacts>) | null, private readonly nowMs: () => number) {}

  /** Subscribe to the agent's signals and to its name's owner. */
  async follow(watchName: WatchAgentName): Promise<void> {
    const c = this.client;
    c.onKilled((kill) => this.#onKill('killed', kill));
    c.onWouldKill((kill) => this.#onKill('would-kill', kill));
    c.onWarned((kill) => this.#onKill('warned', kill));
    c.onPaused((kill) => this.#onKill('paused', kill));
    c.onResumed((kill) => this.#onKill('resumed', kill));
    c.onStateChanged((state, previous, because, pressure) => {
      this.#state = state;
      this.#notePressure([pressure]);
      this.#emit({ kind: 'state', state, previous, because, pressure });
    });
    c.onPressureChanged((pressure) => {
      this.#notePressure([pressure]);
      this.#emit({ kind: 'pressure', pressure });
    });
    c.onPreferenceChanged((appId, preference) => {
      this.#emit({ kind: 'preference', appId, preference });
    });
    this.#running = await watchName((running) => this.#setRunning(running));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    this.client.close();
  }

  subscribe(listener: (event: BridgeEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => { this.#listeners.delete(listener); };
  }

  /** The page's load: everything it shows, the app list and the explanation asked afresh. */
  async load(): Promise<DashboardState> {
    const facts = await this.#systemFacts();
    return this.#refresh({ explain: true, facts });
  }

  /** The tray's load: load() without Explain and facts (explanation and facts are null). */
  loadWithoutExplanation(): Promise<DashboardState> {
    return this.#refresh({ explain: false, facts: null });
  }

  async setPreference(appId: string, preference: Preference): Promise<void> {
    if (appId === '' || !isPreference(preference)) throw new Error(`bad preference ${JSON.stringify(preference)} for ${JSON.stringify(appId)}`);
    await this.#guarded(() => this.client.setPreference(appId, preference));
  }

  listLaunchers(): Promise<LauncherRecord[]> {
    return this.#guarded(() => this.client.listLaunchers());
  }

  launch(desktopId: string): Promise<string> {
    return this.#guarded(() => this.client.launch(desktopId));
  }

  resumeApp(target: string): Promise<EventRecord> {
    return this.#guarded(() => this.client.resumeApp(target));
  }

  quitApp(target: string, force: boolean): Promise<EventRecord> {
    return this.#guarded(() => this.client.quitApp(target, force));
  }

  async #refresh({ explain, facts }: { explain: boolean; facts: SystemFacts | null }): Promise<DashboardState> {
    if (!this.#running) return this.#notRunningView(facts);
    const c = this.client;
    try {
      await (this.#seed ??= this.#readSeed().catch((err: unknown) => {
        this.#seed = null;
        throw err;
      }));
      const [apps, explanation, dryRun] = await Promise.all([
        this.#ask('apps', () => c.listApps()),
        explain ? this.#ask('explain', () => c.explain()) : null,
        c.dryRun(),
        this.#catchUpPressure(),
      ]);
      this.#error = '';
      return {
        agentRunning: true, state: this.#state, version: this.#version, dryRun, pressure: this.#pressure,
        pressureHistory: this.#ring, apps, history: this.#history, explanation, facts, error: '',
      };
    } catch (err) {
      this.#noteFailure(err);
      return this.#notRunningView(facts);
    }
  }

  #notRunningView(facts: SystemFacts | null): DashboardState {
    return {
      agentRunning: false, state: '', version: '', dryRun: false, pressure: this.#pressure,
      pressureHistory: this.#ring, apps: [], history: this.#history, explanation: null, facts, error: this.#error,
    };
  }

  /**
   * What a new agent says once: its state, version, latest sample, history and pressure ring.
   * The state is taken as its answer arrives, so a StateChanged that follows it wins.
   */
  async #readSeed(): Promise<void> {
    const c = this.client;
    const signalled: EventRecord[] = [];
    this.#killsDuringSeed = signalled;
    try {
      const [, version, pressure, history, samples] = await Promise.all([
        c.state().then((state) => { this.#state = state; }),
        c.version(), c.pressure(), c.history(HISTORY_LIMIT), this.#pressureSamples(0),
      ]);
      this.#version = version;
      this.#notePressure([...samples, pressure]);
      this.#history = signalled.reduce((h, kill) => prependKill(h, kill), history);
    } finally {
      this.#killsDuringSeed = null;
    }
  }

  /** While calm the agent emits no pressure signals; ask for what it sampled since our newest. */
  async #catchUpPressure(): Promise<void> {
    const now = this.nowMs();
    const newest = this.#pressure?.sampledAtMs ?? 0;
    if (now - Math.max(newest, this.#askedPressureAtMs) < CATCH_UP_AFTER_MS) return;
    const seconds = newest === 0 ? 0 : Math.min(PRESSURE_WINDOW_MS / 1000, Math.ceil((now - newest) / 1000) + 2);
    this.#notePressure(await this.#pressureSamples(seconds));
  }

  /** GetPressureHistory; an older agent without it gives its latest sample, not a broken page. */
  async #pressureSamples(seconds: number): Promise<PressureRecord[]> {
    this.#askedPressureAtMs = this.nowMs();
    try {
      return await this.client.pressureHistory(seconds);
    } catch (err) {
      if (err instanceof AgentCallError && err.busName === 'org.freedesktop.DBus.Error.UnknownMethod') return [await this.client.pressure()];
      throw err;
    }
  }

  #notePressure(samples: readonly PressureRecord[]): void {
    this.#ring = mergePressure(this.#ring, samples, this.nowMs());
    for (const p of samples) this.#pressure = newerPressure(this.#pressure, p);
  }

  #ask<T>(what: 'apps' | 'explain', call: () => Promise<T>): Promise<T> {
    const pending = this.#inFlight.get(what) as Promise<T> | undefined;
    if (pending !== undefined) return pending;
    const asked = call().finally(() => this.#inFlight.delete(what));
    this.#inFlight.set(what, asked);
    return asked;
  }

  #systemFacts(): Promise<SystemFacts | null> {
    if (this.readFacts === null) return Promise.resolve(null);
    // Facts are nice to have: a failure leaves them out and is asked again on the next load.
    this.#facts ??= this.readFacts().catch(() => {
      this.#facts = null;
      return null;
    });
    return this.#facts;
  }

  /** Run one call to the agent; a vanished agent is noted (and announced) before rethrowing. */
  async #guarded<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      this.#noteFailure(err);
      throw err instanceof AgentNotRunningError ? new Error('the Headroom agent is not running') : err;
    }
  }

  #noteFailure(err: unknown): void {
    this.#error = messageOf(err);
    if (err instanceof AgentNotRunningError) this.#setRunning(false);
  }

  #setRunning(running: boolean): void {
    if (this.#closed || running === this.#running) return;
    this.#running = running;
    // A new agent has its own view of the history file and a fresh ring: seed again.
    this.#seed = null;
    if (!running) this.#state = '';
    this.#emit({ kind: 'agent', running });
  }

  #onKill(kind: 'killed' | 'would-kill' | 'warned' | 'paused' | 'resumed', kill: EventRecord): void {
    this.#history = prependKill(this.#history, kill);
    this.#killsDuringSeed?.push(kill);
    this.#emit({ kind, kill });
  }

  #emit(event: BridgeEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // One broken listener (a closed socket, a destroyed window) must not starve the rest.
      }
    }
  }
}
