// How `headroom run` launches an app: the systemd-run argv, and the sh line the bin/headroom
// shim execs. Pure: the random suffix and the current oom_score_adj are passed in.
import type { Preference } from '../../../shared/names.js';
import { makeScopeName } from '../../core/unit-name.js';

export interface LaunchSpec {
  appId: string;
  /** 16 lowercase hex digits. */
  random: string;
  command: string;
  args: readonly string[];
  description?: string;
  preference: Preference;
}

export function buildLaunchArgv(spec: LaunchSpec): string[] {
  const unit = makeScopeName(spec.appId, spec.random);
  const argv = [
    'systemd-run', '--user', '--scope', '--quiet', '--collect',
    '--slice=app.slice',
    `--unit=${unit}`,
    `--description=${spec.description ?? spec.appId}`,
  ];
  // Tells systemd-oomd too, where it runs; Headroom's own per-app preference is separate.
  if (spec.preference !== 'none') argv.push('--property', `ManagedOOMPreference=${spec.preference}`);
  argv.push('--', spec.command, ...spec.args);
  return argv;
}

/** POSIX single-quote one word: the shim evals it, so nothing in it may be interpreted. */
export const shellQuote = (word: string): string => `'${word.replace(/'/g, `'\\''`)}'`;

/**
 * Launched apps must not inherit an extreme oom_score_adj: a hog that inherited -1000 from a
 * test runner was unkillable and took the guest down. Raising is always allowed; never lower.
 */
export const LAUNCH_MIN_OOM_SCORE_ADJ = 100;

/**
 * The line the shim runs with `eval`: fix oom_score_adj if needed, then exec systemd-run.
 * The shim runs under `set -e`, and a failed redirection fails the command before any `2>` on
 * it applies: the brace group (same shell, so /proc/self is still the shell) silences the
 * error and `|| :` keeps a refused write from aborting the launch.
 */
export function buildExecLine(argv: readonly string[], currentOomScoreAdj: number | null): string {
  const raise = currentOomScoreAdj !== null && currentOomScoreAdj < LAUNCH_MIN_OOM_SCORE_ADJ
    ? `{ echo ${LAUNCH_MIN_OOM_SCORE_ADJ} >/proc/self/oom_score_adj; } 2>/dev/null || :; `
    : '';
  return `${raise}exec ${argv.map(shellQuote).join(' ')}`;
}
