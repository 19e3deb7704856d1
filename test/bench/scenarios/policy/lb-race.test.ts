import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  lbRaceEta_ms,
  lbRacePlan,
  lbRaceRow,
  lbRaceUnits,
  raceEdgeMs,
} from '../../../../bench/scenarios/policy/lb-race.ts';
import { idleCloseMs } from '../../../../bench/scenarios/policy/scenario.ts';
import type { LcResult } from '../../../../bench/drivers/lifecycle-clients.ts';

test('LB race plan: lanes × trials by size, none without --lb-idle-timeout, gaps around the first timeout', () => {
  const opts = { quick: false, size: 'standard' as const, requests: null };
  assert.deepEqual(lbRacePlan(opts), { lanes: 20, trials_per_lane: 2 });
  assert.deepEqual(lbRacePlan({ ...opts, size: 'full' }), { lanes: 50, trials_per_lane: 20 });
  assert.deepEqual(lbRacePlan({ ...opts, requests: 30 }), { lanes: 20, trials_per_lane: 2 });
  assert.equal(lbRaceUnits({ ...opts, lb_idle_timeout_ms: null }), 0);
  assert.equal(lbRaceUnits({ ...opts, lb_idle_timeout_ms: 60_000 }), 40);
  assert.equal(raceEdgeMs(60_000, 3_000), 3_000);
  assert.equal(raceEdgeMs(2_000, 3_000), 2_000);
  assert.equal(raceEdgeMs(2_000, null), 2_000, 'a server that never closed: the LB fires first');
  // Two gaps of up to edge + spread one after the other, plus the warm-up.
  assert.equal(lbRaceEta_ms({ lanes: 20, trials_per_lane: 2 }, 3_000, 100), 8_200);
});

test("the server's idle close is the median of the closes seen; none seen is null", () => {
  const idle = (ms: number | null, outcome = 'closed') => ({ part: 'idle', outcome, idle_close_ms: ms });
  assert.equal(idleCloseMs([idle(3_010), idle(2_990), idle(3_001)]), 3_001);
  assert.equal(idleCloseMs([idle(3_010), idle(null, 'open_at_cap'), idle(2_990)]), 3_000);
  assert.equal(idleCloseMs([idle(null, 'open_at_cap'), idle(null, 'error')]), null);
});

test('an LB race row: gap from the first timeout, the LB upstream reuse, 502s and resets as outcomes', () => {
  const r = (over: Partial<LcResult>): LcResult => ({
    status: 200,
    error: null,
    first_error: null,
    retried: false,
    started_epoch_ms: 0,
    ended_epoch_ms: 0,
    kab_headers: { 'x-kab-upstream-reused': '1' },
    failed_epoch_ms: null,
    total_ms: 50,
    queue_ms: 0,
    connect_ms: 0,
    reused: true,
    conn_id: 1,
    body_bytes: 100,
    server_conn_id: null,
    ...over,
  });
  const base = { trial: 3, x_ms: 5_000, y_ms: 3_000.4, edge_ms: 3_000 };
  assert.deepEqual(lbRaceRow({ ...base, idle_ms: 2_980.5, r: r({}) }), {
    part: 'lb_race',
    trial: 3,
    status: 200,
    x_ms: 5_000,
    y_ms: 3_000,
    idle_ms: 2_980.5,
    gap_ms: -19.5,
    upstream_reused: true,
    outcome: 'ok',
    error: null,
  });
  const failed = lbRaceRow({
    ...base,
    idle_ms: 3_000,
    r: r({ status: 502, error: 'HTTP 502', kab_headers: { 'x-kab-upstream-error': 'ECONNRESET' } }),
  });
  assert.deepEqual([failed.outcome, failed.error, failed.upstream_reused], ['http_502', 'HTTP 502', false]);
  assert.equal(lbRaceRow({ ...base, idle_ms: 3_000, r: r({ status: null, error: 'ECONNRESET' }) }).outcome, 'reset');
  assert.equal(lbRaceRow({ ...base, idle_ms: 3_000, r: r({ status: null, error: 'timeout' }) }).outcome, 'error');
});
