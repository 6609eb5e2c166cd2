/**
 * Scale of the pure policy: one decide() (state, triggers, ranking, victim) over a snapshot of
 * N app scopes, in this Node process. Timed over many repetitions after a warm-up; the apps
 * have distinct sizes, every tenth is avoided and every hundredth omitted, so the ranking
 * does real work.
 */
import { performance } from 'node:perf_hooks';

import { DEFAULT_POLICY } from '../agent/core/constants.js';
import { INITIAL_POLICY_STATE, decide } from '../agent/core/decide.js';
import { app, meminfo, snapshot, MiB } from '../test/support/snapshots.js';
import { median, quantile } from './statistics.js';

export interface RankScale {
  scopes: number;
  repetitions: number;
  medianMs: number;
  p99Ms: number;
  victim: string;
}

export function rankScale(scopes: number, repetitions = 300): RankScale {
  const apps = Array.from({ length: scopes }, (_, i) =>
    app(`app-headroom-app${i}-${i.toString(16).padStart(16, '0')}.scope`, {
      memoryBytes: ((i * 7919) % 1000) * MiB + i,
      swapBytes: (i % 13) * MiB,
      preference: i % 100 === 0 ? 'omit' : i % 10 === 0 ? 'avoid' : 'none',
    }),
  );
  // 2 % available and no swap: critical, so every call ranks and picks a victim.
  const snap = snapshot(10_000, { meminfo: meminfo(2), apps });
  let victim = '';
  for (let i = 0; i < 20; i++) decide(snap, INITIAL_POLICY_STATE, DEFAULT_POLICY);
  const times: number[] = [];
  for (let i = 0; i < repetitions; i++) {
    const t = performance.now();
    const d = decide(snap, INITIAL_POLICY_STATE, DEFAULT_POLICY);
    times.push(performance.now() - t);
    if (d.action.kind === 'kill') victim = d.action.victim.app.unit;
  }
  return { scopes, repetitions, medianMs: median(times), p99Ms: quantile(times, 0.99), victim };
}
