// Exit codes scripts can rely on (documented in `headroom --help`).
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_NOT_RUNNING = 3;
/** `headroom agent` found no cgroup v2 / PSI / user manager (preflight). */
export const EXIT_UNSUPPORTED = 4;

export class CliError extends Error {
  override name = 'CliError';
  constructor(message: string, readonly exitCode = EXIT_FAILURE) {
    super(message);
  }
}
