// The headroom command line. Parsing only: each command is a function in this folder, loaded
// when it runs. The agent lives all session and should not hold the dashboard's server, the
// installer or the system facts it never uses (2.8 MiB of anonymous memory on Node 20), and a
// CLI answering a notification under memory pressure should not wait for the agent's modules.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { PreflightError } from '../cgroup/user-tree.js';
import { packageVersion } from '../io/package-root.js';
import { CliError, EXIT_FAILURE, EXIT_NOT_RUNNING, EXIT_OK, EXIT_UNSUPPORTED, EXIT_USAGE } from './exit-codes.js';
import type { RunOptions } from './run-command.js';

const query = () => import('./query-commands.js');

const EPILOG = `
Exit status:
  0  success
  1  failure (the agent reported an error, a kill left processes behind, …)
  2  bad usage
  3  the agent is not running (or there is no session bus)
  4  this system cannot run the agent (no cgroup v2, PSI or systemd user manager)

Files:
  $XDG_CONFIG_HOME/headroom/config.toml        settings (see assets/config.example.toml)
  $XDG_CONFIG_HOME/headroom/preferences.json   per-app avoid/omit
  $XDG_STATE_HOME/headroom/history.jsonl       kill history`;

const positiveInt = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 100000) throw new InvalidArgumentError('expected a whole number from 1 to 100000');
  return n;
};

/** --port: a TCP port a user may bind (1024–65535, so no root is needed). */
export const portNumber = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1024 || n > 65535) throw new InvalidArgumentError('expected a port number from 1024 to 65535');
  return n;
};

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('headroom')
    .description('Desktop out-of-memory guard: watches memory pressure in your systemd session and stops the heaviest app before the desktop freezes.')
    .version(packageVersion())
    .enablePositionalOptions()
    .showHelpAfterError()
    .addHelpText('after', EPILOG);

  program.command('agent')
    .description('run the agent in the foreground (normally started by systemd as headroom-agent.service)')
    .option('--dry-run', 'decide and report, but kill nothing', false)
    .option('--config <file>', 'config file (default: $XDG_CONFIG_HOME/headroom/config.toml)')
    .option('--debug', 'log every decision', false)
    .addOption(new Option('--user-tree <dir>', 'watch this cgroup instead of user@UID.service (tests)').hideHelp())
    .addOption(new Option('--proc-root <dir>', 'read /proc from here (tests)').hideHelp())
    .action(async (o: { dryRun: boolean; config?: string; debug: boolean; userTree?: string; procRoot?: string }) => {
      const { runAgent } = await import('./agent-command.js');
      await runAgent({ dryRun: o.dryRun, config: o.config, debug: o.debug, userTree: o.userTree, procRoot: o.procRoot });
    });

  program.command('run')
    .description('launch an app in its own scope (app-headroom-<id>-<random>.scope in app.slice), so it can be told apart and stopped alone')
    .usage('[options] [--] <command> [args...]')
    .argument('[command]', 'program to run, or a desktop entry: an id ending in .desktop, or the path of a .desktop file')
    .argument('[args...]', 'its arguments (for a desktop entry: the files or URLs to open)')
    .option('--id <id>', 'application id (default: the basename of <command>, or the desktop entry\'s id)')
    .option('--avoid', 'remember this app as avoid: killed only when nothing else is left')
    .option('--omit', 'remember this app as omit: never killed')
    .option('--description <text>', 'unit description (default: the id, or the desktop entry\'s Name)')
    .option('--desktop <id>', 'run this desktop entry\'s Exec= (id with or without .desktop); the arguments are its files/URLs')
    .addHelpText('after', `
A desktop entry runs as the desktop would run it: its Exec= line, quoted and expanded per the
Desktop Entry spec (%f/%u: one of the files/URLs given, %F/%U: all of them), in its Path=;
the scope is named after the entry's id and described by its Name. Hidden entries and
entries without Exec= are refused. Example: headroom run org.mozilla.firefox.desktop URL`)
    .passThroughOptions()
    .action(async (command: string | undefined, args: string[], o: RunOptions, cmd: Command) => {
      if (command === undefined && o.desktop === undefined) cmd.error("error: missing required argument 'command'", { code: 'commander.missingArgument' });
      const { runApp } = await import('./run-command.js');
      setExit(await runApp(command, args, o));
    });

  const json = (): Option => new Option('--json', 'print JSON (one object; BigInt-free)');
  program.command('status').description("the agent's state and the memory figures it sees").addOption(json())
    .action((o: { json?: boolean }) => query().then((q) => q.status(Boolean(o.json))));
  program.command('list').description('running app units with their memory and preference, heaviest first').addOption(json())
    .action((o: { json?: boolean }) => query().then((q) => q.list(Boolean(o.json))));
  program.command('history').description('recent kills, newest first').addOption(json())
    .option('-n, --limit <n>', 'how many', positiveInt, 20)
    .action((o: { json?: boolean; limit: number }) => query().then((q) => q.history(o.limit, Boolean(o.json))));
  program.command('explain').description('what would be killed now, and why').addOption(json())
    .action((o: { json?: boolean }) => query().then((q) => q.explain(Boolean(o.json))));
  program.command('kill').description('stop an app now (a unit name, or an app id: its heaviest unit)').argument('<target>').addOption(json())
    .action((target: string, o: { json?: boolean }) => query().then((q) => q.kill(target, Boolean(o.json))));
  program.command('resume').description('resume an app Headroom paused (a unit name, or an app id)').argument('<target>').addOption(json())
    .action((target: string, o: { json?: boolean }) => query().then((q) => q.resume(target, Boolean(o.json))));
  program.command('quit').description('stop an app Headroom paused: ask it to quit, or --force to kill it at once').argument('<target>')
    .option('--force', 'kill it at once (SIGKILL)', false).addOption(json())
    .action((target: string, o: { force?: boolean; json?: boolean }) => query().then((q) => q.quit(target, Boolean(o.force), Boolean(o.json))));
  program.command('prefer').description('set an app\'s preference: none, avoid (killed last) or omit (never killed)')
    .argument('<app-id>').argument('<preference>', 'none | avoid | omit').addOption(json())
    .action((appId: string, pref: string, o: { json?: boolean }) => query().then((q) => q.prefer(appId, pref, Boolean(o.json))));
  program.command('monitor').description("follow the agent's signals live (kills, state changes); survives agent restarts").addOption(json())
    .action((o: { json?: boolean }) => import('./monitor-command.js').then((m) => m.monitor(Boolean(o.json))));
  program.command('dashboard')
    .description('serve the dashboard page on 127.0.0.1, for use without the tray; prints a link that works once, for 10 minutes')
    .option('--open', 'open the dashboard in the browser (xdg-open), through a private file: no secret in any command line')
    .option('--port <n>', 'listen on this port instead of a random one', portNumber)
    .action(async (o: { open?: boolean; port?: number }) => {
      const { dashboard } = await import('./dashboard-command.js');
      await dashboard({ open: Boolean(o.open), port: o.port });
    });
  program.command('install')
    .description('install the agent as your systemd user service (headroom-agent.service) with D-Bus activation, then enable and start it')
    .option('--no-start', 'enable it (it starts at your next login), but do not start it now')
    .option('--force', 'replace files that were edited, or not written by headroom; the old file is kept as <file>.bak-<time>')
    .addOption(new Option('--no-systemctl', 'write the files only; run no systemctl (tests)').hideHelp())
    .addOption(json())
    .action(async (o: { start: boolean; force?: boolean; systemctl: boolean; json?: boolean }) => {
      const { install } = await import('./install-command.js');
      await install({ start: o.start, force: Boolean(o.force), systemctl: o.systemctl, json: Boolean(o.json) });
    });
  program.command('uninstall')
    .description('stop and disable headroom-agent.service, and remove the files headroom install wrote')
    .option('--force', 'remove them even if they were edited; the old file is kept as <file>.bak-<time>')
    .addOption(new Option('--no-systemctl', 'remove the files only; run no systemctl (tests)').hideHelp())
    .addOption(json())
    .action(async (o: { force?: boolean; systemctl: boolean; json?: boolean }) => {
      const { uninstall } = await import('./install-command.js');
      await uninstall({ force: Boolean(o.force), systemctl: o.systemctl, json: Boolean(o.json) });
    });

  program.exitOverride();
  for (const c of program.commands) c.exitOverride();
  return program;
}

export async function main(argv: string[]): Promise<number> {
  let code = EXIT_OK;
  const program = buildProgram((c) => { code = c; });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE; // help/version exit 0; usage errors were printed
    }
    if (err instanceof CliError) {
      process.stderr.write(`headroom: ${err.message}\n`);
      return err.exitCode;
    }
    if (err instanceof PreflightError) {
      process.stderr.write(`headroom: cannot watch memory here: ${err.message}\n`);
      return EXIT_UNSUPPORTED;
    }
    if (err instanceof Error && err.name === 'BusUnavailableError') {
      process.stderr.write(`headroom: ${err.message}\n`);
      return EXIT_NOT_RUNNING;
    }
    process.stderr.write(`headroom: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_FAILURE;
  }
}

// If the event loop ever drains with main() unsettled (a library promise that never settles),
// Node would exit 0 having done nothing: make that a failure instead.
process.exitCode = EXIT_FAILURE;
process.on('beforeExit', () => {
  if (!settled) process.stderr.write('headroom: internal error: gave up waiting (the event loop drained)\n');
});
let settled = false;
main(process.argv.slice(2)).then((code) => {
  settled = true;
  process.exitCode = code;
}, (err: unknown) => {
  settled = true;
  process.stderr.write(`headroom: ${String(err)}\n`);
  process.exitCode = EXIT_FAILURE;
});
