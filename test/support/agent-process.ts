// Run the real agent and the real CLI (bin/headroom) as child processes against a private
// bus, a real cgroup tree and a controllable /proc/meminfo.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const HEADROOM = join(REPO, 'bin', 'headroom');

/**
 * A /proc stand-in for the two system-wide files a test must control (meminfo, pressure);
 * everything else the agent reads there (self, <pid>) links to the real /proc.
 */
export class ProcRoot {
  readonly path = mkdtempSync(join(tmpdir(), 'headroom-proc-'));
  constructor(availablePct = 50) {
    mkdirSync(join(this.path, 'pressure'));
    writeFileSync(join(this.path, 'pressure', 'memory'), 'some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n');
    symlinkSync('/proc/self', join(this.path, 'self'));
    this.setAvailable(availablePct);
  }
  /** Replace meminfo atomically: MemTotal 8 GiB, MemAvailable at `pct`, no swap unless given (KiB; no /proc/swaps: the agent counts it as disk swap). */
  setAvailable(pct: number, swap: { totalKb: number; freeKb: number } = { totalKb: 0, freeKb: 0 }): void {
    const totalKb = 8 * 1024 * 1024;
    const text = `MemTotal:       ${totalKb} kB\nMemFree:        ${Math.round(totalKb * pct / 200)} kB\nMemAvailable:   ${Math.round(totalKb * pct / 100)} kB\nSwapTotal:      ${swap.totalKb} kB\nSwapFree:       ${swap.freeKb} kB\n`;
    writeFileSync(join(this.path, 'meminfo.tmp'), text);
    renameSync(join(this.path, 'meminfo.tmp'), join(this.path, 'meminfo'));
  }
  /** Let the agent see a process's real /proc entry (for its resident memory). */
  expose(...pids: number[]): void {
    for (const pid of pids) symlinkSync(`/proc/${pid}`, join(this.path, String(pid)));
  }
}

export interface Home {
  env: NodeJS.ProcessEnv;
  dir: string;
}

/** A fresh HOME with XDG dirs, and an applications dir holding the given .desktop files. */
export function makeHome(busAddress: string, desktopFiles: Record<string, string> = {}): Home {
  const dir = mkdtempSync(join(tmpdir(), 'headroom-home-'));
  const apps = join(dir, 'data', 'applications');
  mkdirSync(apps, { recursive: true });
  for (const [name, text] of Object.entries(desktopFiles)) writeFileSync(join(apps, name), text);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: dir,
    XDG_CONFIG_HOME: join(dir, 'config'),
    XDG_STATE_HOME: join(dir, 'state'),
    XDG_DATA_HOME: join(dir, 'data'),
    XDG_DATA_DIRS: join(dir, 'nowhere'),
    DBUS_SESSION_BUS_ADDRESS: busAddress,
    LANG: 'C',
  };
  return { env, dir };
}

export class AgentProcess {
  readonly log: string[] = [];
  private constructor(readonly child: ChildProcess) {}

  /** `command agent --debug args…`; command is this checkout's bin/headroom unless another installation is under test. */
  static async start(home: Home, args: string[], command = HEADROOM): Promise<AgentProcess> {
    const child = spawn(command, ['agent', '--debug', ...args], { env: home.env, stdio: ['ignore', 'inherit', 'pipe'] });
    const agent = new AgentProcess(child);
    createInterface({ input: child.stderr }).on('line', (l) => agent.log.push(l));
    await agent.waitForLog(/on the session bus as org\.headroom\.Agent1/, 15_000);
    return agent;
  }

  async waitForLog(pattern: RegExp, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.log.find((l) => pattern.test(l));
      if (hit) return hit;
      if (this.child.exitCode !== null) throw new Error(`agent exited (${this.child.exitCode}) waiting for ${pattern}:\n${this.log.join('\n')}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern} in the agent log:\n${this.log.join('\n')}`);
      await sleep(20);
    }
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    const exited = new Promise<number | null>((r) => this.child.once('exit', (code) => r(code)));
    this.child.kill(signal);
    return exited;
  }
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the CLI; a command that has not finished in `timeoutMs` is killed and fails the test. */
export function cli(home: Home, args: string[], extraEnv: NodeJS.ProcessEnv = {}, opts: { timeoutMs?: number; cwd?: string; command?: string } = {}): Promise<CliResult> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const child = spawn(opts.command ?? HEADROOM, args, { cwd: opts.cwd, env: { ...home.env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${opts.command ?? 'headroom'} ${args.join(' ')} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('exit', () => clearTimeout(timer));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export async function cliJson<T>(home: Home, args: string[]): Promise<T> {
  const r = await cli(home, [...args, '--json']);
  if (r.code !== 0) throw new Error(`headroom ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** `headroom monitor --json`, collecting its events. */
export class Monitor {
  readonly events: Record<string, unknown>[] = [];
  private constructor(readonly child: ChildProcess) {}

  static async start(home: Home): Promise<Monitor> {
    const child = spawn(HEADROOM, ['monitor', '--json'], { env: home.env, stdio: ['ignore', 'pipe', 'inherit'] });
    const m = new Monitor(child);
    createInterface({ input: child.stdout }).on('line', (l) => m.events.push(JSON.parse(l) as Record<string, unknown>));
    await m.waitFor((e) => e.event === 'Ready');
    return m;
  }

  async waitFor(match: (e: Record<string, unknown>) => boolean, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.events.find(match);
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error(`monitor saw no matching event in ${timeoutMs} ms; saw: ${JSON.stringify(this.events).slice(0, 2000)}`);
      await sleep(20);
    }
  }

  stop(): void {
    this.child.kill('SIGTERM');
  }
}

export const readText = (path: string): string => readFileSync(path, 'utf8');
