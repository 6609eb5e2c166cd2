/**
 * Leak check of the Headroom agent on the host, the way test/integration/agent-kills.test.ts
 * drives it: the real agent on a private bus, real cgroups under the cgroup2 hierarchy, and a
 * /proc/meminfo this script controls. One cycle = a fresh app scope appears, memory goes
 * tight (elevated: the agent warns), then nearly gone (critical: it kills the app), then
 * tight again. RSS of the agent process after start and after N cycles.
 *
 *   node dist/bench/leak.js [CYCLES] [OUT.json] [NODE_OPTIONS for the agent]   (root, dbus-daemon, cgroup2)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { AgentProcess, makeHome, ProcRoot } from '../test/support/agent-process.js';
import { CgroupTree, cgroupTreeUnavailable, isAlive } from '../test/support/cgroup-tree.js';
import { dbusDaemonAvailable, startPrivateBus } from '../test/support/private-bus.js';
import type { LeakResult } from './report.js';

const rssKiB = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);

async function waitUntil(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(10);
  }
}

export async function leakCheck(cycles: number, log: (m: string) => void = () => undefined, nodeOptions = ''): Promise<LeakResult> {
  const why = cgroupTreeUnavailable() || (dbusDaemonAvailable() ? '' : 'dbus-daemon is not installed');
  if (why) throw new Error(`leak check unavailable: ${why}`);
  const bus = await startPrivateBus();
  const tree = new CgroupTree();
  const proc = new ProcRoot(9);
  const home = makeHome(bus.address);
  if (nodeOptions !== '') home.env.NODE_OPTIONS = nodeOptions;
  const config = join(home.dir, 'config.toml');
  // fake meminfo: no PSI event would ever come, so poll; no grace, no cool-down: one cycle a few polls long
  writeFileSync(config, '[kill]\ngrace_ms = 0\ncooldown_ms = 0\n[watch]\npsi_triggers = false\n');
  let agent: AgentProcess | null = null;
  const children: ChildProcess[] = [];
  try {
    agent = await AgentProcess.start(home, ['--user-tree', tree.path, '--proc-root', proc.path, '--config', config]);
    const pid = agent.child.pid!;
    // The runtime flags bin/headroom gives the agent (a heap cap), as the report should name them.
    const runtimeFlags = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a.startsWith('--max-') || a.startsWith('--expose')).join(' ');
    // let start-up garbage settle: a few cycles before the first reading
    const cycle = async (i: number): Promise<void> => {
      const dir = tree.unit(`app.slice/app-headroom-leak${i % 7}-${i.toString(16).padStart(16, '0')}.scope`);
      const child = spawn('sh', ['-c', 'read _ && exec sleep 600'], { stdio: ['pipe', 'ignore', 'ignore'] });
      children.push(child);
      writeFileSync(join(dir, 'cgroup.procs'), String(child.pid));
      child.stdin.write('\n');
      proc.expose(child.pid!);
      proc.setAvailable(9); // elevated: the warning
      await sleep(300);
      proc.setAvailable(1); // critical: the kill
      await waitUntil(() => !isAlive(child.pid!), 10_000, `cycle ${i}: the agent did not kill its app`);
      proc.setAvailable(9);
      await sleep(100);
      children.splice(children.indexOf(child), 1);
    };
    for (let i = 0; i < 10; i++) await cycle(i);
    await sleep(2000);
    // With NODE_OPTIONS=--heapsnapshot-signal=SIGUSR2 (third argument) this writes a heap
    // snapshot into the working directory: one here and one at the end, to diff by constructor.
    const snap = nodeOptions.includes('--heapsnapshot-signal=SIGUSR2');
    if (snap) process.kill(pid, 'SIGUSR2');
    const start = rssKiB(pid);
    const t0 = Date.now();
    for (let i = 10; i < cycles + 10; i++) {
      await cycle(i);
      if ((i - 10) % 100 === 99) log(`${i - 9} cycles, RSS ${rssKiB(pid)} KiB`);
    }
    await sleep(2000);
    const end = rssKiB(pid);
    if (snap) {
      process.kill(pid, 'SIGUSR2');
      await sleep(5000);
    }
    const killed = agent.log.filter((l) => /killed app-headroom-leak/.test(l)).length;
    return {
      cycles,
      rssKiBAfterStart: start,
      rssKiBAfterCycles: end,
      heapUsedKiBAfterStart: null,
      heapUsedKiBAfterCycles: null,
      seconds: (Date.now() - t0) / 1000,
      how: `${nodeOptions !== '' ? `Agent run with NODE_OPTIONS=${nodeOptions}. ` : ''}${runtimeFlags !== '' ? `Agent run with ${runtimeFlags} (bin/headroom). ` : ''}On the host (Node ${process.version}, not emulated), as test/integration/agent-kills.test.ts drives the agent: private bus, real cgroups, a /proc/meminfo set to 9 % (elevated, warning) then 1 % (critical) per cycle, one fresh app scope killed per cycle (${killed} kills logged, 10 warm-up cycles before the first reading).`,
    };
  } finally {
    for (const c of children) c.kill('SIGKILL');
    await agent?.stop();
    await tree.remove();
    await bus.stop();
  }
}

if (process.argv[1]?.endsWith('leak.js')) {
  const cycles = Number(process.argv[2] ?? '1000');
  const out = process.argv[3];
  leakCheck(cycles, (m) => process.stderr.write(`[leak] ${m}\n`), process.argv[4] ?? '')
    .then((r) => {
      process.stdout.write(JSON.stringify(r) + '\n');
      if (out) writeFileSync(out, JSON.stringify(r, null, 1) + '\n');
    })
    .catch((e: unknown) => {
      process.stderr.write(`leak: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    });
}
