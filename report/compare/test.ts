/**
 * The test of one case × metric: two-sided Mann–Whitney U for significance, Hodges–Lehmann shift (head − base)
 * with its Moses 95 % CI for the size, expressed relative to the base median. A change is called a regression
 * (improvement) only when it is significant at α after the Benjamini–Hochberg correction over all the compare's
 * tests AND its
 * whole 95 % CI lies above +threshold (below −threshold): with latency samples of a few hundred requests almost
 * any difference becomes "significant", and the threshold bound is what keeps small real-but-irrelevant shifts
 * (and drifts between runs) from being flagged.
 *
 * Unit of replication: with one run per side the samples are the requests (within-run noise only); with
 * several runs on either side they are the runs' medians, since requests of one run share that run's
 * conditions and are not independent replicates of a run.
 */
import { medianSorted, sortAsc } from '../../lib/stats.ts';
import { hodgesLehmann, mannWhitneyU } from '../../lib/stats-rank-tests.ts';
import { summarize } from '../../lib/stats-summary.ts';
import { metricValues } from './run-cases.ts';
import { formatPct, pText } from './format.ts';
import { benjaminiHochberg } from './fdr.ts';
import type { JoinedCase, MetricComparison, ReplicationUnit, VerdictReason } from './types.ts';

export interface TestSettings {
  threshold_pct: number;
  alpha: number;
}

/** The figures of one two-sample comparison, before any verdict. */
export interface ShiftStats {
  base_median: number;
  head_median: number;
  shift_ms: number;
  shift_low_ms: number | null;
  shift_high_ms: number | null;
  change_pct: number | null;
  change_low_pct: number | null;
  change_high_pct: number | null;
  p_value: number;
  test_method: 'exact' | 'normal';
}

export interface VerdictOf {
  verdict: 'regressed' | 'improved' | 'no_change';
  reason: VerdictReason;
  why: string;
}

export type ShiftTest = ShiftStats & VerdictOf & { p_adjusted: number };

/** Mann–Whitney p, Hodges–Lehmann shift and 95 % CI, relative to the base median. Both samples non-empty. */
export function shiftStats(base: readonly number[], head: readonly number[]): ShiftStats {
  const mw = mannWhitneyU(base, head);
  const hl = hodgesLehmann(base, head, 0.95);
  const baseMedian = medianSorted(sortAsc(base));
  const rel = (v: number | null): number | null => (v === null || !(baseMedian > 0) ? null : (v / baseMedian) * 100);
  return {
    base_median: baseMedian,
    head_median: medianSorted(sortAsc(head)),
    shift_ms: hl.shift,
    shift_low_ms: hl.low,
    shift_high_ms: hl.high,
    change_pct: rel(hl.shift),
    change_low_pct: rel(hl.low),
    change_high_pct: rel(hl.high),
    p_value: mw.p,
    test_method: mw.method,
  };
}

/**
 * The verdict rule. `pAdjusted` is the p-value that decides significance (the Benjamini–Hochberg q over every
 * test of the compare; the raw p for a single test). With a zero base median any real shift counts as beyond the
 * relative threshold.
 */
export function verdictOf(st: ShiftStats, pAdjusted: number, s: TestSettings, adjustedOver = 1): VerdictOf {
  const thresholdMs = (s.threshold_pct / 100) * Math.abs(st.base_median);
  const significant = pAdjusted < s.alpha;
  const p =
    adjustedOver > 1 ? `${pText(pAdjusted).replace(/^p/, 'q')}, BH over ${adjustedOver} tests` : pText(pAdjusted);
  const t = s.threshold_pct;
  if (st.shift_low_ms === null || st.shift_high_ms === null) {
    return { verdict: 'no_change', reason: 'too_few_samples', why: 'too few samples for a 95 % CI' };
  }
  if (significant && st.shift_low_ms > thresholdMs)
    return { verdict: 'regressed', reason: 'beyond_threshold', why: `${p}; 95 % CI above +${t} %` };
  if (significant && st.shift_high_ms < -thresholdMs)
    return { verdict: 'improved', reason: 'beyond_threshold', why: `${p}; 95 % CI below −${t} %` };
  if (!significant) return { verdict: 'no_change', reason: 'not_significant', why: `not significant (${p})` };
  if (Math.abs(st.shift_ms) <= thresholdMs)
    return { verdict: 'no_change', reason: 'within_threshold', why: `significant (${p}) but within ±${t} %` };
  const near = st.shift_ms > 0 ? st.change_low_pct : st.change_high_pct;
  const nearText = near === null ? 'its 95 % CI' : `its 95 % CI reaches ${formatPct(near)}`;
  return {
    verdict: 'no_change',
    reason: 'ci_reaches_threshold',
    why: `significant (${p}) but ${nearText}, inside ±${t} %`,
  };
}

/** One test on its own (no multiplicity adjustment). */
export function testShift(base: readonly number[], head: readonly number[], s: TestSettings): ShiftTest {
  const st = shiftStats(base, head);
  return { ...st, p_adjusted: st.p_value, ...verdictOf(st, st.p_value, s) };
}

function interval(values: readonly number[], unit: ReplicationUnit): { low: number | null; high: number | null } {
  if (values.length === 0) return { low: null, high: null };
  if (unit === 'run') return { low: Math.min(...values), high: Math.max(...values) };
  const s = summarize(values);
  return s.kind === 'ok' ? { low: s.ci95_low, high: s.ci95_high } : { low: null, high: null };
}

/** The samples of one side for the unit: pooled requests of its one run, or one median per run. */
export function sideValues(runs: JoinedCase['base'], metric: string, unit: ReplicationUnit): number[] {
  if (unit === 'request') return runs.flatMap((r) => metricValues(r, metric));
  const out: number[] = [];
  for (const r of runs) {
    const v = metricValues(r, metric);
    if (v.length > 0) out.push(medianSorted(sortAsc(v)));
  }
  return out;
}

/**
 * The figures of one joined case on one metric. Rows that can be tested get verdict no_change and reason
 * not_significant as placeholders until assignVerdicts has seen every p-value of the compare.
 */
export function compareCaseMetric(
  c: JoinedCase,
  metric: string,
  unit: ReplicationUnit,
  notComparable: string | null,
  drift: number | null = null,
): MetricComparison {
  const base = sideValues(c.base, metric, unit);
  const rawHead = sideValues(c.head, metric, unit);
  const head = drift === null ? rawHead : rawHead.map((v) => v / drift);
  const bi = interval(base, unit);
  const hi = interval(rawHead, unit);
  const row: MetricComparison = {
    key: c.key,
    scenario: c.scenario,
    metric,
    unit,
    n_base: base.length,
    n_head: head.length,
    errors_base: c.base.reduce((a, r) => a + r.errors, 0),
    errors_head: c.head.reduce((a, r) => a + r.errors, 0),
    base_median: base.length > 0 ? medianSorted(sortAsc(base)) : null,
    head_median: rawHead.length > 0 ? medianSorted(sortAsc(rawHead)) : null,
    base_low: bi.low,
    base_high: bi.high,
    head_low: hi.low,
    head_high: hi.high,
    shift_ms: null,
    shift_low_ms: null,
    shift_high_ms: null,
    change_pct: null,
    change_low_pct: null,
    change_high_pct: null,
    p_value: null,
    p_adjusted: null,
    test_method: null,
    detectable_change_pct: null,
    link_drift_pct: drift === null ? null : (drift - 1) * 100,
    verdict: 'not_comparable',
    reason: 'incomparable',
    why: notComparable ?? '',
  };
  if (notComparable !== null) return row;
  const failed = (errors: number): string => (errors > 0 ? ` (${errors} failed)` : '');
  // The head lost what the base measured: a comparison that did not happen, which the gate refuses.
  if (head.length === 0 && base.length > 0) {
    return { ...row, reason: 'no_samples', why: `no successful ${metric} samples in head${failed(row.errors_head)}` };
  }
  // Nothing to lose: the base has no value of this metric for the case either — a metric the case does not
  // record (no request failed), or requests whose failure is what the case measures (the failure rule's). A base
  // whose requests failed by accident measured nothing: that comparison did not happen, and the gate refuses it.
  const failsOnPurpose = c.base.length > 0 && c.base.every((r) => r.failure_is_outcome);
  if (base.length === 0 && row.errors_base > 0 && !failsOnPurpose) {
    return { ...row, reason: 'no_samples', why: `no successful ${metric} samples in base${failed(row.errors_base)}` };
  }
  if (base.length === 0) {
    const head_has = head.length > 0 ? `; head has ${head.length}` : `, nor in head${failed(row.errors_head)}`;
    return {
      ...row,
      reason: 'not_measured',
      why: `no successful ${metric} samples in base${failed(row.errors_base)}${head_has}`,
    };
  }
  const st = shiftStats(base, head);
  return {
    ...row,
    shift_ms: st.shift_ms,
    shift_low_ms: st.shift_low_ms,
    shift_high_ms: st.shift_high_ms,
    change_pct: st.change_pct,
    change_low_pct: st.change_low_pct,
    change_high_pct: st.change_high_pct,
    p_value: st.p_value,
    test_method: st.test_method,
    verdict: 'no_change',
    reason: 'not_significant',
    why: '',
  };
}

/** BH-adjusts the p-values of every tested row and gives each its verdict (rows are updated in place). */
export function assignVerdicts(rows: MetricComparison[], s: TestSettings): void {
  const tested = rows.filter((r) => r.p_value !== null);
  const adjusted = benjaminiHochberg(tested.map((r) => r.p_value ?? 1));
  tested.forEach((r, i) => {
    const pAdj = adjusted[i] ?? 1;
    const st: ShiftStats = {
      base_median: r.base_median ?? 0,
      head_median: r.head_median ?? 0,
      shift_ms: r.shift_ms ?? 0,
      shift_low_ms: r.shift_low_ms,
      shift_high_ms: r.shift_high_ms,
      change_pct: r.change_pct,
      change_low_pct: r.change_low_pct,
      change_high_pct: r.change_high_pct,
      p_value: r.p_value ?? 1,
      test_method: r.test_method ?? 'normal',
    };
    Object.assign(r, { p_adjusted: pAdj }, verdictOf(st, pAdj, s, tested.length));
    if (r.link_drift_pct !== null && Math.abs(r.link_drift_pct) >= 0.05)
      r.why += ` (head corrected for link drift ${formatPct(r.link_drift_pct)})`;
  });
}

/** Smallest two-sided p the rank test can reach with m and n samples: completely separated samples. */
export function minReachableP(m: number, n: number): number {
  if (m < 1 || n < 1) return 1;
  const base = Array.from({ length: m }, (_, i) => i);
  const head = Array.from({ length: n }, (_, i) => m + i);
  return mannWhitneyU(base, head).p;
}
