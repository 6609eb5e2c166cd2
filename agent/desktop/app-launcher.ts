// The agent's Launch and ListLaunchers: desktop entries started into their own scopes by
// systemd-run, exactly as `headroom run X.desktop` does, for the tray and the dashboard.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Preference } from '../../shared/names.js';
import type { LauncherRecord } from '../../shared/records.js';
import { chooseTerminal, launcherRecords, planDesktopLaunch, type DesktopLaunch, type DesktopLaunchContext } from './core/desktop-launch.js';
import { buildLaunchArgv } from './core/launch.js';
import { makeScopeName } from '../core/unit-name.js';
import { applicationDirs, findDesktopFile, listDesktopFiles, messagesLocale } from './desktop-entries.js';
import { isInstalled } from './programs.js';

export interface AppLauncher {
  list(): Promise<LauncherRecord[]>;
  /** Start the entry; resolves to the scope's unit name once systemd-run is under way. */
  launch(desktopId: string, uris: readonly string[], preference: Preference): Promise<string>;
  /**
   * Whether launch(desktopId, []) would get as far as systemd-run: the entry is found and every
   * rule of planDesktopLaunch passes (the kill notice offers Reopen only then). Never throws.
   */
  canLaunch(desktopId: string): Promise<boolean>;
}

/** Thrown for a launch that cannot happen (unknown entry, bad entry, systemd-run failed). */
export class LaunchError extends Error {
  override name = 'LaunchError';
}

/** systemd-run fails fast (bad unit, no user manager): wait this long for that before saying "started". */
const EARLY_EXIT_WINDOW_MS = 1000;

/** What planDesktopLaunch needs from the environment, for `headroom run X.desktop` and Launch alike. */
export function desktopLaunchContext(env: NodeJS.ProcessEnv, cwd: string): DesktopLaunchContext {
  const installed = (p: string): boolean => isInstalled(p, env.PATH ?? '');
  return { locale: messagesLocale(env), cwd, isInstalled: installed, terminal: chooseTerminal(env.TERMINAL, installed) };
}

export function createAppLauncher(env: NodeJS.ProcessEnv = process.env): AppLauncher {
  const installed = (p: string): boolean => isInstalled(p, env.PATH ?? '');
  // One plan for launch and canLaunch: what Reopen offers is exactly what Launch would start.
  const plan = async (desktopId: string, uris: readonly string[]): Promise<DesktopLaunch> => {
    if (desktopId.trim() === '' || desktopId.includes('/')) throw new LaunchError(`not a desktop entry id: ${JSON.stringify(desktopId)}`);
    const file = await findDesktopFile(desktopId, applicationDirs(env));
    if (!file) throw new LaunchError(`no desktop entry ${desktopId.replace(/\.desktop$/, '')}.desktop in ${applicationDirs(env).join(', ')}`);
    try {
      return planDesktopLaunch(file, uris, desktopLaunchContext(env, env.HOME ?? '/'));
    } catch (err) {
      throw new LaunchError((err as Error).message);
    }
  };
  return {
    async list() {
      const desktops = (env.XDG_CURRENT_DESKTOP ?? '').split(':').filter((d) => d !== '');
      return launcherRecords(await listDesktopFiles(applicationDirs(env)), { locale: messagesLocale(env), isInstalled: installed, desktops });
    },

    async canLaunch(desktopId) {
      return plan(desktopId, []).then(() => true, () => false);
    },

    async launch(desktopId, uris, preference) {
      const { appId, name, argv: command, workingDirectory } = await plan(desktopId, uris);
      const random = randomBytes(8).toString('hex');
      const argv = buildLaunchArgv({ appId, random, command: command[0]!, args: command.slice(1), description: name, preference });
      argv.splice(argv.indexOf('--'), 0, `--working-directory=${workingDirectory ?? env.HOME ?? '/'}`);
      await startDetached(argv, env, `${name} (${command[0]})`);
      return makeScopeName(appId, random);
    },
  };
}

/**
 * Run systemd-run detached from the agent: its own process group, output to the agent's journal,
 * never waited for beyond the early-failure window (the app lives on in its scope when the agent
 * restarts).
 */
function startDetached(argv: readonly string[], env: NodeJS.ProcessEnv, what: string): Promise<void> {
  // env is the agent's, which runAgent already rid of ELECTRON_RUN_AS_NODE (the packages run the
  // agent on Electron's Node) and of an AppImage's search paths (withoutAppImageEnv).
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', 'inherit', 'inherit'], env });
    const timer = setTimeout(() => {
      child.removeAllListeners();
      child.unref();
      resolve();
    }, EARLY_EXIT_WINDOW_MS);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new LaunchError(`could not launch ${what}: ${argv[0]}: ${err.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(); // the app finished at once: it did start
      else reject(new LaunchError(`could not launch ${what}: ${argv[0]} ended with ${signal ?? `exit status ${code}`} (the agent's log has its message)`));
    });
  });
}
