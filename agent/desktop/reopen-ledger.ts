// Which units the kill notice's Reopen launched, and when: the plain fact the ranking needs
// (AppUnit.reopenedAtMs; the rule is agent/core/rank.ts). Matched by the unit name the launcher
// gave the new scope, so only that instance is spared, never every instance of the app: another
// window of it the user had all along was not reopened. In memory only: a restarted agent
// forgets, and the app is then ranked like any other, which errs on the side of the old rule.
import { REOPEN_SPARE_MS } from '../core/constants.js';
import type { AppUnit } from '../core/snapshot.js';

export class ReopenLedger {
  /** Unit name → when Reopen launched it (monotonic ms, the snapshot's clock). */
  readonly #launched = new Map<string, number>();

  note(unit: string, atMs: number): void {
    this.#launched.set(unit, atMs);
  }

  /**
   * The apps, those Reopen launched carrying reopenedAtMs. Entries older than the window are
   * dropped here: the ranking would ignore them anyway, and the map stays as small as the
   * number of reopens in ten minutes.
   */
  stamp(apps: readonly AppUnit[], nowMs: number): AppUnit[] {
    for (const [unit, atMs] of this.#launched) if (nowMs - atMs >= REOPEN_SPARE_MS) this.#launched.delete(unit);
    return apps.map((a) => {
      const atMs = this.#launched.get(a.unit);
      return atMs === undefined ? a : { ...a, reopenedAtMs: atMs };
    });
  }

  /** How many reopens are remembered (for tests). */
  get size(): number {
    return this.#launched.size;
  }
}
