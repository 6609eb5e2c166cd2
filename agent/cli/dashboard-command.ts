// `headroom dashboard`: the tray's dashboard page for people without the tray, on 127.0.0.1,
// opened with one-time links (agent/dashboard/access.ts). It starts even when the agent is not running (the page says so and
// picks the agent up when it appears), because a dashboard that refuses to open is no help
// to someone trying to find out why their guard is not running. No session bus at all still
// fails with exit 3 (BusUnavailableError, mapped in main.ts).
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentClient, AgentNotRunningError } from '../bus/agent-client.js';
import { startDashboardServer, type DashboardServer } from '../dashboard/server.js';
import { openAgentFeed } from '../feed/agent-feed.js';
import { readSystemFacts } from '../feed/system-facts.js';
import { STATE_FILE_MODE } from '../io/files.js';
import { packageRoot } from '../io/package-root.js';
import { CliError } from './exit-codes.js';

export interface DashboardOptions {
  open: boolean;
  port?: number;
}

/** The built output the server may serve from (the page's files live under it). */
export const dashboardRoot = (): string => join(packageRoot(), 'dist');

export async function dashboard(o: DashboardOptions): Promise<never> {
  const root = dashboardRoot();
  if (!existsSync(join(root, 'tray-app', 'renderer', 'index.html'))) {
    throw new CliError(`the dashboard page is not built (no ${join(root, 'tray-app', 'renderer', 'index.html')}); run "npm run build"`);
  }
  await activateAgent();
  const feed = await openAgentFeed({ readFacts: readSystemFacts });
  let server;
  try {
    server = await startDashboardServer({ bridge: feed, rootDir: root, port: o.port });
  } catch (err) {
    feed.close();
    throw new CliError(`cannot listen on 127.0.0.1${o.port ? `:${o.port}` : ''}: ${err instanceof Error ? err.message : String(err)}`);
  }
  // stdout carries only the address, so scripts (and the tests) can read it.
  process.stdout.write(`${server.newLink().url}\n`);
  process.stderr.write('Headroom dashboard: open the address above in a browser (it works once, for 10 minutes); Ctrl+C to stop\n');
  const cleanups: (() => void)[] = [];
  if (o.open) cleanups.push(await openInBrowser(server));

  const running = server;
  return new Promise<never>(() => {
    const stop = (): void => {
      feed.close();
      for (const cleanup of cleanups) cleanup();
      void running.close().finally(() => process.exit(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

/** Let D-Bus activation start an installed but stopped agent; say so when there is none. */
async function activateAgent(): Promise<void> {
  try {
    (await AgentClient.connect({ requireRunning: true })).close();
  } catch (err) {
    if (!(err instanceof AgentNotRunningError)) throw err;
    process.stderr.write('headroom: the agent is not running; the dashboard will say so, and follow it once it starts\n');
  }
}

/**
 * Open a link of its own in the browser without putting its secret in any argv (xdg-open's
 * and the browser's are readable by every local user through `ps`): the secret goes into a
 * 0600 file in a fresh 0700 directory, which xdg-open opens and which forwards the browser.
 * The file is removed once the link is used or has expired. Returns the cleanup for exit.
 */
async function openInBrowser(server: DashboardServer): Promise<() => void> {
  const dir = await mkdtemp(join(process.env.XDG_RUNTIME_DIR || tmpdir(), 'headroom-dashboard-'));
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  const link = server.newLink(remove);
  const file = join(dir, 'open.html');
  await writeFile(file, forwardingPage(link.url), { mode: STATE_FILE_MODE, flag: 'wx' });
  const child = spawn('xdg-open', [file], { stdio: 'ignore', detached: true });
  child.once('error', (err) => process.stderr.write(`headroom: could not run xdg-open (${err.message}); open the address above yourself\n`));
  child.unref();
  return remove;
}

/** A page that sends the browser on to the dashboard at once (no script: file pages may not run any). */
export const forwardingPage = (url: string): string => `<!doctype html>
<meta charset="utf-8">
<meta name="referrer" content="no-referrer">
<meta http-equiv="refresh" content="0; url=${url}">
<title>Headroom dashboard</title>
<p>Opening the <a href="${url}">Headroom dashboard</a>…</p>
`;
