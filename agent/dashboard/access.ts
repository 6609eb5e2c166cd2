// Who may use the dashboard: one-time links exchanged for sessions that expire. Kept free of
// sockets and clocks (both are passed in) so the unit tests can walk it through hours.
//
// Why this shape: a token in a URL ends up in argv (xdg-open, the browser), readable by every
// local user through `ps`, and a cookie is sent to every server on 127.0.0.1 whatever its
// port. So a link carries a secret that works once, in the URL's #fragment (never sent in a
// request, never logged), and the page trades it over its WebSocket for a session id that it
// keeps in sessionStorage (scoped to this origin and this tab). Nothing is a cookie.
import { tokenMatches } from './wire.js';

/** A link not used within this time no longer works. */
export const LINK_TTL_MS = 10 * 60_000;
/** A session lasts at most this long, open page or not: then the page asks for a new link. */
export const SESSION_MAX_MS = 12 * 60 * 60_000;
/** A session with no page connected for this long ends (a closed tab, a laptop asleep). */
export const SESSION_IDLE_MS = 30 * 60_000;
/** Bounds on what a flood of link requests or connections can make the server hold. */
export const MAX_LINKS = 16;
export const MAX_SESSIONS = 32;

export interface AccessTimes {
  linkTtlMs: number;
  sessionMaxMs: number;
  sessionIdleMs: number;
}

export const DEFAULT_ACCESS_TIMES: AccessTimes = { linkTtlMs: LINK_TTL_MS, sessionMaxMs: SESSION_MAX_MS, sessionIdleMs: SESSION_IDLE_MS };

/** What a page presents when its WebSocket opens: a link's secret once, its session after. */
export type Credential = { once: string } | { session: string };

export type Admission =
  | { ok: true; session: string; expiresAtMs: number }
  | { ok: false; reason: 'used-or-expired' | 'session-expired' | 'missing' };

interface Session { createdMs: number; lastSeenMs: number; openPages: number }

export class DashboardAccess {
  readonly #links = new Map<string, number>(); // secret → expiry
  readonly #sessions = new Map<string, Session>();

  constructor(
    private readonly newSecret: () => string,
    private readonly now: () => number,
    private readonly times: AccessTimes = DEFAULT_ACCESS_TIMES,
  ) {}

  /** A new one-time secret for a link; the oldest outstanding one goes when there are too many. */
  mintLink(): string {
    this.sweep();
    while (this.#links.size >= MAX_LINKS) this.#links.delete(this.#links.keys().next().value!);
    const secret = this.newSecret();
    this.#links.set(secret, this.now() + this.times.linkTtlMs);
    return secret;
  }

  /** Whether a link's secret can still be used (not yet used, not expired). */
  linkOpen(secret: string): boolean {
    const expiry = this.#links.get(secret);
    return expiry !== undefined && !this.#linkExpired(expiry, this.now());
  }

  /** A page connects. A link's secret works once and becomes a session; a session must be alive. */
  admit(credential: Credential | null): Admission {
    this.sweep();
    const now = this.now();
    if (credential === null) return { ok: false, reason: 'missing' };
    if ('once' in credential) {
      const secret = [...this.#links.keys()].find((s) => tokenMatches(s, credential.once));
      if (secret === undefined) return { ok: false, reason: 'used-or-expired' };
      this.#links.delete(secret);
      while (this.#sessions.size >= MAX_SESSIONS) this.#sessions.delete(this.#oldestIdleSession() ?? this.#sessions.keys().next().value!);
      const id = this.newSecret();
      this.#sessions.set(id, { createdMs: now, lastSeenMs: now, openPages: 1 });
      return { ok: true, session: id, expiresAtMs: now + this.times.sessionMaxMs };
    }
    const id = [...this.#sessions.keys()].find((s) => tokenMatches(s, credential.session));
    const session = id === undefined ? undefined : this.#sessions.get(id);
    if (id === undefined || session === undefined) return { ok: false, reason: 'session-expired' };
    session.openPages++;
    session.lastSeenMs = now;
    return { ok: true, session: id, expiresAtMs: session.createdMs + this.times.sessionMaxMs };
  }

  /** A page of this session disconnected: its idle time starts when the last one goes. */
  left(session: string): void {
    const s = this.#sessions.get(session);
    if (s === undefined) return;
    s.openPages = Math.max(0, s.openPages - 1);
    s.lastSeenMs = this.now();
  }

  /** Whether a session is still alive (an open page is closed when this turns false). */
  alive(session: string): boolean {
    const s = this.#sessions.get(session);
    return s !== undefined && !this.#sessionEnded(s, this.now());
  }

  /** Forget expired links and sessions. */
  sweep(): void {
    const now = this.now();
    for (const [secret, expiry] of this.#links) if (this.#linkExpired(expiry, now)) this.#links.delete(secret);
    for (const [id, s] of this.#sessions) if (this.#sessionEnded(s, now)) this.#sessions.delete(id);
  }

  #linkExpired(expiry: number, now: number): boolean {
    return now >= expiry;
  }

  /** Past its lifetime, or idle too long with no page connected. */
  #sessionEnded(s: Session, now: number): boolean {
    return now >= s.createdMs + this.times.sessionMaxMs || (s.openPages === 0 && now >= s.lastSeenMs + this.times.sessionIdleMs);
  }

  #oldestIdleSession(): string | undefined {
    let oldest: [string, Session] | undefined;
    for (const entry of this.#sessions) if (entry[1].openPages === 0 && (oldest === undefined || entry[1].lastSeenMs < oldest[1].lastSeenMs)) oldest = entry;
    return oldest?.[0];
  }
}

/** The credential a WebSocket upgrade carries in its query: ?once=… or ?session=…, bounded. */
export function credentialOf(url: URL): Credential | null {
  const bounded = (v: string | null): v is string => v !== null && v.length > 0 && v.length <= 128;
  const once = url.searchParams.get('once');
  if (bounded(once)) return { once };
  const session = url.searchParams.get('session');
  if (bounded(session)) return { session };
  return null;
}
