/**
 * Leak check of the Headroom agent on the host, the way test/integration/agent-kills.test.ts
 * drives it: the real agent on a private bus, real cgroups under the cgroup2 hierarchy, and a
 * /proc/meminfo this script controls. One cycle = a fresh app scope appears, memory goes
 * tight (elevated: the agent warns), then nearly gone (critical: it kills the app), then
 * tight again. Every SAMPLE_EVERY cycles it records where the agent's memory is: RSS and its
 * anonymous part (/proc/PID/smaps_rollup), V8's heap, external and ArrayBuffer memory
 * (process.memoryUsage(), through bench/leak-probe.ts loaded into the agent), glibc malloc's
 * arenas (mallinfo2), threads, open fds and mappings; at the end, the same after a GC (with
 * --expose-gc in NODE_OPTIONS) and malloc_trim(0).
 *
 *   node dist/bench/leak.js [CYCLES] [OUT.json] [NODE_OPTIONS for the agent]   (root, dbus-daemon, cgroup2)
 *
 * glibc's malloc settings in this script's environment (MALLOC_ARENA_MAX, MALLOC_TRIM_THRESHOLD_,
 * GLIBC_TUNABLES…) reach the agent, so an experiment is `MALLOC_ARENA_MAX=2 node dist/bench/leak.js`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { AgentProcess, makeHome, ProcRoot } from '../test/support/agent-process.js';
import { CgroupTree, cgroupTreeUnavailable, isAlive } from '../test/support/cgroup-tree.js';
import { dbusDaemonAvailable, startPrivateBus } from '../test/support/private-bus.js';
import type { ProbeSample } from './leak-probe.js';
import type { LeakResult, LeakSample } from './report.js';

const SAMPLE_EVERY = 100;

const rssKiB = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
const rollupKiB = (text: string, field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);

/** Ask the probe in the agent for a sample (SIGWINCH), or to malloc_trim(0) first (SIGURG). */
async function probe(pid: number, file: string, signal: 'SIGWINCH' | 'SIGURG'): Promise<ProbeSample> {
  rmSync(file, { force: true });
  process.kill(pid, signal);
  await waitUntil(() => existsSync(file), 5_000, `the probe in the agent did not answer ${signal}`);
  return JSON.parse(readFileSync(file, 'utf8')) as ProbeSample;
}

/** rmdir a unit's cgroup, retrying while its last process is still leaving it (EBUSY). */
async function removeWhenEmpty(dir: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      rmdirSync(dir);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EBUSY' || i >= 100) throw err;
      await sleep(10);
    }
  }
}

async function sample(pid: number, file: string, cycles: number, signal: 'SIGWINCH' | 'SIGURG' = 'SIGWINCH'): Promise<LeakSample> {
  const p = await probe(pid, file, signal);
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kib = (bytes: number): number => Math.round(bytes / 1024);
  return {
    cycles,
    rssKiB: rollupKiB(rollup, 'Rss'),
    anonKiB: rollupKiB(rollup, 'Anonymous'),
    heapTotalKiB: kib(p.heapTotal), heapUsedKiB: kib(p.heapUsed), externalKiB: kib(p.external), arrayBuffersKiB: kib(p.arrayBuffers),
    mallocArenaKiB: kib(p.mallocArena), mallocMmappedKiB: kib(p.mallocMmapped), mallocInUseKiB: kib(p.mallocInUse), mallocFreeKiB: kib(p.mallocFree),
    threads: readdirSync(`/proc/${pid}/task`).length,
    fds: readdirSync(`/proc/${pid}/fd`).length,
    mappings: readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n').length - 1,
  };
}

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
  const probeFile = join(home.dir, 'probe.json');
  const probeUrl = new URL('./leak-probe.js', import.meta.url).href;
  home.env.NODE_OPTIONS = `--import=${probeUrl}${nodeOptions !== '' ? ` ${nodeOptions}` : ''}`;
  home.env.HEADROOM_LEAK_PROBE = probeFile;
  const mallocEnv = Object.entries(process.env).filter(([k]) => k.startsWith('MALLOC_') || k === 'GLIBC_TUNABLES');
  for (const [k, v] of mallocEnv) home.env[k] = v;
  const config = join(home.dir, 'config.toml');
  // fake meminfo: no PSI event would ever come, so poll; no grace, no cool-down: one cycle a few polls long
  writeFileSync(config, '[kill]\ngrace_ms = 0\ncooldown_ms = 0\n[watch]\npsi_triggers = false\n');
  let agent: AgentProcess | null = null;
  const children: ChildProcess[] = [];
  try {
    agent = await AgentProcess.start(home, ['--user-tree', tree.path, '--proc-root', proc.path, '--config', config]);
    const pid = agent.child.pid!;
    // The runtime flags bin/headroom gives the agent (a heap cap), as the report should name them.
    const runtimeFlags = [
      ...readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a.startsWith('--max-') || a.startsWith('--expose')),
      // and the malloc setting it gives the agent by environment
      ...readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter((a) => a.startsWith('MALLOC_ARENA_MAX=')),
    ].join(' ');
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
      // systemd stops a scope once it is empty and removes its cgroup: a session never holds a
      // thousand dead scopes, and an agent reading one more every cycle would grow for that alone.
      await removeWhenEmpty(dir);
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
    const samples: LeakSample[] = [await sample(pid, probeFile, 0)];
    const t0 = Date.now();
    for (let i = 10; i < cycles + 10; i++) {
      await cycle(i);
      const done = i - 9;
      if (done % SAMPLE_EVERY === 0 || done === cycles) {
        const s = await sample(pid, probeFile, done);
        samples.push(s);
        log(`${done} cycles: RSS ${s.rssKiB} KiB, anon ${s.anonKiB}, heap used ${s.heapUsedKiB} of ${s.heapTotalKiB}, external ${s.externalKiB}, ` +
          `malloc arenas ${s.mallocArenaKiB} (in use ${s.mallocInUseKiB}, free ${s.mallocFreeKiB}), mmapped ${s.mallocMmappedKiB}, ${s.threads} threads, ${s.fds} fds, ${s.mappings} maps`);
      }
    }
    await sleep(2000);
    const end = rssKiB(pid);
    // What of the growth is garbage or malloc's free memory rather than live allocations.
    const trimmed = await sample(pid, probeFile, cycles, 'SIGURG');
    log(`after ${nodeOptions.includes('--expose-gc') ? 'GC and ' : ''}malloc_trim(0): RSS ${trimmed.rssKiB} KiB, anon ${trimmed.anonKiB}, malloc arenas ${trimmed.mallocArenaKiB} (free ${trimmed.mallocFreeKiB})`);
    if (snap) {
      process.kill(pid, 'SIGUSR2');
      await sleep(5000);
    }
    const killed = agent.log.filter((l) => /killed app-headroom-leak/.test(l)).length;
    return {
      cycles,
      rssKiBAfterStart: start,
      rssKiBAfterCycles: end,
      heapUsedKiBAfterStart: samples[0]!.heapUsedKiB,
      heapUsedKiBAfterCycles: samples[samples.length - 1]!.heapUsedKiB,
      seconds: (Date.now() - t0) / 1000,
      samples,
      afterTrim: trimmed,
      how: `${mallocEnv.length > 0 ? `Agent run with ${mallocEnv.map(([k, v]) => `${k}=${v}`).join(' ')}. ` : ''}${nodeOptions !== '' ? `Agent run with NODE_OPTIONS=${nodeOptions}. ` : ''}${runtimeFlags !== '' ? `Agent run with ${runtimeFlags} (bin/headroom). ` : ''}On the host (Node ${process.version}, not emulated), as test/integration/agent-kills.test.ts drives the agent: private bus, real cgroups, a /proc/meminfo set to 9 % (elevated, warning) then 1 % (critical) per cycle, one fresh app scope killed per cycle and its cgroup removed, as systemd does (${killed} kills logged, 10 warm-up cycles before the first reading).`,
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
