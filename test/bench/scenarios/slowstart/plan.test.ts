import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  idleGap_ms,
  IW_SIZE_BYTES,
  plannedRequests,
  slowstartPlan,
  sweepGroup,
  WARMUP_BYTES,
} from '../../../../bench/scenarios/slowstart/plan.ts';

test('slowstart plan: cubic skipped when the host does not allow it; groups and ETA', () => {
  const plan = slowstartPlan({ quick: false, size: 'standard', requests: null }, ['reno', 'bbr']);
  assert.deepEqual(plan.ccs, ['bbr', 'reno']);
  assert.deepEqual(
    plan.skipped.map((s) => s.cc),
    ['cubic'],
  );
  assert.match(plan.skipped[0]?.reason ?? '', /tcp_allowed_congestion_control/);
  assert.deepEqual(slowstartPlan({ quick: false, requests: null }, ['reno', 'bbr', 'cubic']).skipped, []);
  const g1 = sweepGroup(plan, 'reno', 1);
  const g0 = sweepGroup(plan, 'reno', 0);
  assert.equal(g1.length, plan.sizes_bytes.length * (2 + plan.idles_ms.length));
  assert.ok(
    g0.every((c) => c.state === 'idle' && c.ssai === 0),
    'cold/warm are measured once per cc',
  );
  // standard: 1 warm-up + 2 reps × 2 cc × (3 sizes × 4 + 3 IW) + 2 cc × 3 traces; the h2 window cases are --full's.
  assert.deepEqual(plan.h2_sizes_bytes, []);
  assert.equal(plannedRequests(plan), 1 + 2 * 2 * (3 * 4 + 3) + 6);
  // quick: reno only: 1 warm-up + 1 rep × (1 size × 4 + 3 IW, no h2) + 3 traces; full has 5 s idles too.
  const quick = slowstartPlan({ quick: true, requests: null }, ['reno', 'bbr']);
  assert.deepEqual(quick.ccs, ['reno']);
  assert.match(quick.skipped.find((s) => s.cc === 'bbr')?.reason ?? '', /--quick measures one/);
  assert.equal(plannedRequests(quick), 1 + 1 * (1 * 4 + 3) + 3);
  assert.deepEqual(slowstartPlan({ quick: false, requests: null }, ['reno']).idles_ms, [1000, 5000]);
  assert.equal(slowstartPlan({ quick: true, requests: 5 }, ['reno']).reps, 5);
});

test("slowstart plan on a user's server: its sizes stand in for the planned ones; h2 only if it speaks h2c", () => {
  const own = slowstartPlan(
    { quick: false, size: 'full', requests: null },
    ['bbr', 'reno'],
    [1_048_576, 16_384, 90_000],
  );
  assert.deepEqual(own.sizes_bytes, [16_384, 90_000, 1_048_576], 'its sizes, at any run size');
  assert.equal(own.warmup_bytes, 1_048_576);
  assert.equal(own.trace_size_bytes, 1_048_576);
  assert.equal(own.iw_size_bytes, 90_000, 'the size nearest 100 KiB');
  assert.equal(own.first_size_bytes, 16_384);
  assert.deepEqual(own.h2_sizes_bytes, [1_048_576], 'the planned h2 sizes it has');
  const h1Only = slowstartPlan({ quick: false, size: 'full', requests: null }, ['bbr'], [1_048_576], false);
  assert.deepEqual(h1Only.h2_sizes_bytes, []);
  const harness = slowstartPlan({ quick: false, size: 'full', requests: null }, ['bbr']);
  assert.deepEqual([harness.warmup_bytes, harness.iw_size_bytes], [WARMUP_BYTES, IW_SIZE_BYTES]);
  assert.ok(plannedRequests(h1Only) < plannedRequests(harness));
});

test('the idle gap is four RTOs as Linux would have them (srtt + max(4 × jitter, 200 ms)), rounded up to 100 ms', () => {
  assert.equal(idleGap_ms(50), 1000); // 4 × (50 + 200)
  assert.equal(idleGap_ms(0.2), 900); // 4 × 200.2 = 800.8 → 900
  assert.equal(idleGap_ms(150), 1400); // 4 × 350
  assert.equal(idleGap_ms(600), 3200); // satellite: 4 × 800
  assert.equal(idleGap_ms(100, 80), 1700); // 4 × (100 + 320) = 1680 → 1700
  const sat = slowstartPlan({ quick: false, size: 'standard', requests: null }, ['bbr'], 'any', true, {
    rtt_ms: 600,
    jitter_ms: 0,
  });
  assert.deepEqual(sat.idles_ms, [3200]);
});
