// The agent's bus contract: names, enums and limits that the agent, the CLI and the tray
// all rely on. The member signatures live in assets/org.headroom.Agent1.xml; a test holds
// the running agent to that file.

export const AGENT_BUS_NAME = 'org.headroom.Agent1';
export const AGENT_OBJECT_PATH = '/org/headroom/Agent1';
export const AGENT_INTERFACE = 'org.headroom.Agent1';

/**
 * The tray on the session bus (assets/org.headroom.Tray1.xml): the agent offers a "Details"
 * action on its kill notifications only while this name has an owner, and calls ShowDashboard.
 */
export const TRAY_BUS_NAME = 'org.headroom.Tray1';
export const TRAY_OBJECT_PATH = '/org/headroom/Tray1';
export const TRAY_INTERFACE = 'org.headroom.Tray1';

/** calm: nothing to do. elevated: memory is getting tight (warn, poll faster). critical: a trigger fired. */
export const AGENT_STATES = ['calm', 'elevated', 'critical'] as const;
export type AgentState = (typeof AGENT_STATES)[number];

/** Why a scope was killed. The same string appears in the log, the Killed signal, history and the tray. */
export const KILL_REASONS = ['pressure', 'exhaustion', 'manual'] as const;
export type KillReason = (typeof KILL_REASONS)[number];

/** Per-app preference, the same three values as systemd's ManagedOOMPreference (none|avoid|omit). */
export const PREFERENCES = ['none', 'avoid', 'omit'] as const;
export type Preference = (typeof PREFERENCES)[number];

/**
 * What happened to a victim. killed: the scope emptied. partial: processes survived the kill
 * (reported, never hidden). failed: nothing could be signalled. child-killed: one process the
 * app itself marked as the one to lose first (a browser tab's renderer) was stopped, and the app
 * runs on (the record's childPid and childKind say which). dry-run: nothing was touched.
 * warned: a warning named this app as the next to go (history and the Warned signal only).
 * paused: the app was frozen while memory ran out slowly, and the user was asked (Resume, Quit,
 * Force quit) until pausedUntilMs (history and the Paused signal). resumed: a paused app was
 * thawed, by the user or because memory recovered; `because` says which (history and Resumed).
 */
export const KILL_OUTCOMES = ['killed', 'partial', 'failed', 'child-killed', 'dry-run', 'warned', 'paused', 'resumed'] as const;
export type KillOutcome = (typeof KILL_OUTCOMES)[number];

export const isAgentState = (v: string): v is AgentState => (AGENT_STATES as readonly string[]).includes(v);
export const isKillReason = (v: string): v is KillReason => (KILL_REASONS as readonly string[]).includes(v);
export const isPreference = (v: string): v is Preference => (PREFERENCES as readonly string[]).includes(v);
export const isKillOutcome = (v: string): v is KillOutcome => (KILL_OUTCOMES as readonly string[]).includes(v);

/** A history entry that records a real kill attempt (not a warning, not a dry run). */
export const isKillAttempt = (outcome: string): boolean => outcome === 'killed' || outcome === 'partial' || outcome === 'failed' || outcome === 'child-killed';

/**
 * A record's own value for an id, never one inherited from Object.prototype: an app id such as
 * "constructor" or "toString" is an id like any other (records that cross the bus as a{ss} are
 * plain objects).
 */
export const ownValue = <V>(record: Readonly<Record<string, V>>, id: string): V | undefined =>
  Object.prototype.hasOwnProperty.call(record, id) ? record[id] : undefined;

/** Bounds on what callers may hand the agent (bus, dashboard bridge): a unit name stops at 255 bytes. */
export const MAX_ID_BYTES = 255;
export const MAX_URIS = 64;
export const MAX_URI_BYTES = 8192;
export const MAX_HISTORY_LIMIT = 1000;
