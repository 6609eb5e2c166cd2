// `headroom run`: launch an app in its own scope. Node only computes the command; the shim
// (bin/headroom) execs it, so no Node process stays resident beside the app.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, readFileSync, writeSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Preference } from '../../shared/names.js';
import { buildExecLine, buildLaunchArgv } from '../core/launch.js';
import { defaultAppId } from '../core/unit-name.js';
import { AgentClient, AgentNotRunningError } from '../bus/agent-client.js';
import { preferencesFile } from '../io/paths.js';
import { openPreferences } from '../io/preferences.js';
import { CliError, EXIT_USAGE } from './exit-codes.js';

export interface RunOptions {
  id?: string;
  avoid?: boolean;
  omit?: boolean;
  description?: string;
}

const onPath = (cmd: string): boolean =>
  (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, cmd), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });

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

export async function runApp(command: string, args: string[], opts: RunOptions): Promise<number> {
  if (opts.avoid && opts.omit) throw new CliError('--avoid and --omit exclude each other', EXIT_USAGE);
  const appId = opts.id ?? defaultAppId(command);
  if (appId.trim() === '') throw new CliError('the app id must not be empty', EXIT_USAGE);
  const preference: Preference = opts.avoid ? 'avoid' : opts.omit ? 'omit' : 'none';
  if (!onPath('systemd-run')) throw new CliError('systemd-run is not installed: headroom run needs systemd (it launches apps with systemd-run --user --scope)');
  if (preference !== 'none') await persistPreference(appId, preference);

  const argv = buildLaunchArgv({ appId, random: randomBytes(8).toString('hex'), command, args, description: opts.description, preference });
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
