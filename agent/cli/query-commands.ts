// Commands that ask the running agent over the bus: status, list, history, explain, kill, resume, quit, prefer.
import { printable, printableDeep } from '../../shared/format.js';
import { isPreference } from '../../shared/names.js';
import { toJsonSafe } from '../../shared/records.js';
import { AgentClient, AgentCallError, AgentNotRunningError } from '../bus/agent-client.js';
import { CliError, EXIT_NOT_RUNNING, EXIT_USAGE } from './exit-codes.js';
import { renderApps, renderCandidates, renderKill, renderPressure } from './render.js';

export const printJson = (value: unknown): void => {
  process.stdout.write(JSON.stringify(toJsonSafe(value)) + '\n');
};

/** Connect, run, close; map "not running" and agent errors to CLI errors with exit codes. */
export async function withAgent<T>(work: (c: AgentClient) => Promise<T>): Promise<T> {
  let client: AgentClient;
  try {
    client = await AgentClient.connect();
  } catch (err) {
    if (err instanceof AgentNotRunningError) throw new CliError(err.message, EXIT_NOT_RUNNING);
    if (err instanceof Error && err.name === 'BusUnavailableError') throw new CliError(`${err.message}: is this a desktop session?`, EXIT_NOT_RUNNING);
    throw err;
  }
  try {
    return await work(client);
  } catch (err) {
    if (err instanceof AgentNotRunningError) throw new CliError(err.message, EXIT_NOT_RUNNING);
    if (err instanceof AgentCallError) throw new CliError(err.message.replace(/^.*?: /, ''));
    throw err;
  } finally {
    client.close();
  }
}

export const status = (json: boolean): Promise<void> => withAgent(async (c) => {
  const [state, pressure, dryRun, version] = await Promise.all([c.state(), c.pressure(), c.dryRun(), c.version()]);
  if (json) return printJson({ state, dryRun, version, pressure });
  // Text output quotes names from outside (desktop entries, unit names): no control character
  // reaches the terminal (printable); --json output is escaped by JSON itself.
  console.log(printable(`headroom agent ${version}: ${state}${dryRun ? ' (dry-run)' : ''}`));
  console.log(renderPressure(pressure, Date.now()));
});

export const list = (json: boolean): Promise<void> => withAgent(async (c) => {
  const apps = await c.listApps();
  if (json) return printJson(apps);
  console.log(renderApps(printableDeep(apps)));
});

export const history = (limit: number, json: boolean): Promise<void> => withAgent(async (c) => {
  const kills = await c.history(limit);
  if (json) return printJson(kills);
  console.log(kills.length === 0 ? 'nothing has been killed' : printableDeep(kills).map(renderKill).join('\n'));
});

export const explain = (json: boolean): Promise<void> => withAgent(async (c) => {
  const raw = await c.explain();
  if (json) return printJson(raw);
  const e = printableDeep(raw);
  console.log(`${e.state}: ${e.because}`);
  console.log(e.unit === '' ? 'nothing would be killed' : `next to go: ${e.displayName || e.appId} (${e.unit})`);
  console.log('');
  console.log(renderCandidates(e.candidates));
});

export const kill = (target: string, json: boolean): Promise<void> => withAgent(async (c) => {
  const k = await c.killApp(target);
  if (json) return printJson(k);
  console.log(renderKill(printableDeep(k)));
  if (k.outcome === 'partial' || k.outcome === 'failed') throw new CliError(`${k.processesLeft} processes of ${k.unit} survived`);
});

export const resume = (target: string, json: boolean): Promise<void> => withAgent(async (c) => {
  const k = await c.resumeApp(target);
  if (json) return printJson(k);
  console.log(renderKill(printableDeep(k)));
});

/** Stop a paused app: the same exit codes as kill (1 when processes survived). */
export const quit = (target: string, force: boolean, json: boolean): Promise<void> => withAgent(async (c) => {
  const k = await c.quitApp(target, force);
  if (json) return printJson(k);
  console.log(renderKill(printableDeep(k)));
  if (k.outcome === 'partial' || k.outcome === 'failed') throw new CliError(`${k.processesLeft} processes of ${k.unit} survived`);
});

export const prefer = (appId: string, pref: string, json: boolean): Promise<void> => {
  if (!isPreference(pref)) return Promise.reject(new CliError(`preference must be none, avoid or omit, not ${JSON.stringify(pref)}`, EXIT_USAGE));
  return withAgent(async (c) => {
    await c.setPreference(appId, pref);
    if (json) return printJson({ appId, preference: pref });
    console.log(printable(`${appId}: ${pref}`));
  });
};

