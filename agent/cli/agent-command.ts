// `headroom agent`: wire the real parts together and run until signalled.
import { Agent } from '../agent.js';
import { PSI_TRIGGER, type PolicyConfig } from '../core/constants.js';
import { exportAgent, NameTakenError } from '../bus/agent-service.js';
import { connectSessionBus, ownerPid, type MessageBus } from '../bus/dbus.js';
import { createUnitPreferences, managerFreezer, setUnitsPreference } from '../bus/unit-preferences.js';
import { createNotifier, type SentNotice } from '../bus/notifications.js';
import { showTrayDashboard, watchTray } from '../bus/tray-client.js';
import { createNoticeSink, handleNoticeAction, type NoticeContext } from '../notice-sink.js';
import { loadConfig } from '../io/config.js';
import { createAppLauncher } from '../desktop/app-launcher.js';
import { ReopenLedger } from '../desktop/reopen-ledger.js';
import { createDesktopLookup } from '../desktop/desktop-entries.js';
import { openHistory } from '../io/history.js';
import { journalReport, openJournal } from '../io/journal.js';
import { openMetricsFile } from '../io/metrics-file.js';
import { allOf, type EventReport } from '../event-report.js';
import { isKillAttempt, TRAY_BUS_NAME } from '../../shared/names.js';
import { readSelfCgroup, readUnitOfPid } from '../cgroup/cgroupfs.js';
import { killProcess } from '../cgroup/kill-process.js';
import { killScope } from '../cgroup/kill-scope.js';
import { freezeUnit, thawUnit } from '../cgroup/freeze-unit.js';
import { openPausedFile } from '../io/paused-file.js';
import type { AskContext } from '../core/pause.js';
import { createLogger, type Logger } from '../io/log.js';
import { loadLibc } from '../io/libc.js';
import { keepResident } from '../io/residency.js';
import { packageVersion } from '../io/package-root.js';
import { configFile, historyFile, pausedFile, preferencesFile } from '../io/paths.js';
import { openPreferences } from '../io/preferences.js';
import { watchPressure } from '../cgroup/pressure-watch.js';
import { watchUnits } from '../cgroup/unit-watch.js';
import { readGauges, readUnits } from '../cgroup/read-snapshot.js';
import { inlineReads, threadPoolReads } from '../io/files.js';
import { locateUserTree } from '../cgroup/user-tree.js';
import { join } from 'node:path';
import { parseMeminfo } from '../core/meminfo.js';
import { openProcFile } from '../io/proc-file.js';
import { CliError, EXIT_FAILURE } from './exit-codes.js';
import { withoutAppImageEnv } from '../install/core/appimage.js';

/**
 * The environment without what bin/headroom set for the agent alone: MALLOC_ARENA_MAX=2
 * (glibc read it when this process started; the apps the agent launches inherit its
 * environment through systemd-run --scope and keep glibc's default), marked by
 * HEADROOM_MALLOC_ARENA_MAX_SET. A MALLOC_ARENA_MAX the session set itself has no mark and stays.
 */
export function withoutLauncherEnv(env: Record<string, string>): Record<string, string> {
  if (env.HEADROOM_MALLOC_ARENA_MAX_SET !== '1') return env;
  const { MALLOC_ARENA_MAX: _arenas, HEADROOM_MALLOC_ARENA_MAX_SET: _mark, ...rest } = env;
  return rest;
}

function replaceEnv(next: Record<string, string>): void {
  for (const key of Object.keys(process.env)) if (!(key in next)) delete process.env[key];
  Object.assign(process.env, next);
}

export interface AgentOptions {
  dryRun: boolean;
  config?: string;
  userTree?: string;
  cgroupRoot?: string;
  procRoot?: string;
  debug: boolean;
}

/** First tick, then the bus name: once the name is ours, the agent is fully working (Type=dbus). */
async function startOnBus(agent: Agent, bus: MessageBus | null, log: Logger): Promise<void> {
  await agent.start();
  if (!bus) return;
  bus.on('error', (err: Error) => {
    log.error(`session bus: ${err.message}`);
    process.exit(EXIT_FAILURE); // systemd restarts us; a guard without its bus would be mute
  });
  try {
    agent.attachSignals(await exportAgent(bus, agent.api));
    log.info('on the session bus as org.headroom.Agent1');
  } catch (err) {
    if (err instanceof NameTakenError) throw new CliError(err.message, EXIT_FAILURE);
    log.warn(`could not export on the session bus (${(err as Error).message}): running without it`);
  }
}

/**
 * Before the first look, while memory is plentiful: lock the code on fault and say what keeps
 * the agent's pages resident (agent/io/residency.ts). Fail soft: a guard without it still runs.
 */
function keepAgentResident(cgroupRoot: string, selfCgroup: string | null, log: Logger): void {
  try {
    loadLibc(); // koffi's own library is mapped now, so it is among the mappings locked
  } catch (err) {
    log.warn(`residency: no libc calls (${(err as Error).message}); code not locked`);
  }
  const r = keepResident({ cgroupRoot, selfCgroup });
  (r.unprotected ? log.warn : log.info)(r.line);
}

export async function runAgent(opts: AgentOptions): Promise<never> {
  // Started from an AppImage, the agent inherits AppRun's search paths into a mount that is not
  // the apps' business, and from the packages ELECTRON_RUN_AS_NODE (it would turn every Electron
  // app it launches into plain Node): desktop entries, Launch and `systemd-run` see the session's own.
  // Likewise the malloc setting bin/headroom gave the agent alone.
  replaceEnv(withoutLauncherEnv(withoutAppImageEnv(process.env)));
  const log = createLogger({ debug: opts.debug });
  const uid = process.getuid?.() ?? 0;
  const tree = await locateUserTree({ uid, userTree: opts.userTree ?? process.env.HEADROOM_USER_TREE, cgroupRoot: opts.cgroupRoot, procRoot: opts.procRoot });
  const cfgPath = opts.config ?? configFile();
  const withFlags = (c: PolicyConfig): PolicyConfig => ({ ...c, dryRun: opts.dryRun || c.dryRun });
  const config = withFlags(await loadConfig(cfgPath).catch((err: unknown) => {
    // At start there is no last good config to keep: refuse rather than guess.
    throw new CliError(`${(err as Error).message}`, EXIT_FAILURE);
  }));

  let bus: MessageBus | null = null;
  try {
    bus = connectSessionBus();
  } catch (err) {
    log.warn(`${(err as Error).message}: running without the bus (no signals, no CLI)`);
  }
  const preferences = await openPreferences(preferencesFile(), log.warn);
  const unitPrefs = createUnitPreferences(bus, log.debug);
  const desktop = createDesktopLookup();
  const selfCgroup = await readSelfCgroup(tree.procRoot);
  keepAgentResident(tree.cgroupRoot, selfCgroup, log);
  const sources = {
    tree,
    desktop,
    selfCgroup,
    now: () => ({ atMs: performance.now(), wallMs: Date.now() }),
    preferenceOf: (app: { unit: string; appId: string }) => {
      const own = preferences.get(app.appId);
      return own !== 'none' ? own : unitPrefs.get(app.unit);
    },
  };
  const history = openHistory(historyFile(), log.warn);
  const lastKill = (await history.recent(50).catch(() => [])).find((k) => isKillAttempt(k.outcome));
  const metrics = openMetricsFile({ dir: config.metricsTextfileDir, uid, lastKillAtMs: lastKill?.atMs ?? null, warn: log.warn });
  const journal = openJournal({ warn: log.warn });
  const reports: EventReport[] = journal ? [journalReport(journal), metrics] : [metrics];
  let handleAction: (action: string, sent: SentNotice<NoticeContext>) => void = () => undefined;
  const tray = bus ? await watchTray(bus).catch(() => null) : null;
  const notifier = bus ? await createNotifier<NoticeContext>(bus, (a, s) => handleAction(a, s), log.warn).catch(() => null) : null;
  const launcher = createAppLauncher();
  // Units the kill notice's Reopen launched: stamped on the units read, for the ranking.
  const reopened = new ReopenLedger();
  // Pause and ask needs someone to ask: a notification server, which must not be the app paused
  // (nor the tray, which shows its Resume); both found by their bus names' owners.
  const freezer = bus ? managerFreezer(bus) : undefined;
  // Asked at each read of the units out of calm (every look under pressure): answered from the
  // last answer for ASK_FRESH_MS, so a storm costs two bus calls every few seconds, not per look.
  const ASK_FRESH_MS = 5000;
  let lastAsk: { atMs: number; ask: Promise<AskContext> } | null = null;
  const askNow = async (b: MessageBus): Promise<AskContext> => {
    const [server, trayPid] = await Promise.all([ownerPid(b, 'org.freedesktop.Notifications'), ownerPid(b, TRAY_BUS_NAME)]);
    if (server === null) return { canAsk: false, askerUnits: new Set() };
    const units = await Promise.all([server, trayPid].filter((p): p is number => p !== null).map((p) => readUnitOfPid(tree.procRoot, p)));
    return { canAsk: true, askerUnits: new Set(units.filter((u): u is string => u !== null)) };
  };
  const asking = bus && notifier ? (): Promise<AskContext> => {
    const now = performance.now();
    if (!lastAsk || now - lastAsk.atMs >= ASK_FRESH_MS) lastAsk = { atMs: now, ask: askNow(bus) };
    return lastAsk.ask;
  } : undefined;
  // Read at every look, calm or not: kept open (agent/io/proc-file.ts).
  const meminfoFile = openProcFile(join(tree.procRoot, 'meminfo'));
  const agent = new Agent({
    notices: notifier ? createNoticeSink(notifier, log, Date.now, () => tray?.running() ?? false, (entry) => launcher.canLaunch(entry)) : undefined,
    loadConfig: async () => {
      const c = withFlags(await loadConfig(cfgPath));
      metrics.setDir(c.metricsTextfileDir);
      return c;
    },
    applyUnitPreference: bus ? (units, pref) => setUnitsPreference(bus, units, pref) : undefined,
    tree,
    config,
    version: packageVersion(),
    readMeminfo: () => parseMeminfo(meminfoFile.read()),
    readGauges: () => readGauges(sources, () => meminfoFile.read()),
    readUnits: async ({ inline }) => {
      const units = await readUnits(sources, inline ? inlineReads : threadPoolReads);
      unitPrefs.retain(new Set(units.apps.map((a) => a.unit)));
      return { ...units, apps: reopened.stamp(units.apps, units.atMs) };
    },
    killScope,
    killProcess,
    freezeUnit: (t) => freezeUnit(t, freezer, log.debug),
    thawUnit: (t, via) => thawUnit(t, via, freezer, log.debug),
    asking,
    pausedFile: openPausedFile(pausedFile(), log.warn),
    // user@UID.service/memory.pressure is root-owned (EACCES); /proc/pressure/memory and the
    // user-owned app.slice are where an unprivileged trigger can be armed.
    watchPressure: (onEvent) => watchPressure([join(tree.procRoot, 'pressure', 'memory'), join(tree.path, 'app.slice', 'memory.pressure'), join(tree.path, 'memory.pressure')], PSI_TRIGGER, onEvent),
    watchUnits: (onChange) => watchUnits(tree.path, onChange),
    history,
    reports: allOf(reports, (err) => log.error(`report failed: ${(err as Error).message}`)),
    preferences,
    launcher,
    log,
  });

  handleAction = (action, sent) => handleNoticeAction(action, sent, {
    setPreference: (appId, pref) => agent.api.setPreference(appId, pref),
    killApp: (target) => agent.api.killApp(target),
    resumeApp: (unit) => agent.api.resumeApp(unit),
    quitApp: (unit, force) => agent.api.quitApp(unit, force),
    showDetails: (killId) => (bus ? showTrayDashboard(bus, killId) : Promise.reject(new Error('no session bus'))),
    // The bus Launch method's own path (preference and all); the time is the click's, on the
    // clock the units are read with (sources.now), so the ranking can compare the two.
    reopen: async (entry) => {
      reopened.expect(entry, performance.now());
      const unit = await agent.api.launch(entry, []).catch((err: unknown) => {
        reopened.settle(entry, null);
        throw err;
      });
      reopened.settle(entry, unit);
      return unit;
    },
  }, log);
  log.info(`headroom agent ${packageVersion()} watching ${tree.path}${config.dryRun ? ' (dry-run: nothing will be killed)' : ''}`);
  log.info(`structured entries: ${journal ? 'to the journal' : 'none (no journal socket)'}; metrics: ${metrics.path() ?? 'none ([metrics] textfile_dir unset)'}`);
  try {
    await startOnBus(agent, bus, log);
  } catch (err) {
    // Release the triggers and the bus, or they would keep a refused agent alive.
    agent.stop();
    bus?.disconnect();
    throw err;
  }

  process.on('SIGHUP', () => void agent.reload().catch(() => undefined)); // reload() logs why
  return new Promise<never>(() => {
    const quit = (sig: string): void => {
      log.info(`${sig}: stopping`);
      agent.stop();
      bus?.disconnect();
      // headroom_up 0, if the file's directory answers in time: a stale file says the same.
      void Promise.race([metrics.stop(), new Promise((r) => setTimeout(r, 1000))]).finally(() => process.exit(0));
    };
    process.on('SIGTERM', () => quit('SIGTERM'));
    process.on('SIGINT', () => quit('SIGINT'));
  });
}

