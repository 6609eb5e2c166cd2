// The tray's Electron main process: a thin adapter. It follows the agent through the feed
// (agent/feed/agent-feed.ts), reduces its events into a TrayState (tray-state.ts),
// and redraws icon, tooltip and menu from that state. It never notifies: the agent owns
// notifications, and a second bubble for the same kill would be noise.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, Menu, nativeImage, Tray, type IpcMainInvokeEvent, type NativeImage } from 'electron';
import { AgentClient } from '../../agent/bus/agent-client.js';
import { exportTray } from '../../agent/bus/tray-service.js';
import { openAgentFeed, type AgentFeed } from '../../agent/feed/agent-feed.js';
import { readSystemFacts } from '../../agent/feed/system-facts.js';
import type { BridgeEvent } from '../../shared/bridge.js';
import { BridgeCallError, dispatchBridgeCall, parseBridgeCall } from './bridge-call.js';
import { toElectronTemplate } from './electron-menu.js';
import { installStep } from './first-run.js';
import { agentActivatable, readAppImageInstall, readInstallAnswer, rememberNeverInstall } from './install-check.js';
import { buildMenuModel, type MenuAction } from './menu-model.js';
import { activationDelayMs, appsRefreshMs, type ActivationCause } from './reconnect.js';
import { initialTrayState, reduceTray, reloadsApps, trayIcon, trayTooltip, TRAY_ICONS, type TrayEvent, type TrayIcon, type TrayState } from './tray-state.js';

/** The package root: dist/tray-app/main/main.js is three levels below it. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PRELOAD = join(ROOT, 'dist', 'tray-app', 'preload', 'preload.cjs');
const DASHBOARD_PAGE = join(ROOT, 'dist', 'tray-app', 'renderer', 'index.html');
const CLI_MAIN = join(ROOT, 'dist', 'agent', 'cli', 'main.js');

const log = (msg: string): void => { process.stderr.write(`headroom-tray: ${msg}\n`); };
const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** 24 px, with the 48 px rendering for 2x panels; the host scales what it gets. */
function loadIcons(): Record<TrayIcon, NativeImage> {
  const icons = {} as Record<TrayIcon, NativeImage>;
  for (const name of TRAY_ICONS) {
    const image = nativeImage.createFromPath(join(ROOT, 'assets', 'icons', 'png', `tray-${name}-24.png`));
    const double = nativeImage.createFromPath(join(ROOT, 'assets', 'icons', 'png', `tray-${name}-48.png`));
    image.addRepresentation({ scaleFactor: 2, buffer: double.toPNG() });
    icons[name] = image;
  }
  return icons;
}

const clockTime = (atMs: number): string => new Date(atMs).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

class TrayApp {
  private state: TrayState = initialTrayState;
  private readonly tray: Tray;
  private readonly icons = loadIcons();
  private feed: AgentFeed | null = null;
  private dashboard: BrowserWindow | null = null;
  private refreshTimer: NodeJS.Timeout | null = null;
  private activationTimer: NodeJS.Timeout | null = null;
  private activationFailures = 0;
  private shownIcon: TrayIcon | null = null;
  private trayName: { close(): void } | null = null;

  constructor() {
    this.tray = new Tray(this.icons.stopped);
    this.render();
  }

  async start(): Promise<void> {
    this.dispatch({ kind: 'installed', installed: await agentActivatable() });
    try {
      this.feed = await openAgentFeed({ readFacts: readSystemFacts });
    } catch (err) {
      // No session bus at all: nothing to follow; say so in the menu and stay quit-able.
      this.dispatch({ kind: 'error', message: messageOf(err) });
      this.dispatch({ kind: 'agent', running: false });
      return;
    }
    this.feed.subscribe((event) => this.onFeedEvent(event));
    // Owning org.headroom.Tray1 makes the agent offer "Details" on its kill notices.
    this.trayName = await exportTray({ showDashboard: () => this.openDashboard() }).catch((err: unknown) => {
      log(`no "Details" on notifications: ${messageOf(err)}`);
      return null;
    });
    await this.reload();
    if (this.state.link !== 'running') this.scheduleActivation('startup');
    await this.offerInstallOnce();
  }

  private onFeedEvent(event: BridgeEvent): void {
    this.dispatch(event);
    this.forwardToDashboard(event);
    // The agent came back (restart, activation): read everything again, launchers included.
    // A pause or resume: read the app list now, with the agent's own deadline.
    if (reloadsApps(event)) void this.reload();
  }

  /** Ask the feed for the app list (the rest it knows from signals); then wait for the next. */
  private async reload(): Promise<void> {
    if (!this.feed) return;
    try {
      this.dispatch({ kind: 'loaded', dashboard: await this.feed.loadWithoutExplanation() });
      if (this.state.link === 'running' && this.state.launchers.length === 0) {
        this.dispatch({ kind: 'launchers', launchers: await this.feed.listLaunchers() });
      }
    } catch (err) {
      this.dispatch({ kind: 'error', message: messageOf(err) });
    }
    this.scheduleRefresh();
  }

  dispatch(event: TrayEvent): void {
    const pace = appsRefreshMs(this.state.link === 'running', this.state.state);
    this.state = reduceTray(this.state, event);
    this.render();
    // Events alone (a pressure signal a second) must not keep pushing the next refresh away;
    // only a change of pace (calm/tight, the agent gone or back) re-arms it.
    if (appsRefreshMs(this.state.link === 'running', this.state.state) !== pace) this.scheduleRefresh();
  }

  /** Icon, tooltip and a freshly built menu: SNI hosts only see a menu that is set again. */
  private render(): void {
    const icon = trayIcon(this.state);
    if (icon !== this.shownIcon) {
      this.tray.setImage(this.icons[icon]);
      this.shownIcon = icon;
    }
    this.tray.setToolTip(trayTooltip(this.state));
    const model = buildMenuModel(this.state, { timeOf: clockTime });
    this.tray.setContextMenu(Menu.buildFromTemplate(toElectronTemplate(model, (action) => void this.onAction(action))));
  }

  /** The app list has no change signal: re-read it, more often while memory is tight. */
  private scheduleRefresh(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = null;
    const delay = appsRefreshMs(this.state.link === 'running', this.state.state);
    if (delay !== null) this.refreshTimer = setTimeout(() => void this.reload(), delay);
  }

  private scheduleActivation(cause: ActivationCause): void {
    if (this.activationTimer) clearTimeout(this.activationTimer);
    const delay = activationDelayMs({ cause, installed: this.state.installed, running: this.state.link === 'running', failures: this.activationFailures });
    if (delay === null) return;
    this.activationTimer = setTimeout(() => void this.activate(cause), delay);
  }

  /** Start the installed agent through D-Bus activation (AgentClient.connect does it). */
  private async activate(cause: ActivationCause): Promise<void> {
    try {
      const client = await AgentClient.connect({ requireRunning: true });
      client.close();
      this.activationFailures = 0;
      log('the agent was started through D-Bus activation');
    } catch (err) {
      this.activationFailures += 1;
      this.dispatch({ kind: 'error', message: messageOf(err) });
      this.scheduleActivation(cause);
    }
  }

  private async onAction(action: MenuAction): Promise<void> {
    try {
      switch (action.kind) {
        case 'set-preference':
          await this.feed?.setPreference(action.appId, action.preference);
          return;
        case 'launch':
          await this.feed?.launch(action.desktopId);
          return;
        case 'resume-app':
          await this.feed?.resumeApp(action.unit);
          return;
        case 'quit-app':
          await this.feed?.quitApp(action.unit, action.force);
          return;
        case 'open-dashboard':
          this.openDashboard();
          return;
        case 'start-agent':
          this.activationFailures = 0;
          this.dispatch({ kind: 'installed', installed: await agentActivatable() });
          this.scheduleActivation('user');
          return;
        case 'install-agent':
          await this.runInstall({ quiet: false });
          return;
        case 'quit':
          this.quit();
          return;
      }
    } catch (err) {
      this.dispatch({ kind: 'error', message: messageOf(err) });
      void dialog.showMessageBox({ type: 'error', title: 'Headroom', message: 'The agent refused that', detail: messageOf(err) });
    }
  }

  /**
   * `headroom install`, run by this Electron binary acting as Node (an AppImage has no Node of
   * its own), with its output shown to the user.
   */
  private async runInstall({ quiet }: { quiet: boolean }): Promise<void> {
    const result = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI_MAIN, 'install'], { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
      child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
      child.once('error', (err) => resolve({ code: null, output: err.message }));
      child.once('close', (code) => resolve({ code, output }));
    });
    this.dispatch({ kind: 'installed', installed: await agentActivatable() });
    // An update after a move or a newer image: say something only when it went wrong.
    if (!(quiet && result.code === 0)) await dialog.showMessageBox({
      type: result.code === 0 ? 'info' : 'error', title: 'Headroom',
      message: result.code === 0 ? 'The Headroom agent is installed and started.' : 'headroom install failed',
      detail: result.output.trim(),
    });
    if (result.code === 0) await this.reload();
  }

  /** AppImage only: offer the install once, or bring an earlier one up to this image (first-run.ts). */
  private async offerInstallOnce(): Promise<void> {
    const appImage = process.env.APPIMAGE ? { path: process.env.APPIMAGE, version: app.getVersion() } : null;
    const facts = { appImage, installed: this.state.installed, agentRunning: this.state.link === 'running', answer: await readInstallAnswer(), ...(await readAppImageInstall()) };
    const step = installStep(facts);
    if (step === 'update') {
      await this.runInstall({ quiet: true });
      return;
    }
    if (step !== 'offer') return;
    const { response } = await dialog.showMessageBox({
      type: 'question', title: 'Headroom', buttons: ['Install', 'Not now', "Don't ask again"], defaultId: 0, cancelId: 1,
      message: 'Install the Headroom agent as your user service?',
      detail: 'The tray only shows what the agent does. "headroom install" copies the agent out of this AppImage into your home directory, '
        + 'adds its systemd user unit and D-Bus activation file, and starts it. Keep the AppImage where it is: the agent runs with it. '
        + '"headroom uninstall" removes all of it.',
    });
    if (response === 0) await this.runInstall({ quiet: false });
    else if (response === 2) await rememberNeverInstall();
  }

  openDashboard(): void {
    if (this.dashboard && !this.dashboard.isDestroyed()) {
      this.dashboard.show();
      this.dashboard.focus();
      return;
    }
    const win = new BrowserWindow({
      width: 1100, height: 760, title: 'Headroom', show: false,
      icon: join(ROOT, 'assets', 'icons', 'png', 'headroom-256.png'),
      webPreferences: { preload: PRELOAD, sandbox: true, contextIsolation: true, nodeIntegration: false },
    });
    win.once('ready-to-show', () => win.show());
    // The page never navigates or opens windows: anything else is refused.
    win.webContents.on('will-navigate', (e) => e.preventDefault());
    win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
    win.on('closed', () => { this.dashboard = null; });
    void win.loadFile(DASHBOARD_PAGE);
    this.dashboard = win;
  }

  private forwardToDashboard(event: BridgeEvent): void {
    const win = this.dashboard;
    if (win && !win.isDestroyed()) win.webContents.send('headroom:event', event);
  }

  /** The bridge's request side: only our dashboard's main frame, only the four methods. */
  async handleCall(event: IpcMainInvokeEvent, method: unknown, params: unknown): Promise<unknown> {
    const win = this.dashboard;
    if (!win || win.isDestroyed() || event.sender !== win.webContents || event.senderFrame !== win.webContents.mainFrame) {
      throw new BridgeCallError('calls are accepted from the dashboard window only');
    }
    if (!this.feed) throw new Error('not connected to the session bus');
    return dispatchBridgeCall(this.feed, parseBridgeCall(method, params));
  }

  quit(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    if (this.activationTimer) clearTimeout(this.activationTimer);
    this.feed?.close();
    this.trayName?.close();
    this.tray.destroy();
    app.quit();
  }
}

function main(): void {
  if (!app.requestSingleInstanceLock()) {
    // One tray per session; a second start (e.g. the launcher's --dashboard) goes to the first.
    app.quit();
    return;
  }
  app.setName('Headroom');
  let trayApp: TrayApp | null = null;
  const wantsDashboard = (argv: readonly string[]): boolean => argv.includes('--dashboard');
  app.on('second-instance', (_event, argv) => {
    if (wantsDashboard(argv)) trayApp?.openDashboard();
  });
  // A tray app lives on with no window open.
  app.on('window-all-closed', () => undefined);
  ipcMain.handle('headroom:call', (event, method: unknown, params: unknown) => {
    if (!trayApp) throw new Error('starting');
    return trayApp.handleCall(event, method, params);
  });
  void app.whenReady().then(async () => {
    trayApp = new TrayApp();
    if (wantsDashboard(process.argv)) trayApp.openDashboard();
    await trayApp.start();
  }).catch((err: unknown) => {
    log(`cannot start: ${messageOf(err)}`);
    app.exit(1);
  });
}

main();
