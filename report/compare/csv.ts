/** compare.csv: one row per case × metric, every figure behind the Markdown (empty cell = not applicable). */
import { stringify } from 'csv-stringify/sync';
import { csvNumber } from './format.ts';
import type { CompareResult, MetricComparison } from './types.ts';

export const COMPARE_COLUMNS = {
  case_key: 'joined case key (base name of the profile when profiles were paired across runs)',
  scenario: 'scenario name',
  metric: 'sample column compared (ttfb_ms, total_ms, …)',
  unit: 'unit of replication: request (one run per side) or run (run medians, several runs on a side)',
  n_base: 'samples (unit request) or runs (unit run) on the base side',
  n_head: 'samples or runs on the head side',
  errors_base: 'failed requests of the case in the base run(s)',
  errors_head: 'failed requests of the case in the head run(s)',
  base_median: 'base median, ms',
  head_median: 'head median, ms',
  base_low: 'base: lower end of the 95 % CI of the median (unit request) or lowest run median (unit run), ms',
  base_high: 'base: upper end of that interval, ms',
  head_low: 'head: lower end of the same interval, ms',
  head_high: 'head: upper end, ms',
  shift_ms: 'Hodges–Lehmann shift head − base, ms',
  shift_low_ms: 'lower end of its 95 % CI, ms',
  shift_high_ms: 'upper end of its 95 % CI, ms',
  change_pct: 'shift relative to the base median, %',
  change_low_pct: 'lower end of the 95 % CI of the change, %',
  change_high_pct: 'upper end, %',
  p_value: 'two-sided Mann–Whitney U p-value',
  q_value: 'that p-value Benjamini–Hochberg adjusted over every test of the compare (decides significance)',
  test_method: 'exact or normal (approximation, used above 20 samples or with ties)',
  detectable_change_pct:
    'smallest change, % of the base median, this test catches with ≥ 90 % probability (resampled from the base, for a change in this case alone); empty: not tested, or no change catchable',
  link_drift_pct:
    "one run per side: how much slower (+) the head's link was than the base's during the runs (median connect of new connections), %; the head's samples were divided by it before the test (empty: no correction)",
  verdict: 'regressed, improved, no_change or not_comparable',
  reason: 'which branch of the rule gave the verdict',
  why: 'the verdict in words',
} as const;

type Column = keyof typeof COMPARE_COLUMNS;

function pCell(p: number | null): string {
  return p === null ? '' : String(Number(p.toPrecision(4)));
}

export function compareCsvRow(r: MetricComparison): Record<Column, string> {
  return {
    case_key: r.key,
    scenario: r.scenario,
    metric: r.metric,
    unit: r.unit,
    n_base: String(r.n_base),
    n_head: String(r.n_head),
    errors_base: String(r.errors_base),
    errors_head: String(r.errors_head),
    base_median: csvNumber(r.base_median),
    head_median: csvNumber(r.head_median),
    base_low: csvNumber(r.base_low),
    base_high: csvNumber(r.base_high),
    head_low: csvNumber(r.head_low),
    head_high: csvNumber(r.head_high),
    shift_ms: csvNumber(r.shift_ms),
    shift_low_ms: csvNumber(r.shift_low_ms),
    shift_high_ms: csvNumber(r.shift_high_ms),
    change_pct: csvNumber(r.change_pct),
    change_low_pct: csvNumber(r.change_low_pct),
    change_high_pct: csvNumber(r.change_high_pct),
    p_value: pCell(r.p_value),
    q_value: pCell(r.p_adjusted),
    test_method: r.test_method ?? '',
    detectable_change_pct: csvNumber(r.detectable_change_pct),
    link_drift_pct: csvNumber(r.link_drift_pct),
    verdict: r.verdict,
    reason: r.reason,
    why: r.why,
  };
}

export function renderCsv(res: CompareResult): string {
  const columns = Object.keys(COMPARE_COLUMNS) as Column[];
  return stringify([columns, ...res.rows.map((r) => columns.map((c) => compareCsvRow(r)[c]))]);
}
