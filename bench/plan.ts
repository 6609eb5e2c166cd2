/**
 * The plan of a benchmark set: which run comes when, in which boot, and when the host gives up
 * on a run whose guest stopped making progress.
 */
import type { KillerId, WorkloadId } from './catalogue.js';

export interface PlanItem {
  idx: number;
  round: number;
  killer: KillerId;
  workload: WorkloadId;
}

/**
 * `runs` rounds; in each round every workload once with every killer, the killers rotated by
 * one place per round (and per workload) so that none always runs first or right after
 * another: slow drifts of the host's load spread over all of them.
 */
export function makePlan(runs: number, killers: readonly KillerId[], workloads: readonly WorkloadId[], firstIdx = 1, firstRound = 1): PlanItem[] {
  const plan: PlanItem[] = [];
  let idx = firstIdx;
  for (let r = 0; r < runs; r++) {
    workloads.forEach((workload, w) => {
      for (let k = 0; k < killers.length; k++) {
        const killer = killers[(k + firstRound - 1 + r + w) % killers.length]!;
        plan.push({ idx: idx++, round: firstRound + r, killer, workload });
      }
    });
  }
  return plan;
}

/** Split a plan into boots of at most `perBoot` runs. */
export function batches<T>(items: readonly T[], perBoot: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += Math.max(1, perBoot)) out.push(items.slice(i, i + Math.max(1, perBoot)));
  return out;
}

/**
 * How long after hog start the host waits for the guest to end a run (the cap plus this)
 * before it calls the guest frozen and stops it: under emulation a guest that thrashes without
 * swap can stay unresponsive for 10–20 min before the kernel acts, which cost whole boots.
 */
export const FREEZE_MARGIN_S = 100;

/**
 * Whether the host should call the guest frozen in this run: the storm started (t0_ms
 * written, first seen by the host at `t0SeenAtMs`, host clock) and has not ended (no
 * t_end_ms) cap + FREEZE_MARGIN_S later. The guest ends every run by the cap on its own, so
 * only a guest that stopped making progress gets here.
 */
export function stormOverdue(kv: Map<string, string>, t0SeenAtMs: number | undefined, nowMs: number, capS: number): boolean {
  if (t0SeenAtMs === undefined || !kv.has('t0_ms') || kv.has('t_end_ms')) return false;
  return nowMs - t0SeenAtMs > (capS + FREEZE_MARGIN_S) * 1000;
}
