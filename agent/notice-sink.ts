// When to notify, and what the notification actions do. The texts are agent/core/notices.ts;
// the sending is agent/bus/notifications.ts.
import type { EventRecord } from '../shared/records.js';
import type { Measures } from './core/decide.js';
import {
  ACTION_AVOID, ACTION_CLOSE, ACTION_DETAILS, ACTION_FORCE_QUIT, ACTION_QUIT, ACTION_REOPEN, ACTION_RESUME, KILL_COALESCE_MS,
  killNotice, outOfReachNotice, pausedNotice, resumedNotice, warningNotice,
} from './core/notices.js';
import type { AppUnit, OutsideGroup } from './core/snapshot.js';
import type { Notifier, SentNotice } from './bus/notifications.js';
import type { Logger } from './io/log.js';

export interface NoticeSink {
  killed(record: EventRecord, app: AppUnit): void;
  warn(app: AppUnit, measures: Measures): void;
  /** Memory is running out and its heaviest user is one Headroom cannot stop. */
  outOfReach(group: OutsideGroup, measures: Measures): void;
  /** An app paused to ask the user: Resume, Quit, Force quit. */
  paused(record: EventRecord, app: AppUnit): void;
  /** The paused app thawed: `byUser` (its notice had the answer: it only goes) or because memory recovered (said so). */
  resumed(record: EventRecord, app: AppUnit, byUser: boolean): void;
}

export interface NoticeContext {
  unit: string;
  appId: string;
  /** The history id of the kill ('' for warnings), for "Details". */
  killId: string;
  /** The desktop entry "Reopen" launches: set only on a kill notice that offers it, else ''. */
  desktopEntry: string;
}

/** What the actions act on: the agent's own API. */
export interface NoticeActions {
  setPreference(appId: string, pref: 'avoid'): Promise<void>;
  killApp(target: string): Promise<unknown>;
  /** Open the tray's dashboard at this kill. */
  showDetails(killId: string): Promise<void>;
  /** Launch this desktop entry again into its own scope, the way the bus Launch method does; resolves to the new unit. */
  reopen(desktopEntry: string): Promise<string>;
  /** A paused app: thaw it, or stop it (force: at once, else SIGTERM first). */
  resumeApp(unit: string): Promise<unknown>;
  quitApp(unit: string, force: boolean): Promise<unknown>;
}

/**
 * How long the kill notice waits to learn whether the entry can be launched before it goes out
 * without "Reopen": the notice must come at once (within a second of the kill, tested), and the
 * check reads a .desktop file, which a disk still busy with the shortage can hold up.
 */
export const REOPEN_CHECK_MAX_MS = 250;

/**
 * Whether the notice of this kill may offer "Reopen" at all, before asking whether the entry can
 * be launched: the kill stopped everything (survivors of a partial kill may be the app itself,
 * and a second instance beside them would take memory just freed), and the unit's desktop entry
 * is the app's own, not a terminal tab's host terminal (a new terminal is not the killed job).
 */
export const mayOfferReopen = (record: Pick<EventRecord, 'outcome'>, app: Pick<AppUnit, 'kind' | 'desktopEntry'>): boolean =>
  record.outcome === 'killed' && app.desktopEntry !== '' && (app.kind === 'app' || app.kind === 'snap' || app.kind === 'dbus');

/**
 * `trayRunning` decides whether the kill notice offers "Details"; `canReopen` (the launcher's
 * canLaunch) whether it offers "Reopen", for a kill that may offer it at all (mayOfferReopen).
 */
export function createNoticeSink(
  notifier: Notifier<NoticeContext>, log: Logger, now: () => number = Date.now, trayRunning: () => boolean = () => false,
  canReopen: (desktopEntry: string) => Promise<boolean> = () => Promise.resolve(false),
): NoticeSink {
  let lastKill: { id: number; atMs: number } | null = null;
  let lastWarningId = 0;
  /** The paused app's notice: what replaces it (its kill, its resume) takes its place. */
  let pausedNoticeOf: { unit: string; id: number } | null = null;
  const takePausedNotice = (unit: string): number => {
    if (pausedNoticeOf?.unit !== unit) return 0;
    const { id } = pausedNoticeOf;
    pausedNoticeOf = null;
    return id;
  };
  const reopenOffered = (record: EventRecord, app: AppUnit): Promise<boolean> => {
    if (!mayOfferReopen(record, app)) return Promise.resolve(false);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), REOPEN_CHECK_MAX_MS); });
    return Promise.race([canReopen(app.desktopEntry).catch(() => false), late]).finally(() => clearTimeout(timer));
  };
  return {
    killed(record, app) {
      void reopenOffered(record, app).then((reopen) => {
        const replaces = takePausedNotice(record.unit) || (lastKill && now() - lastKill.atMs < KILL_COALESCE_MS ? lastKill.id : 0);
        const context = { unit: record.unit, appId: record.appId, killId: record.id, desktopEntry: reopen ? app.desktopEntry : '' };
        return notifier.send(killNotice(record, app, { details: trayRunning(), reopen }), context, replaces);
      }).then((id) => {
        if (id !== null) lastKill = { id, atMs: now() };
        if (lastWarningId !== 0) void notifier.close(lastWarningId); // the warning has been overtaken
        lastWarningId = 0;
      });
      log.debug(`kill notice for ${record.unit}`);
    },
    warn(app, measures) {
      void notifier.send(warningNotice(app, measures), { unit: app.unit, appId: app.appId, killId: '', desktopEntry: '' }, lastWarningId).then((id) => {
        if (id !== null) lastWarningId = id;
      });
      log.debug(`warning notice naming ${app.unit}`);
    },
    paused(record, app) {
      void notifier.send(pausedNotice(record, app), { unit: record.unit, appId: record.appId, killId: record.id, desktopEntry: '' }, lastWarningId).then((id) => {
        if (id !== null) pausedNoticeOf = { unit: record.unit, id };
      });
      lastWarningId = 0; // the question takes the warning's place
      log.debug(`paused notice for ${record.unit}`);
    },
    resumed(record, app, byUser) {
      const replaces = takePausedNotice(record.unit);
      if (byUser) {
        if (replaces !== 0) void notifier.close(replaces);
        return;
      }
      void notifier.send(resumedNotice(record, app), { unit: record.unit, appId: record.appId, killId: record.id, desktopEntry: '' }, replaces);
      log.debug(`resumed notice for ${record.unit}`);
    },
    outOfReach(group, measures) {
      void notifier.send(outOfReachNotice(group, measures), { unit: '', appId: '', killId: '', desktopEntry: '' }, lastWarningId).then((id) => {
        if (id !== null) lastWarningId = id;
      });
      log.debug(`out-of-reach notice naming ${group.cgroup}`);
    },
  };
}

/** Handle a notification action; errors are logged, never thrown into the bus library. */
export function handleNoticeAction(action: string, sent: SentNotice<NoticeContext>, actions: NoticeActions, log: Logger): void {
  const { appId, unit, killId, desktopEntry } = sent.context;
  const run = (what: string, p: Promise<unknown>): void => {
    p.then(() => log.info(`notification action: ${what}`), (err: unknown) => log.warn(`notification action ${what} failed: ${(err as Error).message}`));
  };
  if (action === ACTION_AVOID) run(`avoid ${appId}`, actions.setPreference(appId, 'avoid'));
  else if (action === ACTION_CLOSE) run(`close ${unit}`, actions.killApp(unit));
  else if (action === ACTION_DETAILS) run(`details of ${killId}`, actions.showDetails(killId));
  else if (action === ACTION_RESUME) run(`resume ${unit}`, actions.resumeApp(unit));
  else if (action === ACTION_QUIT) run(`quit ${unit}`, actions.quitApp(unit, false));
  else if (action === ACTION_FORCE_QUIT) run(`force quit ${unit}`, actions.quitApp(unit, true));
  else if (action === ACTION_REOPEN && desktopEntry !== '') run(`reopen ${desktopEntry} after the kill of ${unit}`, actions.reopen(desktopEntry));
}
