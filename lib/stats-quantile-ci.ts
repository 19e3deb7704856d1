/** Distribution-free confidence intervals of quantiles, from order statistics (conventions: lib/stats.ts). */
import { at, requireConfidence, requireProbability } from './stats.ts';
import { binomialTails, normalCdf, normalQuantile } from './stats-distributions.ts';

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
  return {
    low: at(sorted, j - 1),
    high: at(sorted, k - 1),
    confidence_achieved: achieved,
    low_rank: j,
    high_rank: k,
    method,
  };
}

/** Distribution-free CI of the median; null when n is too small (n < 6 at 95 %). */
export function medianCiSorted(sorted: readonly number[], confidence = 0.95): QuantileCi | null {
  return quantileCiSorted(sorted, 0.5, confidence);
}
