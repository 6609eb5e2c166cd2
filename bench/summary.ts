/**
 * The summary per killer × workload (one cell each) and how a cell compares with the anchors:
 * the best anchor of a workload and Headroom's ratio to it.
 */
import { KILLERS, WORKLOADS, isHeadroom } from './catalogue.js';
import { needlessKillOf, wrongKillOf, type RunResult } from './run-result.js';
import { median } from './statistics.js';

export interface Range {
  median: number;
  min: number;
  max: number;
}
const range = (values: readonly number[]): Range | null =>
  values.length === 0 ? null : { median: median(values), min: Math.min(...values), max: Math.max(...values) };

export interface Cell {
  killer: string;
  workload: string;
  runs: number;
  rightVictimPct: number;
  killedRuns: number;
  /** Over the runs in which the hog died before the cap. */
  secondsToKill: Range | null;
  memAvailableAtKillMiB: Range | null;
  canaryWorstMs: Range | null;
  canaryP99Ms: Range | null;
  canaryCalmWorstMs: Range | null;
  kernelOomKills: number;
  innocentSurvived: number;
  killedBy: Record<string, number>;
  /** Whether the workload needs a kill; the verdicts below follow from it. */
  needsKill: boolean;
  /** Runs with a wrong kill (RunResult.wrongKill). */
  wrongKills: number;
  /** Runs with a needless kill; null where the workload needs a kill. */
  needlessKills: number | null;
  /** Runs in which the hog ended by its own exit. */
  exitedItself: number;
  /** The lowest MemAvailable from hog start to its end, over all runs that have it. */
  lowestMemAvailableMiB: Range | null;
  /** MemAvailable at the hog's own stop (workloads that need no kill). */
  memAvailableAtStopMiB: Range | null;
  memAvailableAtStopPct: Range | null;
  /** zram's orig_data_size / mem_used_total while the hog held its memory (at its stop where the series has none). */
  zramRatio: Range | null;
  /** Runs in which each one died (hog, innocent, canary, small app, browser, terminal). */
  died: Record<string, number>;
  /** The killer's own logged kills, summed over the runs. */
  killerKills: number;
  /** The killer's major page faults from hog start to the storm's end, over the runs that have them. */
  killerMajorFaults: Range | null;
  /** Headroom's wake → kill decision (its "kill path:" line), ms, over the runs that have one. */
  wakeToDecisionMs: Range | null;
  /** Workload browser: runs per outcome (BrowserOutcome), and in how many the browser's main lived. */
  browserOutcomes: Record<string, number>;
  mainSurvived: number;
}

const countBy = (xs: readonly string[]): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
};

export function summarize(runs: readonly RunResult[]): Cell[] {
  const cells: Cell[] = [];
  for (const w of WORKLOADS) {
    for (const k of KILLERS) {
      const rs = runs.filter((r) => r.complete && r.killer === k.id && r.workload === w.id);
      if (rs.length === 0) continue;
      const killed = rs.filter((r) => r.hogKilled);
      const killedBy: Record<string, number> = {};
      for (const r of rs) killedBy[r.killedBy] = (killedBy[r.killedBy] ?? 0) + 1;
      const died: Record<string, number> = {};
      for (const r of rs) {
        const who = new Set((r.deaths ?? []).map((d) => d.who));
        // a frozen guest took its survivors with it: unknown, not dead
        if (r.deaths === undefined && !r.notes.some((n) => n.startsWith('guest frozen'))) {
          if (r.hogKilled) who.add('hog');
          if (!r.innocentSurvived) who.add('innocent');
          if (!r.canarySurvived) who.add('canary');
          if (r.smallsSurvived < r.smalls) who.add('small app');
        }
        for (const x of who) died[x] = (died[x] ?? 0) + 1;
      }
      const vals = (f: (r: RunResult) => number | null, from: readonly RunResult[] = rs): number[] =>
        from.map(f).filter((x): x is number => x !== null);
      cells.push({
        killer: k.id,
        workload: w.id,
        runs: rs.length,
        rightVictimPct: Math.round((100 * rs.filter((r) => r.rightVictim).length) / rs.length),
        killedRuns: killed.length,
        secondsToKill: range(vals((r) => r.secondsToKill, killed)),
        memAvailableAtKillMiB: range(vals((r) => r.memAvailableAtKillMiB, killed)),
        canaryWorstMs: range(vals((r) => r.canaryWorstMs)),
        canaryP99Ms: range(vals((r) => r.canaryP99Ms)),
        canaryCalmWorstMs: range(vals((r) => r.canaryCalmWorstMs ?? null)),
        kernelOomKills: rs.reduce((a, r) => a + r.kernelOomKills, 0),
        innocentSurvived: rs.filter((r) => r.innocentSurvived).length,
        killedBy,
        needsKill: w.needsKill,
        wrongKills: rs.filter(wrongKillOf).length,
        needlessKills: w.needsKill ? null : rs.filter((r) => needlessKillOf(r) === true).length,
        exitedItself: rs.filter((r) => r.hogExitedItself === true).length,
        lowestMemAvailableMiB: range(vals((r) => r.lowestMemAvailableMiB ?? null)),
        memAvailableAtStopMiB: range(vals((r) => r.hogStop?.memAvailableMiB ?? null)),
        memAvailableAtStopPct: range(vals((r) => r.hogStop?.memAvailablePct ?? null)),
        zramRatio: range(vals((r) => r.zramRatioHold ?? r.zramAtStop?.ratio ?? null)),
        died,
        killerKills: rs.reduce((a, r) => a + (r.killerKills ?? 0), 0),
        killerMajorFaults: range(vals((r) => r.killerMajorFaults ?? null)),
        wakeToDecisionMs: range(vals((r) => r.killPath?.wakeToDecisionMs ?? null)),
        browserOutcomes: countBy(rs.flatMap((r) => (r.browser ? [r.browser.outcome] : []))),
        mainSurvived: rs.filter((r) => r.browser?.mainSurvived === true).length,
      });
    }
  }
  return cells;
}

/** "Headroom / best anchor" for a figure where lower is better; null where either is missing. */
export function ratioToBestAnchor(cells: readonly Cell[], workload: string, pick: (c: Cell) => number | null, ownKiller = 'headroom'): { ratio: number; anchor: string } | null {
  const own = cells.find((c) => c.workload === workload && c.killer === ownKiller);
  const ownValue = own ? pick(own) : null;
  if (ownValue === null) return null;
  let best: { value: number; killer: string } | null = null;
  for (const c of cells) {
    if (c.workload !== workload || isHeadroom(c.killer)) continue;
    const v = pick(c);
    if (v === null) continue;
    if (best === null || v < best.value) best = { value: v, killer: c.killer };
  }
  if (best === null || best.value <= 0) return null;
  return { ratio: ownValue / best.value, anchor: best.killer };
}

/** Median seconds to kill, counting a run that hit the cap as the cap (so a never-kill loses). */
export function killTimeForRatio(c: Cell, capS: number): number | null {
  if (c.runs === 0) return null;
  if (c.killedRuns < c.runs / 2) return capS;
  return c.secondsToKill?.median ?? null;
}

/**
 * The anchor that did best in a workload: the most right verdicts, then the fewest wrong and
 * needless kills, then the shortest median time to kill (workloads that need a kill) or the
 * lowest median canary worst (those that need none).
 */
export function bestAnchor(cells: readonly Cell[], workload: string, capS: number): Cell | null {
  const anchors = cells.filter((c) => c.workload === workload && !isHeadroom(c.killer) && c.runs > 0);
  const score = (c: Cell): number[] => [
    -c.rightVictimPct, c.wrongKills / c.runs, (c.needlessKills ?? 0) / c.runs,
    c.needsKill ? (killTimeForRatio(c, capS) ?? capS) : (c.canaryWorstMs?.median ?? Infinity),
  ];
  const cmp = (a: Cell, b: Cell): number => {
    const x = score(a);
    const y = score(b);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
    return 0;
  };
  return anchors.length === 0 ? null : [...anchors].sort(cmp)[0]!;
}
