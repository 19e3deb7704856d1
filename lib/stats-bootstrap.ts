/** A seeded PRNG and the bootstrap CI of a ratio of medians (conventions: lib/stats.ts). */
import { at, medianSorted, quantileSorted, requireConfidence, requireNonEmpty, sortAsc } from './stats.ts';

export type Rng = () => number;

/** mulberry32: a small seeded 32-bit PRNG giving floats in [0, 1). Deterministic for a seed. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Median of a with-replacement resample of sorted samples, in O(n) via counts per index. */
function resampledMedianSorted(sorted: readonly number[], rng: Rng, counts: Uint32Array): number {
  const n = sorted.length;
  counts.fill(0);
  for (let i = 0; i < n; i++) {
    const idx = Math.min(n - 1, Math.floor(rng() * n));
    counts[idx] = (counts[idx] ?? 0) + 1;
  }
  // Type-7 median of n values: the value of rank (n+1)/2, or the mean of ranks n/2 and n/2 + 1.
  const rankLo = Math.floor((n + 1) / 2);
  const rankHi = Math.ceil((n + 1) / 2);
  let seen = 0;
  let vLo: number | null = null;
  for (let i = 0; i < n; i++) {
    seen += counts[i] ?? 0;
    if (vLo === null && seen >= rankLo) vLo = at(sorted, i);
    if (seen >= rankHi) return ((vLo ?? at(sorted, i)) + at(sorted, i)) / 2;
  }
  throw new RangeError('resampledMedianSorted: unreachable');
}

export interface BootstrapRatioOptions {
  rng: Rng;
  resamples?: number;
  confidence?: number;
}

export interface BootstrapRatioResult {
  /** median(head) / median(base). */
  ratio: number;
  low: number;
  high: number;
  /** (ratio − 1) × 100, the relative change head vs base in %. */
  change_pct: number;
  change_pct_low: number;
  change_pct_high: number;
  confidence: number;
  resamples: number;
}

/**
 * Percentile bootstrap CI of median(head) / median(base): both samples are resampled independently
 * with replacement `resamples` times (default 2000, at most 1e6). The base samples must be positive
 * (latencies), so that every resampled base median is > 0.
 */
export function bootstrapMedianRatioCi(
  base: readonly number[],
  head: readonly number[],
  options: BootstrapRatioOptions,
): BootstrapRatioResult {
  requireNonEmpty(base, 'bootstrapMedianRatioCi: base');
  requireNonEmpty(head, 'bootstrapMedianRatioCi: head');
  const resamples = options.resamples ?? 2000;
  const confidence = options.confidence ?? 0.95;
  requireConfidence(confidence);
  if (!Number.isInteger(resamples) || resamples < 1 || resamples > 1e6) {
    throw new RangeError(`resamples must be an integer in 1..1e6, got ${resamples}`);
  }
  const b = sortAsc(base);
  const h = sortAsc(head);
  if (at(b, 0) <= 0) throw new RangeError('bootstrapMedianRatioCi: base samples must be positive');
  const countsB = new Uint32Array(b.length);
  const countsH = new Uint32Array(h.length);
  const ratios: number[] = [];
  for (let r = 0; r < resamples; r++) {
    const mb = resampledMedianSorted(b, options.rng, countsB);
    const mh = resampledMedianSorted(h, options.rng, countsH);
    ratios.push(mh / mb);
  }
  const sortedRatios = sortAsc(ratios);
  const tail = (1 - confidence) / 2;
  const ratio = medianSorted(h) / medianSorted(b);
  const low = quantileSorted(sortedRatios, tail);
  const high = quantileSorted(sortedRatios, 1 - tail);
  return {
    ratio,
    low,
    high,
    change_pct: (ratio - 1) * 100,
    change_pct_low: (low - 1) * 100,
    change_pct_high: (high - 1) * 100,
    confidence,
    resamples,
  };
}
