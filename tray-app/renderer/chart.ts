// The pressure chart: some and full stall (%, left axis) and MemAvailable (bytes, right axis)
// with uPlot, and kills as DOM markers over the plot (vertical line + app name), so they can
// be read by a screen reader and found by the tests, not only seen on a canvas.
// uPlot because it is small (about 50 KB, no dependencies, MIT), fast on thousands of points,
// and draws time axes, two scales and a hover legend that hand-drawn SVG would have to redo.
import { formatBytes, formatPct } from '../../shared/format.js';
import { el } from './dom.js';
import type { ChartModel, KillMarker } from './view-model.js';
import uPlot from './vendor/uPlot.esm.js';

const HEIGHT_PX = 220;

export class PressureChart {
  private plot: uPlot | null = null;
  private model: ChartModel | null = null;
  private readonly markerLayer = el('div', { class: 'kill-markers' });

  constructor(private readonly container: HTMLElement) {
    new ResizeObserver(() => this.plot?.setSize(this.size())).observe(container);
  }

  update(model: ChartModel): void {
    this.model = model;
    const data: uPlot.AlignedData = [model.xs, model.somePct, model.fullPct, model.availableBytes];
    if (this.plot === null) {
      this.plot = new uPlot(this.options(), data, this.container);
      this.plot.over.appendChild(this.markerLayer);
    } else {
      this.plot.setData(data, false);
      this.plot.setScale('x', { min: model.fromMs / 1000, max: model.toMs / 1000 });
      this.plot.redraw(true, true);
    }
  }

  private size(): { width: number; height: number } {
    return { width: Math.max(240, this.container.clientWidth), height: HEIGHT_PX };
  }

  private options(): uPlot.Options {
    const pct = (_u: uPlot, v: number | null): string => (v === null ? '–' : formatPct(v));
    const bytes = (_u: uPlot, v: number | null): string => (v === null ? '–' : formatBytes(v));
    return {
      ...this.size(),
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: { time: true, range: () => [(this.model?.fromMs ?? 0) / 1000, (this.model?.toMs ?? 0) / 1000] },
        // Stall stays near zero most of the time: never squash a 3 % blip into a 100 % axis.
        pct: { range: (_u, _min, max) => [0, Math.min(100, Math.max(10, Math.ceil((max * 1.25) / 5) * 5))] },
        bytes: { range: () => [0, Math.max(1, this.model?.memTotalBytes ?? 1)] },
      },
      axes: [
        { space: 80 }, // about one tick a minute over ten minutes at full width, not every 30 s
        { scale: 'pct', label: 'stall %', values: (_u, ticks) => ticks.map((t) => `${t}%`), size: 50 },
        { scale: 'bytes', side: 1, label: 'available', values: (_u, ticks) => ticks.map((t) => formatBytes(t)), size: 70, grid: { show: false } },
      ],
      series: [
        {},
        { label: 'some (10 s)', scale: 'pct', stroke: '#b45309', width: 2, value: pct },
        { label: 'full (10 s)', scale: 'pct', stroke: '#b91c1c', width: 2, dash: [6, 4], value: pct },
        { label: 'available', scale: 'bytes', stroke: '#1d4ed8', width: 1.5, fill: 'rgba(29, 78, 216, 0.08)', value: bytes },
      ],
      hooks: { draw: [(u) => this.placeMarkers(u)] },
    };
  }

  private placeMarkers(u: uPlot): void {
    const markers = this.model?.markers ?? [];
    const width = u.over.clientWidth;
    this.markerLayer.replaceChildren(...markers.map((m) => {
      const left = u.valToPos(m.atMs / 1000, 'x');
      // Near the right edge the name goes on the line's left, clear of the axis.
      return markerElement(m, left, left > width - 90);
    }));
  }
}

function markerElement(m: KillMarker, leftPx: number, labelOnLeft: boolean): HTMLElement {
  const time = new Date(m.atMs).toLocaleTimeString();
  const what = m.outcome === 'dry-run' ? 'would have killed' : 'killed';
  const marker = el('div', { class: `kill-marker outcome-${m.outcome}${labelOnLeft ? ' label-left' : ''}`, role: 'img', 'aria-label': `${what} ${m.label} at ${time}`, title: `${what} ${m.label} at ${time}` },
    el('span', { class: 'kill-marker-label' }, `✕ ${m.label}`));
  marker.style.left = `${leftPx}px`; // CSSOM, not a style attribute: allowed by the page's CSP
  return marker;
}
