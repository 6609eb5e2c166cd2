// Which unit dies first. The order, most killable first:
//   1. eligible before excluded (omit, protected, empty units are never killed)
//   2. preference: none before avoid (avoid only when nothing else is left)
//   3. what a kill would free, projected RANK_GROWTH_HORIZON_MS ahead at the unit's recent
//      growth, descending: the heaviest, and of two alike the one running away
//   4. unit name, ascending (a total order: equal units always rank the same way)
// "What a kill frees" is the unreclaimable footprint (anon + shmem + swap), not memory.current:
// page cache comes back through reclaim without a kill, so an app holding a big file cache is
// no hog.
import { RANK_GROWTH_HORIZON_MS } from './constants.js';
import type { AppUnit } from './snapshot.js';

export interface RankedCandidate {
  app: AppUnit;
  /** '' when the app may be killed, else the reason it may not. */
  excluded: string;
  /** Recent growth of its footprint, bytes/s (0 when unknown or shrinking). */
  growthBytesPerSec: number;
}

export const footprintBytes = (app: AppUnit): number => app.unreclaimableBytes;

/** A footprint as the ranking compares it: now, plus what recent growth adds within the horizon. */
export const projectedBytes = (bytes: number, growthBytesPerSec: number): number =>
  bytes + Math.max(0, growthBytesPerSec) * (RANK_GROWTH_HORIZON_MS / 1000);

export const rankScore = (c: RankedCandidate): number => projectedBytes(footprintBytes(c.app), c.growthBytesPerSec);

export function exclusionOf(app: AppUnit): string {
  if (app.protectedBecause !== '') return app.protectedBecause;
  if (app.preference === 'omit') return 'omit';
  if (app.processCount === 0) return 'empty';
  return '';
}

export function compareVictims(a: RankedCandidate, b: RankedCandidate): number {
  const ea = a.excluded === '' ? 0 : 1;
  const eb = b.excluded === '' ? 0 : 1;
  if (ea !== eb) return ea - eb;
  const pa = a.app.preference === 'avoid' ? 1 : 0;
  const pb = b.app.preference === 'avoid' ? 1 : 0;
  if (pa !== pb) return pa - pb;
  const fa = rankScore(a);
  const fb = rankScore(b);
  if (fa !== fb) return fb - fa;
  return a.app.unit < b.app.unit ? -1 : a.app.unit > b.app.unit ? 1 : 0;
}

/** Rank every unit; `growth` maps a unit to its recent growth in bytes/s (absent: unknown). */
export function rankVictims(apps: readonly AppUnit[], growth: ReadonlyMap<string, number> = new Map()): RankedCandidate[] {
  return apps.map((app) => ({ app, excluded: exclusionOf(app), growthBytesPerSec: Math.max(0, growth.get(app.unit) ?? 0) })).sort(compareVictims);
}

/** The first killable candidate, or null when every app is excluded. */
export const selectVictim = (ranked: readonly RankedCandidate[]): RankedCandidate | null =>
  ranked.find((c) => c.excluded === '') ?? null;
