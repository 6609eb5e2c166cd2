/**
 * `npm run bench`: Headroom against the kernel alone, systemd-oomd and earlyoom in the lab
 * guest (see bench/README.md). Needs what the lab needs (qemu, the cached image or root to
 * build it) plus gcc for the guest-side helper. Not part of `npm test`.
 *
 *   npm run bench -- [--runs N] [--killers a,b] [--workloads a,b] [--cap S] [--per-boot N]
 *                    [--idle S|0] [--scale|--no-scale] [--leak N|0] [--leak-from FILE] [--fresh]
 *                    [--report-only] [--resummarize | --resummarize-from N] [--plan killer:workload,…] [--candidate-config TOML] [--out DIR]
 *
 * Results accumulate in DIR/results.json (runs from several invocations are merged, so a
 * long set can be done in pieces; --fresh starts over); every invocation rewrites
 * DIR/results.md, DIR/plot.svg and DIR/plot.png (when rsvg-convert is installed).
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { writeFileAtomic } from '../agent/io/files.js';
import { bootGuest, ensureLabImage, labAvailable, repoRoot } from '../lab/guest.js';
import { IDLE_ONLY_KILLERS, KILLERS, WORKLOADS, canRunStorms, isWorkload, type KillerId, type WorkloadId } from './catalogue.js';
import { parseKv, parseSeries } from './guest-output.js';
import { batches, makePlan, stormOverdue, type PlanItem } from './plan.js';
import { summarizeRun, type RunResult } from './run-result.js';
import { renderPlot } from './plot.js';
import { DEFAULT_GUEST_MIB, renderReadmeTables, renderReport, spliceReadmeTables, type BenchResults, type IdleResult, type ScaleResult } from './report.js';
import { leakCheck } from './leak.js';
import { replay, variants } from './replay.js';
import { rankScale } from './scale.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    killers: { type: 'string', default: KILLERS.filter((k) => k.id !== 'headroom-candidate' && canRunStorms(k.id)).map((k) => k.id).join(',') },
    /** TOML for the killer "headroom-candidate": defaults to try before they become the defaults. */
    'candidate-config': { type: 'string', default: '' },
    workloads: { type: 'string', default: WORKLOADS.map((w) => w.id).join(',') },
    cap: { type: 'string', default: '200' },
    'per-boot': { type: 'string', default: '8' },
    idle: { type: 'string', default: '60' },
    scale: { type: 'boolean', default: true },
    'no-scale': { type: 'boolean', default: false },
    fresh: { type: 'boolean', default: false },
    'report-only': { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench/results' },
    leak: { type: 'string', default: '1000' },
    'leak-from': { type: 'string' },
    resummarize: { type: 'boolean', default: false },
    // Only runs from this index on: a full --resummarize also replaces notes added by hand to older runs (290, 291).
    'resummarize-from': { type: 'string' },
    /** Explicit runs instead of rounds: "killer:workload,killer:workload,…" in this order; ";" starts the next round. */
    plan: { type: 'string' },
    /** Take bin/, dist/agent and dist/shared from this directory instead of the checkout (to keep the agent of earlier runs). */
    'agent-from': { type: 'string' },
    /** Extra arguments for `headroom agent` in the guest (e.g. --debug, to log every look); for diagnosis, with --out elsewhere. */
    'agent-args': { type: 'string', default: '' },
    /** Guest memory in MiB (2048: the size every workload is made for; others for idle cost against RAM size). */
    'guest-mib': { type: 'string', default: '2048' },
  },
  strict: true,
});

const root = repoRoot();
const outDir = resolve(root, args.out);
const resultsPath = join(outDir, 'results.json');
const capS = Number(args.cap);
const agentArgs = args['agent-args'];
const guestMiB = Number(args['guest-mib']);
if (!Number.isInteger(guestMiB) || guestMiB < 1024 || guestMiB > 16384) throw new Error(`--guest-mib: a whole number of MiB from 1024 to 16384, got ${JSON.stringify(args['guest-mib'])}`);
// Words that go into a unit file's ExecStart line: options only, nothing a shell or sed would read.
if (!/^(--?[a-z][a-z-]*(=[\w./-]+)?( |$))*$/.test(agentArgs)) throw new Error(`--agent-args: options such as --debug only, got ${JSON.stringify(agentArgs)}`);
const log = (msg: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
};

function load(): BenchResults {
  if (!args.fresh && existsSync(resultsPath)) return JSON.parse(readFileSync(resultsPath, 'utf8')) as BenchResults;
  return { capS, runs: [], idle: [], scale: null, rank: null, leak: null, boots: [] };
}
function save(r: BenchResults): void {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(resultsPath, JSON.stringify(r, null, 1) + '\n');
}

async function report(r: BenchResults): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'results.md'), renderReport(r));
  // The README shows the latest tables: only for the project's own results directory.
  if (args.out === 'bench/results') {
    const readme = join(root, 'README.md');
    const text = readFileSync(readme, 'utf8');
    const next = spliceReadmeTables(text, renderReadmeTables(r));
    if (next !== text) await writeFileAtomic(readme, next);
  }
  const memTotal = Number(r.boots.find((b) => b.memTotalMiB)?.memTotalMiB ?? 2000);
  const svg = renderPlot(r.runs, {
    capS: r.capS,
    memTotalMiB: memTotal,
    title: 'Headroom benchmark: MemAvailable and memory pressure from hog start, one median run per panel',
    subtitle: 'Debian 12 guest, 2 GiB, 2 vCPU, under software emulation (qemu TCG): compare ratios, not seconds',
  });
  writeFileSync(join(outDir, 'plot.svg'), svg);
  const png = spawnSync('rsvg-convert', ['-f', 'png', '-o', join(outDir, 'plot.png'), join(outDir, 'plot.svg')], { encoding: 'utf8' });
  if (png.status !== 0) log(`plot.png not written (${png.error?.message ?? png.stderr.trim()}); apt-get install librsvg2-bin`);
  log(`wrote ${join(args.out, 'results.md')}, plot.svg${png.status === 0 ? ', plot.png' : ''}`);
}

/**
 * A frozen copy of what the guest runs, under dist/bench/snap/: the guest script, the helper
 * binary and the built agent (bin/ + dist/agent + dist/shared; node_modules and package.json
 * are found above it). Editing or rebuilding the checkout during a long set, as other work on
 * this machine does, then changes nothing in a boot already planned.
 */
const SNAP = join('dist', 'bench', 'snap');
function snapshot(): void {
  const snap = join(root, SNAP);
  rmSync(snap, { recursive: true, force: true });
  mkdirSync(snap, { recursive: true });
  const from = args['agent-from'] ?? root;
  for (const p of ['bin', join('dist', 'agent'), join('dist', 'shared')]) cpSync(join(from, p), join(snap, p), { recursive: true });
  cpSync(join(root, 'bench', 'guest', 'bench.sh'), join(snap, 'bench.sh'));
  cpSync(join(root, 'dist', 'bench', 'node-floor.js'), join(snap, 'node-floor.js'));
  buildNative(join(snap, 'benchbin'));
}

function gitState(): string {
  const head = spawnSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim();
  const dirty = spawnSync('git', ['-C', root, 'status', '--porcelain', '--', 'agent', 'shared'], { encoding: 'utf8' }).stdout.trim();
  return dirty === '' ? head : `${head} with uncommitted changes in ${dirty.split('\n').length} agent/shared file(s)`;
}

function buildNative(out: string): void {
  const cc = spawnSync('gcc', ['-O2', '-static', '-Wall', '-Wextra', '-Werror', '-o', out, join(root, 'bench', 'native', 'benchbin.c')], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`gcc failed: ${cc.error?.message ?? cc.stderr}`);
}

/** The host's 1-min load average every 5 s while a boot runs, to attach to each run. */
function loadSampler(): { stop: () => Array<[number, number]> } {
  const samples: Array<[number, number]> = [];
  const tick = (): void => {
    samples.push([Date.now(), loadavg()[0]!]);
  };
  tick();
  const timer = setInterval(tick, 5000);
  return {
    stop: () => {
      clearInterval(timer);
      tick();
      return samples;
    },
  };
}

const readText = (path: string): string => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
};

/**
 * Watches the runs' key=value files while the guest runs and aborts the boot when a storm
 * outlives the cap by FREEZE_MARGIN_S (stormOverdue): a frozen guest otherwise holds the whole
 * set for as long as the kernel takes to act.
 */
function freezeWatch(out: string, items: readonly PlanItem[], abort: AbortController): { stop: () => { idx: number; seconds: number } | null } {
  const t0Seen = new Map<number, number>();
  let frozen: { idx: number; seconds: number } | null = null;
  const timer = setInterval(() => {
    const now = Date.now();
    for (const item of items) {
      const kv = parseKv(readText(join(out, `run-${item.idx}.kv`)));
      if (kv.has('t0_ms') && !t0Seen.has(item.idx)) t0Seen.set(item.idx, now);
      if (frozen === null && stormOverdue(kv, t0Seen.get(item.idx), now, capS)) {
        frozen = { idx: item.idx, seconds: Math.round((now - t0Seen.get(item.idx)!) / 1000) };
        log(`run ${item.idx}: no end of the storm ${frozen.seconds} s after hog start; the guest is frozen, stopping it`);
        abort.abort();
      }
    }
  }, 5000);
  return {
    stop: () => {
      clearInterval(timer);
      return frozen;
    },
  };
}

/** Runs one boot; returns the items it could not start because the guest froze before them. */
async function runBoot(items: PlanItem[], idle: string[], idleS: number, scale: boolean, r: BenchResults, agentAt: string): Promise<PlanItem[]> {
  const out = await mkdtemp(join(tmpdir(), 'headroom-bench-'));
  const timeoutMs = (120 + idle.length * (2 * idleS + 40) + items.length * (capS + 100) + (scale ? 240 : 0)) * 1000;
  log(`boot: ${items.map((i) => `${i.idx}:${i.killer}/${i.workload}`).join(' ')}${idle.length ? ` idle:${idle.join(',')}` : ''}${scale ? ' scale' : ''} (limit ${Math.round(timeoutMs / 1000)} s, out ${out})`);
  const loads = loadSampler();
  const abort = new AbortController();
  const watch = freezeWatch(out, items, abort);
  const boot = await bootGuest({
    signal: abort.signal,
    script: join(SNAP, 'bench.sh'),
    env: {
      BENCH_PLAN: items.map((i) => `${i.idx}:${i.killer}:${i.workload}`).join(' '),
      BENCH_CAP_S: String(capS),
      BENCH_IDLE: idle.join(' '),
      BENCH_IDLE_S: String(idleS),
      BENCH_SCALE: scale ? '1' : '0',
      BENCH_HEADROOM: join(SNAP, 'bin', 'headroom'),
      BENCH_HEADROOM_CONFIG: args['candidate-config'],
      BENCH_AGENT_ARGS: agentArgs,
      BENCH_BIN: join(SNAP, 'benchbin'),
      BENCH_NODE_FLOOR: join(SNAP, 'node-floor.js'),
    },
    timeoutMs,
    outDir: out,
    memoryMiB: guestMiB,
  });
  const hostLoads = loads.stop();
  const frozen = watch.stop();
  if (frozen !== null) appendFileSync(join(out, `run-${frozen.idx}.kv`), `host_frozen_s=${frozen.seconds}\n`);
  const notStarted = frozen === null ? [] : items.filter((i) => i.idx > frozen.idx);
  const bootKv = parseKv(readText(join(out, 'boot.kv')));
  r.boots.push({
    out, bootSeconds: boot.bootSeconds, totalSeconds: boot.totalSeconds, exitCode: boot.exitCode, timedOut: boot.timedOut, ...(frozen !== null ? { frozenRun: frozen.idx } : {}),
    memTotalMiB: Number(bootKv.get('mem_total_mib') ?? 0), baselineMiB: Number(bootKv.get('baseline_mib') ?? 0),
    systemd: bootKv.get('systemd') ?? '', kernel: bootKv.get('uname') ?? '', earlyoom: `${bootKv.get('earlyoom_version') ?? ''} ${bootKv.get('earlyoom_args') ?? ''}`.trim(),
    hostCpus: cpus().length, hostLoadMean: mean(hostLoads.map(([, l]) => l)), agentAt,
  });
  for (const item of items) {
    if (notStarted.includes(item)) continue;
    const kv = parseKv(readText(join(out, `run-${item.idx}.kv`)));
    const t0 = Number(kv.get('t0_ms') ?? NaN);
    const tEnd = Number(kv.get('t_end_ms') ?? NaN) + 5000;
    const during = hostLoads.filter(([t]) => t >= t0 - 5000 && t <= tEnd + 5000).map(([, l]) => l);
    const seriesText = readText(join(out, `run-${item.idx}.series`));
    const run = addReplay(summarizeRun(item, kv, seriesText, readText(join(out, `run-${item.idx}.canary`)), during.length ? mean(during) : null, readText(join(out, `run-${item.idx}.killer.log`))), kv, seriesText, Number(bootKv.get('mem_total_mib') ?? 0));
    r.runs = r.runs.filter((x) => x.idx !== item.idx);
    r.runs.push(run);
    const hogEnd = run.hogKilled ? `gone at ${String(run.secondsToKill)} s (${run.killedBy})` : run.hogExitedItself === true ? `exited by itself at ${String(run.hogGoneS)} s` : 'NOT killed';
    const verdicts = `${run.needsKill === false ? 'nothing died' : 'right victim'} ${String(run.rightVictim)}, wrong kill ${String(run.wrongKill)}${run.needlessKill !== null && run.needlessKill !== undefined ? `, needless kill ${String(run.needlessKill)}` : ''}`;
    const browser = run.browser ? `, browser: ${run.browser.outcome}, main ${run.browser.mainSurvived ? 'lived' : 'died'}${run.browser.killerPicked.length ? `, the killer named ${run.browser.killerPicked.join(', ')}` : ''}` : '';
    const side = `, killer major faults ${String(run.killerMajorFaults ?? '–')}${run.killPath ? `, wake → decision ${run.killPath.wakeToDecisionMs} ms` : ''}`;
    const died = run.deaths && run.deaths.length > 0 ? `, died: ${run.deaths.map((d) => `${d.who}${d.atS !== null ? ` ${d.atS} s` : ''}`).join(', ')}` : '';
    log(`run ${item.idx} ${item.killer}/${item.workload}: ${run.complete ? `hog ${hogEnd}, ${verdicts}${died}, canary worst ${String(run.canaryWorstMs)} ms, kernel OOM ${run.kernelOomKills}${browser}${side}` : 'did not complete'}${run.notes.length ? ` [${run.notes.join('; ')}]` : ''}`);
  }
  for (const k of idle) {
    const kv = parseKv(readText(join(out, `idle-${k}.kv`)));
    if (!kv.has('cpu_usec')) continue;
    const secs = Number(kv.get('seconds'));
    const entry: IdleResult = {
      killer: k, seconds: secs, threads: Number(kv.get('threads')), guestMiB, agentAt,
      cpuSecondsPerMinute: (Number(kv.get('cpu_usec')) / 1e6) * (60 / secs),
      wakeupsPerMinute: Number(kv.get('wakeups')) * (60 / secs),
      rssKiBStart: Number(kv.get('rss_kib_start')), rssKiBEnd: Number(kv.get('rss_kib_end')),
      ...(kv.has('cpu_usec_2') ? {
        steady: {
          cpuSecondsPerMinute: (Number(kv.get('cpu_usec_2')) / 1e6) * (60 / secs),
          wakeupsPerMinute: Number(kv.get('wakeups_2')) * (60 / secs),
          rssKiBEnd: Number(kv.get('rss_kib_end_2')),
        },
      } : {}),
      ...(kv.has('rss_anon_kib_end_2') ? { rssAnonKiBEnd: Number(kv.get('rss_anon_kib_end_2')) } : {}),
    };
    r.idle = r.idle.filter((x) => x.killer !== k || (x.guestMiB ?? DEFAULT_GUEST_MIB) !== guestMiB);
    r.idle.push(entry);
    log(`idle ${k}: ${entry.cpuSecondsPerMinute.toFixed(3)} CPU s/min, ${Math.round(entry.wakeupsPerMinute)} wake-ups/min${entry.steady ? ` (next window ${entry.steady.cpuSecondsPerMinute.toFixed(3)}, ${Math.round(entry.steady.wakeupsPerMinute)})` : ''}, RSS ${entry.rssKiBStart} KiB${entry.rssAnonKiBEnd !== undefined ? `, anonymous ${entry.rssAnonKiBEnd} KiB at the end` : ''}`);
  }
  if (scale) {
    const kv = parseKv(readText(join(out, 'scale.kv')));
    const history = readText(join(out, 'scale-history.json'));
    let durationMs: number | null = null;
    let graceMs: number | null = null;
    try {
      const h = JSON.parse(history) as Array<{ appId?: string; durationMs?: number; graceMs?: number; processCount?: number }>;
      const rec = h.find((x) => x.appId === 'forker');
      durationMs = rec?.durationMs ?? null;
      graceMs = rec?.graceMs ?? null;
    } catch {
      // no history
    }
    const s: ScaleResult = {
      processes: Number(kv.get('forker_procs') ?? NaN),
      headroomKillDurationMs: durationMs,
      headroomGraceMs: graceMs,
      headroomGoneSeconds: Number(kv.get('headroom_gone_s') ?? NaN),
      headroomCli: kv.get('headroom_kill_cli') ?? '',
      cgroupKillGoneSeconds: Number(kv.get('cgroup_kill_gone_s') ?? NaN),
    };
    r.scale = s;
    log(`scale: ${JSON.stringify(s)}`);
  }
  return notStarted;
}

/** Headroom's policy and its variants replayed over the run's raw samples. */
function addReplay(run: RunResult, kv: Map<string, string>, seriesText: string, memTotalMiB: number): RunResult {
  if (!run.complete || memTotalMiB <= 0) return run;
  const series = parseSeries(seriesText);
  const endMs = run.hogKilled && run.secondsToKill !== null ? run.t0Ms + run.secondsToKill * 1000 : Number(kv.get('t_end_ms') ?? run.t0Ms);
  const swapTotal = Number(kv.get('swap_total_mib') ?? 0);
  return { ...run, replay: variants().map((v) => ({ variant: v.name, ...replay(series, run.t0Ms, endMs, memTotalMiB, swapTotal, v.config) })) };
}

const mean = (xs: readonly number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

async function main(): Promise<void> {
  const r = load();
  r.capS = capS;
  const resummarizeFrom = args['resummarize-from'] !== undefined ? Number(args['resummarize-from']) : null;
  if (resummarizeFrom !== null && !Number.isSafeInteger(resummarizeFrom)) throw new Error(`--resummarize-from: not a run index: ${args['resummarize-from']}`);
  if (args.resummarize || resummarizeFrom !== null) {
    // Recompute every run's figures (or those from --resummarize-from on) from the guest's raw files, where they still exist.
    for (const [i, run] of r.runs.entries()) {
      if (resummarizeFrom !== null && run.idx < resummarizeFrom) continue;
      for (const b of r.boots) {
        const kv = parseKv(readText(join(b.out, `run-${run.idx}.kv`)));
        if (kv.get('killer') !== run.killer) continue;
        const seriesText = readText(join(b.out, `run-${run.idx}.series`));
        r.runs[i] = addReplay(summarizeRun(run, kv, seriesText, readText(join(b.out, `run-${run.idx}.canary`)), run.hostLoad, readText(join(b.out, `run-${run.idx}.killer.log`))), kv, seriesText, b.memTotalMiB);
      }
    }
    save(r);
  }
  if (args['report-only']) {
    await report(r);
    return;
  }
  const killers = args.killers.split(',').filter((k) => k !== '');
  const workloads = args.workloads.split(',').filter((w) => w !== '');
  const runnable = KILLERS.filter((k) => canRunStorms(k.id));
  for (const k of killers) if (!canRunStorms(k)) throw new Error(`unknown killer ${k}; known: ${runnable.map((x) => x.id).join(', ')}`);
  for (const w of workloads) if (!isWorkload(w)) throw new Error(`unknown workload ${w}; known: ${WORKLOADS.map((x) => x.id).join(', ')}`);

  // The host-side leak check (light: it mostly sleeps) runs beside the boots.
  let leak: Promise<void> = Promise.resolve();
  if (args['leak-from'] !== undefined) {
    r.leak = JSON.parse(readFileSync(args['leak-from'], 'utf8')) as BenchResults['leak'];
  } else if (Number(args.leak) > 0) {
    leak = leakCheck(Number(args.leak), (m) => log(`leak: ${m}`)).then(
      (res) => {
        r.leak = res;
        log(`leak check: RSS ${res.rssKiBAfterStart} → ${res.rssKiBAfterCycles} KiB over ${res.cycles} cycles`);
      },
      (e: unknown) => log(`leak check failed: ${e instanceof Error ? e.message : String(e)}`),
    );
  }

  // The pure policy at scale needs no guest.
  r.rank = rankScale(1000);
  log(`rank 1,000 scopes: ${r.rank.medianMs.toFixed(2)} ms median per decision`);
  save(r);

  const runs = Number(args.runs);
  const nextIdx = Math.max(0, ...r.runs.map((x) => x.idx)) + 1;
  const nextRound = Math.max(0, ...r.runs.map((x) => x.round)) + 1;
  const plan: PlanItem[] = args.plan !== undefined
    ? args.plan.split(';').flatMap((round, r) => round.split(',').filter((p) => p !== '').map((p) => {
      const [killer = '', workload = ''] = p.split(':');
      if (!canRunStorms(killer) || !isWorkload(workload)) throw new Error(`--plan: bad item ${p}`);
      return { round: nextRound + r, killer, workload };
    })).map((p, i) => ({ ...p, idx: nextIdx + i }))
    : runs > 0 && killers.length > 0 && workloads.length > 0
      ? makePlan(runs, killers as KillerId[], workloads as WorkloadId[], nextIdx, nextRound)
      : [];
  const idleS = Number(args.idle);
  const idle = idleS > 0 ? ['headroom', 'oomd20', 'earlyoom', ...IDLE_ONLY_KILLERS] : [];
  const scale = args.scale && !args['no-scale'];
  if (plan.length === 0 && idle.length === 0 && !scale) {
    await leak;
    save(r);
    await report(r);
    return;
  }
  const available = labAvailable();
  if (!available.ok) throw new Error(`the lab cannot run here: ${available.why}`);
  snapshot();
  const agentAt = args['agent-from'] !== undefined ? `the copy in ${args['agent-from']}` : gitState();
  await ensureLabImage();
  const groups = batches(plan, Number(args['per-boot']));
  if (groups.length === 0) groups.push([]);
  for (let i = 0; i < groups.length; i++) {
    const notStarted = await runBoot(groups[i]!, i === 0 ? idle : [], idleS, scale && i === groups.length - 1, r, agentAt);
    save(r);
    await report(r);
    // After a frozen guest, the runs it never reached get a fresh boot of their own.
    if (notStarted.length > 0) groups.splice(i + 1, 0, notStarted);
  }
  await leak;
  save(r);
  await report(r);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
