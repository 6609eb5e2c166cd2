/**
 * Lab scenarios: the agent end to end in the real-session guest (test/lab/README.md,
 * "Scenarios"). One test per boot; each boot runs several scenarios of
 * test/lab/guest/scenarios.sh in order, and every scenario must report result=PASS.
 * Same policy as the smoke test: HEADROOM_LAB=0 skips; where the lab cannot run it skips,
 * except with CI=true, where that is a failure.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';

import { bootGuest, ensureLabImage, labAvailable, loadFelt, MAX_PACE, parseKeyValues, repoRoot } from '../../lab/guest.js';
import { fakeAppImageRuntime, writeFakeAppDir } from '../support/fake-appimage.js';

interface BootGroup {
  name: string;
  /** Scenario names, in the order the guest runs them (functions scenario_<name> in scenarios.sh). */
  scenarios: string[];
  /** The boot's limit on an idle host; the guest's measured pace stretches it (guest.ts). */
  timeoutMs: number;
  /**
   * Load the host while the guest runs: `stress-ng --cpu N` beside qemu. The boot must still
   * pass, with its budgets stretched by the pace the guest measured, and that pace must show
   * the load was felt: loadFelt().
   */
  hostLoad?: { cpus: number; quietGroup: string };
}

const GROUPS: BootGroup[] = [
  { name: 'A', scenarios: ['install', 'gnome', 'restart', 'dryrun'], timeoutMs: 480_000 },
  { name: 'B', scenarios: ['install', 'storm', 'avoid', 'appimage'], timeoutMs: 900_000 },
  { name: 'C', scenarios: ['install', 'zram', 'notify'], timeoutMs: 720_000 },
  // Like A-C, a few times the measured wall: 201 s with all three failing on the agent of
  // 6fba500 (a wrong kill has the hog stopped by the script at once: scenarios.sh,
  // stop_hog_if_missed); a passing run adds the burst's ramp and 20 s hold (~30 s); a storm
  // with no Killed at all waits up to STORM_TIMEOUT_S (150 s) for the kernel.
  { name: 'D', scenarios: ['install', 'vte', 'snap', 'burst', 'ssh'], timeoutMs: 1_080_000 },
  // A storm like B's storm (~100-200 s under TCG with the browser's four Node start-ups).
  { name: 'E', scenarios: ['install', 'tab'], timeoutMs: 480_000 },
  // Two leaks to their pause (~60-120 s each under TCG), a click, a 15 s deadline.
  { name: 'F', scenarios: ['install', 'pause'], timeoutMs: 720_000 },
  // Boot A again with both host cores busy (#13: on a loaded host A ran out of its fixed
  // 423 s). It passes only if every budget follows the measured pace, not the clock.
  { name: 'A-busy', scenarios: ['install', 'gnome', 'restart', 'dryrun'], timeoutMs: 480_000, hostLoad: { cpus: 2, quietGroup: 'A' } },
];

/** The pace each boot of this run reported, by group name: the busy boot's yardstick. */
const pacesThisRun = new Map<string, number>();


/**
 * HEADROOM_LAB_GROUPS (e.g. "D" or "A,C"): the boot groups to run; the others are skipped.
 * Unset or empty: all of them.
 */
function selectedGroups(): Set<string> | null {
  const names = (process.env.HEADROOM_LAB_GROUPS ?? '').split(/[\s,]+/).filter((n) => n !== '');
  if (names.length === 0) return null;
  const unknown = names.filter((n) => !GROUPS.some((g) => g.name === n));
  if (unknown.length > 0) throw new Error(`HEADROOM_LAB_GROUPS: no boot group ${unknown.join(', ')} (there are ${GROUPS.map((g) => g.name).join(', ')})`);
  return new Set(names);
}

const TITLES: Record<string, string> = {
  install: 'agent installed as the user service, owns its bus name',
  storm: 'storm without swap: hog killed, innocent and omit spared, no kernel OOM; the kill in the journal and on node_exporter\'s /metrics',
  zram: 'storm with 2 GiB zram: hog killed, innocent and omit spared, no kernel OOM',
  avoid: 'avoid: the avoided app survives while another candidate exists',
  gnome: 'app-gnome-<id>-<pid>.scope recognised and killable',
  restart: 'kill -9: systemd restarts the agent, history and preferences intact',
  dryrun: 'dry-run: nothing dies, WouldKill names the hog',
  appimage: 'headroom install from an AppImage: the unit runs a copy with the image as Node; launched apps get the session\'s environment; uninstall removes it all',
  notify: 'kill notification reaches dunst; its avoid action protects the next launch (ManagedOOMPreference on the scope)',
  vte: 'hog in a GNOME Terminal tab (app-org.gnome.Terminal.slice/vte-spawn-<uuid>.scope) killed as "<job> in Terminal"; browser and terminal server spared',
  snap: 'hog in a snap scope (snap.firefox.firefox-<uuid>.scope) killed as firefox_firefox; innocent spared',
  burst: 'a burst that stops above 11 % MemAvailable and ends by itself is not killed',
  tab: 'a runaway tab of a browser (app-gnome-chromium-<pid>.scope, renderers at oom_score_adj 300) is stopped alone: the browser, its other tabs and the innocent app live; Killed says child-killed with its pid',
  pause: 'a slow leak with zram is paused through the user manager and asked about in dunst; Resume clicked there thaws it; a second, unanswered, is stopped at its deadline',
  ssh: 'a hog in an ssh login\'s session-N.scope (out of reach): the agent names it and stops no bystander in its place',
};

/** The figures worth a line of their own in the test output, when the scenario has them. */
const FIGURES = [
  'seconds_to_kill', 'mem_available_mib_at_kill', 'swap_free_mib_at_kill', 'full_avg10_at_kill', 'some_avg10_at_kill',
  'full_recent_pct_at_kill', 'first_alert', 'victim_reason', 'victim_mib', 'kernel_oom', 'start_seconds', 'restart_seconds', 'scenario_seconds',
  'notice_summary', 'notice_body', 'notice_seconds_after_kill', 'relaunch_carries_avoid',
  'stage_seconds', 'install_seconds', 'copy_dir', 'agent_mount', 'agent_mount_after_restart', 'launched_scope',
  'victim_unit', 'victim_app_id', 'victim_display_name', 'hog_stopped_by_script', 'hog_ended', 'kills_total', 'kernel_oom_killed',
  'burst_stopped', 'burst_stop_seconds', 'burst_held_seconds', 'warned_signals', 'agent_states',
  'journal_kill', 'metrics_kills',
];

const readText = (path: string): Promise<string> => readFile(path, 'utf8').catch(() => '');
const tail = (text: string, chars: number): string => (text.length > chars ? `…${text.slice(-chars)}` : text);

function skipReason(): string | null {
  if (process.env.HEADROOM_LAB === '0') return 'HEADROOM_LAB=0';
  const available = labAvailable();
  if (available.ok) return null;
  if (process.env.CI === 'true') assert.fail(`lab unavailable in CI: ${available.why}`);
  return available.why;
}

/**
 * The image scenario `appimage` installs from, built into the shared checkout (dist/lab-appimage,
 * /mnt/share in the guest) with the guest's paths baked in: test/support/fake-appimage.ts.
 */
async function prepareLabAppImage(): Promise<void> {
  const dir = join(repoRoot(), 'dist', 'lab-appimage');
  await rm(dir, { recursive: true, force: true });
  writeFakeAppDir(join(dir, 'AppDir'), '0.1.0-lab', '/usr/bin/node');
  // One file over 9p: a tree of a few thousand small files took minutes to copy under TCG.
  const tar = spawnSync('tar', ['-cf', join(dir, 'AppDir.tar'), '-C', dir, 'AppDir']);
  if (tar.status !== 0) throw new Error(`tar: ${tar.stderr.toString()}`);
  await rm(join(dir, 'AppDir'), { recursive: true, force: true });
  await writeFile(join(dir, 'Headroom.AppImage'),
    fakeAppImageRuntime('/home/lab/.cache/appimage-stage', '/home/lab/.cache/appimage-mounts', '/home/lab/Applications/Headroom.AppImage'), { mode: 0o755 });
}

async function runGroup(t: TestContext, group: BootGroup): Promise<void> {
  const skip = skipReason();
  if (skip !== null) {
    t.skip(skip);
    return;
  }
  const image = await ensureLabImage();
  t.diagnostic(`image ${image.dir}`);
  if (group.scenarios.includes('appimage')) await prepareLabAppImage();

  const load = group.hostLoad ? startHostLoad(group.hostLoad.cpus, group.timeoutMs * MAX_PACE) : null;
  let result;
  try {
    result = await bootGuest({
      script: 'test/lab/guest/scenarios.sh',
      env: { LAB_SCENARIOS: group.scenarios.join(' ') },
      timeoutMs: group.timeoutMs,
    });
  } finally {
    load?.stop();
  }
  t.diagnostic(
    `boot ${group.name}: boot-to-script ${result.bootSeconds?.toFixed(1) ?? 'never'} s, ` +
      `wall ${result.totalSeconds.toFixed(1)} s, pace ${result.pace?.toFixed(2) ?? 'not reported'}, ` +
      `limit ${(result.limitMs / 1000).toFixed(0)} s${load ? `, host load: stress-ng --cpu ${group.hostLoad!.cpus}` : ''}, out ${result.outDir}`,
  );

  const reports = new Map<string, Map<string, string>>();
  let reportText = '';
  for (const name of group.scenarios) {
    const text = await readText(join(result.outDir, `scenario-${name}.txt`));
    reportText += `\n--- scenario-${name}.txt ---\n${text}`;
    const kv = parseKeyValues(text);
    reports.set(name, kv);
    const figures = FIGURES.filter((k) => kv.has(k)).map((k) => `${k}=${kv.get(k) ?? ''}`);
    t.diagnostic(`${name}: ${kv.get('result') ?? 'NO RESULT'}${figures.length > 0 ? `  ${figures.join('  ')}` : ''}`);
    const failing = [...kv].filter(([, v]) => v === 'FAIL').map(([k]) => k);
    if (failing.length > 0) t.diagnostic(`${name}: failing ${failing.join(', ')}`);
  }

  const context = async (): Promise<string> =>
    reportText +
    `\n--- script.log (tail) ---\n${tail(await readText(join(result.outDir, 'script.log')), 6000)}` +
    `\n--- agent.log (tail) ---\n${tail(await readText(join(result.outDir, 'agent.log')), 4000)}` +
    `\n--- console (tail) ---\n${tail(result.consoleLog, 3000)}` +
    (result.qemuStderr !== '' ? `\n--- qemu stderr ---\n${result.qemuStderr}` : '') +
    `\n(out dir ${result.outDir})`;

  const problems: string[] = [];
  if (load !== null && !load.ran()) problems.push('stress-ng did not run (apt-get install stress-ng)');
  if (result.pace !== null) pacesThisRun.set(group.name, result.pace);
  if (group.hostLoad) {
    const quiet = pacesThisRun.get(group.hostLoad.quietGroup);
    const { felt, yardstick } = loadFelt(result.pace, quiet);
    t.diagnostic(`boot ${group.name}: pace ${result.pace ?? 'none'} under load, boot ${group.hostLoad.quietGroup} ${quiet ?? 'not run'} quiet`);
    if (!felt) {
      problems.push(`the guest measured pace ${result.pace ?? 'none'} under host load, expected at least ${yardstick.toFixed(2)} (boot ${group.hostLoad.quietGroup}: ${quiet ?? 'not run'}): the load was not felt, so this boot proved nothing`);
    }
  }
  if (result.timedOut) problems.push(`guest timed out after ${(result.limitMs / 1000).toFixed(0)} s (${group.timeoutMs / 1000} s on an idle host × pace ${result.pace ?? 1})`);
  for (const name of group.scenarios) {
    const kv = reports.get(name);
    const verdict = kv?.get('result');
    if (verdict !== 'PASS') {
      const failing = [...(kv ?? new Map<string, string>())].filter(([, v]) => v === 'FAIL').map(([k]) => k);
      problems.push(`${name} (${TITLES[name] ?? name}): ${verdict ?? 'no result'}${failing.length > 0 ? ` [${failing.join(', ')}]` : ''}`);
    }
  }
  if (problems.length === 0 && result.exitCode !== 0) problems.push(`scenarios.sh exit ${String(result.exitCode)}`);
  if (problems.length > 0) assert.fail(`boot ${group.name}: ${problems.join('; ')}${await context()}`);

  // Keep the evidence of failures (and of any run with HEADROOM_LAB_KEEP=1) only.
  if (process.env.HEADROOM_LAB_KEEP !== '1') await rm(result.outDir, { recursive: true, force: true });
}

/** `stress-ng --cpu N` for the length of one boot; ran() says whether it really started. */
function startHostLoad(cpus: number, maxMs: number): { stop(): void; ran(): boolean } {
  // Its own process group, so its workers go with it; --timeout in case this process dies first.
  const child = spawn('stress-ng', ['--cpu', String(cpus), '--quiet', '--timeout', `${Math.ceil(maxMs / 1000)}s`], { stdio: 'ignore', detached: true });
  let failed = false;
  child.once('error', () => { failed = true; });
  return {
    stop: () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    },
    ran: () => !failed && child.pid !== undefined,
  };
}

const selected = selectedGroups();
for (const group of GROUPS) {
  const title = group.scenarios.map((s) => TITLES[s] ?? s).join('; ');
  const skip = selected !== null && !selected.has(group.name) ? `not in HEADROOM_LAB_GROUPS=${process.env.HEADROOM_LAB_GROUPS ?? ''}` : false;
  const under = group.hostLoad ? ` (host busy: stress-ng --cpu ${group.hostLoad.cpus})` : '';
  test(`lab boot ${group.name}: ${title}${under}`, { timeout: group.timeoutMs * MAX_PACE + 20 * 60_000, skip }, (t) => runGroup(t, group));
}
