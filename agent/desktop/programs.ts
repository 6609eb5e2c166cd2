// Is a program installed? (TryExec=, systemd-run, terminal emulators.) Synchronous and cheap:
// a few access(2) calls, never a child process.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export const isExecutable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** A path is checked as is; a bare name is looked up on PATH. */
export const isInstalled = (program: string, path = process.env.PATH ?? ''): boolean =>
  program.includes('/') ? isExecutable(program) : path.split(delimiter).some((dir) => dir !== '' && isExecutable(join(dir, program)));
