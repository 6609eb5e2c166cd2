// Export the agent on the session bus as org.headroom.Agent1 (assets/org.headroom.Agent1.xml).
// This file only translates: bus arguments in, records out. The behaviour is the AgentApi's
// (agent/api.ts).
import { AGENT_BUS_NAME, AGENT_INTERFACE, AGENT_OBJECT_PATH, MAX_HISTORY_LIMIT, MAX_ID_BYTES, MAX_URI_BYTES, MAX_URIS } from '../../shared/names.js';
import {
  AppSpec, ExplanationSpec, KillSpec, LauncherSpec, PressureSpec,
  type EventRecord, type PressureRecord,
} from '../../shared/records.js';
import { AgentError, ERROR_FAILED, ERROR_INVALID_ARGS, type AgentApi, type AgentSignals } from '../api.js';
import { claimName, DBusError, recordToWire, ServiceInterface, type MessageBus } from './dbus.js';

const toBusError = (err: unknown): Error =>
  err instanceof AgentError ? new DBusError(err.busName, err.message)
    : new DBusError(ERROR_FAILED, err instanceof Error ? err.message : String(err));

const guarded = async <T>(work: () => Promise<T>): Promise<T> => {
  try {
    return await work();
  } catch (err) {
    throw toBusError(err);
  }
};

/**
 * Refuse an argument over its bound before any work, and never echo it whole: a 6 MB KillApp
 * argument echoed into its error was a 36 MB reply, and the bus dropped the agent.
 */
function bounded(what: string, value: string, maxBytes: number): string {
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > maxBytes) throw new AgentError(ERROR_INVALID_ARGS, `${what} is ${bytes} bytes long; at most ${maxBytes} are accepted`);
  return value;
}

function boundedList(what: string, values: readonly string[], maxItems: number, maxBytes: number): string[] {
  if (values.length > maxItems) throw new AgentError(ERROR_INVALID_ARGS, `${values.length} ${what} given; at most ${maxItems} are accepted`);
  return values.map((v, i) => bounded(`${what} ${i + 1}`, v, maxBytes));
}

class AgentInterface extends ServiceInterface {
  constructor(private readonly api: AgentApi) {
    super(AGENT_INTERFACE);
  }
  get State(): string { return this.api.state(); }
  get Pressure(): unknown { return recordToWire(PressureSpec, this.api.pressure()); }
  get DryRun(): boolean { return this.api.dryRun(); }
  get Version(): string { return this.api.version(); }

  ListApps(): Promise<unknown> {
    return guarded(async () => (await this.api.listApps()).map((a) => recordToWire(AppSpec, a)));
  }
  GetHistory(limit: number): Promise<unknown> {
    return guarded(async () => (await this.api.history(limit === 0 ? 50 : Math.min(limit, MAX_HISTORY_LIMIT))).map((k) => recordToWire(KillSpec, k)));
  }
  GetPressureHistory(seconds: number): unknown {
    return this.api.pressureHistory(seconds).map((p) => recordToWire(PressureSpec, p));
  }
  ListLaunchers(): Promise<unknown> {
    return guarded(async () => (await this.api.listLaunchers()).map((l) => recordToWire(LauncherSpec, l)));
  }
  Launch(desktopId: string, uris: string[]): Promise<string> {
    return guarded(async () => this.api.launch(bounded('the desktop id', desktopId, MAX_ID_BYTES), boundedList('URIs', uris, MAX_URIS, MAX_URI_BYTES)));
  }
  Explain(): Promise<unknown> {
    return guarded(async () => recordToWire(ExplanationSpec, await this.api.explain()));
  }
  KillApp(target: string): Promise<unknown> {
    return guarded(async () => recordToWire(KillSpec, await this.api.killApp(bounded('the unit or app id', target, MAX_ID_BYTES))));
  }
  SetPreference(appId: string, pref: string): Promise<void> {
    return guarded(async () => this.api.setPreference(bounded('the app id', appId, MAX_ID_BYTES), bounded('the preference', pref, 16)));
  }
  GetPreferences(): Record<string, string> {
    return this.api.preferences();
  }
  ResumeApp(target: string): Promise<unknown> {
    return guarded(async () => recordToWire(KillSpec, await this.api.resumeApp(bounded('the unit or app id', target, MAX_ID_BYTES))));
  }
  QuitApp(target: string, force: boolean): Promise<unknown> {
    return guarded(async () => recordToWire(KillSpec, await this.api.quitApp(bounded('the unit or app id', target, MAX_ID_BYTES), force)));
  }
  Reload(): Promise<void> {
    return guarded(() => this.api.reload());
  }

  // Signals: calling one emits it with the returned arguments.
  Killed(record: EventRecord): unknown { return recordToWire(KillSpec, record); }
  WouldKill(record: EventRecord): unknown { return recordToWire(KillSpec, record); }
  Warned(record: EventRecord): unknown { return recordToWire(KillSpec, record); }
  Paused(record: EventRecord): unknown { return recordToWire(KillSpec, record); }
  Resumed(record: EventRecord): unknown { return recordToWire(KillSpec, record); }
  StateChanged(state: string, previous: string, because: string, pressure: PressureRecord): unknown[] {
    return [state, previous, because, recordToWire(PressureSpec, pressure)];
  }
  PreferenceChanged(appId: string, pref: string): unknown[] { return [appId, pref]; }
}

// The vtable, as assets/org.headroom.Agent1.xml declares it (held to it by test/unit/agent-service.test.ts).
AgentInterface.configureMembers({
  properties: {
    State: { signature: 's', access: 'read' },
    Pressure: { signature: 'a{sv}', access: 'read' },
    DryRun: { signature: 'b', access: 'read' },
    Version: { signature: 's', access: 'read' },
  },
  methods: {
    ListApps: { inSignature: '', outSignature: 'aa{sv}' },
    GetHistory: { inSignature: 'u', outSignature: 'aa{sv}' },
    GetPressureHistory: { inSignature: 'u', outSignature: 'aa{sv}' },
    ListLaunchers: { inSignature: '', outSignature: 'aa{sv}' },
    Launch: { inSignature: 'sas', outSignature: 's' },
    Explain: { inSignature: '', outSignature: 'a{sv}' },
    KillApp: { inSignature: 's', outSignature: 'a{sv}' },
    SetPreference: { inSignature: 'ss', outSignature: '' },
    GetPreferences: { inSignature: '', outSignature: 'a{ss}' },
    ResumeApp: { inSignature: 's', outSignature: 'a{sv}' },
    QuitApp: { inSignature: 'sb', outSignature: 'a{sv}' },
    Reload: { inSignature: '', outSignature: '' },
  },
  signals: {
    Killed: { signature: 'a{sv}' },
    WouldKill: { signature: 'a{sv}' },
    Warned: { signature: 'a{sv}' },
    Paused: { signature: 'a{sv}' },
    Resumed: { signature: 'a{sv}' },
    StateChanged: { signature: 'sssa{sv}' },
    PreferenceChanged: { signature: 'ss' },
  },
});

export class NameTakenError extends Error {
  override name = 'NameTakenError';
}

/** Export the interface and claim the well-known name (last, so callers never see a half-ready agent). */
export async function exportAgent(bus: MessageBus, api: AgentApi): Promise<AgentSignals> {
  const iface = new AgentInterface(api);
  bus.export(AGENT_OBJECT_PATH, iface);
  if (!(await claimName(bus, AGENT_BUS_NAME))) {
    throw new NameTakenError(`another Headroom agent already owns ${AGENT_BUS_NAME} on this session bus`);
  }
  return {
    killed: (r) => void iface.Killed(r),
    wouldKill: (r) => void iface.WouldKill(r),
    warned: (r) => void iface.Warned(r),
    paused: (r) => void iface.Paused(r),
    resumed: (r) => void iface.Resumed(r),
    stateChanged: (state, previous, because, pressure) => {
      iface.StateChanged(state, previous, because, pressure);
      ServiceInterface.emitPropertiesChanged(iface, { State: state, Pressure: recordToWire(PressureSpec, pressure) }, []);
    },
    pressureChanged: () => ServiceInterface.emitPropertiesChanged(iface, { Pressure: recordToWire(PressureSpec, api.pressure()) }, []),
    preferenceChanged: (appId, pref) => void iface.PreferenceChanged(appId, pref),
  };
}
