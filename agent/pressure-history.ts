// The agent's pressure history for the dashboard: the last 30 minutes of samples, one per
// PRESSURE_HISTORY_STEP_MS at most, oldest first (GetPressureHistory).
import type { PressureRecord } from '../shared/records.js';
import { PRESSURE_HISTORY_SAMPLES, PRESSURE_HISTORY_STEP_MS } from './core/constants.js';

export class PressureHistory {
  readonly #ring: PressureRecord[] = [];

  constructor(private readonly stepMs = PRESSURE_HISTORY_STEP_MS, private readonly maxSamples = PRESSURE_HISTORY_SAMPLES) {}

  /** Keep `p` unless the newest sample is less than a step older. */
  note(p: PressureRecord): void {
    const ring = this.#ring;
    const last = ring[ring.length - 1];
    // One per step; a sample a little older than the newest (the wall clock nudged back) is
    // dropped, one far older is the wall clock set back and starts anew.
    if (last && p.sampledAtMs - last.sampledAtMs < this.stepMs && p.sampledAtMs >= last.sampledAtMs - this.stepMs) return;
    ring.push(p);
    if (ring.length > this.maxSamples) ring.splice(0, ring.length - this.maxSamples);
  }

  /** The samples of the last `seconds` before the newest (0: all kept), oldest first. */
  since(seconds: number): PressureRecord[] {
    const ring = this.#ring;
    if (seconds <= 0 || ring.length === 0) return [...ring];
    const since = ring[ring.length - 1]!.sampledAtMs - seconds * 1000;
    return ring.filter((p) => p.sampledAtMs >= since);
  }
}
