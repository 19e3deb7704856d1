/**
 * Statistics for benchmark samples: pure functions, no I/O, no clocks, randomness only through an
 * injected seeded RNG. Functions whose name ends in `Sorted` take samples already sorted ascending
 * (use `sortAsc`); they do not check it. Programming errors (empty input where a value is required,
 * q outside [0, 1], a NaN sample) throw RangeError.
 *
 * Conventions used throughout:
 * - quantiles: linear interpolation between order statistics, R type 7 (numpy's default);
 * - confidence intervals of quantiles: distribution-free, from order statistics (binomial);
 * - a CI "width" is always the FULL width, high − low;
 * - comparisons are "head − base" (head = the new run / the variant, base = the reference).
 *
 * This module: sorting, quantiles and descriptive statistics, and the argument checks the other statistics
 * modules share. The others, one job each: stats-distributions.ts (normal, binomial), stats-quantile-ci.ts
 * (CIs of quantiles), stats-outliers.ts (Tukey fences), stats-summary.ts (a sample's summary, CI precision,
 * samples needed), stats-rank-tests.ts (Mann–Whitney U, Hodges–Lehmann), stats-bootstrap.ts (seeded PRNG,
 * bootstrap ratio of medians).
 */

/** Sorted ascending copy. Rejects NaN, which would make every order statistic meaningless. */
export function sortAsc(values: readonly number[]): number[] {
  for (const v of values) {
    if (Number.isNaN(v)) throw new RangeError('sortAsc: NaN sample');
  }
  return [...values].sort((a, b) => a - b);
}

/** sorted[i], throwing RangeError when i is out of range. */
export function at(sorted: readonly number[], i: number): number {
  const v = sorted[i];
  if (v === undefined) throw new RangeError(`index ${i} out of range (n = ${sorted.length})`);
  return v;
}

export function requireNonEmpty(values: readonly number[], what: string): void {
  if (values.length === 0) throw new RangeError(`${what}: no samples`);
}

export function requireProbability(p: number, what: string): void {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`${what} must be in [0, 1], got ${p}`);
}

export function requireConfidence(confidence: number): void {
  if (!(confidence > 0 && confidence < 1)) {
    throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  }
}

/** Quantile q of sorted samples, linear interpolation (R type 7): h = (n−1)·q. */
export function quantileSorted(sorted: readonly number[], q: number): number {
  requireNonEmpty(sorted, 'quantileSorted');
  requireProbability(q, 'quantileSorted: q');
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const xLo = at(sorted, lo);
  if (h === lo) return xLo;
  return xLo + (h - lo) * (at(sorted, lo + 1) - xLo);
}

export function medianSorted(sorted: readonly number[]): number {
  return quantileSorted(sorted, 0.5);
}

/** Quantile q (type 7) of unsorted values; null for none. */
export function quantileOf(values: readonly number[], q: number): number | null {
  return values.length === 0 ? null : quantileSorted(sortAsc(values), q);
}

export function mean(values: readonly number[]): number {
  requireNonEmpty(values, 'mean');
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Sample standard deviation (divisor n − 1), Welford's update for stability. Needs n ≥ 2. */
export function sampleStddev(values: readonly number[]): number {
  if (values.length < 2) throw new RangeError('sampleStddev: needs at least 2 samples');
  let m = 0;
  let m2 = 0;
  let k = 0;
  for (const v of values) {
    k++;
    const d = v - m;
    m += d / k;
    m2 += d * (v - m);
  }
  return Math.sqrt(m2 / (k - 1));
}

/** Median absolute deviation from the median, raw (not scaled by 1.4826). */
export function madSorted(sorted: readonly number[]): number {
  const med = medianSorted(sorted);
  return medianSorted(sortAsc(sorted.map((v) => Math.abs(v - med))));
}

/** Wilson 95 % interval of a proportion k/n. */
export function wilson(k: number, n: number): { low: number; high: number } {
  if (n === 0) return { low: 0, high: 1 };
  const z = 1.96;
  const p = k / n;
  const d = 1 + (z * z) / n;
  const c = p + (z * z) / (2 * n);
  const h = z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
  return { low: Math.max(0, (c - h) / d), high: Math.min(1, (c + h) / d) };
}
