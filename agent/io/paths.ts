// Where Headroom keeps things, per the XDG base directory spec.
import { homedir } from 'node:os';
import { join } from 'node:path';

const home = (env: NodeJS.ProcessEnv): string => env.HOME || homedir();

export const configDir = (env: NodeJS.ProcessEnv = process.env): string =>
  join(env.XDG_CONFIG_HOME || join(home(env), '.config'), 'headroom');
export const stateDir = (env: NodeJS.ProcessEnv = process.env): string =>
  join(env.XDG_STATE_HOME || join(home(env), '.local', 'state'), 'headroom');

/** $XDG_DATA_HOME, or ~/.local/share. */
export const dataHome = (env: NodeJS.ProcessEnv = process.env): string => env.XDG_DATA_HOME || join(home(env), '.local', 'share');

export const configFile = (env?: NodeJS.ProcessEnv): string => join(configDir(env), 'config.toml');
export const preferencesFile = (env?: NodeJS.ProcessEnv): string => join(configDir(env), 'preferences.json');
export const historyFile = (env?: NodeJS.ProcessEnv): string => join(stateDir(env), 'history.jsonl');
/** The app Headroom holds paused, so an agent that died with it frozen thaws it when it starts again. */
export const pausedFile = (env?: NodeJS.ProcessEnv): string => join(stateDir(env), 'paused.json');
