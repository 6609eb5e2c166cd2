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

const CONFIG = (dir: string, serviceDir: string | undefined): string => `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=${dir}</listen>${serviceDir ? `\n  <servicedir>${serviceDir}</servicedir>` : ''}
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`;

export const dbusDaemonAvailable = (): boolean => spawnSync('dbus-daemon', ['--version'], { stdio: 'ignore' }).status === 0;

/** `serviceDir`: D-Bus activation files the bus may start services from (none by default). */
export async function startPrivateBus(serviceDir?: string): Promise<PrivateBus> {
  const dir = mkdtempSync(join(tmpdir(), 'headroom-bus-'));
  const configPath = join(dir, 'bus.conf');
  writeFileSync(configPath, CONFIG(dir, serviceDir));
  const daemon: ChildProcess = spawn('dbus-daemon', [`--config-file=${configPath}`, '--nofork', '--print-address=1'], { stdio: ['ignore', 'pipe', 'pipe'] });
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
