/**
 * The test of one case × metric: two-sided Mann–Whitney U for significance, Hodges–Lehmann shift (head − base)
 * with its Moses 95 % CI for the size, expressed relative to the base median. A change is called a regression
 * (improvement) only when it is significant at α AND its whole 95 % CI lies above +threshold (below −threshold):
 * with latency samples of a few hundred requests almost any difference becomes "significant", and the
 * threshold bound is what keeps identical code on the same link from being flagged.
 *
 * Unit of replication: with one run per side the samples are the requests (within-run noise only); with
 * several runs on either side they are the runs' medians, since requests of one run share that run's
 * conditions and are not independent replicates of a run.
 */
import { hodgesLehmann, mannWhitneyU, medianSorted, sortAsc, summarize } from '../../bench/stats.ts';
import { metricValues } from './run-cases.ts';
import { formatP, formatPct } from './format.ts';
import type { JoinedCase, MetricComparison, ReplicationUnit } from './types.ts';

export interface TestSettings {
  threshold_pct: number;
  alpha: number;
}

export interface ShiftTest {
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
  verdict: 'regressed' | 'improved' | 'no_change';
  why: string;
}

/** The verdict rule on two samples (requests or run medians). Both must be non-empty. */
export function testShift(base: readonly number[], head: readonly number[], s: TestSettings): ShiftTest {
  const mw = mannWhitneyU(base, head);
  const hl = hodgesLehmann(base, head, 0.95);
  const baseMedian = medianSorted(sortAsc(base));
  const headMedian = medianSorted(sortAsc(head));
  const rel = (v: number | null): number | null => (v === null || !(baseMedian > 0) ? null : (v / baseMedian) * 100);
  // The threshold in ms; with a zero base median any real shift is beyond any relative threshold.
  const thresholdMs = (s.threshold_pct / 100) * Math.abs(baseMedian);
  const significant = mw.p < s.alpha;
  const out = {
    base_median: baseMedian,
    head_median: headMedian,
    shift_ms: hl.shift,
    shift_low_ms: hl.low,
    shift_high_ms: hl.high,
    change_pct: rel(hl.shift),
    change_low_pct: rel(hl.low),
    change_high_pct: rel(hl.high),
    p_value: mw.p,
    test_method: mw.method,
  };
  const p = `p = ${formatP(mw.p)}`;
  if (hl.low === null || hl.high === null) {
    return { ...out, verdict: 'no_change', why: `too few samples for a 95 % CI (${base.length} vs ${head.length})` };
  }
  if (significant && hl.low > thresholdMs) return { ...out, verdict: 'regressed', why: `${p}; 95 % CI above +${s.threshold_pct} %` };
  if (significant && hl.high < -thresholdMs) return { ...out, verdict: 'improved', why: `${p}; 95 % CI below −${s.threshold_pct} %` };
  if (!significant) return { ...out, verdict: 'no_change', why: `not significant (${p})` };
  if (Math.abs(hl.shift) <= thresholdMs) return { ...out, verdict: 'no_change', why: `significant (${p}) but within ±${s.threshold_pct} %` };
  const near = hl.shift > 0 ? out.change_low_pct : out.change_high_pct;
  const nearText = near === null ? 'its CI' : `its 95 % CI reaches ${formatPct(near)}`;
  return { ...out, verdict: 'no_change', why: `significant (${p}) but ${nearText}, inside ±${s.threshold_pct} %` };
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

/** Compares one joined case on one metric; `notComparable` is set when comparability said no. */
export function compareCaseMetric(
  c: JoinedCase,
  metric: string,
  unit: ReplicationUnit,
  settings: TestSettings,
  notComparable: string | null,
): MetricComparison {
  const base = sideValues(c.base, metric, unit);
  const head = sideValues(c.head, metric, unit);
  const bi = interval(base, unit);
  const hi = interval(head, unit);
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
    head_median: head.length > 0 ? medianSorted(sortAsc(head)) : null,
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
    test_method: null,
    verdict: 'not_comparable',
    why: notComparable ?? '',
  };
  if (notComparable !== null) return row;
  if (base.length === 0 || head.length === 0) {
    const side = base.length === 0 ? 'base' : 'head';
    const errors = side === 'base' ? row.errors_base : row.errors_head;
    return { ...row, why: `no successful ${metric} samples in ${side}${errors > 0 ? ` (${errors} failed)` : ''}` };
  }
  const t = testShift(base, head, settings);
  return {
    ...row,
    shift_ms: t.shift_ms,
    shift_low_ms: t.shift_low_ms,
    shift_high_ms: t.shift_high_ms,
    change_pct: t.change_pct,
    change_low_pct: t.change_low_pct,
    change_high_pct: t.change_high_pct,
    p_value: t.p_value,
    test_method: t.test_method,
    verdict: t.verdict,
    why: t.why,
  };
}

/** Smallest two-sided p the rank test can reach with m and n samples: completely separated samples. */
export function minReachableP(m: number, n: number): number {
  if (m < 1 || n < 1) return 1;
  const base = Array.from({ length: m }, (_, i) => i);
  const head = Array.from({ length: n }, (_, i) => m + i);
  return mannWhitneyU(base, head).p;
}
