// A throw-away "user tree" in a real cgroup v2 hierarchy, with real processes moved into
// app scopes. On the dev and CI machines that is /sys/fs/cgroup/unified (cgroup2, no memory
// controller, cgroup.kill works as root); in a systemd session, use the lab instead.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export const CGROUP2_ROOT = process.env.HEADROOM_TEST_CGROUP2 ?? '/sys/fs/cgroup/unified';

/** Why real-cgroup tests cannot run here, or '' when they can. */
export function cgroupTreeUnavailable(): string {
  if (!existsSync(join(CGROUP2_ROOT, 'cgroup.procs'))) return `no cgroup v2 hierarchy at ${CGROUP2_ROOT}`;
  try {
    accessSync(CGROUP2_ROOT, constants.W_OK);
  } catch {
    return `${CGROUP2_ROOT} is not writable (run the tests as root)`;
  }
  return '';
}

export const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/bin/${name}.js`, import.meta.url));

export interface Proc {
  pid: number;
  child: ChildProcess;
  /** Everything after "ready" on the fixture's first line (e.g. child pids). */
  readyLine: string;
  alive(): boolean;
}

export class CgroupTree {
  readonly path: string;
  private readonly procs: Proc[] = [];

  constructor() {
    this.path = join(CGROUP2_ROOT, `headroom-test-${randomBytes(4).toString('hex')}`);
    mkdirSync(join(this.path, 'app.slice'), { recursive: true });
    mkdirSync(join(this.path, 'session.slice'), { recursive: true });
  }

  /** Create a unit cgroup (relative path such as "app.slice/app-x-1.scope"). */
  unit(rel: string): string {
    const dir = join(this.path, rel);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  /**
   * Start a fixture inside a unit without a window outside it: a shell gate waits on stdin,
   * is moved into the cgroup, then execs the program (the PID stays the same).
   */
  async start(rel: string, program: string, args: string[] = []): Promise<Proc> {
    const dir = this.unit(rel);
    const child = spawn('sh', ['-c', 'read _ && exec "$@"', 'gate', process.execPath, fixture(program), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
    const pid = child.pid!;
    writeFileSync(join(dir, 'cgroup.procs'), String(pid));
    child.stdin.write('\n');
    const readyLine = await new Promise<string>((resolve, reject) => {
      const rl = createInterface({ input: child.stdout });
      rl.once('line', (l) => resolve(l.replace(/^ready ?/, '')));
      child.once('exit', (code) => reject(new Error(`${program} exited (${code}) before it was ready`)));
    });
    const proc: Proc = { pid, child, readyLine, alive: () => isAlive(pid) };
    this.procs.push(proc);
    return proc;
  }

  pids(rel: string): number[] {
    const text = readFileSync(join(this.path, rel, 'cgroup.procs'), 'utf8');
    return text.split('\n').filter((l) => l.trim() !== '').map(Number);
  }

  /** Kill everything left and remove the cgroups, deepest first. */
  async remove(): Promise<void> {
    for (const p of this.procs) if (p.alive()) p.child.kill('SIGKILL');
    const dirs: string[] = [];
    const walk = (d: string): void => {
      for (const e of readdirSync(d)) {
        const c = join(d, e);
        if (statSync(c).isDirectory()) walk(c);
      }
      dirs.push(d);
    };
    if (!existsSync(this.path)) return;
    walk(this.path);
    for (const d of dirs) {
      if (existsSync(join(d, 'cgroup.kill'))) writeFileSync(join(d, 'cgroup.kill'), '1');
    }
    for (let i = 0; i < 50; i++) {
      try {
        for (const d of dirs) if (existsSync(d)) rmdirSync(d);
        return;
      } catch {
        await sleep(50); // processes still exiting
      }
    }
  }
}

export function isAlive(pid: number): boolean {
  try {
    // A zombie still answers kill(0); it has left its cgroup and holds no memory, so count it dead.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z /.test(stat);
  } catch {
    return false;
  }
}
