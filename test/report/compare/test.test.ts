import { test } from 'node:test';
import assert from 'node:assert/strict';
import { benjaminiHochberg } from '../../../report/compare/fdr.ts';
import { assignVerdicts, minReachableP, shiftStats, testShift, verdictOf } from '../../../report/compare/test.ts';
import type { MetricComparison } from '../../../report/compare/types.ts';

function close(actual: number | null | undefined, expected: number, tol = 1e-6): void {
  assert.ok(actual !== null && actual !== undefined, `expected ${expected}, got ${actual}`);
  assert.ok(Math.abs(actual - expected) <= tol, `expected ${expected} ± ${tol}, got ${actual}`);
}

const S = { threshold_pct: 5, alpha: 0.05 };

test('shiftStats matches R: wilcox.test(6:10, 1:5, conf.int = TRUE)', () => {
  const st = shiftStats([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]);
  // R: W = 25, p-value = 0.007937 (= 2 / choose(10, 5)), location shift 5, 95 % CI [2, 8] (achieved 0.968).
  close(st.p_value, 2 / 252);
  assert.equal(st.test_method, 'exact');
  close(st.shift_ms, 5);
  close(st.shift_low_ms, 2);
  close(st.shift_high_ms, 8);
  close(st.base_median, 3);
  close(st.head_median, 8);
  // relative to the base median 3: +166.7 % [+66.7 %, +266.7 %]
  close(st.change_pct, 500 / 3);
  close(st.change_low_pct, 200 / 3);
  close(st.change_high_pct, 800 / 3);
});

test('shiftStats of the fixture cases (checked against scipy.stats.mannwhitneyu, exact)', () => {
  const base = Array.from({ length: 8 }, (_, i) => 5.0 + 0.2 * i);
  const head = Array.from({ length: 8 }, (_, i) => 5.1 + 0.2 * i);
  const st = shiftStats(base, head);
  close(st.p_value, 0.7209013209013208, 1e-9); // scipy: U = 36, p = 0.72090…
  close(st.shift_ms, 0.1, 1e-9);
  // differences 0.1 + 0.2·d, d = −7..7 occurring 8 − |d| times. 8 vs 8: k = 13 (P(U ≤ 12) = 248/12870 ≤ 0.025 <
  // P(U ≤ 13) = 323/12870), so CI = [D(13), D(52)]; D(13) falls at d = −3 (ranks 11–15) → 0.1 − 0.6 = −0.5.
  close(st.shift_low_ms, -0.5, 1e-9);
  close(st.shift_high_ms, 0.7, 1e-9);
});

test('verdict: regressed / improved only when significant AND the whole CI is beyond the threshold', () => {
  const up = testShift([1, 2, 3, 4, 5], [6, 7, 8, 9, 10], S);
  assert.equal(up.verdict, 'regressed');
  assert.equal(up.reason, 'beyond_threshold');
  const down = testShift([6, 7, 8, 9, 10], [1, 2, 3, 4, 5], S);
  assert.equal(down.verdict, 'improved');
  // CI low +66.7 %: a 70 % threshold is not exceeded by the whole CI although the estimate (+166.7 %) is.
  const reach = testShift([1, 2, 3, 4, 5], [6, 7, 8, 9, 10], { threshold_pct: 70, alpha: 0.05 });
  assert.equal(reach.verdict, 'no_change');
  assert.equal(reach.reason, 'ci_reaches_threshold');
  assert.match(reach.why, /reaches \+66\.7 %/);
  // estimate itself under the threshold
  const within = testShift([1, 2, 3, 4, 5], [6, 7, 8, 9, 10], { threshold_pct: 200, alpha: 0.05 });
  assert.equal(within.reason, 'within_threshold');
  // same data, stricter α than the exact p 0.0079
  const ns = testShift([1, 2, 3, 4, 5], [6, 7, 8, 9, 10], { threshold_pct: 5, alpha: 0.005 });
  assert.equal(ns.verdict, 'no_change');
  assert.equal(ns.reason, 'not_significant');
});

test('verdict: too few samples for a 95 % CI → no change, never a regression', () => {
  // 3 vs 3: P(U = 0) = 1/20 > 0.025, so the Moses CI does not exist although head is far above base.
  const t = testShift([1, 2, 3], [100, 101, 102], S);
  assert.equal(t.shift_low_ms, null);
  assert.equal(t.verdict, 'no_change');
  assert.equal(t.reason, 'too_few_samples');
});

test('verdict with a zero base median: any significant shift counts (threshold is 0 ms)', () => {
  const base = Array.from({ length: 10 }, () => 0);
  const head = Array.from({ length: 10 }, (_, i) => 1 + i);
  const st = shiftStats(base, head);
  assert.equal(st.change_pct, null);
  assert.equal(verdictOf(st, st.p_value, S).verdict, 'regressed');
  const same = shiftStats(base, base);
  assert.equal(verdictOf(same, same.p_value, S).verdict, 'no_change');
});

test('benjaminiHochberg matches R p.adjust(method = "BH")', () => {
  // p.adjust(c(0.01, 0.04, 0.03, 0.005), "BH") = 0.02 0.04 0.04 0.02
  const q = benjaminiHochberg([0.01, 0.04, 0.03, 0.005]);
  [0.02, 0.04, 0.04, 0.02].forEach((e, i) => close(q[i], e, 1e-12));
  // p.adjust(c(0.001, 0.2, 0.03, 0.5, 0.04), "BH") = 0.005 0.25 0.0666… 0.5 0.0666…
  const q2 = benjaminiHochberg([0.001, 0.2, 0.03, 0.5, 0.04]);
  [0.005, 0.25, 0.2 / 3, 0.5, 0.2 / 3].forEach((e, i) => close(q2[i], e, 1e-12));
  // one test is unchanged; never above 1
  assert.deepEqual(benjaminiHochberg([0.02]), [0.02]);
  assert.deepEqual(benjaminiHochberg([0.9, 0.95]), [0.95, 0.95]);
  assert.deepEqual(benjaminiHochberg([]), []);
});

function testedRow(p: number): MetricComparison {
  return {
    key: `k${p}`,
    scenario: 's',
    metric: 'total_ms',
    unit: 'request',
    n_base: 5,
    n_head: 5,
    errors_base: 0,
    errors_head: 0,
    base_median: 3,
    head_median: 8,
    base_low: null,
    base_high: null,
    head_low: null,
    head_high: null,
    shift_ms: 5,
    shift_low_ms: 2,
    shift_high_ms: 8,
    change_pct: 166,
    change_low_pct: 66,
    change_high_pct: 266,
    p_value: p,
    p_adjusted: null,
    test_method: 'exact',
    detectable_change_pct: null,
    link_drift_pct: null,
    verdict: 'no_change',
    reason: 'not_significant',
    why: '',
  };
}

test('assignVerdicts: a lone p of 0.02 is a regression alone, not among 10 tests; many together are (BH)', () => {
  const alone = [testedRow(0.02)];
  assignVerdicts(alone, S);
  assert.equal(alone[0]?.verdict, 'regressed');
  close(alone[0]?.p_adjusted, 0.02);
  const lone = [testedRow(0.02), ...Array.from({ length: 9 }, () => testedRow(0.5))];
  assignVerdicts(lone, S);
  assert.equal(lone[0]?.verdict, 'no_change');
  close(lone[0]?.p_adjusted, 0.2); // 10 × 0.02 / 1
  assert.match(lone[0]?.why ?? '', /q = 0\.200, BH over 10 tests/);
  // ten cases all moved with p = 0.02: q = 10 × 0.02 / 10 = 0.02 each, all called
  const broad = Array.from({ length: 10 }, () => testedRow(0.02));
  assignVerdicts(broad, S);
  assert.ok(broad.every((r) => r.verdict === 'regressed'));
});

test('minReachableP: 2 / C(m + n, m) for the exact test', () => {
  close(minReachableP(3, 3), 2 / 20);
  close(minReachableP(4, 4), 2 / 70);
  close(minReachableP(5, 5), 2 / 252);
  assert.equal(minReachableP(0, 3), 1);
});
