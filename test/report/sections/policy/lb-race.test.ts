import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lbAdvice, lbRaceFigures, verdictPolicyC8 } from '../../../../report/sections/policy/lb-race.ts';
import { lbRaceTable } from '../../../../report/sections/policy/view.ts';
import type { CsvRow } from '../../../../report/load-run.ts';

const trial = (i: number, gap_ms: number, outcome: string, x_ms = '8000', y_ms = '6000'): CsvRow => ({
  part: 'lb_race',
  profile: 'wan',
  trial: String(i),
  x_ms,
  y_ms,
  gap_ms: String(gap_ms),
  outcome,
});
/** 20 trials, gaps −95…+95 ms; three 502s just before the server's close. */
const serverFirst: CsvRow[] = Array.from({ length: 20 }, (_, i) => {
  const gap = -95 + 10 * i;
  return trial(i + 1, gap, gap === -25 || gap === -15 || gap === -5 ? 'http_502' : 'ok');
});

test('LB race figures: failures per 1 000 with their Wilson interval, and where the failures fell', () => {
  const f = lbRaceFigures([{ part: 'idle', outcome: 'closed' }, ...serverFirst]);
  assert.ok(f);
  assert.deepEqual([f.x_ms, f.y_ms, f.n, f.http_502, f.resets, f.failures], [8_000, 6_000, 20, 3, 0, 3]);
  assert.equal(f.per_1000, 150);
  // Wilson 95 % for 3 of 20, by hand: (0.24604 ∓ 0.18361) / 1.19208.
  assert.equal(Math.round(f.ci_low_per_1000), 52);
  assert.equal(Math.round(f.ci_high_per_1000), 360);
  // Type-7 5th and 95th percentiles of −25, −15, −5.
  assert.deepEqual([f.window_low_ms, f.window_high_ms], [-24, -6]);
  assert.equal(f.spread_ms, 95);
  assert.equal(lbRaceFigures([{ part: 'idle', outcome: 'closed' }]), null);
});

test('C8 for the server under test: refuted when the server closes first and the LB fails; depends otherwise', () => {
  const refuted = verdictPolicyC8(lbRaceFigures(serverFirst)!);
  assert.equal(refuted.kind, 'refuted');
  assert.match(
    refuted.figure,
    /^LB 8 s, server 6 s: 150 per 1 000 requests failed \(95 % CI 52–360, n = 20: 3 × 502\)/,
  );
  assert.match(refuted.figure, /Raise the server's idle timeout above 8 s .* or lower the LB's below 6 s\.$/);

  const missed = verdictPolicyC8(lbRaceFigures(serverFirst.map((r) => ({ ...r, outcome: 'ok' })))!);
  assert.equal(missed.kind, 'depends');
  assert.match(missed.reason ?? '', /none of 20 requests hit the race window/);
  assert.deepEqual(
    [refuted.evidence, missed.evidence?.strength],
    [{ n: 'n = 20 lanes', strength: 'strong' }, 'inconclusive'],
  );

  const lbFirst = lbRaceFigures(serverFirst.map((r) => ({ ...r, outcome: 'ok', x_ms: '2000', y_ms: '3000' })))!;
  const safe = verdictPolicyC8(lbFirst);
  assert.equal(safe.kind, 'depends');
  assert.match(safe.reason ?? '', /the LB closes first here/);
  assert.match(lbAdvice(lbFirst), /The LB's idle timeout \(2 s\) is shorter than the server's \(3 s\)/);

  const neverClosed = lbRaceFigures(serverFirst.map((r) => ({ ...r, outcome: 'ok', y_ms: '' })))!;
  assert.equal(neverClosed.y_ms, null);
  assert.match(lbAdvice(neverClosed), /did not close idle connections within the watch/);
  assert.equal(
    lbRaceTable(neverClosed).rows[0]?.[1],
    'LB 8 s, server: no idle close seen: 0 per 1 000 requests failed (95 % CI 0–161, n = 20)',
  );
});
