// What the agent tells the user, as data: the text, icon, urgency and actions of each
// desktop notification. Sending is agent/bus/notifications.ts's job.
import { formatBytes, formatPct } from '../../shared/format.js';
import { stoppedChildText } from '../../shared/event-words.js';
import type { EventRecord } from '../../shared/records.js';
import type { Measures } from './decide.js';
import type { AppUnit, OutsideGroup } from './snapshot.js';

/** Freedesktop urgency levels; critical notifications do not expire. */
export type Urgency = 0 | 1 | 2;

export interface Notice {
  kind: 'kill' | 'warning' | 'out-of-reach' | 'paused' | 'resumed';
  summary: string;
  body: string;
  icon: string;
  urgency: Urgency;
  category: string;
  /** The app's .desktop id, for servers that group or theme by it; '' when unknown. */
  desktopEntry: string;
  /** [action key, label] pairs; keys are what ActionInvoked reports. */
  actions: [string, string][];
}

export const ACTION_AVOID = 'avoid';
export const ACTION_CLOSE = 'close';
export const ACTION_IGNORE = 'ignore';
/** Opens the tray's dashboard at this kill; offered only while the tray runs. */
export const ACTION_DETAILS = 'details';
/** Launches the killed app's desktop entry again, into its own scope; offered when that entry can be launched. */
export const ACTION_REOPEN = 'reopen';

/** On a paused app's notice: thaw it, ask it to quit (SIGTERM), or kill it at once. */
export const ACTION_RESUME = 'resume';
export const ACTION_QUIT = 'quit';
export const ACTION_FORCE_QUIT = 'force-quit';

/** Don't warn again within this long: one warning per episode, never a storm of popups. */
export const WARN_MIN_INTERVAL_MS = 60_000;
/** A kill notice this recent is replaced rather than stacked. */
export const KILL_COALESCE_MS = 30_000;

const nameOf = (x: { displayName: string; appId: string }): string => x.displayName || x.appId;

function killCause(k: EventRecord): string {
  switch (k.reason) {
    case 'pressure':
      return `The desktop was stalling on memory (pressure ${formatPct(k.fullRecentPct)}).`;
    case 'exhaustion':
      return `Only ${formatBytes(k.memAvailableBytes)} of memory was left.`;
    default:
      return 'You asked for it to be stopped.';
  }
}

export function killNotice(k: EventRecord, app: Pick<AppUnit, 'icon' | 'desktopEntry'> | null, opts: { details?: boolean; reopen?: boolean } = {}): Notice {
  const name = nameOf(k);
  if (k.outcome === 'child-killed') {
    // One tab, not the app: say so, or the user goes looking for a browser that is still there.
    const child = stoppedChildText(k);
    return {
      kind: 'kill',
      summary: `${child.charAt(0).toUpperCase()}${child.slice(1)} was stopped; ${name} is still running`,
      body: `${killCause(k)} ${name} marked it as the one to lose first, so only it was stopped${k.childKind === 'child process' ? '' : ': reload the tab when you need it'}.`,
      icon: app?.icon || 'dialog-warning',
      urgency: 2,
      category: 'x-headroom.kill',
      desktopEntry: app?.desktopEntry ?? '',
      actions: [
        [ACTION_AVOID, `Don't stop ${name} again`],
        ...(opts.details ? [[ACTION_DETAILS, 'Details'] as [string, string]] : []),
      ],
    };
  }
  const held = `${formatBytes(k.memoryFreedBytes)}${k.swapFreedBytes > 0 ? ` and ${formatBytes(k.swapFreedBytes)} of swap` : ''}`;
  const survivors = k.processesLeft > 0 ? ` ${k.processesLeft} of its ${k.processCount} processes could not be stopped.` : '';
  return {
    kind: 'kill',
    summary: k.processesLeft > 0 ? `${name} was only partly stopped` : `${name} was stopped to keep your desktop responsive`,
    body: `It was using ${held}. ${killCause(k)}${survivors}`,
    icon: app?.icon || 'dialog-warning',
    urgency: 2,
    category: 'x-headroom.kill',
    desktopEntry: app?.desktopEntry ?? '',
    actions: [
      ...(k.reason === 'manual' ? [] : [[ACTION_AVOID, `Don't kill ${name} again`] as [string, string]]),
      ...(opts.reopen ? [[ACTION_REOPEN, 'Reopen'] as [string, string]] : []),
      ...(opts.details ? [[ACTION_DETAILS, 'Details'] as [string, string]] : []),
    ],
  };
}

/**
 * An app paused to ask (pause.ts), as macOS asks with its Force Quit dialog: what it held, why,
 * and what happens without an answer. Critical: it must stay until answered.
 */
export function pausedNotice(k: EventRecord, app: Pick<AppUnit, 'icon' | 'desktopEntry'> | null): Notice {
  const name = nameOf(k);
  const held = `${formatBytes(k.memoryFreedBytes)}${k.swapFreedBytes > 0 ? ` and ${formatBytes(k.swapFreedBytes)} of swap` : ''}`;
  const waitS = Math.max(0, Math.round((k.pausedUntilMs - k.atMs) / 1000));
  return {
    kind: 'paused',
    summary: `${name} is paused: memory is nearly full`,
    body: `${name} was using ${held} and using more. Resume it, or quit it and keep the rest of your work safe. Without an answer it is stopped in ${waitS} s.`,
    icon: app?.icon || 'dialog-warning',
    urgency: 2,
    category: 'x-headroom.paused',
    desktopEntry: app?.desktopEntry ?? '',
    actions: [[ACTION_RESUME, 'Resume'], [ACTION_QUIT, 'Quit'], [ACTION_FORCE_QUIT, 'Force quit']],
  };
}

/** A paused app that memory let go on by itself (the user's own Resume needs no notice). */
export function resumedNotice(k: EventRecord, app: Pick<AppUnit, 'icon' | 'desktopEntry'> | null): Notice {
  const name = nameOf(k);
  return {
    kind: 'resumed',
    summary: `${name} is running again`,
    body: `Memory recovered while ${name} was paused (${formatBytes(k.memAvailableBytes)} available), so it goes on. If memory runs out again, it will be stopped.`,
    icon: app?.icon || 'dialog-information',
    urgency: 1,
    category: 'x-headroom.resumed',
    desktopEntry: app?.desktopEntry ?? '',
    actions: [],
  };
}

export function warningNotice(app: AppUnit, m: Measures): Notice {
  const name = nameOf(app);
  return {
    kind: 'warning',
    summary: 'Memory is running low',
    body: `${name} is using the most memory (${formatBytes(app.memoryBytes + app.swapBytes)}); ${formatPct(m.memAvailablePct)} is left. If memory runs out, Headroom will stop ${name}. Save your work there.`,
    icon: app.icon || 'dialog-warning',
    urgency: 1,
    category: 'x-headroom.warning',
    desktopEntry: app.desktopEntry,
    actions: [[ACTION_CLOSE, `Close ${name} now`], [ACTION_IGNORE, 'Ignore']],
  };
}

/** Memory is nearly gone and the heaviest user is outside the desktop's units: name it, stop nothing. */
export function outOfReachNotice(g: OutsideGroup, m: Measures): Notice {
  const who = g.topComm !== '' ? `${g.topComm} (process ${g.topPid}) in ${g.label}` : g.label;
  return {
    kind: 'out-of-reach',
    summary: 'Memory is nearly full',
    body: `${who} is using ${formatBytes(g.unreclaimableBytes)}; ${formatPct(m.memAvailablePct)} of memory is left. Headroom only stops your desktop's apps, and stopping a smaller one would not help: close it there if you can.`,
    icon: 'dialog-warning',
    urgency: 2,
    category: 'x-headroom.out-of-reach',
    desktopEntry: '',
    actions: [],
  };
}

/**
 * The body as a server that renders body markup must receive it (GetCapabilities has
 * "body-markup"): &, < and > escaped, so an app's Name= holding markup shows as text and cannot
 * make a link or load an image. A server without markup takes the body as it is.
 */
export const bodyForServer = (body: string, serverHasMarkup: boolean): string =>
  serverHasMarkup ? body.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;') : body;

/**
 * The summary is plain text by the spec, yet some servers (dunst's default format) put it into
 * markup: its markup characters are replaced by look-alikes that no server parses.
 */
export const summaryForServer = (summary: string): string => summary.replace(/&/g, '\uFF06').replace(/</g, '\u2039').replace(/>/g, '\u203A');
