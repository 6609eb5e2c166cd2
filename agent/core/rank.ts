// Which app dies first. The order, most killable first:
//   1. eligible before excluded (omit, protected, empty units are never killed)
//   2. preference: none before avoid (avoid only when nothing else is left)
//   3. memory.current + memory.swap.current, descending (the heaviest)
//   4. unit name, ascending (a total order: equal apps always rank the same way)
import type { AppScope } from './snapshot.js';

export interface RankedCandidate {
  app: AppScope;
  /** '' when the app may be killed, else the reason it may not. */
  excluded: string;
}

export const footprintBytes = (app: AppScope): number => app.memoryBytes + app.swapBytes;

export function exclusionOf(app: AppScope): string {
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
  const fa = footprintBytes(a.app);
  const fb = footprintBytes(b.app);
  if (fa !== fb) return fb - fa;
  return a.app.unit < b.app.unit ? -1 : a.app.unit > b.app.unit ? 1 : 0;
}

export function rankVictims(apps: readonly AppScope[]): RankedCandidate[] {
  return apps.map((app) => ({ app, excluded: exclusionOf(app) })).sort(compareVictims);
}

/** The first killable candidate, or null when every app is excluded. */
export const selectVictim = (ranked: readonly RankedCandidate[]): RankedCandidate | null =>
  ranked.find((c) => c.excluded === '') ?? null;
