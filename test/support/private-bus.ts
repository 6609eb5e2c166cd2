// A private dbus-daemon for one test file: a real bus, with no service files (so nothing is
// auto-activated) and nothing shared with the machine's own session.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface PrivateBus {
  address: string;
  stop(): Promise<void>;
}

export interface BusOptions {
  /** Extra directories of D-Bus activation files. */
  serviceDirs?: string[];
  /** Also the standard session ones ($XDG_DATA_HOME/dbus-1/services, …), read from `env`. */
  standardServiceDirs?: boolean;
  /** The daemon's environment (the standard service dirs come from its XDG variables). */
  env?: NodeJS.ProcessEnv;
}

const CONFIG = (dir: string, o: BusOptions): string => `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=${dir}</listen>${(o.serviceDirs ?? []).map((d) => `\n  <servicedir>${d}</servicedir>`).join('')}${o.standardServiceDirs ? '\n  <standard_session_servicedirs/>' : ''}
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`;

export const dbusDaemonAvailable = (): boolean => spawnSync('dbus-daemon', ['--version'], { stdio: 'ignore' }).status === 0;

/** By default the bus can activate nothing: no service directories at all. */
export async function startPrivateBus(opts: BusOptions = {}): Promise<PrivateBus> {
  const dir = mkdtempSync(join(tmpdir(), 'headroom-bus-'));
  const configPath = join(dir, 'bus.conf');
  writeFileSync(configPath, CONFIG(dir, opts));
  const daemon: ChildProcess = spawn('dbus-daemon', [`--config-file=${configPath}`, '--nofork', '--print-address=1'], { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  // Kept for failure messages only: as non-root-in-a-sandbox it warns about fd limits.
  let stderr = '';
  daemon.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const address = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: daemon.stdout! });
    rl.once('line', (line) => resolve(line.trim()));
    daemon.once('exit', (code) => reject(new Error(`dbus-daemon exited with ${code}: ${stderr}`)));
    daemon.once('error', reject);
  });
  return {
    address,
    async stop() {
      if (daemon.exitCode === null) {
        const exited = new Promise((r) => daemon.once('exit', r));
        daemon.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
