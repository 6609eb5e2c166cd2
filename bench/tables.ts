/** The Markdown tables of the report and the README, from the summary's cells. */
import { OWN_KILLERS, WORKLOADS, killerLabel, workloadLabel } from './catalogue.js';
import { BROWSER_OUTCOMES, type RunResult } from './run-result.js';
import { bestAnchor, killTimeForRatio, ratioToBestAnchor, type Cell, type Range } from './summary.js';

const fmt = (n: number, digits = 1): string => (Number.isInteger(n) && digits === 0 ? String(n) : n.toFixed(digits));
export function fmtRange(r: Range | null, digits = 1): string {
  if (r === null) return '–';
  if (r.min === r.max) return fmt(r.median, digits);
  return `${fmt(r.median, digits)} (${fmt(r.min, digits)}–${fmt(r.max, digits)})`;
}

const byLabel = (by: Record<string, number>): string =>
  Object.entries(by).map(([who, n]) => `${who === 'killer' ? 'itself' : who === 'none' ? 'nobody' : who} ${n}`).join(', ');
const diedLabel = (c: Cell): string => {
  const order = ['hog', 'innocent', 'canary', 'browser', 'terminal', 'small app'];
  const ws = Object.entries(c.died).sort(([a], [b]) => order.indexOf(a) - order.indexOf(b));
  return ws.length === 0 ? 'nothing' : ws.map(([who, n]) => `${who} ${n}`).join(', ');
};
const count = (n: number, of: number): string => `${n}/${of}`;
/** The killer's side of a storm: its major faults over the storm, and (Headroom) its wake → decision. */
const killerSide = (c: Cell): string => `${fmtRange(c.killerMajorFaults, 0)} | ${fmtRange(c.wakeToDecisionMs, 0)}`;
const KILLER_SIDE_HEAD = "the killer's major faults, hog start → storm end | wake → kill decision, ms";

/** The table of the workloads that need a kill (the hog's). */
export function renderTable(cells: readonly Cell[], capS: number): string {
  const lines: string[] = [];
  lines.push(`| workload | killer | runs | right victim | wrong kill | s to kill, median (range) | MemAvailable at kill, MiB | canary worst, ms | canary p99, ms | canary worst in the calm before, ms | kernel OOM kills | innocent survived | killed by | what died | ${KILLER_SIDE_HEAD} |`);
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const c of cells) {
    if (!c.needsKill) continue;
    const notKilled = c.runs - c.killedRuns;
    const kill = fmtRange(c.secondsToKill) + (notKilled > 0 ? ` + ${notKilled}× no kill in ${capS} s` : '');
    lines.push(
      `| ${workloadLabel(c.workload)} | ${killerLabel(c.killer)} | ${c.runs} | ${c.rightVictimPct} % | ${count(c.wrongKills, c.runs)} | ${kill} | ${fmtRange(c.memAvailableAtKillMiB, 0)} | ${fmtRange(c.canaryWorstMs, 0)} | ${fmtRange(c.canaryP99Ms, 0)} | ${fmtRange(c.canaryCalmWorstMs, 0)} | ${c.kernelOomKills} | ${c.innocentSurvived}/${c.runs} | ${byLabel(c.killedBy)} | ${diedLabel(c)} | ${killerSide(c)} |`,
    );
  }
  return lines.join('\n');
}

/**
 * The table of the workloads that need no kill: the right verdict is that nothing died; a
 * time to kill means nothing there, so the hog's own stop and the lowest MemAvailable stand
 * in its place.
 */
export function renderNoKillTable(cells: readonly Cell[]): string {
  const lines: string[] = [];
  lines.push(`| workload | killer | runs | nothing died (right) | needless kill | wrong kill | hog exited by itself | MemAvailable at the hog's stop, MiB | at its stop, % of RAM | lowest MemAvailable, MiB | zram: data / memory used | canary worst, ms | canary p99, ms | canary worst in the calm before, ms | kernel OOM kills | the killer's kill lines | what died | ${KILLER_SIDE_HEAD} |`);
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const c of cells) {
    if (c.needsKill) continue;
    lines.push(
      `| ${workloadLabel(c.workload)} | ${killerLabel(c.killer)} | ${c.runs} | ${c.rightVictimPct} % | ${count(c.needlessKills ?? 0, c.runs)} | ${count(c.wrongKills, c.runs)} | ${count(c.exitedItself, c.runs)} | ${fmtRange(c.memAvailableAtStopMiB, 0)} | ${fmtRange(c.memAvailableAtStopPct, 1)} | ${fmtRange(c.lowestMemAvailableMiB, 0)} | ${fmtRange(c.zramRatio, 2)} | ${fmtRange(c.canaryWorstMs, 0)} | ${fmtRange(c.canaryP99Ms, 0)} | ${fmtRange(c.canaryCalmWorstMs, 0)} | ${c.kernelOomKills} | ${c.killerKills} | ${diedLabel(c)} | ${killerSide(c)} |`,
    );
  }
  return lines.length > 2 ? lines.join('\n') : '';
}

/**
 * The README's one table: per workload, Headroom (today's defaults) against the best anchor,
 * as counts of right verdicts, needless and wrong kills over the runs, and the median time to
 * kill (or, where no kill is needed, the lowest MemAvailable).
 */
export function renderHeadline(cells: readonly Cell[], capS: number, own = 'headroom'): string {
  const lines: string[] = [];
  lines.push(`| workload | kill needed | ${killerLabel(own)}: runs, right, needless, wrong | median s to kill / lowest MemAvailable | best anchor | its runs, right, needless, wrong | median s to kill / lowest MemAvailable |`);
  lines.push('|---|---|---|---|---|---|---|');
  const verdicts = (c: Cell | null | undefined): string => {
    if (!c) return 'no runs yet';
    const right = Math.round((c.rightVictimPct * c.runs) / 100);
    return `${c.runs} run${c.runs === 1 ? '' : 's'}: ${right} right, ${c.needlessKills === null ? '–' : c.needlessKills} needless, ${c.wrongKills} wrong`;
  };
  const figure = (c: Cell | null | undefined): string => {
    if (!c) return '–';
    if (!c.needsKill) return c.lowestMemAvailableMiB ? `${fmt(c.lowestMemAvailableMiB.median, 0)} MiB` : '–';
    const t = killTimeForRatio(c, capS);
    const missed = c.runs - c.killedRuns;
    return t === null ? '–' : `${t.toFixed(1)} s${missed > 0 ? ` (${missed}× no kill in ${capS} s)` : ''}`;
  };
  for (const w of WORKLOADS) {
    const mine = cells.find((c) => c.workload === w.id && c.killer === own);
    const best = bestAnchor(cells, w.id, capS);
    lines.push(`| ${w.label} | ${w.needsKill ? 'yes' : 'no'} | ${verdicts(mine)} | ${figure(mine)} | ${best ? killerLabel(best.killer) : '–'} | ${best ? verdicts(best) : 'no runs yet'} | ${figure(best)} |`);
  }
  return lines.join('\n');
}

export function renderRatios(cells: readonly Cell[], capS: number): string {
  const lines: string[] = [];
  lines.push('| workload | Headroom | s to kill: Headroom / best anchor | canary worst: Headroom / best anchor | canary p99: Headroom / best anchor |');
  lines.push('|---|---|---|---|---|');
  const show = (r: { ratio: number; anchor: string } | null): string =>
    r === null ? '–' : `${r.ratio.toFixed(2)} (vs ${killerLabel(r.anchor)})${r.ratio <= 1 ? '' : ' **Headroom slower**'}`;
  for (const w of WORKLOADS) {
    if (!w.needsKill) continue;
    for (const own of OWN_KILLERS) {
      if (!cells.some((c) => c.workload === w.id && c.killer === own)) continue;
      lines.push(
        `| ${w.label} | ${killerLabel(own)} | ${show(ratioToBestAnchor(cells, w.id, (c) => killTimeForRatio(c, capS), own))} | ${show(ratioToBestAnchor(cells, w.id, (c) => c.canaryWorstMs?.median ?? null, own))} | ${show(ratioToBestAnchor(cells, w.id, (c) => c.canaryP99Ms?.median ?? null, own))} |`,
      );
    }
  }
  return lines.join('\n');
}

/**
 * Workload browser per killer: runs per outcome (BrowserOutcome), in how many the browser's
 * main lived, and the medians (ranges) of the canary's worst stall, the time to relief (hog
 * start → the hog renderer gone) and the killer's side. Empty without runs of it.
 */
export function renderBrowserTable(cells: readonly Cell[]): string {
  const rows = cells.filter((c) => c.workload === 'browser');
  if (rows.length === 0) return '';
  const lines: string[] = [];
  lines.push(`| killer | runs | right (hog gone, bystanders alive) | ${BROWSER_OUTCOMES.join(' | ')} | main survived | canary worst, ms | time to relief, s | ${KILLER_SIDE_HEAD} |`);
  lines.push(`|---|---|---|${BROWSER_OUTCOMES.map(() => '---').join('|')}|---|---|---|---|---|`);
  for (const c of rows) {
    const right = Math.round((c.rightVictimPct * c.runs) / 100);
    const relief = fmtRange(c.secondsToKill) + (c.killedRuns < c.runs ? ` + ${c.runs - c.killedRuns}× none` : '');
    lines.push(`| ${killerLabel(c.killer)} | ${c.runs} | ${count(right, c.runs)} | ${BROWSER_OUTCOMES.map((o) => String(c.browserOutcomes[o] ?? 0)).join(' | ')} | ${count(c.mainSurvived, c.runs)} | ${fmtRange(c.canaryWorstMs, 0)} | ${relief} | ${killerSide(c)} |`);
  }
  return lines.join('\n');
}

const dash = (n: number | null | undefined, digits = 0): string => (n === null || n === undefined ? '–' : n.toFixed(digits));

/** Workload browser run by run: what died, whether the main lived, who picked which process. */
export function renderBrowserRuns(runs: readonly RunResult[]): string {
  const rs = runs.filter((r) => r.complete && r.workload === 'browser' && r.browser !== undefined).sort((a, b) => a.idx - b.idx);
  if (rs.length === 0) return '';
  const lines: string[] = [];
  lines.push('| run | killer | what died | main survived | other renderers alive | canary worst, ms | time to relief, s | killed by | the killer named | the kernel killed | the killer\'s major faults | wake → kill decision, ms |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rs) {
    const b = r.browser!;
    const picked = (xs: readonly string[]): string => (xs.length === 0 ? '–' : xs.join(', '));
    const wake = r.killPath ? `${dash(r.killPath.wakeToDecisionMs)} (woke by ${r.killPath.cause})` : '–';
    // The kernel took one process; the user manager (OOMPolicy=stop) then stopped the rest.
    const stopped = b.restStoppedByUserManager === true ? `, the rest stopped by the user manager (OOMPolicy=${b.oomPolicy ?? '?'})` : '';
    lines.push(`| ${r.idx} | ${killerLabel(r.killer)} | ${b.outcome}${stopped} | ${b.mainSurvived ? 'yes' : 'no'} | ${count(b.renderersSurvived, b.renderers)} | ${dash(r.canaryWorstMs)} | ${r.secondsToKill === null ? 'none' : r.secondsToKill.toFixed(1)} | ${r.killedBy === 'killer' ? 'itself' : r.killedBy} | ${picked(b.killerPicked)} | ${picked(b.kernelPicked)} | ${dash(r.killerMajorFaults)} | ${wake} |`);
  }
  return lines.join('\n');
}

/**
 * Workload pause run by run: whether and when the hog was frozen, MemAvailable then, the Quit
 * answer, what ended it, the canary's worst stall and the lowest MemAvailable of the storm.
 */
export function renderPauseRuns(runs: readonly RunResult[]): string {
  const rs = runs.filter((r) => r.complete && r.workload === 'pause' && r.pause !== undefined).sort((a, b) => a.idx - b.idx);
  if (rs.length === 0) return '';
  const lines: string[] = [];
  lines.push('| run | killer | paused at, s | MemAvailable at the pause, MiB | answered Quit at, s | thawed before the answer, s | hog gone at, s | ended by | wrong kill | canary worst, ms | lowest MemAvailable, MiB | kernel OOM kills |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rs) {
    const p = r.pause!;
    const endedBy = !r.hogKilled ? 'nothing (cap)' : r.killedBy === 'kernel' ? 'the kernel' : p.answeredS !== null && r.secondsToKill !== null && r.secondsToKill >= p.answeredS ? 'Quit, as asked' : r.killedBy === 'killer' ? 'the killer' : r.killedBy;
    lines.push(`| ${r.idx} | ${killerLabel(r.killer)} | ${dash(p.pausedS, 1)} | ${dash(p.memAvailableAtPauseMiB)} | ${dash(p.answeredS, 1)} | ${dash(p.thawedS, 1)} | ${dash(r.secondsToKill, 1)} | ${endedBy} | ${r.wrongKill === true ? 'yes' : 'no'} | ${dash(r.canaryWorstMs)} | ${dash(r.lowestMemAvailableMiB)} | ${r.kernelOomKills} |`);
  }
  return lines.join('\n');
}
