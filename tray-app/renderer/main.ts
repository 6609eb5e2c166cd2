// The dashboard page. It talks to the agent only through a DashboardBridge: the one the
// Electron preload puts on window.headroomBridge, or else the WebSocket of `headroom
// dashboard` on the page's own origin; either way every answer and event is checked
// (shared/bridge-answers.ts) before the page believes it. Live events update it at once; a
// reload every few seconds brings the apps' sizes (which have no signal) up to date.
import { checkedBridge, type UncheckedBridge } from '../../shared/bridge-answers.js';
import type { BridgeEvent, DashboardBridge, DashboardState } from '../../shared/bridge.js';
import { formatBytes, formatPct } from '../../shared/format.js';
import type { Preference } from '../../shared/names.js';
import type { PressureRecord } from '../../shared/records.js';
import { PressureChart } from './chart.js';
import { byId, el, replaceChildren } from './dom.js';
import { AppsTable, candidateList, HistoryList, renderBadge, renderFacts, renderSummary } from './render.js';
import {
  appRowsOf, applyEvent, badgeOf, candidateRowsOf, chartOf, explanationOf, killRowsOf, needsReload, summaryOf, type ChartModel,
} from './view-model.js';
import { pageCredential, RefusedError, refusalText, WebSocketBridge, websocketUrl } from './ws-bridge.js';

declare global {
  interface Window { headroomBridge?: UncheckedBridge }
}

/** Apps' memory changes without a signal: ask again this often while the page is visible. */
const REFRESH_MS = 5000;
/** Several events in a burst (a kill, then a state change) cause one reload, not several. */
const RELOAD_DEBOUNCE_MS = 150;

const formatTime = (ms: number): string => {
  const d = new Date(ms);
  const today = new Date().toDateString() === d.toDateString();
  return today ? d.toLocaleTimeString() : d.toLocaleString();
};

class Dashboard {
  private state: DashboardState | null = null;
  private readonly chart = new PressureChart(byId('chart'));
  private readonly apps = new AppsTable(byId<HTMLTableSectionElement>('apps-body'), (id, p) => this.setPreference(id, p), (unit, answer) => this.answerPaused(unit, answer));
  private readonly history = new HistoryList(byId<HTMLOListElement>('history'));
  private reloadTimer = 0;
  private loading = false;

  constructor(private readonly bridge: DashboardBridge) {}

  start(): void {
    this.bridge.subscribe((e) => this.onEvent(e));
    void this.reload();
    window.setInterval(() => { if (document.visibilityState === 'visible') void this.reload(); }, REFRESH_MS);
    const launch = byId<HTMLDetailsElement>('launch');
    launch.addEventListener('toggle', () => { if (launch.open) void this.showLaunchers(); });
  }

  async reload(): Promise<void> {
    if (this.loading) return;
    this.loading = true;
    try {
      this.state = await this.bridge.load();
      this.showError('');
      this.render();
    } catch (err) {
      if (!(err instanceof RefusedError)) this.showError(`Could not load: ${messageOf(err)}`); // the banner says it
    } finally {
      this.loading = false;
    }
  }

  /** A live event: shown at once, and anything it makes stale is asked for again. */
  private onEvent(e: BridgeEvent): void {
    if (this.state === null) return;
    this.state = applyEvent(this.state, e);
    this.render();
    if (needsReload(e)) {
      window.clearTimeout(this.reloadTimer);
      this.reloadTimer = window.setTimeout(() => void this.reload(), RELOAD_DEBOUNCE_MS);
    }
  }

  private render(): void {
    const s = this.state;
    if (s === null) return;
    renderBadge(badgeOf(s));
    renderSummary(byId('summary'), summaryOf(s.pressure));
    const model = chartOf(s.pressureHistory, s.history, Date.now());
    this.chart.update(model);
    byId('chart').setAttribute('aria-label', chartLabel(model, s.pressure));
    byId('chart-note').textContent = model.xs.length === 0 ? 'No pressure samples yet.' : '';
    const memTotal = s.facts?.memTotalBytes ?? s.pressure?.memTotalBytes ?? 0;
    this.apps.render(appRowsOf(s.apps, s.explanation, memTotal, formatTime));
    byId('apps-empty').textContent = s.agentRunning ? 'No apps are running in their own scopes.' : 'The agent is not running.';
    this.history.render(killRowsOf(s.history, formatTime));
    byId('explanation').textContent = explanationOf(s.explanation, s.agentRunning);
    const candidates = s.explanation?.candidates ?? [];
    byId('explanation-details').hidden = candidates.length === 0;
    replaceChildren(byId('explanation-candidates'), candidateList(candidateRowsOf(candidates)));
    renderFacts(s.facts);
    byId('version').textContent = s.version ? `agent ${s.version}` : '';
  }

  private async setPreference(appId: string, preference: Preference): Promise<void> {
    try {
      await this.bridge.setPreference(appId, preference);
      this.showError('');
    } catch (err) {
      this.showError(`Could not set ${appId} to ${preference}: ${messageOf(err)}`);
      throw err;
    }
  }

  /** Resume a paused app, or ask it to quit (the tray's menu has Force quit too). */
  private async answerPaused(unit: string, answer: 'resume' | 'quit'): Promise<void> {
    try {
      await (answer === 'resume' ? this.bridge.resumeApp(unit) : this.bridge.quitApp(unit, false));
      this.showError('');
      void this.reload();
    } catch (err) {
      this.showError(`Could not ${answer} ${unit}: ${messageOf(err)}`);
      throw err;
    }
  }

  private async showLaunchers(): Promise<void> {
    const list = byId('launchers');
    const status = byId('launch-status');
    status.textContent = 'Loading…';
    try {
      const launchers = await this.bridge.listLaunchers();
      status.textContent = launchers.length === 0 ? 'No launchable apps were found.' : '';
      replaceChildren(list, ...launchers.map((l) => {
        const button = el('button', { type: 'button', title: l.comment || l.genericName || l.desktopId }, l.name || l.desktopId);
        button.addEventListener('click', () => {
          status.textContent = `Starting ${l.name}…`;
          this.bridge.launch(l.desktopId).then(
            (unit) => { status.textContent = `Started ${l.name} in ${unit}.`; void this.reload(); },
            (err: unknown) => { status.textContent = `Could not start ${l.name}: ${messageOf(err)}`; },
          );
        });
        return el('li', {}, button, l.genericName ? el('span', { class: 'generic' }, ` ${l.genericName}`) : null);
      }));
    } catch (err) {
      status.textContent = `Could not list apps: ${messageOf(err)}`;
    }
  }

  showError(text: string): void {
    const box = byId('error');
    box.textContent = text;
    box.hidden = text === '';
  }
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

function chartLabel(model: ChartModel, p: PressureRecord | null): string {
  const minutes = Math.round((model.toMs - model.fromMs) / 60_000);
  const now = p ? `now some ${formatPct(p.someAvg10)}, full ${formatPct(p.fullAvg10)}, ${formatBytes(p.memAvailableBytes)} available` : 'no sample yet';
  const kills = model.markers.length;
  return `Memory stall and available memory over the last ${minutes} minutes; ${now}; ${kills} kill${kills === 1 ? '' : 's'} marked.`;
}

function chooseBridge(): UncheckedBridge {
  if (window.headroomBridge !== undefined) return window.headroomBridge;
  const credential = pageCredential(window.location.hash, window.sessionStorage, () => {
    window.history.replaceState(null, '', window.location.pathname + window.location.search);
  });
  const ws = new WebSocketBridge(websocketUrl(window.location), credential);
  const banner = byId('connection');
  ws.onRefused((reason) => {
    banner.hidden = false;
    banner.textContent = refusalText(reason);
    renderBadge({ tone: 'down', glyph: '○', label: 'Not connected', detail: '' }); // the banner says why
  });
  ws.onConnection((connected) => {
    banner.hidden = connected;
    banner.textContent = connected ? '' : 'Lost the connection to "headroom dashboard"; trying again…';
    if (connected) void dashboard?.reload();
  });
  return ws;
}

let dashboard: Dashboard | null = null;
dashboard = new Dashboard(checkedBridge(chooseBridge()));
dashboard.start();
