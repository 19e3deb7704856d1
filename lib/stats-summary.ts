/**
 * A sample's summary (median with its 95 % CI, quantiles, spread, outlier counts), whether its median's CI is
 * precise enough, and how many samples would make it so (conventions: lib/stats.ts).
 */
import { at, madSorted, mean, medianSorted, quantileSorted, sampleStddev, sortAsc } from './stats.ts';
import { normalQuantile } from './stats-distributions.ts';
import { outliersSorted } from './stats-outliers.ts';
import { medianCiSorted, quantileCiSorted } from './stats-quantile-ci.ts';

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

/** Median and p90, each with its distribution-free 95 % CI (null below the n a CI needs); nulls for no values. */
export interface QuantileSummary {
  n: number;
  median: number | null;
  ci_low: number | null;
  ci_high: number | null;
  p90: number | null;
  p90_ci_low: number | null;
  p90_ci_high: number | null;
}

/** The quantile summary of the finite values (NaN and ±Infinity, a missing cell, are left out). */
export function quantileSummary(values: readonly number[]): QuantileSummary {
  const sorted = sortAsc(values.filter((v) => Number.isFinite(v)));
  if (sorted.length === 0)
    return { n: 0, median: null, ci_low: null, ci_high: null, p90: null, p90_ci_low: null, p90_ci_high: null };
  const ci = medianCiSorted(sorted);
  const ci90 = quantileCiSorted(sorted, 0.9);
  return {
    n: sorted.length,
    median: medianSorted(sorted),
    ci_low: ci?.low ?? null,
    ci_high: ci?.high ?? null,
    p90: quantileSorted(sorted, 0.9),
    p90_ci_low: ci90?.low ?? null,
    p90_ci_high: ci90?.high ?? null,
  };
}
