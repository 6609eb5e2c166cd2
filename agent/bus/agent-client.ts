// A typed client for org.headroom.Agent1, used by the CLI (and the tray's main process).
// Every value comes back as a plain record: BigInt is converted here, at the edge.
import { readFileSync } from 'node:fs';
import { AGENT_BUS_NAME, AGENT_INTERFACE, AGENT_OBJECT_PATH, isAgentState, type AgentState, type Preference, isPreference } from '../../shared/names.js';
import {
  AppSpec, ExplanationSpec, KillSpec, LauncherSpec, PressureSpec,
  type AppRecord, type ExplanationRecord, type EventRecord, type LauncherRecord, type PressureRecord,
} from '../../shared/records.js';
import { assetPath } from '../io/package-root.js';
import { BusUnavailableError, connectSessionBus, dbusErrorName, getRemoteInterface, nameHasOwner, recordFromWire, type ClientInterface, type MessageBus } from './dbus.js';

export class AgentNotRunningError extends Error {
  override name = 'AgentNotRunningError';
}

/** A failure the agent reported (its D-Bus error name is kept for scripts). */
export class AgentCallError extends Error {
  override name = 'AgentCallError';
  constructor(readonly busName: string, message: string) {
    super(message);
  }
}

// The contract file documents only our interface; the proxy also needs the standard one.
const PROPERTIES_XML = `<interface name="org.freedesktop.DBus.Properties">
  <method name="Get"><arg type="s" direction="in"/><arg type="s" direction="in"/><arg type="v" direction="out"/></method>
  <method name="GetAll"><arg type="s" direction="in"/><arg type="a{sv}" direction="out"/></method>
  <signal name="PropertiesChanged"><arg type="s"/><arg type="a{sv}"/><arg type="as"/></signal>
</interface>`;

const NOT_RUNNING = new Set(['org.freedesktop.DBus.Error.ServiceUnknown', 'org.freedesktop.DBus.Error.NameHasNoOwner']);

/** Start an installed agent through D-Bus activation (headroom install); false if not installed. */
async function activate(bus: MessageBus): Promise<boolean> {
  const daemon = await getRemoteInterface(bus, 'org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus');
  const activatable = (await daemon.ListActivatableNames!()) as unknown as string[];
  if (!activatable.includes(AGENT_BUS_NAME)) return false;
  try {
    await daemon.StartServiceByName!(AGENT_BUS_NAME, 0);
    return true;
  } catch {
    return false; // the unit failed to start; the caller says the agent is not running
  }
}

export class AgentClient {
  private constructor(readonly bus: MessageBus, private readonly iface: ClientInterface, private readonly props: ClientInterface) {}

  /**
   * Connect. `requireRunning` checks that the agent owns its name now (commands); monitors
   * pass false and get the agent's signals whenever it runs.
   */
  static async connect(opts: { address?: string; requireRunning?: boolean } = {}): Promise<AgentClient> {
    const bus = connectSessionBus(opts.address);
    // A socket that cannot be reached is reported only as an 'error' event, while pending
    // calls never settle: turn the event into a rejection.
    const unreachable = new Promise<never>((_, reject) => {
      bus.on('error', (err: Error) => reject(new BusUnavailableError(`cannot reach the session bus (${err.message})`)));
    });
    unreachable.catch(() => undefined); // once connected, later bus errors surface through calls
    try {
      return await Promise.race([unreachable, (async () => {
        if (opts.requireRunning !== false && !(await nameHasOwner(bus, AGENT_BUS_NAME)) && !(await activate(bus))) {
          throw new AgentNotRunningError(`the Headroom agent is not running on this session bus (start it with "headroom agent", or "headroom install" to run it as a service)`);
        }
        // Our own introspection data: no round trip, and it works before the agent starts.
        const xml = readFileSync(assetPath('org.headroom.Agent1.xml'), 'utf8').replace('</node>', `${PROPERTIES_XML}</node>`);
        const obj = await bus.getProxyObject(AGENT_BUS_NAME, AGENT_OBJECT_PATH, xml);
        return new AgentClient(bus, obj.getInterface(AGENT_INTERFACE), obj.getInterface('org.freedesktop.DBus.Properties'));
      })()]);
    } catch (err) {
      bus.disconnect();
      throw err;
    }
  }

  close(): void {
    this.bus.disconnect();
  }

  private async call(member: string, ...args: unknown[]): Promise<unknown> {
    const fn = this.iface[member];
    if (!fn) throw new Error(`no method ${member}`);
    try {
      return await fn(...args);
    } catch (err) {
      const name = dbusErrorName(err);
      if (NOT_RUNNING.has(name)) throw new AgentNotRunningError('the Headroom agent is not running on this session bus');
      if (name !== '') throw new AgentCallError(name, (err as Error).message);
      throw err;
    }
  }

  private async getProperty(name: string): Promise<unknown> {
    const fn = this.props.Get!;
    try {
      const v = await fn<{ value: unknown }>(AGENT_INTERFACE, name);
      return v.value;
    } catch (err) {
      if (NOT_RUNNING.has(dbusErrorName(err))) throw new AgentNotRunningError('the Headroom agent is not running on this session bus');
      throw err;
    }
  }

  async state(): Promise<AgentState> {
    const s = String(await this.getProperty('State'));
    if (!isAgentState(s)) throw new Error(`agent reported an unknown state ${JSON.stringify(s)}`);
    return s;
  }
  async pressure(): Promise<PressureRecord> { return recordFromWire(PressureSpec, await this.getProperty('Pressure')); }
  async dryRun(): Promise<boolean> { return Boolean(await this.getProperty('DryRun')); }
  async version(): Promise<string> { return String(await this.getProperty('Version')); }
  async listApps(): Promise<AppRecord[]> { return ((await this.call('ListApps')) as unknown[]).map((a) => recordFromWire(AppSpec, a)); }
  async history(limit = 0): Promise<EventRecord[]> { return ((await this.call('GetHistory', limit)) as unknown[]).map((k) => recordFromWire(KillSpec, k)); }
  async explain(): Promise<ExplanationRecord> { return recordFromWire(ExplanationSpec, await this.call('Explain')); }
  async killApp(target: string): Promise<EventRecord> { return recordFromWire(KillSpec, await this.call('KillApp', target)); }
  async setPreference(appId: string, pref: Preference): Promise<void> { await this.call('SetPreference', appId, pref); }
  /** Thaw an app the agent paused; resolves to its record (outcome resumed). */
  async resumeApp(target: string): Promise<EventRecord> { return recordFromWire(KillSpec, await this.call('ResumeApp', target)); }
  /** Stop an app the agent paused: force false asks it to quit first, true kills it at once. */
  async quitApp(target: string, force: boolean): Promise<EventRecord> { return recordFromWire(KillSpec, await this.call('QuitApp', target, force)); }
  async pressureHistory(seconds = 0): Promise<PressureRecord[]> {
    return ((await this.call('GetPressureHistory', seconds)) as unknown[]).map((p) => recordFromWire(PressureSpec, p));
  }
  async listLaunchers(): Promise<LauncherRecord[]> { return ((await this.call('ListLaunchers')) as unknown[]).map((l) => recordFromWire(LauncherSpec, l)); }
  /** Launch a desktop entry into its own scope; resolves to the scope's unit name. */
  async launch(desktopId: string, uris: string[] = []): Promise<string> { return String(await this.call('Launch', desktopId, uris)); }
  async reload(): Promise<void> { await this.call('Reload'); }
  async preferences(): Promise<Record<string, Preference>> {
    const raw = (await this.call('GetPreferences')) as Record<string, string>;
    return Object.fromEntries(Object.entries(raw).filter((e): e is [string, Preference] => isPreference(e[1])));
  }

  onKilled(cb: (k: EventRecord) => void): void { this.iface.on('Killed', (w: unknown) => cb(recordFromWire(KillSpec, w))); }
  onWouldKill(cb: (k: EventRecord) => void): void { this.iface.on('WouldKill', (w: unknown) => cb(recordFromWire(KillSpec, w))); }
  onWarned(cb: (k: EventRecord) => void): void { this.iface.on('Warned', (w: unknown) => cb(recordFromWire(KillSpec, w))); }
  onPaused(cb: (k: EventRecord) => void): void { this.iface.on('Paused', (w: unknown) => cb(recordFromWire(KillSpec, w))); }
  onResumed(cb: (k: EventRecord) => void): void { this.iface.on('Resumed', (w: unknown) => cb(recordFromWire(KillSpec, w))); }
  /** The Pressure property changed (PropertiesChanged; at most once a second while not calm). */
  onPressureChanged(cb: (p: PressureRecord) => void): void {
    this.props.on('PropertiesChanged', (iface: string, changed: Record<string, { value: unknown } | undefined>) => {
      const pressure = changed.Pressure;
      if (iface === AGENT_INTERFACE && pressure !== undefined) cb(recordFromWire(PressureSpec, pressure.value));
    });
  }
  onStateChanged(cb: (state: AgentState, previous: AgentState, because: string, pressure: PressureRecord) => void): void {
    this.iface.on('StateChanged', (s: string, p: string, because: string, w: unknown) => {
      if (isAgentState(s) && isAgentState(p)) cb(s, p, because, recordFromWire(PressureSpec, w));
    });
  }
  onPreferenceChanged(cb: (appId: string, pref: Preference) => void): void {
    this.iface.on('PreferenceChanged', (id: string, p: string) => { if (isPreference(p)) cb(id, p); });
  }
}
