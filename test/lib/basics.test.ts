import { test } from 'node:test';
import assert from 'node:assert/strict';
import { numberOrNull } from '../../lib/numbers.ts';
import { sleep } from '../../lib/sleep.ts';
import { quantileOf } from '../../lib/stats.ts';
import { claimSignals } from '../../lib/signals.ts';

test('numberOrNull: CSV cells and loose values; empty, blank and non-finite are null, never NaN', () => {
  assert.equal(numberOrNull('1.5'), 1.5);
  assert.equal(numberOrNull(' 2 '), 2);
  assert.equal(numberOrNull(3), 3);
  assert.equal(numberOrNull('0'), 0);
  for (const v of ['', '  ', 'abc', 'NaN', 'Infinity', null, undefined, Number.NaN])
    assert.equal(numberOrNull(v), null, String(v));
});

test('sleep: waits, or returns early (resolving) when aborted; at once for 0 ms or an aborted signal', async () => {
  const t0 = performance.now();
  await sleep(30);
  assert.ok(performance.now() - t0 >= 25);
  const ac = new AbortController();
  const t1 = performance.now();
  setTimeout(() => ac.abort(), 10);
  await sleep(5_000, ac.signal);
  assert.ok(performance.now() - t1 < 1_000, 'aborted early');
  const t2 = performance.now();
  await sleep(5_000, ac.signal);
  await sleep(0);
  await sleep(-5);
  assert.ok(performance.now() - t2 < 100);
});

test('quantileOf: type 7 over unsorted values, null for none', () => {
  assert.equal(quantileOf([4, 1, 3, 2], 0.5), 2.5);
  assert.equal(quantileOf([4, 1, 3, 2], 0), 1);
  assert.equal(quantileOf([4, 1, 3, 2], 1), 4);
  assert.equal(quantileOf([], 0.9), null);
});

test('claimSignals: the innermost claim gets the signal; releasing hands it back without a gap', () => {
  const seen: string[] = [];
  const releaseOuter = claimSignals((s) => seen.push(`outer ${s}`));
  const releaseInner = claimSignals((s) => seen.push(`inner ${s}`));
  process.emit('SIGTERM', 'SIGTERM');
  releaseInner();
  process.emit('SIGINT', 'SIGINT');
  releaseInner(); // idempotent: does not release the outer one
  process.emit('SIGTERM', 'SIGTERM');
  releaseOuter();
  assert.deepEqual(seen, ['inner SIGTERM', 'outer SIGINT', 'outer SIGTERM']);
});
