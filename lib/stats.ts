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
 */

export type Rng = () => number;

/** Sorted ascending copy. Rejects NaN, which would make every order statistic meaningless. */
export function sortAsc(values: readonly number[]): number[] {
  for (const v of values) {
    if (Number.isNaN(v)) throw new RangeError('sortAsc: NaN sample');
  }
  return [...values].sort((a, b) => a - b);
}

function at(sorted: readonly number[], i: number): number {
  const v = sorted[i];
  if (v === undefined) throw new RangeError(`index ${i} out of range (n = ${sorted.length})`);
  return v;
}

function requireNonEmpty(values: readonly number[], what: string): void {
  if (values.length === 0) throw new RangeError(`${what}: no samples`);
}

function requireProbability(p: number, what: string): void {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`${what} must be in [0, 1], got ${p}`);
}

function requireConfidence(confidence: number): void {
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

// ---------------------------------------------------------------------------------------------
// Normal and binomial distributions

/**
 * Complementary error function, Numerical Recipes' erfcc (Chebyshev fit): fractional error below
 * 1.2e-7 everywhere, plenty for p-values and critical values.
 */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Standard normal CDF Φ(z). */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** Standard normal quantile Φ⁻¹(p), by bisection on normalCdf (monotone, so this always converges). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must be in (0, 1), got ${p}`);
  let lo = -40;
  let hi = 40;
  for (let i = 0; i < 200 && hi - lo > 1e-12; i++) {
    const mid = (lo + hi) / 2;
    if (normalCdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * Binomial(n, p) lower and upper tails: cdf[k] = P(B ≤ k), sf[k] = P(B ≥ k), k = 0..n.
 * The pmf is built in log space (p^n underflows for n in the hundreds) and each tail is summed
 * from its own end, so small tail probabilities keep their precision.
 */
export function binomialTails(n: number, p: number): { cdf: Float64Array; sf: Float64Array } {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`binomialTails: n must be a non-negative integer, got ${n}`);
  if (!(p > 0 && p < 1)) throw new RangeError(`binomialTails: p must be in (0, 1), got ${p}`);
  const pmf = new Float64Array(n + 1);
  const logRatio = Math.log(p) - Math.log1p(-p);
  let logPmf = n * Math.log1p(-p);
  for (let k = 0; k <= n; k++) {
    pmf[k] = Math.exp(logPmf);
    logPmf += Math.log(n - k) - Math.log(k + 1) + logRatio;
  }
  const cdf = new Float64Array(n + 1);
  const sf = new Float64Array(n + 1);
  let acc = 0;
  for (let k = 0; k <= n; k++) cdf[k] = acc += pmf[k] ?? 0;
  acc = 0;
  for (let k = n; k >= 0; k--) sf[k] = acc += pmf[k] ?? 0;
  return { cdf, sf };
}

// ---------------------------------------------------------------------------------------------
// Confidence intervals of quantiles (distribution-free)

export interface QuantileCi {
  low: number;
  high: number;
  /** Coverage the chosen order statistics give (≥ the confidence asked for). */
  confidence_achieved: number;
  /** 1-based ranks of the order statistics used: low = x(low_rank), high = x(high_rank). */
  low_rank: number;
  high_rank: number;
  method: 'exact' | 'normal';
}

/** Above this n the binomial is replaced by its normal approximation (with continuity correction). */
export const EXACT_BINOMIAL_MAX_N = 1000;

/**
 * Distribution-free CI of the q-quantile from order statistics. With B ~ Bin(n, q) the number of
 * samples below the true quantile ξ, P(x(j) ≤ ξ < x(k)) = P(j ≤ B ≤ k−1). The interval is
 * equal-tailed: j is the largest rank with P(B ≤ j−1) ≤ α/2 and k the smallest with P(B ≥ k) ≤ α/2,
 * so the coverage is at least `confidence`. Returns null when no such ranks exist within 1..n
 * (too few samples; e.g. n < 6 for the median at 95 %) or when q is 0 or 1.
 */
export function quantileCiSorted(sorted: readonly number[], q: number, confidence = 0.95): QuantileCi | null {
  requireProbability(q, 'quantileCiSorted: q');
  requireConfidence(confidence);
  const n = sorted.length;
  if (n === 0 || q === 0 || q === 1) return null;
  const tail = (1 - confidence) / 2;
  let j: number;
  let k: number;
  let achieved: number;
  let method: QuantileCi['method'];
  if (n <= EXACT_BINOMIAL_MAX_N) {
    method = 'exact';
    const { cdf, sf } = binomialTails(n, q);
    j = 0;
    while (j + 1 <= n && (cdf[j] ?? 1) <= tail) j++; // cdf[j] = P(B ≤ (j+1)−1)
    k = n + 1;
    while (k - 1 >= 1 && (sf[k - 1] ?? 1) <= tail) k--;
    if (j < 1 || k > n) return null;
    achieved = 1 - (cdf[j - 1] ?? 0) - (sf[k] ?? 0);
  } else {
    method = 'normal';
    const z = normalQuantile(1 - tail);
    const mu = n * q;
    const sigma = Math.sqrt(n * q * (1 - q));
    j = Math.floor(mu - z * sigma + 0.5);
    k = Math.ceil(mu + z * sigma + 0.5);
    if (j < 1 || k > n) return null;
    achieved = normalCdf((k - 0.5 - mu) / sigma) - normalCdf((j - 0.5 - mu) / sigma);
  }
  return { low: at(sorted, j - 1), high: at(sorted, k - 1), confidence_achieved: achieved, low_rank: j, high_rank: k, method };
}

/** Distribution-free CI of the median; null when n is too small (n < 6 at 95 %). */
export function medianCiSorted(sorted: readonly number[], confidence = 0.95): QuantileCi | null {
  return quantileCiSorted(sorted, 0.5, confidence);
}

// ---------------------------------------------------------------------------------------------
// Outliers

export interface Outliers {
  q1: number;
  q3: number;
  iqr: number;
  mild_low_fence: number;
  mild_high_fence: number;
  extreme_low_fence: number;
  extreme_high_fence: number;
  /** Beyond a 1.5×IQR fence but not beyond the 3×IQR one (indices into the sorted array). */
  mild_indices: number[];
  /** Beyond a 3×IQR fence. Disjoint from mild_indices. */
  extreme_indices: number[];
  mild_count: number;
  extreme_count: number;
}

/** Tukey fences on type-7 quartiles. Samples are only flagged, never removed. */
export function outliersSorted(sorted: readonly number[]): Outliers {
  requireNonEmpty(sorted, 'outliersSorted');
  const q1 = quantileSorted(sorted, 0.25);
  const q3 = quantileSorted(sorted, 0.75);
  const iqr = q3 - q1;
  const mildLow = q1 - 1.5 * iqr;
  const mildHigh = q3 + 1.5 * iqr;
  const extremeLow = q1 - 3 * iqr;
  const extremeHigh = q3 + 3 * iqr;
  const mild: number[] = [];
  const extreme: number[] = [];
  sorted.forEach((v, i) => {
    if (v < extremeLow || v > extremeHigh) extreme.push(i);
    else if (v < mildLow || v > mildHigh) mild.push(i);
  });
  return {
    q1,
    q3,
    iqr,
    mild_low_fence: mildLow,
    mild_high_fence: mildHigh,
    extreme_low_fence: extremeLow,
    extreme_high_fence: extremeHigh,
    mild_indices: mild,
    extreme_indices: extreme,
    mild_count: mild.length,
    extreme_count: extreme.length,
  };
}

// ---------------------------------------------------------------------------------------------
// Summary

export interface EmptySummary {
  kind: 'empty';
  n: 0;
}

export interface OkSummary {
  kind: 'ok';
  n: number;
  min: number;
  max: number;
  mean: number;
  /** Sample stddev (n − 1); null when n = 1. */
  stddev: number | null;
  median: number;
  p90: number;
  p99: number;
  /** 95 % distribution-free CI of the median; null when n < 6. */
  ci95_low: number | null;
  ci95_high: number | null;
  /** Raw median absolute deviation. */
  mad: number;
  outliers_mild: number;
  outliers_extreme: number;
}

export type Summary = EmptySummary | OkSummary;

export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) return { kind: 'empty', n: 0 };
  const sorted = sortAsc(values);
  const ci = medianCiSorted(sorted, 0.95);
  const out = outliersSorted(sorted);
  return {
    kind: 'ok',
    n: sorted.length,
    min: at(sorted, 0),
    max: at(sorted, sorted.length - 1),
    mean: mean(sorted),
    stddev: sorted.length >= 2 ? sampleStddev(sorted) : null,
    median: medianSorted(sorted),
    p90: quantileSorted(sorted, 0.9),
    p99: quantileSorted(sorted, 0.99),
    ci95_low: ci?.low ?? null,
    ci95_high: ci?.high ?? null,
    mad: madSorted(sorted),
    outliers_mild: out.mild_count,
    outliers_extreme: out.extreme_count,
  };
}

/** The CI target width: FULL width max(rel × |median|, abs_ms). */
export function ciTargetWidth(median: number, rel = 0.02, abs_ms = 0.5): number {
  return Math.max(rel * Math.abs(median), abs_ms);
}

/**
 * True when the FULL width (high − low) of the median's 95 % CI is narrower than rel × median or
 * narrower than abs_ms (whichever is larger). False for an empty summary or when there is no CI.
 */
export function ciPrecise(summary: Summary, rel = 0.02, abs_ms = 0.5): boolean {
  if (summary.kind !== 'ok' || summary.ci95_low === null || summary.ci95_high === null) return false;
  return summary.ci95_high - summary.ci95_low < ciTargetWidth(summary.median, rel, abs_ms);
}

export interface SamplesNeeded {
  /** Estimated total sample count (at least 6, the minimum for a 95 % median CI). */
  n_needed: number;
  /** FULL width of the pilot's median CI (estimated from the MAD when the pilot has n < 6). */
  pilot_width: number;
  target_width: number;
}

/**
 * How many samples the median's CI needs to get narrower than the target (same target as
 * ciPrecise), from a pilot sample, assuming the width shrinks as 1/sqrt(n):
 * n_needed = ceil(n_pilot × (pilot_width / target_width)²), rounded up by one so that the
 * strict "narrower than" holds. With n_pilot < 6 the pilot width is the asymptotic one for normal
 * data, 2 · z · 1.2533 · (1.4826 · MAD) / sqrt(n). Returns null for a pilot of fewer than 3 samples.
 */
export function samplesNeededForMedianCi(
  pilotSorted: readonly number[],
  rel = 0.02,
  abs_ms = 0.5,
  confidence = 0.95,
): SamplesNeeded | null {
  const n = pilotSorted.length;
  if (n < 3) return null;
  const target = ciTargetWidth(medianSorted(pilotSorted), rel, abs_ms);
  const ci = medianCiSorted(pilotSorted, confidence);
  const width =
    ci !== null
      ? ci.high - ci.low
      : (2 * normalQuantile(0.5 + confidence / 2) * Math.sqrt(Math.PI / 2) * 1.4826 * madSorted(pilotSorted)) /
        Math.sqrt(n);
  const minN = 6;
  const nNeeded = width < target ? n : Math.floor(n * (width / target) ** 2) + 1;
  return { n_needed: Math.max(minN, nNeeded), pilot_width: width, target_width: target };
}

// ---------------------------------------------------------------------------------------------
// Two-sample comparison: Mann–Whitney U, Hodges–Lehmann, bootstrap ratio of medians

/** Above this size of either sample the U distribution is replaced by its normal approximation. */
export const EXACT_U_MAX_N = 20;

/**
 * Null distribution of U for sample sizes m and n without ties, as counts c[u], u = 0..m·n.
 * These are the coefficients of the Gaussian binomial [m+n choose m]_q = Π_{i=1..m} (1 − q^{n+i}) /
 * (1 − q^i); they sum to C(m+n, m), which stays an exact double for m, n ≤ 20 (C(40,20) ≈ 1.4e11).
 */
export function uDistributionCounts(m: number, n: number): Float64Array {
  if (!Number.isInteger(m) || !Number.isInteger(n) || m < 0 || n < 0) {
    throw new RangeError(`uDistributionCounts: sizes must be non-negative integers, got ${m}, ${n}`);
  }
  const top = m * n;
  const c = new Float64Array(top + 1);
  c[0] = 1;
  for (let i = 1; i <= m; i++) {
    const up = n + i;
    for (let u = top; u >= up; u--) c[u] = (c[u] ?? 0) - (c[u - up] ?? 0);
    for (let u = i; u <= top; u++) c[u] = (c[u] ?? 0) + (c[u - i] ?? 0);
  }
  return c;
}

interface Ranked {
  /** Sum of the midranks of the first sample in the pooled sample. */
  rankSumA: number;
  /** Σ (t³ − t) over tie groups. */
  tieTerm: number;
  hasTies: boolean;
}

function rankPooled(a: readonly number[], b: readonly number[]): Ranked {
  const pooled = [...a.map((v) => ({ v, fromA: true })), ...b.map((v) => ({ v, fromA: false }))].sort(
    (x, y) => x.v - y.v,
  );
  let rankSumA = 0;
  let tieTerm = 0;
  let i = 0;
  while (i < pooled.length) {
    let j = i;
    while (j + 1 < pooled.length && pooled[j + 1]?.v === pooled[i]?.v) j++;
    const t = j - i + 1;
    const midrank = (i + 1 + (j + 1)) / 2;
    for (let k = i; k <= j; k++) if (pooled[k]?.fromA) rankSumA += midrank;
    tieTerm += t * t * t - t;
    i = j + 1;
  }
  return { rankSumA, tieTerm, hasTies: tieTerm > 0 };
}

export interface MannWhitneyResult {
  /** U of head = #pairs (head > base) + ½ #ties; R's wilcox.test(head, base) statistic W. */
  u_head: number;
  u_base: number;
  /** Normal-approximation z (tie- and continuity-corrected); positive when head tends to be larger. */
  z: number;
  /** Two-sided p-value: exact when both n ≤ EXACT_U_MAX_N and there are no ties, else from z. */
  p: number;
  method: 'exact' | 'normal';
}

/** Two-sided Mann–Whitney U test (Wilcoxon rank-sum), computed as R's wilcox.test(head, base, correct = TRUE). */
export function mannWhitneyU(base: readonly number[], head: readonly number[]): MannWhitneyResult {
  requireNonEmpty(base, 'mannWhitneyU: base');
  requireNonEmpty(head, 'mannWhitneyU: head');
  const m = head.length;
  const n = base.length;
  const { rankSumA, tieTerm, hasTies } = rankPooled(head, base);
  const uHead = rankSumA - (m * (m + 1)) / 2;
  const mu = (m * n) / 2;
  const N = m + n;
  const variance = ((m * n) / 12) * (N + 1 - tieTerm / (N * (N - 1)));
  const diff = uHead - mu;
  const z = variance > 0 ? (diff - 0.5 * Math.sign(diff)) / Math.sqrt(variance) : 0;
  let p: number;
  let method: MannWhitneyResult['method'];
  if (!hasTies && m <= EXACT_U_MAX_N && n <= EXACT_U_MAX_N) {
    method = 'exact';
    const counts = uDistributionCounts(m, n);
    let total = 0;
    for (const c of counts) total += c;
    let tail = 0;
    if (uHead > mu) {
      for (let u = uHead; u <= m * n; u++) tail += counts[u] ?? 0; // P(U ≥ u_head)
    } else {
      for (let u = 0; u <= uHead; u++) tail += counts[u] ?? 0; // P(U ≤ u_head)
    }
    p = Math.min(1, (2 * tail) / total);
  } else {
    method = 'normal';
    // From the lower tail at −|z|: 1 − Φ(|z|) would cancel to 0 for |z| above ~8.
    p = variance > 0 ? Math.min(1, 2 * normalCdf(-Math.abs(z))) : 1;
  }
  return { u_head: uHead, u_base: m * n - uHead, z, p, method };
}

/**
 * k-th smallest (1-based) of the m·n differences head[i] − base[j], both sorted ascending, without
 * materializing them: bisection on the value, counting pairs ≤ t with two pointers in O(m + n),
 * and snapping to the next actual difference each step so the loop ends on an actual difference.
 */
export function kthPairwiseDifferenceSorted(headSorted: readonly number[], baseSorted: readonly number[], k: number): number {
  const m = headSorted.length;
  const n = baseSorted.length;
  if (!Number.isInteger(k) || k < 1 || k > m * n) throw new RangeError(`k must be in 1..${m * n}, got ${k}`);
  const h = (i: number): number => at(headSorted, i);
  const b = (j: number): number => at(baseSorted, j);

  // #pairs with h_i − b_j ≤ t. For each i the qualifying j form a suffix whose start never moves left.
  const countAtMost = (t: number): number => {
    let count = 0;
    let p = 0;
    for (let i = 0; i < m; i++) {
      while (p < n && h(i) - b(p) > t) p++;
      count += n - p;
    }
    return count;
  };
  // Smallest difference > t (Infinity if none). For each i the j with h_i − b_j > t are a prefix.
  const nextAbove = (t: number): number => {
    let best = Infinity;
    let q = 0;
    for (let i = 0; i < m; i++) {
      while (q < n && h(i) - b(q) > t) q++;
      if (q > 0) best = Math.min(best, h(i) - b(q - 1));
    }
    return best;
  };

  let lo = h(0) - b(n - 1); // the smallest difference
  if (countAtMost(lo) >= k) return lo;
  let hi = h(m - 1) - b(0); // the largest difference; countAtMost(hi) = m·n ≥ k
  // Invariant: countAtMost(lo) < k ≤ countAtMost(hi). Each pass removes at least one distinct value.
  for (;;) {
    const next = nextAbove(lo);
    if (countAtMost(next) >= k) return next;
    lo = next;
    const mid = lo + (hi - lo) / 2;
    if (mid > lo && mid < hi) {
      if (countAtMost(mid) >= k) hi = mid;
      else lo = mid;
    }
  }
}

export interface HodgesLehmannResult {
  /** Median of all pairwise differences head − base. */
  shift: number;
  /** Moses distribution-free CI of the shift; null when the samples are too small for the confidence. */
  low: number | null;
  high: number | null;
  confidence_achieved: number | null;
  method: 'exact' | 'normal';
}

/**
 * Hodges–Lehmann shift estimate (head − base) with the Moses/Lehmann CI: with D(1) ≤ … ≤ D(mn) the
 * sorted pairwise differences and k the largest rank with P(U ≤ k−1) ≤ α/2 under the null U
 * distribution, the CI is [D(k), D(mn+1−k)] with coverage 1 − 2·P(U ≤ k−1). The U distribution is
 * exact (no-tie null) when both sizes ≤ EXACT_U_MAX_N, else normal with continuity correction.
 */
export interface MosesRank {
  /** Rank k of the lower CI end D(k); the upper end is D(mn+1−k). Below 1: no CI at this confidence. */
  k: number;
  confidence_achieved: number;
  method: 'exact' | 'normal';
}

/**
 * The rank k of the Moses CI for samples of m and n: the largest k with P(U ≤ k−1) ≤ (1 − confidence)/2 under
 * the null U distribution — exact (no ties) when both sizes ≤ EXACT_U_MAX_N, else normal with continuity
 * correction. It depends only on m, n and the confidence, so callers testing many samples of one size reuse it.
 */
export function mosesRank(m: number, n: number, confidence = 0.95): MosesRank {
  requireConfidence(confidence);
  const mn = m * n;
  const tail = (1 - confidence) / 2;
  if (m <= EXACT_U_MAX_N && n <= EXACT_U_MAX_N) {
    const counts = uDistributionCounts(m, n);
    let total = 0;
    for (const c of counts) total += c;
    let k = 0;
    let cum = 0;
    while (k <= mn && (cum + (counts[k] ?? 0)) / total <= tail) cum += counts[k++] ?? 0;
    return { k, confidence_achieved: 1 - (2 * cum) / total, method: 'exact' };
  }
  const sigma = Math.sqrt((mn * (m + n + 1)) / 12);
  const k = Math.floor(mn / 2 - normalQuantile(1 - tail) * sigma + 0.5);
  return { k, confidence_achieved: 1 - 2 * normalCdf((k - 0.5 - mn / 2) / sigma), method: 'normal' };
}

export function hodgesLehmann(base: readonly number[], head: readonly number[], confidence = 0.95): HodgesLehmannResult {
  requireNonEmpty(base, 'hodgesLehmann: base');
  requireNonEmpty(head, 'hodgesLehmann: head');
  requireConfidence(confidence);
  const h = sortAsc(head);
  const b = sortAsc(base);
  const m = h.length;
  const n = b.length;
  const mn = m * n;
  const shift =
    mn % 2 === 1
      ? kthPairwiseDifferenceSorted(h, b, (mn + 1) / 2)
      : (kthPairwiseDifferenceSorted(h, b, mn / 2) + kthPairwiseDifferenceSorted(h, b, mn / 2 + 1)) / 2;
  const { k, confidence_achieved, method } = mosesRank(m, n, confidence);
  if (k < 1 || k > mn + 1 - k) return { shift, low: null, high: null, confidence_achieved: null, method };
  return {
    shift,
    low: kthPairwiseDifferenceSorted(h, b, k),
    high: kthPairwiseDifferenceSorted(h, b, mn + 1 - k),
    confidence_achieved,
    method,
  };
}

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
