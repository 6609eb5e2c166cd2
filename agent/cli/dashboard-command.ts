// `headroom dashboard`: the tray's dashboard page for people without the tray, on 127.0.0.1
// behind a random token. It starts even when the agent is not running (the page says so and
// picks the agent up when it appears), because a dashboard that refuses to open is no help
// to someone trying to find out why their guard is not running. No session bus at all still
// fails with exit 3 (BusUnavailableError, mapped in main.ts).
import { spawn } from 'node:child_process';
import { InvalidArgumentError } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AgentClient, AgentNotRunningError } from '../bus/agent-client.js';
import { createDashboardBackend } from '../dashboard/backend.js';
import { startDashboardServer } from '../dashboard/server.js';
import { packageRoot } from '../io/package-root.js';
import { CliError } from './exit-codes.js';

export interface DashboardOptions {
  open: boolean;
  port?: number;
}

/** --port: a TCP port a user may bind (1024–65535, so no root is needed). */
export const portNumber = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1024 || n > 65535) throw new InvalidArgumentError('expected a port number from 1024 to 65535');
  return n;
};

/** The built output the server may serve from (the page's files live under it). */
export const dashboardRoot = (): string => join(packageRoot(), 'dist');

export async function dashboard(o: DashboardOptions): Promise<never> {
  const root = dashboardRoot();
  if (!existsSync(join(root, 'tray-app', 'renderer', 'index.html'))) {
    throw new CliError(`the dashboard page is not built (no ${join(root, 'tray-app', 'renderer', 'index.html')}); run "npm run build"`);
  }
  await activateAgent();
  const backend = await createDashboardBackend();
  let server;
  try {
    server = await startDashboardServer({ bridge: backend, rootDir: root, port: o.port });
  } catch (err) {
    backend.close();
    throw new CliError(`cannot listen on 127.0.0.1${o.port ? `:${o.port}` : ''}: ${err instanceof Error ? err.message : String(err)}`);
  }
  // stdout carries only the address, so scripts (and the tests) can read it.
  process.stdout.write(`${server.url}\n`);
  process.stderr.write('Headroom dashboard: open the address above in a browser; Ctrl+C to stop\n');
  if (o.open) openInBrowser(server.url);

  const running = server;
  return new Promise<never>(() => {
    const stop = (): void => {
      backend.close();
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

function openInBrowser(url: string): void {
  const child = spawn('xdg-open', [url], { stdio: 'ignore', detached: true });
  child.once('error', (err) => process.stderr.write(`headroom: could not run xdg-open (${err.message}); open the address yourself\n`));
  child.unref();
}
