/** Tukey outlier flags on type-7 quartiles (conventions: lib/stats.ts). */
import { quantileSorted, requireNonEmpty } from './stats.ts';

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
