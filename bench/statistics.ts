/** The statistics of the report: quantiles, the median and a rank test over the runs. */

/** Nearest-rank quantile (q in [0, 1]) of the values; NaN for none. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}
export const median = (values: readonly number[]): number => {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * Two-sided p-value of a Mann–Whitney rank test (mid-ranks for ties): how often a random
 * split of the pooled runs into groups of these sizes separates them at least as well. Exact
 * over every split when there are at most 200,000, otherwise 20,000 splits drawn with a fixed
 * seed (the report must not change between renders). Small samples give large p-values: with
 * 5 runs against 5 the smallest possible is 0.008.
 */
export function rankTestP(a: readonly number[], b: readonly number[]): number {
  const n = a.length + b.length;
  if (a.length === 0 || b.length === 0) return NaN;
  const pooled = [...a, ...b];
  const order = pooled.map((v, i) => ({ v, i })).sort((x, y) => x.v - y.v);
  const ranks = new Array<number>(n);
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && order[j + 1]!.v === order[i]!.v) j++;
    for (let k = i; k <= j; k++) ranks[order[k]!.i] = (i + j) / 2 + 1;
    i = j + 1;
  }
  const k = a.length;
  // Distance of a group's rank sum from what no difference would give: the statistic.
  const centre = (k * (n + 1)) / 2;
  const observed = Math.abs(ranks.slice(0, k).reduce((s, r) => s + r, 0) - centre);
  const atLeast = (sum: number): boolean => Math.abs(sum - centre) >= observed - 1e-9;
  let splits = 1;
  for (let i = 0; i < k; i++) splits = (splits * (n - i)) / (i + 1);
  if (splits <= 200_000) {
    let hits = 0;
    let total = 0;
    const walk = (from: number, left: number, sum: number): void => {
      if (left === 0) {
        total++;
        if (atLeast(sum)) hits++;
        return;
      }
      for (let i = from; i <= n - left; i++) walk(i + 1, left - 1, sum + ranks[i]!);
    };
    walk(0, k, 0);
    return hits / total;
  }
  let seed = 0x9e3779b9;
  const random = (): number => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const draws = 20_000;
  let hits = 1; // the observed split itself
  const idx = ranks.map((_, i) => i);
  for (let d = 0; d < draws; d++) {
    for (let i = 0; i < k; i++) {
      const j = i + Math.floor(random() * (n - i));
      [idx[i], idx[j]] = [idx[j]!, idx[i]!];
    }
    let sum = 0;
    for (let i = 0; i < k; i++) sum += ranks[idx[i]!]!;
    if (atLeast(sum)) hits++;
  }
  return hits / (draws + 1);
}
