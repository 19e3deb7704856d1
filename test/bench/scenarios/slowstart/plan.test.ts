import { test } from 'node:test';
import assert from 'node:assert/strict';
import { plannedRequests, slowstartPlan, sweepGroup } from '../../../../bench/scenarios/slowstart/plan.ts';

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
  // standard: 1 warm-up + 2 reps × (2 cc × (3 sizes × 4 + 3 IW) + 2 windows × 1 size × 2 states h2) + 2 cc × 3 traces.
  assert.equal(plannedRequests(plan), 1 + 2 * (2 * (3 * 4 + 3) + 4) + 6);
  // quick: reno only: 1 warm-up + 1 rep × (1 size × 4 + 3 IW, no h2) + 3 traces; full has 5 s idles too.
  const quick = slowstartPlan({ quick: true, requests: null }, ['reno', 'bbr']);
  assert.deepEqual(quick.ccs, ['reno']);
  assert.match(quick.skipped.find((s) => s.cc === 'bbr')?.reason ?? '', /--quick measures one/);
  assert.equal(plannedRequests(quick), 1 + 1 * (1 * 4 + 3) + 3);
  assert.deepEqual(slowstartPlan({ quick: false, requests: null }, ['reno']).idles_ms, [1000, 5000]);
  assert.equal(slowstartPlan({ quick: true, requests: 5 }, ['reno']).reps, 5);
});
