// `headroom run`: launch an app in its own scope. Node only computes the command; the shim
// (bin/headroom) execs it, so no Node process stays resident beside the app.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeSync } from 'node:fs';
import type { Preference } from '../../shared/names.js';
import { DesktopLaunchError, planDesktopLaunch, type DesktopLaunch } from '../desktop/core/desktop-launch.js';
import { desktopLaunchContext } from '../desktop/app-launcher.js';
import { buildExecLine, buildLaunchArgv } from '../desktop/core/launch.js';
import { defaultAppId } from '../core/unit-name.js';
import { AgentClient, AgentNotRunningError } from '../bus/agent-client.js';
import { applicationDirs, findDesktopFile, readDesktopFileAt } from '../desktop/desktop-entries.js';
import { preferencesFile } from '../io/paths.js';
import { openPreferences } from '../io/preferences.js';
import { isInstalled } from '../desktop/programs.js';
import { CliError, EXIT_USAGE } from './exit-codes.js';

export interface RunOptions {
  id?: string;
  avoid?: boolean;
  omit?: boolean;
  description?: string;
  /** Run this desktop entry (an id, with or without ".desktop"); the positional args are its files/URLs. */
  desktop?: string;
}

/** Find a desktop entry (an id, or a path when it holds a "/") and expand its Exec= for `targets`. */
async function resolveDesktopEntry(ref: string, targets: string[]): Promise<DesktopLaunch> {
  const file = ref.includes('/') ? await readDesktopFileAt(ref) : await findDesktopFile(ref);
  if (!file) {
    throw new CliError(ref.includes('/')
      ? `no such desktop entry: ${ref}`
      : `no desktop entry ${ref.endsWith('.desktop') ? ref : `${ref}.desktop`} in ${applicationDirs().join(', ')}`);
  }
  try {
    return planDesktopLaunch(file, targets, desktopLaunchContext(process.env, process.cwd()));
  } catch (err) {
    if (err instanceof DesktopLaunchError) throw new CliError(err.message, err.kind === 'usage' ? EXIT_USAGE : undefined);
    throw err;
  }
}

/** The target of `headroom run`: a plain command, or a desktop entry and its files/URLs. */
export const isDesktopRef = (command: string | undefined, opts: RunOptions): boolean =>
  opts.desktop !== undefined || (command !== undefined && command.endsWith('.desktop'));

const readOomScoreAdj = (): number | null => {
  try {
    return Number(readFileSync('/proc/self/oom_score_adj', 'utf8').trim());
  } catch {
    return null;
  }
};

/** Remember the per-app choice: through the agent when it runs, else in the file directly. */
async function persistPreference(appId: string, pref: Preference): Promise<void> {
  try {
    const client = await AgentClient.connect();
    try {
      await client.setPreference(appId, pref);
    } finally {
      client.close();
    }
  } catch (err) {
    if (!(err instanceof AgentNotRunningError) && !(err instanceof Error && err.name === 'BusUnavailableError')) throw err;
    const store = await openPreferences(preferencesFile());
    await store.set(appId, pref);
  }
}

async function storedPreference(appId: string): Promise<Preference> {
  try {
    return (await openPreferences(preferencesFile())).get(appId);
  } catch {
    return 'none'; // a damaged file must not stop a launch; the agent reports it
  }
}

export async function runApp(command: string | undefined, args: string[], opts: RunOptions): Promise<number> {
  if (opts.avoid && opts.omit) throw new CliError('--avoid and --omit exclude each other', EXIT_USAGE);
  let launch: { appId: string; argv: string[]; description?: string; workingDirectory: string | null };
  if (isDesktopRef(command, opts)) {
    // `run X.desktop FILES…` or `run --desktop X [FILES…]`
    const ref = opts.desktop ?? command!;
    const targets = opts.desktop !== undefined && command !== undefined ? [command, ...args] : args;
    const d = await resolveDesktopEntry(ref, targets);
    launch = { appId: opts.id ?? d.appId, argv: d.argv, description: opts.description ?? d.name, workingDirectory: d.workingDirectory };
  } else {
    if (command === undefined) throw new CliError("missing required argument 'command'", EXIT_USAGE);
    launch = { appId: opts.id ?? defaultAppId(command), argv: [command, ...args], description: opts.description, workingDirectory: null };
  }
  const appId = launch.appId;
  if (appId.trim() === '') throw new CliError('the app id must not be empty', EXIT_USAGE);
  const asked: Preference = opts.avoid ? 'avoid' : opts.omit ? 'omit' : 'none';
  if (!isInstalled('systemd-run')) throw new CliError('systemd-run is not installed: headroom run needs systemd (it launches apps with systemd-run --user --scope)');
  if (asked !== 'none') await persistPreference(appId, asked);
  // Without a flag, the app's remembered choice (e.g. "Don't kill X again") goes on the new
  // scope too, so systemd-oomd sees it from the first moment; the agent reads the file anyway.
  const preference = asked !== 'none' ? asked : await storedPreference(appId);

  const argv = buildLaunchArgv({
    appId, random: randomBytes(8).toString('hex'), command: launch.argv[0]!, args: launch.argv.slice(1), description: launch.description, preference,
  });
  // Path= of a desktop entry: systemd-run --scope changes there before it execs the app.
  if (launch.workingDirectory !== null) argv.splice(argv.indexOf('--'), 0, `--working-directory=${launch.workingDirectory}`);
  const execFd = process.env.HEADROOM_EXEC_FD;
  if (execFd !== undefined) {
    writeSync(Number(execFd), buildExecLine(argv, readOomScoreAdj()));
    return 0;
  }
  // Started without the shim (node dist/agent/cli/main.js run …): no exec available, so wait
  // for the app and pass its exit status on. Node stays resident in this mode only.
  const r = spawnSync(argv[0]!, argv.slice(1), { stdio: 'inherit' });
  if (r.error) throw new CliError(`could not start systemd-run: ${r.error.message}`);
  return r.status ?? 128 + (r.signal ? 9 : 0);
}
