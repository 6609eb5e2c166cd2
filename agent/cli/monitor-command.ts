// `headroom monitor`: follow the agent's signals live. Survives agent restarts: the match
// rules follow the well-known name, whoever owns it.
import { formatPct, printable, printableDeep } from '../../shared/format.js';
import { AgentClient } from '../bus/agent-client.js';
import { nameHasOwner } from '../bus/dbus.js';
import { printJson } from './query-commands.js';
import { renderKill } from './render.js';

export async function monitor(json: boolean): Promise<never> {
  const client = await AgentClient.connect({ requireRunning: false });
  const out = (event: string, data: Record<string, unknown>, human: string): void => {
    if (json) printJson({ event, ...data });
    else console.log(`${new Date().toISOString()}  ${human}`);
  };
  // Human lines quote names from outside: made printable first (--json is escaped by JSON).
  client.onKilled((k) => out('Killed', { kill: k }, renderKill(printableDeep(k))));
  client.onWouldKill((k) => out('WouldKill', { kill: k }, renderKill(printableDeep(k))));
  client.onWarned((k) => out('Warned', { kill: k }, renderKill(printableDeep(k))));
  client.onPaused((k) => out('Paused', { kill: k }, renderKill(printableDeep(k))));
  client.onResumed((k) => out('Resumed', { kill: k }, renderKill(printableDeep(k))));
  client.onStateChanged((state, previous, because, pressure) =>
    out('StateChanged', { state, previous, because, pressure }, `${previous} → ${state} (full ${formatPct(pressure.fullAvg10)}): ${printable(because)}`));
  client.onPreferenceChanged((appId, preference) => out('PreferenceChanged', { appId, preference }, printable(`${appId}: ${preference}`)));
  // The AddMatch calls went out when the listeners were added; one round trip to the bus
  // daemon proves they were processed. Only then tell scripts we are listening.
  await nameHasOwner(client.bus, 'org.freedesktop.DBus');
  if (json) printJson({ event: 'Ready' });
  else console.error('following the Headroom agent; Ctrl+C to stop');
  return new Promise<never>(() => {
    process.on('SIGINT', () => {
      client.close();
      process.exit(0);
    });
    process.on('SIGTERM', () => {
      client.close();
      process.exit(0);
    });
  });
}
