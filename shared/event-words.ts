// An event's words that both sides show (the agent's notification and journal, the tray's menu
// and the dashboard): what was stopped, when it was one process of an app and not the app.
import { formatBytes } from './format.js';
import type { EventRecord } from './records.js';

type Stopped = Pick<EventRecord, 'displayName' | 'appId' | 'unit' | 'childPid' | 'childKind' | 'memoryFreedBytes'>;

const nameOf = (r: Stopped): string => r.displayName || r.appId || r.unit;

/** Whether the event is about one process of the app (a tab), not the whole app. */
export const isChildEvent = (r: Pick<EventRecord, 'childPid'>): boolean => r.childPid !== 0;

/** "a Chromium tab (renderer, 1.2 GiB)", "a process of Builder (pid 4321, 300 MiB)". */
export function stoppedChildText(r: Stopped): string {
  const size = formatBytes(r.memoryFreedBytes);
  return r.childKind === 'renderer' || r.childKind === 'content process'
    ? `a ${nameOf(r)} tab (${r.childKind}, ${size})`
    : `a process of ${nameOf(r)} (pid ${r.childPid}, ${size})`;
}
