// When the tray asks the agent for things on its own: starting it through D-Bus activation,
// and re-reading the app list (which has no change signal). Pure timing decisions; main.ts
// owns the timers.
import type { AgentState } from '../../shared/names.js';

/** First retry of a failed activation, doubling up to the cap. */
export const ACTIVATION_FIRST_RETRY_MS = 1000;
export const ACTIVATION_MAX_RETRY_MS = 60_000;
/** Tries before giving up: a unit that fails this often needs a person (journalctl), not a loop. */
export const ACTIVATION_MAX_ATTEMPTS = 6;

/**
 * Why the tray would start the agent:
 * - startup: the tray came up (at login) and found no agent: start the installed one;
 * - user: "Start the agent" in the menu.
 * An agent that goes away while the tray runs is not restarted behind the user's back: its
 * unit restarts it after a crash (Restart=on-failure), and a user who stopped it meant it.
 */
export type ActivationCause = 'startup' | 'user';

export interface ActivationFacts {
  cause: ActivationCause;
  installed: boolean;
  running: boolean;
  /** Activation attempts for this cause that have failed so far. */
  failures: number;
}

/** ms until the next activation attempt, or null for none. */
export function activationDelayMs(f: ActivationFacts): number | null {
  if (f.running || !f.installed) return null;
  if (f.failures >= ACTIVATION_MAX_ATTEMPTS) return null;
  if (f.failures === 0) return 0;
  return Math.min(ACTIVATION_MAX_RETRY_MS, ACTIVATION_FIRST_RETRY_MS * 2 ** (f.failures - 1));
}

/** How often the app list is re-read: it changes without a signal, and matters more under pressure. */
export const APPS_REFRESH_CALM_MS = 10_000;
export const APPS_REFRESH_TIGHT_MS = 2_000;

/** null: do not poll (no agent to ask; its return is announced on the bus). */
export function appsRefreshMs(running: boolean, state: AgentState | null): number | null {
  if (!running) return null;
  return state === 'elevated' || state === 'critical' ? APPS_REFRESH_TIGHT_MS : APPS_REFRESH_CALM_MS;
}
