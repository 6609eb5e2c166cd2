// Puts the view model on the page. Rows are kept by key (app id, kill id) and updated in
// place, so a refresh never steals keyboard focus from a toggle or closes an open details.
import type { SystemFacts } from '../../shared/bridge.js';
import { PREFERENCE_LABELS } from '../../shared/format.js';
import { PREFERENCES, type Preference } from '../../shared/names.js';
import { byId, el, replaceChildren } from './dom.js';
import { type AppRow, type Badge, type CandidateRow, type KillRow, type SummaryItem, factsOf } from './view-model.js';

export function renderBadge(b: Badge): void {
  const badge = byId('badge');
  badge.className = `badge tone-${b.tone}`;
  badge.title = b.detail;
  replaceChildren(badge, el('span', { class: 'glyph', 'aria-hidden': 'true' }, b.glyph), el('span', { class: 'label' }, b.label));
  byId('badge-detail').textContent = b.detail;
}

export function renderSummary(target: HTMLElement, items: SummaryItem[]): void {
  replaceChildren(target, ...items.flatMap((i) => [el('dt', {}, i.label), el('dd', {}, i.value)]));
}

export const renderFacts = (f: SystemFacts | null): void => renderSummary(byId('facts'), factsOf(f));

/** Set a preference; resolves to what the agent now holds (rejects: nothing changed). */
export type PreferenceHandler = (appId: string, preference: Preference) => Promise<void>;

/** Resume (or quit) a paused unit; rejects when the agent refused. */
export type PausedHandler = (unit: string, answer: 'resume' | 'quit') => Promise<void>;

interface AppRowElements { row: HTMLTableRowElement; name: HTMLElement; paused: HTMLElement; pausedText: HTMLElement; pausedUnit: string; memory: HTMLElement; bar: HTMLElement; meter: HTMLElement; procs: HTMLElement; radios: Map<Preference, HTMLInputElement> }

export class AppsTable {
  private readonly rows = new Map<string, AppRowElements>();
  /** What the agent last said per app: a refused toggle goes back to this. */
  private readonly confirmed = new Map<string, Preference>();
  /** Apps with a toggle on its way to the agent: refreshes leave their radios alone. */
  private readonly busy = new Set<string>();

  constructor(private readonly body: HTMLTableSectionElement, private readonly onPreference: PreferenceHandler, private readonly onPaused: PausedHandler) {}

  render(rows: AppRow[]): void {
    const seen = new Set<string>();
    for (const r of rows) {
      seen.add(r.appId);
      const e = this.rows.get(r.appId) ?? this.create(r);
      e.name.textContent = r.name;
      e.name.title = `${r.appId}: ${r.units.join(', ')}`;
      e.row.classList.toggle('next-to-go', r.nextToGo);
      e.memory.textContent = r.memoryText;
      e.bar.style.width = `${r.barPct}%`; // CSSOM, not a style attribute: allowed by the page's CSP
      e.meter.setAttribute('aria-valuenow', String(Math.round(r.shareOfTotalPct)));
      e.meter.setAttribute('aria-valuetext', `${r.memoryText}, ${r.shareOfTotalPct.toFixed(1)}% of memory`);
      e.procs.textContent = String(r.processCount);
      e.pausedUnit = r.pausedUnit;
      e.paused.hidden = r.pausedUnit === '';
      e.pausedText.textContent = r.pausedText;
      e.row.classList.toggle('paused', r.pausedUnit !== '');
      this.confirmed.set(r.appId, r.preference);
      if (!this.busy.has(r.appId)) this.check(e, r.preference);
      placeAt(this.body, e.row, seen.size - 1);
    }
    for (const [id, e] of this.rows) {
      if (!seen.has(id)) {
        e.row.remove();
        this.rows.delete(id);
      }
    }
    byId('apps-empty').hidden = rows.length > 0;
    const table = this.body.closest('table');
    if (table !== null) table.hidden = rows.length === 0; // no header over nothing
  }

  private check(e: AppRowElements, preference: Preference): void {
    for (const [value, radio] of e.radios) radio.checked = value === preference;
  }

  private create(r: AppRow): AppRowElements {
    const name = el('span', { class: 'app-name' });
    const bar = el('span', { class: 'bar-fill' });
    const meter = el('span', { class: 'bar', role: 'meter', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-label': `memory of ${r.name}` }, bar);
    const memory = el('span', { class: 'mem-text' });
    const procs = el('td', { class: 'procs' });
    const radios = new Map<Preference, HTMLInputElement>();
    const group = el('div', { class: 'prefs', role: 'radiogroup', 'aria-label': `Preference for ${r.name}` });
    const pausedText = el('span', { class: 'paused-text' });
    const resume = el('button', { type: 'button', class: 'resume' }, 'Resume');
    const quit = el('button', { type: 'button', class: 'quit' }, 'Quit');
    const paused = el('div', { class: 'paused-answer' }, pausedText, ' ', resume, ' ', quit);
    paused.hidden = true;
    const e: AppRowElements = { row: el('tr', { 'data-app-id': r.appId }), name, paused, pausedText, pausedUnit: '', memory, bar, meter, procs, radios };
    for (const [button, answer] of [[resume, 'resume'], [quit, 'quit']] as const) {
      button.addEventListener('click', () => {
        if (e.pausedUnit === '') return;
        // One answer at a time: a second click would reach an app that is no longer paused.
        resume.disabled = quit.disabled = true;
        this.onPaused(e.pausedUnit, answer).catch(() => undefined).finally(() => { resume.disabled = quit.disabled = false; });
      });
    }
    for (const value of PREFERENCES) {
      const input = el('input', { type: 'radio', name: `pref-${r.appId}`, value });
      input.addEventListener('change', () => {
        if (!input.checked) return;
        this.busy.add(r.appId);
        this.onPreference(r.appId, value).then(
          () => { this.confirmed.set(r.appId, value); },
          () => { this.check(e, this.confirmed.get(r.appId) ?? 'none'); },
        ).finally(() => this.busy.delete(r.appId));
      });
      radios.set(value, input);
      group.appendChild(el('label', { class: `pref pref-${value}` }, input, el('span', {}, PREFERENCE_LABELS[value])));
    }
    e.row.append(
      el('th', { scope: 'row' }, name, el('span', { class: 'next-tag', title: 'would be killed next' }, 'next'), paused),
      el('td', { class: 'memory' }, meter, memory),
      procs,
      el('td', {}, group));
    this.rows.set(r.appId, e);
    return e;
  }
}

export class HistoryList {
  private readonly items = new Map<string, HTMLLIElement>();
  constructor(private readonly list: HTMLOListElement) {}

  render(rows: KillRow[]): void {
    const seen = new Set<string>();
    for (const r of rows) {
      seen.add(r.id);
      placeAt(this.list, this.items.get(r.id) ?? this.create(r), seen.size - 1);
    }
    for (const [id, item] of this.items) {
      if (!seen.has(id)) {
        item.remove();
        this.items.delete(id);
      }
    }
    byId('history-empty').hidden = rows.length > 0;
  }

  private create(r: KillRow): HTMLLIElement {
    const item = el('li', { class: `kill outcome-${r.outcome}`, 'data-kill-id': r.id },
      el('div', { class: 'kill-head' },
        el('time', {}, r.timeText),
        el('strong', { class: 'kill-app' }, r.app),
        el('span', { class: 'kill-size' }, r.sizeText),
        el('span', { class: 'kill-reason' }, r.reason),
        el('span', { class: `kill-outcome outcome-${r.outcome}` }, r.outcomeText)),
      el('p', { class: 'because' }, r.because),
      r.candidates.length > 0 && el('details', { class: 'candidates' },
        el('summary', {}, `${r.candidates.length} candidate${r.candidates.length === 1 ? '' : 's'} considered`),
        candidateList(r.candidates)));
    this.items.set(r.id, item);
    return item;
  }
}

/**
 * Put `child` at `index` in `parent`, touching the DOM only when it is elsewhere: moving a node
 * takes focus away from it (a radio in mid-keyboard-use), so a refresh must not move rows that
 * are already in place.
 */
function placeAt(parent: Element, child: Element, index: number): void {
  const current = parent.children[index];
  if (current !== child) parent.insertBefore(child, current ?? null);
}

export function candidateList(rows: CandidateRow[]): HTMLOListElement {
  return el('ol', { class: 'candidate-list' }, ...rows.map((c) =>
    el('li', {}, el('span', { class: 'cand-name' }, c.name), ' ', el('span', { class: 'cand-mem' }, c.memoryText), ' ',
      el('span', { class: 'cand-pref' }, c.preference), ' ', el('span', { class: 'cand-status' }, c.status))));
}
