// The DashboardBridge over the WebSocket of `headroom dashboard` (agent/dashboard/server.ts),
// answers unchecked: the page checks them (shared/bridge-answers.ts) as it does the preload's.
// The Electron window gets the same bridge from its preload instead (window.headroomBridge).
// It reconnects on its own: the server may be restarted, and a laptop may sleep. It is let in
// with a one-time link's secret, then with the session the server grants for it (see
// agent/dashboard/access.ts); a refusal ends the reconnecting and the page says why.
import { parseBridgeMessage, type UncheckedBridge, type UncheckedMessage } from '../../shared/bridge-answers.js';
import { DENIED_CLOSE_CODE, type BridgeMethod } from '../../shared/bridge.js';
import type { Preference } from '../../shared/names.js';

/** Backoff between reconnection attempts: fast at first, then every few seconds. */
const RECONNECT_DELAYS_MS = [250, 500, 1000, 2000, 4000] as const;
/** A request that got no answer in this time fails instead of hanging the page. */
const REQUEST_TIMEOUT_MS = 15_000;

interface Pending { resolve(v: unknown): void; reject(e: Error): void; timer: number }

/** What the page presents when it connects, and where it keeps what the server grants. */
export interface PageCredential {
  /** The query of the next connection: ?once=… at first, ?session=… once granted, '' with neither. */
  query(): string;
  granted(session: string): void;
  /** The server refused it: nothing to retry with. */
  refused(): void;
}

/**
 * The page's credential: the link's #once= secret until the server grants a session, then the
 * session, kept in sessionStorage (this origin, this tab) so a reload stays in. `removeSecret`
 * takes the secret out of the address bar and the tab's history at once.
 */
export function pageCredential(hash: string, storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>, removeSecret: () => void): PageCredential {
  const SESSION_KEY = 'headroom-dashboard-session';
  let once = new URLSearchParams(hash.replace(/^#/, '')).get('once');
  if (once !== null) removeSecret();
  return {
    query: () => {
      const session = storage.getItem(SESSION_KEY);
      // A fresh link wins over an old session: it is what the user just asked for.
      if (once !== null) return `?once=${encodeURIComponent(once)}`;
      return session !== null ? `?session=${encodeURIComponent(session)}` : '';
    },
    granted: (session) => {
      once = null;
      storage.setItem(SESSION_KEY, session);
    },
    refused: () => {
      once = null;
      storage.removeItem(SESSION_KEY);
    },
  };
}

/** A call made after the server refused the page: the page shows the refusal once, not per call. */
export class RefusedError extends Error {}

/** Why the server refused the page, in words for it (the close reason is the server's code). */
export function refusalText(reason: string): string {
  return reason === 'session-expired'
    ? 'This dashboard session has ended. Run "headroom dashboard --open" for a new one.'
    : 'This dashboard link has already been used or has expired: each link works once. Run "headroom dashboard --open" for a new one.';
}

export class WebSocketBridge implements UncheckedBridge {
  private socket: WebSocket | null = null;
  private nextId = 1;
  private attempts = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(event: unknown) => void>();
  private readonly connectionListeners = new Set<(connected: boolean) => void>();
  private readonly refusalListeners = new Set<(reason: string) => void>();
  private refusedFor: string | null = null;
  private opened: Promise<void>;

  constructor(private readonly address: string, private readonly credential: PageCredential) {
    this.opened = this.open();
  }

  /** Told when the server refuses the page's credential; it does not try again after that. */
  onRefused(listener: (reason: string) => void): void {
    this.refusalListeners.add(listener);
  }

  /** Told when the socket to the dashboard server opens or drops (not the agent: see events). */
  onConnection(listener: (connected: boolean) => void): void {
    this.connectionListeners.add(listener);
  }

  load(): Promise<unknown> { return this.call('load', []); }
  setPreference(appId: string, preference: Preference): Promise<unknown> { return this.call('setPreference', [appId, preference]); }
  listLaunchers(): Promise<unknown> { return this.call('listLaunchers', []); }
  launch(desktopId: string): Promise<unknown> { return this.call('launch', [desktopId]); }
  resumeApp(target: string): Promise<unknown> { return this.call('resumeApp', [target]); }
  quitApp(target: string, force: boolean): Promise<unknown> { return this.call('quitApp', [target, force]); }

  subscribe(listener: (event: unknown) => void): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  private async call(method: BridgeMethod, params: unknown[]): Promise<unknown> {
    await this.opened;
    const socket = this.socket;
    if (this.refusedFor !== null) throw new RefusedError(refusalText(this.refusedFor));
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
      const socket = new WebSocket(`${this.address}${this.credential.query()}`);
      this.socket = socket;
      socket.addEventListener('open', () => {
        this.attempts = 0;
        for (const l of this.connectionListeners) l(true);
        resolve();
      });
      socket.addEventListener('message', (e: MessageEvent) => this.receive(e.data));
      socket.addEventListener('close', (e: CloseEvent) => {
        if (e.code === DENIED_CLOSE_CODE) {
          this.refusedFor = e.reason;
          this.credential.refused();
          this.failPending(refusalText(e.reason), RefusedError);
          for (const l of this.refusalListeners) l(e.reason);
          resolve();
          return;
        }
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
    let msg: UncheckedMessage;
    try {
      msg = parseBridgeMessage(JSON.parse(data));
    } catch {
      return; // not ours to answer: the server sends only well-formed messages
    }
    if ('session' in msg) {
      this.credential.granted(msg.session.id);
      return;
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

  private failPending(why: string, kind: new (message: string) => Error = Error): void {
    for (const [id, p] of this.pending) {
      window.clearTimeout(p.timer);
      p.reject(new kind(why));
      this.pending.delete(id);
    }
  }
}

/** The WebSocket address on the page's own origin (the credential's query goes after it). */
export function websocketUrl(location: Pick<Location, 'host' | 'protocol'>): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws`;
}
