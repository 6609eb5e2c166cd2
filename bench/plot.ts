/**
 * The benchmark's plot as a self-made SVG (no plotting dependency): one panel per killer
 * (rows) and workload (columns), each showing one representative run — the one whose time to
 * kill is the median of its cell — as MemAvailable (MiB, blue, left axis) and full avg10
 * memory pressure of user@1000.service (%, orange, right axis) over seconds from hog start,
 * with the kill marked (red line) or "no kill" where the cap was reached.
 */
import { KILLERS, WORKLOADS, killerLabel, workloadLabel } from './catalogue.js';
import type { RunResult } from './run-result.js';

const PANEL_W = 330;
const PANEL_H = 150;
const PAD_L = 46;
const PAD_R = 34;
const PAD_T = 22;
const PAD_B = 24;
const LABEL_W = 175;
const HEADER_H = 56;

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The run whose seconds-to-kill is the median of its killer × workload (a run that hit the cap counts as the cap). */
export function representative(runs: readonly RunResult[], capS: number): RunResult | null {
  const rs = runs.filter((r) => r.complete && r.trace.length > 0);
  if (rs.length === 0) return null;
  const t = (r: RunResult): number => (r.hogKilled ? (r.secondsToKill ?? capS) : capS);
  const sorted = [...rs].sort((a, b) => t(a) - t(b) || a.idx - b.idx);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

export interface PlotOptions {
  capS: number;
  memTotalMiB: number;
  title: string;
  subtitle: string;
}

export function renderPlot(runs: readonly RunResult[], o: PlotOptions): string {
  const workloads = WORKLOADS.filter((w) => runs.some((r) => r.workload === w.id));
  const killers = KILLERS.filter((k) => runs.some((r) => r.killer === k.id));
  const width = LABEL_W + workloads.length * (PANEL_W + 12) + 10;
  const height = HEADER_H + killers.length * (PANEL_H + 10) + 30;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="11">`);
  out.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  out.push(`<text x="10" y="18" font-size="15" font-weight="bold">${esc(o.title)}</text>`);
  out.push(`<text x="10" y="34" fill="#444">${esc(o.subtitle)}</text>`);
  out.push(`<text x="10" y="${height - 10}" fill="#444"><tspan fill="#1f5fbf">━ MemAvailable (MiB, left)</tspan>   <tspan fill="#e07000">━ full avg10 of user@1000.service (%, right)</tspan>   <tspan fill="#c00000">┃ hog gone</tspan>   long straight segments: no samples (the guest was frozen)</text>`);

  workloads.forEach((w, col) => {
    const x0 = LABEL_W + col * (PANEL_W + 12);
    out.push(`<text x="${x0 + PANEL_W / 2}" y="${HEADER_H - 6}" text-anchor="middle" font-weight="bold">${esc(workloadLabel(w.id))}</text>`);
    // A common time axis per column: the longest representative run, at least 30 s.
    const reps = killers.map((k) => representative(runs.filter((r) => r.killer === k.id && r.workload === w.id), o.capS));
    const tMax = Math.max(30, ...reps.map((r) => (r ? Math.min(o.capS + 6, r.trace[r.trace.length - 1]?.[0] ?? 0) : 0)));
    killers.forEach((k, row) => {
      const y0 = HEADER_H + row * (PANEL_H + 10);
      if (col === 0) {
        // "systemd-oomd, Fedora (50 %, 20 s)" → two lines at the comma
        const [first = '', ...rest] = killerLabel(k.id).split(', ');
        out.push(`<text x="8" y="${y0 + PANEL_H / 2}" font-weight="bold">${esc(first)}${rest.length ? `<tspan x="8" dy="14">${esc(rest.join(', '))}</tspan>` : ''}</text>`);
      }
      out.push(panel(reps[row] ?? null, x0, y0, tMax, o));
    });
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function panel(run: RunResult | null, x0: number, y0: number, tMax: number, o: PlotOptions): string {
  const pw = PANEL_W - PAD_L - PAD_R;
  const ph = PANEL_H - PAD_T - PAD_B;
  const px = (t: number): number => x0 + PAD_L + (Math.max(-3, Math.min(tMax, t)) + 3) / (tMax + 3) * pw;
  const pyMem = (mib: number): number => y0 + PAD_T + ph - (Math.max(0, Math.min(o.memTotalMiB, mib)) / o.memTotalMiB) * ph;
  const pyPct = (pct: number): number => y0 + PAD_T + ph - (Math.max(0, Math.min(100, pct)) / 100) * ph;
  const s: string[] = [];
  s.push(`<rect x="${x0 + PAD_L}" y="${y0 + PAD_T}" width="${pw}" height="${ph}" fill="#fafafa" stroke="#999"/>`);
  // axes: MiB left, % right, seconds below
  for (const mib of [0, Math.round(o.memTotalMiB / 2), o.memTotalMiB]) {
    s.push(`<text x="${x0 + PAD_L - 4}" y="${pyMem(mib) + 4}" text-anchor="end" fill="#1f5fbf">${mib}</text>`);
  }
  for (const pct of [0, 50, 100]) s.push(`<text x="${x0 + PAD_L + pw + 4}" y="${pyPct(pct) + 4}" fill="#e07000">${pct}</text>`);
  const step = tMax > 120 ? 60 : tMax > 60 ? 30 : 10;
  for (let t = 0; t <= tMax; t += step) {
    s.push(`<line x1="${px(t)}" y1="${y0 + PAD_T + ph}" x2="${px(t)}" y2="${y0 + PAD_T + ph + 3}" stroke="#666"/>`);
    s.push(`<text x="${px(t)}" y="${y0 + PAD_T + ph + 14}" text-anchor="middle" fill="#444">${t}s</text>`);
  }
  if (run === null) {
    s.push(`<text x="${x0 + PAD_L + pw / 2}" y="${y0 + PAD_T + ph / 2}" text-anchor="middle" fill="#888">no run</text>`);
    return s.join('\n');
  }
  const pts = run.trace.filter(([t]) => t <= tMax);
  s.push(`<polyline fill="none" stroke="#1f5fbf" stroke-width="1.5" points="${pts.map(([t, m]) => `${px(t).toFixed(1)},${pyMem(m).toFixed(1)}`).join(' ')}"/>`);
  s.push(`<polyline fill="none" stroke="#e07000" stroke-width="1.2" points="${pts.map(([t, , p]) => `${px(t).toFixed(1)},${pyPct(p).toFixed(1)}`).join(' ')}"/>`);
  let label: string;
  const noKillNeeded = run.needsKill === false;
  if (run.hogKilled && run.secondsToKill !== null) {
    const x = px(run.secondsToKill);
    s.push(`<line x1="${x}" y1="${y0 + PAD_T}" x2="${x}" y2="${y0 + PAD_T + ph}" stroke="#c00000" stroke-width="1.5"/>`);
    label = `gone at ${run.secondsToKill.toFixed(1)} s, by ${run.killedBy === 'killer' ? 'itself' : run.killedBy}${noKillNeeded ? ' (NEEDLESS kill)' : run.rightVictim ? '' : ' (WRONG victim)'}`;
  } else if (run.hogExitedItself === true) {
    label = `hog exited by itself${run.hogGoneS !== undefined && run.hogGoneS !== null ? ` at ${run.hogGoneS.toFixed(1)} s` : ''}${run.rightVictim ? ', nothing died' : ' (a bystander died)'}`;
  } else {
    label = noKillNeeded ? `nothing killed the hog within ${o.capS} s` : `no kill within ${o.capS} s`;
  }
  const worst = run.canaryWorstMs !== null ? `; canary ${run.canaryWorstMs >= 1000 ? `${(run.canaryWorstMs / 1000).toFixed(1)} s` : `${Math.round(run.canaryWorstMs)} ms`}` : '';
  s.push(`<text x="${x0 + 4}" y="${y0 + PAD_T - 6}" fill="#222" font-size="10">run ${run.idx}: ${esc(label)}${esc(worst)}</text>`);
  return s.join('\n');
}
