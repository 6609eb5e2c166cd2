// The DashboardBridge over the WebSocket of `headroom dashboard` (agent/dashboard/server.ts).
// The Electron window gets the same bridge from its preload instead (window.headroomBridge).
// It reconnects on its own: the server may be restarted, and a laptop may sleep.
import type { BridgeEvent, BridgeMessage, BridgeMethod, DashboardBridge, DashboardState } from '../../shared/bridge.js';
import type { Preference } from '../../shared/names.js';
import type { LauncherRecord } from '../../shared/records.js';

/** Backoff between reconnection attempts: fast at first, then every few seconds. */
const RECONNECT_DELAYS_MS = [250, 500, 1000, 2000, 4000] as const;
/** A request that got no answer in this time fails instead of hanging the page. */
const REQUEST_TIMEOUT_MS = 15_000;

interface Pending { resolve(v: unknown): void; reject(e: Error): void; timer: number }

export class WebSocketBridge implements DashboardBridge {
  private socket: WebSocket | null = null;
  private nextId = 1;
  private attempts = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(event: BridgeEvent) => void>();
  private readonly connectionListeners = new Set<(connected: boolean) => void>();
  private opened: Promise<void>;

  constructor(private readonly url: string) {
    this.opened = this.open();
  }

  /** Told when the socket to the dashboard server opens or drops (not the agent: see events). */
  onConnection(listener: (connected: boolean) => void): void {
    this.connectionListeners.add(listener);
  }

  load(): Promise<DashboardState> { return this.call('load', []) as Promise<DashboardState>; }
  async setPreference(appId: string, preference: Preference): Promise<void> { await this.call('setPreference', [appId, preference]); }
  listLaunchers(): Promise<LauncherRecord[]> { return this.call('listLaunchers', []) as Promise<LauncherRecord[]>; }
  async launch(desktopId: string): Promise<string> { return String(await this.call('launch', [desktopId])); }

  subscribe(listener: (event: BridgeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  private async call(method: BridgeMethod, params: unknown[]): Promise<unknown> {
    await this.opened;
    const socket = this.socket;
    if (socket === null || socket.readyState !== WebSocket.OPEN) throw new Error('not connected to the dashboard server');
    const id = this.nextId++;
    return new Promise<unknown>((resolve, reject) => {
      const timer = window.setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method}: no answer from the dashboard server`));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
      socket.send(JSON.stringify({ id, method, params }));
    });
  }

  private open(): Promise<void> {
    return new Promise<void>((resolve) => {
      const socket = new WebSocket(this.url);
      this.socket = socket;
      socket.addEventListener('open', () => {
        this.attempts = 0;
        for (const l of this.connectionListeners) l(true);
        resolve();
      });
      socket.addEventListener('message', (e: MessageEvent) => this.receive(e.data));
      socket.addEventListener('close', () => {
        this.failPending('the connection to the dashboard server was lost');
        for (const l of this.connectionListeners) l(false);
        const delay = RECONNECT_DELAYS_MS[Math.min(this.attempts++, RECONNECT_DELAYS_MS.length - 1)];
        // Calls made while disconnected wait for the next open instead of failing at once.
        this.opened = new Promise<void>((reopened) => {
          window.setTimeout(() => { void this.open().then(reopened); }, delay);
        });
        resolve();
      });
    });
  }

  private receive(data: unknown): void {
    if (typeof data !== 'string') return;
    let msg: BridgeMessage;
    try {
      msg = JSON.parse(data) as BridgeMessage;
    } catch {
      return; // not ours to answer: the server only sends JSON
    }
    if ('event' in msg) {
      for (const l of this.listeners) l(msg.event);
      return;
    }
    const p = this.pending.get(msg.id);
    if (p === undefined) return;
    this.pending.delete(msg.id);
    window.clearTimeout(p.timer);
    if (msg.ok) p.resolve(msg.result);
    else p.reject(new Error(msg.error));
  }

  private failPending(why: string): void {
    for (const [id, p] of this.pending) {
      window.clearTimeout(p.timer);
      p.reject(new Error(why));
      this.pending.delete(id);
    }
  }
}

/** The WebSocket address on the page's own origin, with the token the page was opened with. */
export function websocketUrl(location: Pick<Location, 'host' | 'protocol' | 'search'>): string {
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws?token=${encodeURIComponent(token)}`;
}
