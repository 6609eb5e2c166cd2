// Which units the kill notice's Reopen launched, and when: the plain fact the ranking needs
// (AppUnit.reopenedAtMs; the rule is agent/core/rank.ts). Matched by the unit name the launcher
// gave the new scope, so only that instance is spared, never every instance of the app: another
// window of it the user had all along was not reopened. In memory only: a restarted agent
// forgets, and the app is then ranked like any other, which errs on the side of the old rule.
//
// The launcher names the unit only once systemd-run has outlived its early-failure window (a
// second), and the app's scope is read before that. So from the click on (expect) a new
// Headroom scope of that entry, one not there before the click, counts as the reopen at once;
// when Launch returns (settle) the unit it names is the one, and any other is let go.
import { REOPEN_SPARE_MS } from '../core/constants.js';
import type { AppUnit } from '../core/snapshot.js';

export class ReopenLedger {
  /** Unit name → when Reopen launched it (monotonic ms, the snapshot's clock). */
  readonly #launched = new Map<string, number>();
  /** Desktop id → a Reopen under way: the click's time, and the units known before it. */
  readonly #pending = new Map<string, { atMs: number; before: ReadonlySet<string> }>();
  /** Units taken for a pending Reopen before Launch named its unit: unit → desktop id. */
  readonly #provisional = new Map<string, string>();
  #seen: ReadonlySet<string> = new Set();

  /** A Reopen of this desktop entry is starting now. */
  expect(desktopId: string, atMs: number): void {
    this.#pending.set(desktopId, { atMs, before: this.#seen });
  }

  /** Launch returned `unit` for that Reopen (null: it failed, nothing was reopened). */
  settle(desktopId: string, unit: string | null): void {
    const pending = this.#pending.get(desktopId);
    this.#pending.delete(desktopId);
    for (const [u, id] of this.#provisional) {
      if (id !== desktopId) continue;
      this.#provisional.delete(u);
      if (u !== unit) this.#launched.delete(u);
    }
    if (unit !== null && pending) this.#launched.set(unit, pending.atMs);
  }

  /**
   * The apps, those Reopen launched carrying reopenedAtMs. Entries older than the window are
   * dropped here: the ranking would ignore them anyway, and the map stays as small as the
   * number of reopens in ten minutes.
   */
  stamp(apps: readonly AppUnit[], nowMs: number): AppUnit[] {
    for (const [unit, atMs] of this.#launched) if (nowMs - atMs >= REOPEN_SPARE_MS) this.#launched.delete(unit);
    for (const a of apps) {
      const pending = a.launcher === 'headroom' && !this.#launched.has(a.unit) ? this.#pending.get(a.appId) : undefined;
      if (pending && !pending.before.has(a.unit)) {
        this.#launched.set(a.unit, pending.atMs);
        this.#provisional.set(a.unit, a.appId);
      }
    }
    this.#seen = new Set(apps.map((a) => a.unit));
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
