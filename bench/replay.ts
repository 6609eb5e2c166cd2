/**
 * Replays Headroom's pure policy (decide()) over the storms the sampler recorded, for the
 * policy as it is and for variants of its defaults: when would it have decided to kill?
 * Every killer's run of a workload is the same storm up to that killer's own kill, so each
 * one is a sample of the hog's course; a replay can only find a decision before the run's
 * real kill (after it the series no longer shows the storm).
 *
 * Approximations, stated in the report: the replay decides at every sampler line (~100 ms;
 * the agent ticks every 250 ms when elevated and less often when calm, and under emulation a
 * tick of the Node agent itself takes a few hundred ms), and its "full" pressure is the
 * system-wide /proc/pressure/memory total rather than user@1000.service's (the sampler
 * records only the system-wide total).
 */
import { DEFAULT_POLICY, type PolicyConfig } from '../agent/core/constants.js';
import { INITIAL_POLICY_STATE, decide } from '../agent/core/decide.js';
import type { AppUnit, Snapshot } from '../agent/core/snapshot.js';
import type { Sample } from './guest-output.js';

const MiB = 1024 * 1024;

export interface Variant {
  name: string;
  config: PolicyConfig;
}

export const describePolicy = (c: PolicyConfig): string =>
  `floor ${c.memAvailableCriticalPct} % of the runway, predicted within a look + ${c.exhaustionHorizonMs / 1000} s; pressure ${c.pressureFullLimitPct} % for ${c.pressureDurationMs / 1000} s below ${c.memAvailableElevatedPct} %`;

/**
 * The variants stay the same set whatever the defaults are now, so runs recorded at different
 * times replay the same policies. The policy that predicted "below X % within Y s" (the
 * `headroom-prev` and earlier `headroom` runs) no longer exists: decide() now predicts against
 * the runway's floor within the next look (agent/core/decide.ts), so these are variants of that.
 */
export function variants(base: PolicyConfig = DEFAULT_POLICY): Variant[] {
  const v = (over: Partial<PolicyConfig>): Variant => {
    const config = { ...base, ...over };
    return { name: describePolicy(config), config };
  };
  return [
    v({}),
    v({ exhaustionHorizonMs: 500 }),
    v({ exhaustionHorizonMs: 1000 }),
    v({ memAvailableCriticalPct: 6 }),
    v({ pressureFullLimitPct: 10, pressureDurationMs: 1000 }),
  ];
}

export interface ReplayDecision {
  /** Seconds from hog start to the decision; null: none before the run's real kill (or end). */
  atS: number | null;
  memAvailableMiB: number | null;
  reason: string;
}

const hog: AppUnit = {
  unit: 'app-bench-hog-1.scope', cgroup: 'app.slice/app-bench-hog-1.scope', appId: 'hog', launcher: 'bench', displayName: '', icon: '', desktopEntry: '',
  kind: 'app', memoryBytes: 1024 * MiB, swapBytes: 0, anonBytes: 1024 * MiB, fileBytes: 0, shmemBytes: 0, unreclaimableBytes: 1024 * MiB, pgscan: 0, processCount: 1,
  fullAvg10: 0, preference: 'none', protectedBecause: '', expendable: [], heaviestKeptBytes: 0,
};

/**
 * decide() over the samples from 3 s before hog start (t0Ms) until endMs (the real kill, or
 * the end of the storm).
 */
export function replay(samples: readonly Sample[], t0Ms: number, endMs: number, memTotalMiB: number, swapTotalMiB: number, config: PolicyConfig): ReplayDecision {
  let memory = INITIAL_POLICY_STATE;
  for (const s of samples) {
    if (s.atMs < t0Ms - 3000 || s.memAvailableKiB < 0) continue;
    if (s.atMs >= endMs) break;
    const snap: Snapshot = {
      atMs: s.atMs,
      wallMs: s.atMs,
      tree: {
        some: { avg10: s.some10, avg60: 0, avg300: 0, totalUs: 0 },
        full: { avg10: s.treeFull10, avg60: 0, avg300: 0, totalUs: s.fullTotalUs },
      },
      appSlice: null,
      meminfo: {
        memTotalBytes: memTotalMiB * MiB,
        memAvailableBytes: s.memAvailableKiB * 1024,
        swapTotalBytes: swapTotalMiB * MiB,
        swapFreeBytes: swapTotalMiB > 0 ? Math.max(0, s.swapFreeKiB) * 1024 : 0,
      },
      // zram's mm_stat as the sampler saw it; older series have none, and zram then absorbs nothing
      // (no ratio observed); series before run 242 have no same-filled pages, counted as none.
      swaps: swapTotalMiB > 0 ? [{
        path: '/dev/zram0', kind: 'zram', sizeBytes: swapTotalMiB * MiB, usedBytes: (swapTotalMiB * 1024 - Math.max(0, s.swapFreeKiB)) * 1024,
        zram: s.zramOrigKiB !== undefined && s.zramOrigKiB >= 0 && s.zramUsedKiB !== undefined && s.zramUsedKiB >= 0
          ? { origBytes: s.zramOrigKiB * 1024, sameBytes: (s.zramSameKiB ?? 0) * 1024, memUsedBytes: s.zramUsedKiB * 1024, memLimitBytes: 0 } : null,
      }] : [],
      apps: [hog],
      outside: [],
      unitsAtMs: s.atMs,
    };
    const d = decide(snap, memory, config);
    memory = d.policyState;
    if (d.action.kind === 'kill' && s.atMs >= t0Ms) {
      return { atS: Math.round((s.atMs - t0Ms) / 100) / 10, memAvailableMiB: Math.round(s.memAvailableKiB / 1024), reason: d.action.reason };
    }
  }
  return { atS: null, memAvailableMiB: null, reason: '' };
}
