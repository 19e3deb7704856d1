/**
 * The power of compare's own rule: the smallest change a case would be flagged for with ≥ 90 % probability,
 * given the samples at hand. Found by resampling the base's own values (its spread, its tails, its ties):
 * each trial draws base* and head* from the base and asks which shift s added to head* the rule would flag —
 * the Mann–Whitney test significant at the given level AND the lower end of the Hodges–Lehmann 95 % CI above
 * +threshold of the base median.
 *
 * Both conditions are conditions on order statistics of the pairwise differences D = head* − base*, which a
 * shift s moves by exactly s: the lower 95 % CI end is s + D(k95), and (inverting the rank test into its
 * confidence interval, exact without ties) the test is significant at α when s + D(kα) > 0. So each trial has
 * one smallest flagged shift, max(threshold − D(k95), −D(kα)), and the change detected with probability p is
 * the p-quantile of those over the trials. The draws are smoothed (see silvermanBandwidth). Deterministic for a seed.
 */
import { medianSorted, quantileSorted, sortAsc } from '../../lib/stats.ts';
import { mulberry32 } from '../../lib/stats-bootstrap.ts';
import { kthPairwiseDifferenceSorted, mosesRank } from '../../lib/stats-rank-tests.ts';

export interface PowerSettings {
  threshold_pct: number;
  /** The significance level a single test must reach (compare passes α / tests: a change in one case alone). */
  test_alpha: number;
  /** Probability of detection asked for (default 0.9). */
  power?: number;
  /** Resampled pairs (default 400). */
  trials?: number;
  seed: number;
}

/** 32-bit FNV-1a of a string: a stable seed per case key. */
export function seedOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** A standard normal draw (Box–Muller). */
function gaussian(rng: () => number): number {
  const u = Math.max(rng(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/**
 * Silverman's rule of thumb, 0.9 · min(sd, IQR / 1.34) · n^(−1/5). Resampling plain values makes ties (a value
 * drawn twice), and ties make the rank statistics look tighter than the latencies they stand for: the power
 * came out ~5 % optimistic on normal samples of 40. Smoothing each draw by this kernel removes the ties.
 */
export function silvermanBandwidth(sorted: readonly number[]): number {
  const n = sorted.length;
  if (n < 2) return 0;
  const mean = sorted.reduce((a, v) => a + v, 0) / n;
  const sd = Math.sqrt(sorted.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
  const iqr = quantileSorted(sorted, 0.75) - quantileSorted(sorted, 0.25);
  const spread = iqr > 0 ? Math.min(sd, iqr / 1.34) : sd;
  return 0.9 * spread * n ** -0.2;
}

/**
 * Smallest relative change (%, of the base median) flagged with probability ≥ `power`; null when no change
 * can be (too few samples for a 95 % CI or for a p below the level). `nHead` is the number of samples the
 * head side has (or would have).
 */
export function minDetectableChangePct(base: readonly number[], nHead: number, s: PowerSettings): number | null {
  const power = s.power ?? 0.9;
  const trials = s.trials ?? 400;
  const n = base.length;
  if (n < 1 || nHead < 1) return null;
  const k95 = mosesRank(nHead, n, 0.95).k;
  const kAlpha = mosesRank(nHead, n, 1 - s.test_alpha).k;
  if (k95 < 1 || kAlpha < 1) return null;
  const sorted = sortAsc(base);
  const median = medianSorted(sorted);
  if (!(median > 0)) return null;
  const rng = mulberry32(s.seed);
  const h = silvermanBandwidth(sorted);
  const draw = (size: number): number[] =>
    sortAsc(
      Array.from({ length: size }, () => (sorted[Math.min(n - 1, Math.floor(rng() * n))] ?? 0) + h * gaussian(rng)),
    );
  const smallest: number[] = [];
  for (let t = 0; t < trials; t++) {
    const b = draw(n);
    const h = draw(nHead);
    const thresholdMs = (s.threshold_pct / 100) * medianSorted(b);
    smallest.push(
      Math.max(thresholdMs - kthPairwiseDifferenceSorted(h, b, k95), -kthPairwiseDifferenceSorted(h, b, kAlpha)),
    );
  }
  return (quantileSorted(sortAsc(smallest), power) / median) * 100;
}
