// Which unit dies first. The order, most killable first:
//   1. eligible before excluded (omit, protected, empty units are never killed)
//   2. preference: none before avoid (avoid only when nothing else is left)
//   3. spared after the rest: a unit reopened from a kill notice within REOPEN_SPARE_MS goes
//      after every other unit of its preference, unless it is again the runaway (below)
//   4. what a kill would free, projected RANK_GROWTH_HORIZON_MS ahead at the unit's recent
//      growth, descending: the heaviest, and of two alike the one running away
//   5. unit name, ascending (a total order: equal units always rank the same way)
// "What a kill frees" is the unreclaimable footprint (anon + shmem + swap), not memory.current:
// page cache comes back through reclaim without a kill, so an app holding a big file cache is
// no hog.
//
// Reopened (3): the user just got back an app Headroom stopped; stopping it again at the next
// shortage, only because it is big, would undo their choice and could loop (kill, reopen, kill).
// A reopened unit is *again the runaway*, and is not spared, when against every other eligible
// unit of its preference (the ones it would otherwise be put behind):
//   - its projected footprint (as in 4) is at least REOPEN_RUNAWAY_FACTOR times each of theirs,
//   - or it grows at least REOPEN_RUNAWAY_MIN_GROWTH_BYTES_PER_S and at least
//     REOPEN_RUNAWAY_FACTOR times as fast as each of them.
// Not spared is not promoted: such a unit is ranked exactly as if it had not been reopened, so
// the rule can only ever hold a unit back, never choose it. That is also why the growth arm may
// fire on an app taking its memory at start (the first looks after a reopen; a browser restoring
// its session for longer): while in doubt the plain rule applies, as it did before Reopen existed.
// With no other eligible unit of its preference there is nothing to put first: it is ranked as
// spared, and goes where 4 puts it. Sparing never lifts a unit above an avoided one: avoid is
// the user's own word, "only as a last resort", while a reopen is only a sign of interest, so
// the spared unit still goes before every avoided unit.
import { formatBytes } from '../../shared/format.js';
import { RANK_GROWTH_HORIZON_MS, REOPEN_RUNAWAY_FACTOR, REOPEN_RUNAWAY_MIN_GROWTH_BYTES_PER_S, REOPEN_SPARE_MS } from './constants.js';
import type { AppUnit } from './snapshot.js';

/** A unit reopened within REOPEN_SPARE_MS, as the ranking judged it. */
export interface ReopenStanding {
  /** How long ago Reopen launched it, ms (never negative). */
  agoMs: number;
  /** Why it is not spared: again the heaviest, or the fastest grower, by far; null: spared. */
  runaway: 'heaviest' | 'growing' | null;
}

export interface RankedCandidate {
  app: AppUnit;
  /** '' when the app may be killed, else the reason it may not. */
  excluded: string;
  /** Recent growth of its footprint, bytes/s (0 when unknown or shrinking). */
  growthBytesPerSec: number;
  /** Only on an eligible unit reopened within REOPEN_SPARE_MS (rankVictims sets it). */
  reopened?: ReopenStanding;
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

export const isSpared = (c: RankedCandidate): boolean => c.reopened !== undefined && c.reopened.runaway === null;

/**
 * How the reopen rule (see the top of this file) judges `c` among `all` at `nowMs`; undefined
 * when `c` is not an eligible unit reopened within REOPEN_SPARE_MS. A NaN time counts as outside.
 */
export function reopenStanding(c: RankedCandidate, all: readonly RankedCandidate[], nowMs: number): ReopenStanding | undefined {
  const at = c.app.reopenedAtMs;
  if (at === undefined || c.excluded !== '' || !(nowMs - at < REOPEN_SPARE_MS)) return undefined;
  const agoMs = Math.max(0, nowMs - at);
  const others = all.filter((o) => o.app.unit !== c.app.unit && o.excluded === '' && o.app.preference === c.app.preference);
  if (others.length === 0) return { agoMs, runaway: null };
  const score = rankScore(c);
  if (others.every((o) => score >= REOPEN_RUNAWAY_FACTOR * rankScore(o))) return { agoMs, runaway: 'heaviest' };
  const growth = c.growthBytesPerSec;
  if (growth >= REOPEN_RUNAWAY_MIN_GROWTH_BYTES_PER_S && others.every((o) => growth >= REOPEN_RUNAWAY_FACTOR * o.growthBytesPerSec)) return { agoMs, runaway: 'growing' };
  return { agoMs, runaway: null };
}

export function compareVictims(a: RankedCandidate, b: RankedCandidate): number {
  const ea = a.excluded === '' ? 0 : 1;
  const eb = b.excluded === '' ? 0 : 1;
  if (ea !== eb) return ea - eb;
  const pa = a.app.preference === 'avoid' ? 1 : 0;
  const pb = b.app.preference === 'avoid' ? 1 : 0;
  if (pa !== pb) return pa - pb;
  const sa = isSpared(a) ? 1 : 0;
  const sb = isSpared(b) ? 1 : 0;
  if (sa !== sb) return sa - sb;
  const fa = rankScore(a);
  const fb = rankScore(b);
  if (fa !== fb) return fb - fa;
  return a.app.unit < b.app.unit ? -1 : a.app.unit > b.app.unit ? 1 : 0;
}

/**
 * Rank every unit; `growth` maps a unit to its recent growth in bytes/s (absent: unknown), and
 * `nowMs` is the decision's time on the clock of AppUnit.reopenedAtMs (Snapshot.atMs).
 */
export function rankVictims(apps: readonly AppUnit[], growth: ReadonlyMap<string, number>, nowMs: number): RankedCandidate[] {
  const base: RankedCandidate[] = apps.map((app) => ({ app, excluded: exclusionOf(app), growthBytesPerSec: Math.max(0, growth.get(app.unit) ?? 0) }));
  return base.map((c) => {
    const reopened = reopenStanding(c, base, nowMs);
    return reopened ? { ...c, reopened } : c;
  }).sort(compareVictims);
}

/** The first killable candidate, or null when every app is excluded. */
export const selectVictim = (ranked: readonly RankedCandidate[]): RankedCandidate | null =>
  ranked.find((c) => c.excluded === '') ?? null;

const nameOf = (c: RankedCandidate): string => c.app.displayName || c.app.appId;
const formatAgo = (ms: number): string => (ms < 60_000 ? `${Math.round(ms / 1000)} s` : `${Math.floor(ms / 60_000)} min`);

/**
 * The reopen rule's part in a victim's description: `part` for its list of figures (the victim
 * was itself reopened), `tail` naming the heavier reopened units it was put before ('' each when
 * the rule played no part).
 */
export function describeReopen(victim: RankedCandidate, ranked: readonly RankedCandidate[]): { part: string; tail: string } {
  const r = victim.reopened;
  // A spared victim is next only because nothing else of its preference is left; for an avoided
  // one the description already says so ("avoided but nothing else is left").
  const why = !r ? '' : r.runaway === 'heaviest' ? ', but again the heaviest by far' : r.runaway === 'growing' ? ', but again growing the fastest by far'
    : victim.app.preference === 'avoid' ? '' : ', but nothing else may go first';
  const part = r ? `reopened after a kill ${formatAgo(r.agoMs)} ago${why}` : '';
  const passedOver = ranked.filter((c) => c !== victim && isSpared(c) && c.app.preference === victim.app.preference && rankScore(c) > rankScore(victim));
  const tail = passedOver.map((c) => `; ${nameOf(c)} (${formatBytes(footprintBytes(c.app))}) would go first but was reopened after a kill ${formatAgo(c.reopened!.agoMs)} ago`).join('');
  return { part, tail };
}
