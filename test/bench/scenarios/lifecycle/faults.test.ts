import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detection } from '../../../../bench/scenarios/lifecycle/faults.ts';

test('lifecycle: detection takes the first FIN/error of a pre-fault connection or the failed request', () => {
  const ev = (conn_id: number, kind: 'open' | 'end' | 'error' | 'close', at: number, code: string | null = null) => ({
    conn_id,
    kind,
    code,
    at_epoch_ms: at,
  });
  const base = {
    status: null,
    first_error: null,
    retried: false,
    started_epoch_ms: 0,
    ended_epoch_ms: 0,
    kab_headers: {},
    total_ms: null,
    queue_ms: null,
    connect_ms: null,
    reused: true,
    conn_id: 1,
    body_bytes: null,
    server_conn_id: null,
  };
  const events = [
    ev(1, 'open', 900),
    ev(1, 'close', 1_050),
    ev(2, 'error', 1_020, 'ECONNRESET'),
    ev(1, 'error', 1_200, 'ETIMEDOUT'),
  ];
  // conn 2 opened after the fault; conn 1's bare close is the client's own destroy.
  assert.deepEqual(detection(1_000, events, new Set([1]), null), { detect_ms: 200, how: 'socket error ETIMEDOUT' });
  assert.deepEqual(detection(1_000, events, new Set([1]), { ...base, error: 'ECONNRESET', failed_epoch_ms: 1_100 }), {
    detect_ms: 100,
    how: 'request ECONNRESET',
  });
  // A request that hit the harness's cap was never told anything.
  assert.deepEqual(detection(1_000, [], new Set([1]), { ...base, error: 'cap', failed_epoch_ms: 9_000 }), {
    detect_ms: null,
    how: null,
  });
});
