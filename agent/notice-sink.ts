// When to notify, and what the notification actions do. The texts are agent/core/notices.ts;
// the sending is agent/bus/notifications.ts.
import type { EventRecord } from '../shared/records.js';
import type { Measures } from './core/decide.js';
import { ACTION_AVOID, ACTION_CLOSE, ACTION_DETAILS, KILL_COALESCE_MS, killNotice, outOfReachNotice, warningNotice } from './core/notices.js';
import type { AppUnit, OutsideGroup } from './core/snapshot.js';
import type { Notifier, SentNotice } from './bus/notifications.js';
import type { Logger } from './io/log.js';

export interface NoticeSink {
  killed(record: EventRecord, app: AppUnit): void;
  warn(app: AppUnit, measures: Measures): void;
  /** Memory is running out and its heaviest user is one Headroom cannot stop. */
  outOfReach(group: OutsideGroup, measures: Measures): void;
}

export interface NoticeContext {
  unit: string;
  appId: string;
  /** The history id of the kill ('' for warnings), for "Details". */
  killId: string;
}

/** What the actions act on: the agent's own API. */
export interface NoticeActions {
  setPreference(appId: string, pref: 'avoid'): Promise<void>;
  killApp(target: string): Promise<unknown>;
  /** Open the tray's dashboard at this kill. */
  showDetails(killId: string): Promise<void>;
}

/** `trayRunning` decides whether the kill notice offers "Details". */
export function createNoticeSink(notifier: Notifier<NoticeContext>, log: Logger, now: () => number = Date.now, trayRunning: () => boolean = () => false): NoticeSink {
  let lastKill: { id: number; atMs: number } | null = null;
  let lastWarningId = 0;
  return {
    killed(record, app) {
      const replaces = lastKill && now() - lastKill.atMs < KILL_COALESCE_MS ? lastKill.id : 0;
      void notifier.send(killNotice(record, app, { details: trayRunning() }), { unit: record.unit, appId: record.appId, killId: record.id }, replaces).then((id) => {
        if (id !== null) lastKill = { id, atMs: now() };
        if (lastWarningId !== 0) void notifier.close(lastWarningId); // the warning has been overtaken
        lastWarningId = 0;
      });
      log.debug(`kill notice for ${record.unit}`);
    },
    warn(app, measures) {
      void notifier.send(warningNotice(app, measures), { unit: app.unit, appId: app.appId, killId: '' }, lastWarningId).then((id) => {
        if (id !== null) lastWarningId = id;
      });
      log.debug(`warning notice naming ${app.unit}`);
    },
    outOfReach(group, measures) {
      void notifier.send(outOfReachNotice(group, measures), { unit: '', appId: '', killId: '' }, lastWarningId).then((id) => {
        if (id !== null) lastWarningId = id;
      });
      log.debug(`out-of-reach notice naming ${group.cgroup}`);
    },
  };
}

/** Handle a notification action; errors are logged, never thrown into the bus library. */
export function handleNoticeAction(action: string, sent: SentNotice<NoticeContext>, actions: NoticeActions, log: Logger): void {
  const { appId, unit, killId } = sent.context;
  const run = (what: string, p: Promise<unknown>): void => {
    p.then(() => log.info(`notification action: ${what}`), (err: unknown) => log.warn(`notification action ${what} failed: ${(err as Error).message}`));
  };
  if (action === ACTION_AVOID) run(`avoid ${appId}`, actions.setPreference(appId, 'avoid'));
  else if (action === ACTION_CLOSE) run(`close ${unit}`, actions.killApp(unit));
  else if (action === ACTION_DETAILS) run(`details of ${killId}`, actions.showDetails(killId));
}
