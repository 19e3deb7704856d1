import { test } from 'node:test';
import assert from 'node:assert/strict';
import { madSorted, mean, medianSorted, quantileSorted, sampleStddev, sortAsc } from '../../lib/stats.ts';
import { bootstrapMedianRatioCi, mulberry32 } from '../../lib/stats-bootstrap.ts';
import { binomialTails, normalCdf, normalQuantile } from '../../lib/stats-distributions.ts';
import { outliersSorted } from '../../lib/stats-outliers.ts';
import { medianCiSorted, quantileCiSorted } from '../../lib/stats-quantile-ci.ts';
import {
  hodgesLehmann,
  kthPairwiseDifferenceSorted,
  mannWhitneyU,
  uDistributionCounts,
} from '../../lib/stats-rank-tests.ts';
import {
  ciPrecise,
  quantileSummary,
  samplesNeededForMedianCi,
  summarize,
  type Summary,
} from '../../lib/stats-summary.ts';

function close(actual: number | null | undefined, expected: number, tol = 1e-9): void {
  assert.ok(actual !== null && actual !== undefined, `expected ${expected}, got ${actual}`);
  assert.ok(Math.abs(actual - expected) <= tol, `expected ${expected} ± ${tol}, got ${actual}`);
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

test('sortAsc sorts numerically, copies, rejects NaN', () => {
  const input = [10, 9, 1, 100];
  assert.deepEqual(sortAsc(input), [1, 9, 10, 100]); // not lexicographic ([1, 10, 100, 9])
  assert.deepEqual(input, [10, 9, 1, 100]);
  assert.throws(() => sortAsc([1, Number.NaN]), RangeError);
});

test('quantileSorted is R type 7 (numpy default)', () => {
  const x = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  // h = (n−1)q = 9 × 0.25 = 2.25 → x[2] + 0.25 (x[3] − x[2]) = 3 + 0.25 = 3.25
  close(quantileSorted(x, 0.25), 3.25);
  // h = 9 × 0.5 = 4.5 → 5 + 0.5 × 1 = 5.5
  close(quantileSorted(x, 0.5), 5.5);
  // h = 9 × 0.9 = 8.1 → 9 + 0.1 × 1 = 9.1
  close(quantileSorted(x, 0.9), 9.1);
  // h = 9 × 0.99 = 8.91 → 9 + 0.91 = 9.91
  close(quantileSorted(x, 0.99), 9.91);
  close(quantileSorted(x, 0), 1);
  close(quantileSorted(x, 1), 10);
  // uneven gaps: [1, 3, 10], q = 0.75 → h = 1.5 → 3 + 0.5 × 7 = 6.5
  close(quantileSorted([1, 3, 10], 0.75), 6.5);
  close(quantileSorted([42], 0.37), 42);
  assert.throws(() => quantileSorted([], 0.5), RangeError);
  assert.throws(() => quantileSorted([1], 1.5), RangeError);
});

test('median, mean, sample stddev, MAD by hand', () => {
  close(medianSorted([1, 2, 3, 4]), 2.5);
  close(medianSorted([1, 2, 3]), 2);
  const x = [2, 4, 4, 4, 5, 5, 7, 9];
  // Σ = 40, mean = 5
  close(mean(x), 5);
  // squared deviations 9,1,1,1,0,0,4,16 → Σ = 32; / (n−1) = 32/7; sqrt = 2.138089935...
  close(sampleStddev(x), Math.sqrt(32 / 7));
  close(sampleStddev([1, 2]), Math.SQRT1_2); // Σ (±0.5)² = 0.5, /1, sqrt = 0.7071
  assert.throws(() => sampleStddev([1]), RangeError);
  assert.throws(() => mean([]), RangeError);
  // MAD of [1,1,2,2,4,6,9]: median 2; |dev| = 1,1,0,0,2,4,7 → sorted 0,0,1,1,2,4,7 → median 1
  close(madSorted([1, 1, 2, 2, 4, 6, 9]), 1);
  // all equal → MAD 0
  close(madSorted([3, 3, 3]), 0);
});

test('binomial tails match hand computation', () => {
  // Bin(6, ½): P(B ≤ 0) = 1/64, P(B ≥ 6) = 1/64, P(B ≤ 1) = 7/64
  const { cdf, sf } = binomialTails(6, 0.5);
  close(cdf[0], 1 / 64, 1e-15);
  close(cdf[1], 7 / 64, 1e-15);
  close(sf[6], 1 / 64, 1e-15);
  close(cdf[6], 1, 1e-15);
  // Bin(3, 0.1): P(B = 0) = 0.729, P(B ≤ 1) = 0.729 + 3 × 0.1 × 0.81 = 0.972, P(B = 3) = 0.001
  const t = binomialTails(3, 0.1);
  close(t.cdf[0], 0.729, 1e-12);
  close(t.cdf[1], 0.972, 1e-12);
  close(t.sf[3], 0.001, 1e-12);
  // large n does not underflow to garbage: Bin(1000, ½) sums to 1
  close(binomialTails(1000, 0.5).cdf[1000], 1, 1e-9);
});

test('normal CDF and quantile against table values', () => {
  close(normalCdf(0), 0.5, 1e-7);
  close(normalCdf(1.96), 0.9750021, 1e-6); // standard normal table
  close(normalCdf(-1), 0.1586553, 1e-6);
  close(normalQuantile(0.975), 1.959964, 1e-5);
  close(normalQuantile(0.995), 2.575829, 1e-5);
  close(normalQuantile(0.5), 0, 1e-6); // erfcc is accurate to ~1.2e-7, not to the last bit
});

test('median CI from order statistics: hand-computed ranks', () => {
  // n < 6 cannot reach 95 %: n = 5, P(B ≤ 0) = 1/32 = 0.03125 > 0.025
  assert.equal(medianCiSorted(range(5)), null);
  // n = 6: P(B ≤ 0) = 1/64 = 0.015625 ≤ 0.025 → [x(1), x(6)], coverage 1 − 2/64 = 0.96875
  const c6 = medianCiSorted(range(6));
  assert.ok(c6);
  assert.equal(c6.low, 1);
  assert.equal(c6.high, 6);
  close(c6.confidence_achieved, 0.96875, 1e-12);
  // n = 10: P(B ≤ 1) = 11/1024 = 0.0107 ≤ 0.025, P(B ≤ 2) = 56/1024 = 0.0547 > 0.025
  //   → [x(2), x(9)], coverage 1 − 22/1024 = 0.978515625
  const c10 = medianCiSorted(range(10).map((v) => v * 10));
  assert.ok(c10);
  assert.deepEqual([c10.low, c10.high, c10.low_rank, c10.high_rank], [20, 90, 2, 9]);
  close(c10.confidence_achieved, 1 - 22 / 1024, 1e-12);
  // n = 20: P(B ≤ 5) = (1+20+190+1140+4845+15504)/2^20 = 21700/1048576 = 0.0207 ≤ 0.025,
  //         P(B ≤ 6) = 60460/1048576 = 0.0577 > 0.025 → [x(6), x(15)] (Conover's table), coverage 0.95861
  const c20 = medianCiSorted(range(20));
  assert.ok(c20);
  assert.deepEqual([c20.low, c20.high], [6, 15]);
  close(c20.confidence_achieved, 1 - (2 * 21700) / 1048576, 1e-12);
  assert.equal(c20.method, 'exact');
});

test('quantile CI for q = 0.9, n = 100 (hand: Bin(100, 0.9) tails)', () => {
  // P(B ≤ 83) = 0.02060 ≤ 0.025 < P(B ≤ 84) = 0.03989 → j = 84
  // P(B ≥ 96) = 0.02371 ≤ 0.025 (P(B ≥ 95) > 0.025) → k = 96
  // coverage = 1 − 0.0205988 − 0.0237111 = 0.9556901
  const ci = quantileCiSorted(range(100), 0.9, 0.95);
  assert.ok(ci);
  assert.deepEqual([ci.low_rank, ci.high_rank], [84, 96]);
  close(ci.confidence_achieved, 0.9556901, 1e-6);
  // p99 needs q^n = 0.99^n ≤ 0.025 for an upper bound: n ≥ 368, so n = 100 has none
  assert.equal(quantileCiSorted(range(100), 0.99), null);
  assert.equal(quantileCiSorted(range(100), 1), null);
});

test('median CI, normal approximation above n = 1000', () => {
  // n = 2000: μ = 1000, σ = sqrt(500) = 22.3607, zσ = 1.959964 × 22.3607 = 43.826
  //   j = floor(1000 − 43.826 + 0.5) = 956, k = ceil(1000 + 43.826 + 0.5) = 1045
  const ci = medianCiSorted(range(2000));
  assert.ok(ci);
  assert.equal(ci.method, 'normal');
  assert.deepEqual([ci.low_rank, ci.high_rank], [956, 1045]);
  // the exact binomial coverage of those ranks is also ≥ 95 %
  const { cdf, sf } = binomialTails(2000, 0.5);
  const exactCoverage = 1 - (cdf[955] ?? 1) - (sf[1045] ?? 1);
  assert.ok(exactCoverage >= 0.95, `exact coverage ${exactCoverage}`);
  // and the approximation continues the exact ranks at the boundary: n = 1000 exact vs n = 1001 normal
  const e = medianCiSorted(range(1000));
  const a = medianCiSorted(range(1001));
  assert.ok(e && a);
  assert.equal(e.method, 'exact');
  assert.equal(a.method, 'normal');
  assert.ok(Math.abs(e.low_rank - a.low_rank) <= 1 && Math.abs(e.high_rank - a.high_rank) <= 2);
});

test('CI properties: contains the median, wider at higher confidence, coverage ≥ asked', () => {
  const rng = mulberry32(7);
  for (const n of [6, 9, 30, 101, 500]) {
    const x = sortAsc(Array.from({ length: n }, () => 10 + 5 * rng() ** 3));
    const med = medianSorted(x);
    const c90 = medianCiSorted(x, 0.9);
    const c95 = medianCiSorted(x, 0.95);
    const c99 = medianCiSorted(x, 0.99);
    assert.ok(c95, `n = ${n}`);
    assert.ok(c95.low <= med && med <= c95.high);
    assert.ok(c95.confidence_achieved >= 0.95);
    if (c90) assert.ok(c90.low >= c95.low && c90.high <= c95.high);
    if (c99) {
      assert.ok(c99.low <= c95.low && c99.high >= c95.high);
      assert.ok(c99.high - c99.low > c95.high - c95.low || n < 30);
    }
  }
  // all equal: a zero-width CI
  const flat = medianCiSorted([5, 5, 5, 5, 5, 5, 5]);
  assert.ok(flat);
  assert.deepEqual([flat.low, flat.high], [5, 5]);
});

test('Tukey outliers: flagged with indices, never removed', () => {
  // [1..10, 30, 100]: n = 12; Q1: h = 11 × 0.25 = 2.75 → 3 + 0.75 = 3.75; Q3: h = 8.25 → 9 + 0.25 = 9.25
  // IQR = 5.5; mild fences 3.75 − 8.25 = −4.5, 9.25 + 8.25 = 17.5; extreme 3.75 − 16.5 = −12.75, 9.25 + 16.5 = 25.75
  // 30 and 100 are > 25.75 → both extreme, none mild
  const x = [...range(10), 30, 100];
  const o = outliersSorted(x);
  close(o.q1, 3.75);
  close(o.q3, 9.25);
  close(o.mild_high_fence, 17.5);
  close(o.extreme_high_fence, 25.75);
  assert.deepEqual(o.extreme_indices, [10, 11]);
  assert.equal(o.mild_count, 0);
  assert.equal(x.length, 12);
  // [1..10, 20]: n = 11; Q1: h = 2.5 → 3.5; Q3: h = 7.5 → 8.5; IQR 5; mild > 16, extreme > 23.5 → 20 is mild
  const y = outliersSorted([...range(10), 20]);
  assert.deepEqual(y.mild_indices, [10]);
  assert.equal(y.extreme_count, 0);
  // a low outlier: [−20, 1..10]: Q1: h = 2.5 → 2.5; Q3 = 7.5; IQR 5; mild < −5, extreme < −12.5 → extreme
  assert.deepEqual(outliersSorted([-20, ...range(10)]).extreme_indices, [0]);
  // all equal: IQR 0, nothing is outside
  assert.equal(outliersSorted([4, 4, 4]).extreme_count + outliersSorted([4, 4, 4]).mild_count, 0);
});

test('summarize: empty is a distinct kind, n = 1 has no NaN, fields by hand', () => {
  assert.deepEqual(summarize([]), { kind: 'empty', n: 0 });
  const one = summarize([7]);
  assert.equal(one.kind, 'ok');
  if (one.kind !== 'ok') return;
  assert.equal(one.stddev, null);
  assert.equal(one.ci95_low, null);
  assert.deepEqual([one.min, one.max, one.mean, one.median, one.p90, one.p99, one.mad], [7, 7, 7, 7, 7, 7, 0]);
  for (const v of Object.values(one)) assert.ok(!(typeof v === 'number' && Number.isNaN(v)));

  const s = summarize([10, 9, 8, 7, 6, 5, 4, 3, 2, 1]); // unsorted on purpose
  assert.equal(s.kind, 'ok');
  if (s.kind !== 'ok') return;
  // mean 5.5; stddev: Σ(x−5.5)² = 82.5, /9 = 9.1667, sqrt = 3.02765; median 5.5; p90 9.1; p99 9.91
  close(s.mean, 5.5);
  close(s.stddev, Math.sqrt(82.5 / 9));
  close(s.median, 5.5);
  close(s.p90, 9.1);
  close(s.p99, 9.91);
  // CI: n = 10 → [x(2), x(9)] = [2, 9]; MAD: |x − 5.5| = 0.5,0.5,1.5,1.5,…,4.5,4.5 → median 2.5
  assert.deepEqual([s.ci95_low, s.ci95_high], [2, 9]);
  close(s.mad, 2.5);
  assert.deepEqual([s.min, s.max, s.n, s.outliers_mild, s.outliers_extreme], [1, 10, 10, 0, 0]);
});

test('ciPrecise uses the FULL CI width against max(rel × median, abs_ms)', () => {
  const base: Summary = {
    kind: 'ok',
    n: 50,
    min: 90,
    max: 110,
    mean: 100,
    stddev: 5,
    median: 100,
    p90: 105,
    p99: 109,
    ci95_low: 99.1,
    ci95_high: 100.9,
    mad: 3,
    outliers_mild: 0,
    outliers_extreme: 0,
  };
  // full width 1.8 < 2 % × 100 = 2 → precise (half width 0.9 would pass too; 2.2 would not)
  assert.equal(ciPrecise(base), true);
  // full width 2.2 > 2 → not precise, though its half width 1.1 would be
  assert.equal(ciPrecise({ ...base, ci95_low: 98.9, ci95_high: 101.1 }), false);
  // small median: target is abs 0.5 ms; width 0.4 < 0.5 precise, width 0.6 not
  assert.equal(ciPrecise({ ...base, median: 1, ci95_low: 0.8, ci95_high: 1.2 }), true);
  assert.equal(ciPrecise({ ...base, median: 1, ci95_low: 0.7, ci95_high: 1.3 }), false);
  assert.equal(ciPrecise({ ...base, ci95_low: null, ci95_high: null }), false);
  assert.equal(ciPrecise({ kind: 'empty', n: 0 }), false);
});

test('samplesNeededForMedianCi scales by (width / target)²', () => {
  // pilot 1..20: CI [6, 15] → width 9; median 10.5 → target max(0.21, 0.5) = 0.5
  //   n = floor(20 × (9/0.5)²) + 1 = floor(20 × 324) + 1 = 6481
  const need = samplesNeededForMedianCi(range(20));
  assert.ok(need);
  close(need.pilot_width, 9);
  close(need.target_width, 0.5);
  assert.equal(need.n_needed, 6481);
  // already precise (all equal) → the pilot size is enough
  assert.equal(samplesNeededForMedianCi(Array(10).fill(100))?.n_needed, 10);
  // pilot of 4 uses the MAD: [10, 11, 12, 13] → MAD 1; width = 2 × 1.96 × 1.2533 × 1.4826 / 2 = 3.642
  //   target max(0.02 × 11.5, 0.5) = 0.5 → n = floor(4 × (3.642/0.5)²) + 1 = 213
  const small = samplesNeededForMedianCi([10, 11, 12, 13]);
  assert.ok(small);
  close(small.pilot_width, 3.6422, 1e-3);
  assert.equal(small.n_needed, 213);
  assert.equal(samplesNeededForMedianCi([1, 2]), null);
  // check the estimate: a sample of the suggested size with the same spread does reach the target
  const rng = mulberry32(3);
  const pilot = sortAsc(Array.from({ length: 30 }, () => 100 + 10 * rng()));
  const est = samplesNeededForMedianCi(pilot, 0.02, 0.5);
  assert.ok(est && est.n_needed > 30 && est.n_needed < 5000);
  const full = summarize(Array.from({ length: Math.ceil(est.n_needed * 1.3) }, () => 100 + 10 * rng()));
  assert.equal(ciPrecise(full, 0.02, 0.5), true);
});

test('U null distribution counts (Gaussian binomial)', () => {
  // m = n = 2: the 6 arrangements give U = 0,1,2,2,3,4 → counts [1,1,2,1,1]
  assert.deepEqual([...uDistributionCounts(2, 2)], [1, 1, 2, 1, 1]);
  // m = 1, n = 3: U uniform on 0..3
  assert.deepEqual([...uDistributionCounts(1, 3)], [1, 1, 1, 1]);
  // counts sum to C(m+n, m): C(40, 20) = 137846528820
  let total = 0;
  for (const c of uDistributionCounts(20, 20)) total += c;
  assert.equal(total, 137846528820);
});

// Hollander & Wolfe (1973), p. 69 — permeability constants of the human chorioamnion; the example
// of R's ?wilcox.test, where wilcox.test(x, y, alternative = "greater") prints W = 35, p-value = 0.1272.
const hwX = [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
const hwY = [1.15, 0.88, 0.9, 0.74, 1.21];

test('Mann–Whitney exact: Hollander & Wolfe example (R: W = 35, one-sided p = 0.1272)', () => {
  // U by hand: for each x, #y below it — 0.80:1 (0.74), 0.83:1, 1.89:5, 1.04:3, 1.45:5, 1.38:5,
  //   1.91:5, 1.64:5, 0.73:0, 1.46:5 → 1+1+5+3+5+5+5+5+0+5 = 35
  // Two-sided exact p = 2 × P(U ≥ 35) = 2 × 382/3003 = 0.254412 (R one-sided 0.1272 × 2)
  const r = mannWhitneyU(hwY, hwX);
  assert.equal(r.u_head, 35);
  assert.equal(r.u_base, 15);
  assert.equal(r.method, 'exact');
  close(r.p, 2 * 0.1272061, 1e-6);
  // swapping head and base mirrors U and keeps p
  const s = mannWhitneyU(hwX, hwY);
  assert.equal(s.u_head, 15);
  close(s.p, r.p, 1e-12);
});

test('Mann–Whitney normal approximation with ties and continuity correction', () => {
  // head a = [1,2,2,3,4,5,5,5,7] (m = 9), base b = [3,4,4,6,6,8,9,9] (n = 8), N = 17.
  // Pooled sorted with midranks: 1→1, 2,2→2.5, 3,3→4.5, 4,4,4→7, 5,5,5→10, 6,6→12.5, 7→14, 8→15, 9,9→16.5
  // R_a = 1 + 2.5·2 + 4.5 + 7 + 10·3 + 14 = 61.5 → U_a = 61.5 − 45 = 16.5
  // ties t = 2,2,3,3,2,2 → Σ(t³−t) = 6+6+24+24+6+6 = 72
  // var = (72/12)(18 − 72/(17·16)) = 6 × (18 − 0.264706) = 106.41176; sd = 10.31561
  // z = (16.5 − 36 + 0.5)/10.31561 = −1.841869; p = 2Φ(−1.841869) = 0.065494 (scipy asymptotic: 0.0654943)
  const r = mannWhitneyU([3, 4, 4, 6, 6, 8, 9, 9], [1, 2, 2, 3, 4, 5, 5, 5, 7]);
  assert.equal(r.method, 'normal');
  assert.equal(r.u_head, 16.5);
  close(r.z, -1.841869, 1e-6);
  close(r.p, 0.065494, 1e-5);
});

test('Mann–Whitney edge cases: all equal, n = 1, large samples', () => {
  const eq = mannWhitneyU([5, 5, 5], [5, 5]);
  assert.deepEqual([eq.u_head, eq.z, eq.p], [3, 0, 1]); // every pair a tie → U = ½ · 6 = 3
  // n = 1 each, no ties: U ∈ {0, 1}, each with probability ½ → two-sided p = min(1, 2 × ½) = 1
  const one = mannWhitneyU([1], [2]);
  assert.equal(one.u_head, 1);
  assert.equal(one.p, 1);
  // complete separation, m = n = 5: P(U = 25) = 1/C(10,5) = 1/252 → p = 2/252 = 0.0079365
  const sep = mannWhitneyU([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]);
  close(sep.p, 2 / 252, 1e-12);
  // large n takes the normal route and detects a clear shift
  const rng = mulberry32(11);
  const base = Array.from({ length: 200 }, () => 10 + rng());
  const head = Array.from({ length: 200 }, () => 10.3 + rng());
  const big = mannWhitneyU(base, head);
  assert.equal(big.method, 'normal');
  assert.ok(big.z > 3 && big.p < 0.001);
  // complete separation, 200 vs 200: U = 40000, sd = sqrt(200·200·401/12) = 1156.143,
  //   z = (40000 − 20000 − 0.5)/1156.143 = 17.2985, p = 2Φ(−17.2985) = 4.83e−67 — tiny, but not 0
  const far = mannWhitneyU(
    base,
    base.map((v) => v + 2),
  );
  close(far.z, 17.2985, 1e-4);
  close(far.p / 4.830856e-67, 1, 1e-5);
  assert.throws(() => mannWhitneyU([], [1]), RangeError);
});

test('k-th pairwise difference matches brute force', () => {
  const rng = mulberry32(5);
  for (let trial = 0; trial < 20; trial++) {
    const m = 1 + Math.floor(rng() * 15);
    const n = 1 + Math.floor(rng() * 15);
    // rounded values so that ties among differences happen
    const h = sortAsc(Array.from({ length: m }, () => Math.round(rng() * 20) / 4));
    const b = sortAsc(Array.from({ length: n }, () => Math.round(rng() * 20) / 4));
    const all = sortAsc(h.flatMap((x) => b.map((y) => x - y)));
    for (let k = 1; k <= m * n; k++) assert.equal(kthPairwiseDifferenceSorted(h, b, k), all[k - 1]);
  }
});

test('Hodges–Lehmann with Moses CI: Hollander & Wolfe example by hand', () => {
  // 50 differences x − y; sorted, the 25th and 26th are 0.30 and 0.31 → estimate 0.305 (R: 0.305)
  // exact U (m = 10, n = 5, C(15,5) = 3003 arrangements): P(U ≤ 8) = 60/3003 = 0.01998 ≤ 0.025,
  //   P(U ≤ 9) = 83/3003 = 0.0276 > 0.025 → k = 9: CI [D(9), D(42)] = [−0.15, 0.76],
  //   coverage 1 − 120/3003 = 0.960040 (R's wilcox.test(x, y, conf.int = TRUE) picks the same ranks)
  const r = hodgesLehmann(hwY, hwX);
  close(r.shift, 0.305, 1e-12);
  close(r.low, -0.15, 1e-12);
  close(r.high, 0.76, 1e-12);
  close(r.confidence_achieved, 1 - 120 / 3003, 1e-12);
  assert.equal(r.method, 'exact');
  // too small for 95 %: m = n = 2, P(U ≤ 0) = 1/6 > 0.025
  const tiny = hodgesLehmann([1, 2], [3, 4]);
  assert.equal(tiny.low, null);
  close(tiny.shift, 2); // differences 1, 2, 2, 3 → median 2
});

test('Hodges–Lehmann of a shifted copy equals the shift; CI contains it', () => {
  const rng = mulberry32(21);
  for (const n of [8, 40]) {
    const base = Array.from({ length: n }, () => Math.round(1000 * (20 + 30 * rng() ** 2)) / 1000);
    const head = base.map((v) => v + 5);
    const r = hodgesLehmann(base, head);
    close(r.shift, 5, 1e-9);
    assert.ok(r.low !== null && r.high !== null && r.low <= 5 && 5 <= r.high);
    assert.equal(r.method, n <= 20 ? 'exact' : 'normal');
    // higher confidence → wider (or equal) interval
    const r99 = hodgesLehmann(base, head, 0.99);
    assert.ok(r99.low !== null && r99.high !== null && r99.low <= r.low && r99.high >= r.high);
  }
});

test('mulberry32 is deterministic, in [0, 1), roughly uniform', () => {
  const a = mulberry32(42);
  const b = mulberry32(42);
  const c = mulberry32(43);
  const xs = Array.from({ length: 10000 }, () => a());
  assert.deepEqual(
    xs.slice(0, 5),
    Array.from({ length: 5 }, () => b()),
  );
  assert.notEqual(c(), xs[0]);
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  // mean of U(0,1) is ½ with sd 1/sqrt(12 × 10000) = 0.0029; 0.01 is > 3 sd
  assert.ok(Math.abs(mean(xs) - 0.5) < 0.01);
  // each decile gets about 1000 (binomial sd ≈ 30)
  const bins = new Array<number>(10).fill(0);
  for (const x of xs) bins[Math.floor(x * 10)]! += 1;
  assert.ok(
    bins.every((k) => k > 850 && k < 1150),
    `bins ${bins.join(',')}`,
  );
});

test('mulberry32 gives the same stream as the canonical (int32) formulation', () => {
  // Tommy Ettinger's mulberry32 as usually published; ours keeps the state as uint32 instead.
  const canonical = (seed: number) => () => {
    let a = seed | 0;
    a = (a + 0x6d2b79f5) | 0;
    seed = a;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (const seed of [0, 1, 42, 0xdeadbeef, -5]) {
    const ours = mulberry32(seed);
    const ref = canonical(seed);
    for (let i = 0; i < 1000; i++) assert.equal(ours(), ref());
  }
});

test('bootstrap CI of the ratio of medians', () => {
  const rng = mulberry32(1);
  const base = Array.from({ length: 101 }, () => 50 + 10 * rng());
  const head = base.map((v) => v * 1.1);
  const r = bootstrapMedianRatioCi(base, head, { rng: mulberry32(99), resamples: 1000 });
  // the point estimate is exactly the scale factor; 10 % change
  close(r.ratio, 1.1, 1e-12);
  close(r.change_pct, 10, 1e-9);
  assert.ok(r.low <= 1.1 && 1.1 <= r.high && r.low > 1 && r.high < 1.2);
  // same seed → same interval; another seed → a different one
  const again = bootstrapMedianRatioCi(base, head, { rng: mulberry32(99), resamples: 1000 });
  assert.deepEqual([again.low, again.high], [r.low, r.high]);
  const other = bootstrapMedianRatioCi(base, head, { rng: mulberry32(100), resamples: 1000 });
  assert.notDeepEqual([other.low, other.high], [r.low, r.high]);
  // higher confidence → wider, same resamples
  const r99 = bootstrapMedianRatioCi(base, head, { rng: mulberry32(99), resamples: 1000, confidence: 0.99 });
  assert.ok(r99.low <= r.low && r99.high >= r.high);
  // identical samples of one value: every resample gives ratio 1
  const flat = bootstrapMedianRatioCi([4, 4, 4], [4, 4, 4], { rng: mulberry32(1), resamples: 50 });
  assert.deepEqual([flat.ratio, flat.low, flat.high], [1, 1, 1]);
  // n = 1: the median is that value
  close(bootstrapMedianRatioCi([2], [3], { rng: mulberry32(1), resamples: 10 }).ratio, 1.5);
  assert.throws(() => bootstrapMedianRatioCi([0, 1], [1], { rng: mulberry32(1) }), RangeError);
});

test('bootstrap median of a resample is a type-7 median (even n averages the middle pair)', () => {
  // base = [1, 3] (n = 2): resampled medians are 1 ({1,1}), 2 ({1,3} in either order) or 3 ({3,3});
  // head = [6, 6] → ratios 6, 3, 2. With many resamples all three appear, and nothing else.
  const r = bootstrapMedianRatioCi([1, 3], [6, 6], { rng: mulberry32(8), resamples: 400, confidence: 0.9 });
  close(r.ratio, 3); // 6 / 2
  assert.equal(r.low, 2);
  assert.equal(r.high, 6);
});

test('quantileSummary: type-7 median and p90 by hand, CIs only from 6 values up, missing cells left out', () => {
  const few = quantileSummary([3, 1, Number.NaN, 2]);
  assert.deepEqual([few.n, few.median, few.ci_low, few.ci_high], [3, 2, null, null]);
  const d = quantileSummary([8, 7, 6, 5, 4, 3, 2, 1, Number.POSITIVE_INFINITY]);
  assert.equal(d.n, 8);
  assert.equal(d.median, 4.5);
  // (8 − 1) × 0.9 = 6.3: 7 + 0.3 × (8 − 7)
  assert.ok(Math.abs((d.p90 ?? 0) - 7.3) < 1e-12);
  const ci = medianCiSorted([1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual([d.ci_low, d.ci_high], [ci?.low, ci?.high]);
  assert.ok(d.ci_low !== null && d.ci_low <= 4.5 && (d.ci_high ?? 0) >= 4.5);
  const none = quantileSummary([Number.NaN]);
  assert.deepEqual(none, {
    n: 0,
    median: null,
    ci_low: null,
    ci_high: null,
    p90: null,
    p90_ci_low: null,
    p90_ci_high: null,
  });
});
