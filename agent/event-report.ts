// What the agent tells the engines admins already run (the journal, node_exporter), beside the
// bus signals and the log lines. The agent calls one EventReport; agent/cli/agent-command.ts
// hands it the ones this machine has (agent/io/journal.ts, agent/io/metrics-file.ts).
import type { AgentState } from '../shared/names.js';
import type { EventRecord, PressureRecord } from '../shared/records.js';
import type { OutsideGroup } from './core/snapshot.js';

export interface EventReport {
  /** Every full look (calm ones too, every few seconds): the figures, not an event. */
  looked(state: AgentState, pressure: PressureRecord): void;
  stateChanged(state: AgentState, previous: AgentState, because: string, pressure: PressureRecord): void;
  /** Leaving calm: the record names the app that would go next. */
  warned(record: EventRecord): void;
  /** A kill attempt, whatever its outcome, or in dry-run the kill that was not done. */
  killed(record: EventRecord): void;
  outOfReach(group: OutsideGroup, because: string, pressure: PressureRecord): void;
  /** An app paused to ask the user (outcome paused), or a paused app resumed (outcome resumed). */
  paused(record: EventRecord): void;
  resumed(record: EventRecord): void;
}

/** One report that tells each of `reports`; a failing one does not keep the others from hearing. */
export function allOf(reports: readonly EventReport[], onError: (err: unknown) => void): EventReport {
  const each = <K extends keyof EventReport>(method: K) => (...args: Parameters<EventReport[K]>): void => {
    for (const r of reports) {
      try {
        (r[method] as (...a: Parameters<EventReport[K]>) => void)(...args);
      } catch (err) {
        onError(err);
      }
    }
  };
  return { looked: each('looked'), stateChanged: each('stateChanged'), warned: each('warned'), killed: each('killed'), outOfReach: each('outOfReach'),
    paused: each('paused'), resumed: each('resumed') };
}
