/**
 * Two-sample comparison on ranks: the Mann–Whitney U test and the Hodges–Lehmann shift with its Moses CI
 * (conventions: lib/stats.ts).
 */
import { at, requireConfidence, requireNonEmpty, sortAsc } from './stats.ts';
import { normalCdf, normalQuantile } from './stats-distributions.ts';

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
export function kthPairwiseDifferenceSorted(
  headSorted: readonly number[],
  baseSorted: readonly number[],
  k: number,
): number {
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

/**
 * Hodges–Lehmann shift estimate (head − base) with the Moses/Lehmann CI: with D(1) ≤ … ≤ D(mn) the
 * sorted pairwise differences and k the largest rank with P(U ≤ k−1) ≤ α/2 under the null U
 * distribution, the CI is [D(k), D(mn+1−k)] with coverage 1 − 2·P(U ≤ k−1). The U distribution is
 * exact (no-tie null) when both sizes ≤ EXACT_U_MAX_N, else normal with continuity correction.
 */
export function hodgesLehmann(
  base: readonly number[],
  head: readonly number[],
  confidence = 0.95,
): HodgesLehmannResult {
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
