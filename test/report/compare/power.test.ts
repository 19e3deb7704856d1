import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mulberry32 } from '../../../lib/stats-bootstrap.ts';
import { normalQuantile } from '../../../lib/stats-distributions.ts';
import { minDetectableChangePct, seedOf } from '../../../report/compare/power.ts';
import { testShift } from '../../../report/compare/test.ts';

/** n draws from N(mean, sd), seeded. */
function normal(seed: number, n: number, mean: number, sd: number): number[] {
  const rng = mulberry32(seed);
  return Array.from({ length: n }, () => mean + sd * normalQuantile(Math.min(1 - 1e-12, Math.max(1e-12, rng()))));
}

const SETTINGS = { threshold_pct: 5, test_alpha: 0.05, seed: 7 };

test('power: samples with no spread catch anything just above the threshold', () => {
  const flat = Array.from({ length: 30 }, () => 10);
  const d = minDetectableChangePct(flat, 30, SETTINGS);
  // flagged when the whole CI is above +5 %: any change beyond 5 %
  assert.equal(d, 5);
});

test('power: too few samples for a 95 % CI or for p below the level catch nothing', () => {
  assert.equal(minDetectableChangePct([10, 11, 12], 3, SETTINGS), null);
  // 5 vs 5 has a 95 % CI, but no p below 0.001 (smallest two-sided exact p is 2/252)
  assert.equal(minDetectableChangePct([10, 11, 12, 13, 14], 5, { ...SETTINGS, test_alpha: 0.001 }), null);
  assert.equal(minDetectableChangePct([], 10, SETTINGS), null);
});

test('power: more samples catch smaller changes; wider spread needs larger ones', () => {
  const at = (n: number, sd: number): number => minDetectableChangePct(normal(11, n, 100, sd), n, SETTINGS) ?? Infinity;
  assert.ok(at(10, 5) > at(40, 5), `${at(10, 5)} > ${at(40, 5)}`);
  assert.ok(at(40, 5) > at(160, 5), `${at(40, 5)} > ${at(160, 5)}`);
  assert.ok(at(40, 10) > at(40, 5), `${at(40, 10)} > ${at(40, 5)}`);
  // Normal samples: the HL CI half-width is about 1.96 · sd · sqrt(π/3 · 2/n); the 90 %-power change is about
  // threshold + (1.96 + 1.28) · that standard error. sd 5 % of the median, n = 40: 5 + 3.24 · 5 · 0.229 ≈ 8.7 %.
  const expected = 5 + 3.24 * 5 * Math.sqrt(((Math.PI / 3) * 2) / 40);
  assert.ok(Math.abs(at(40, 5) - expected) < 2, `${at(40, 5)} vs ≈ ${expected}`);
});

test('power: the change it names is caught ≥ ~90 % of the time by the real rule, the threshold itself rarely', () => {
  const base = normal(3, 40, 100, 5);
  const d = minDetectableChangePct(base, 40, SETTINGS);
  assert.ok(d !== null);
  // Fresh samples from the same distribution (not resamples of `base`), shifted by d, through testShift.
  let caught = 0;
  let caughtAtThreshold = 0;
  const trials = 300;
  for (let t = 0; t < trials; t++) {
    const b = normal(1000 + t, 40, 100, 5);
    const h = normal(5000 + t, 40, 100, 5);
    if (
      testShift(
        b,
        h.map((v) => v + d),
        { threshold_pct: 5, alpha: 0.05 },
      ).verdict === 'regressed'
    )
      caught++;
    if (
      testShift(
        b,
        h.map((v) => v + 5),
        { threshold_pct: 5, alpha: 0.05 },
      ).verdict === 'regressed'
    )
      caughtAtThreshold++;
  }
  assert.ok(caught / trials > 0.8, `caught ${caught}/${trials} at ${d.toFixed(2)} %`);
  assert.ok(caughtAtThreshold / trials < 0.6, `at the threshold: ${caughtAtThreshold}/${trials}`);
});

test('power: deterministic for a seed; seeds differ per case', () => {
  const v = normal(5, 50, 20, 3);
  assert.equal(minDetectableChangePct(v, 50, SETTINGS), minDetectableChangePct(v, 50, SETTINGS));
  assert.notEqual(seedOf('handshake/a'), seedOf('handshake/b'));
  assert.equal(seedOf(''), 0x811c9dc5);
});
