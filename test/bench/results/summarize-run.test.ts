import { test } from 'node:test';
import assert from 'node:assert/strict';
import { summarizeSamples, modelFor } from '../../../bench/results/summarize-run.ts';

function row(over: Record<string, string>): Record<string, string> {
  return {
    run_id: 'r1',
    scenario: 'handshake',
    case_key: 'k1',
    profile: 'wan',
    link_backend: 'tun',
    link_caveat: '',
    rtt_ms_configured: '50',
    rtt_ms_calibrated: '50',
    rate_mbit_configured: '',
    congestion_control: 'bbr',
    protocol: 'h1',
    security: 'tls13',
    conn_mode: 'new',
    size_bytes: '100',
    warmup: '0',
    error: '',
    total_ms: '',
    ttfb_ms: '',
    connect_ms: '',
    tls_ms: '',
    ...over,
  };
}

test('warm-ups are excluded, errors counted, statistics from the rest', () => {
  const rows = [
    row({ warmup: '1', total_ms: '999' }),
    ...[150, 151, 152, 153, 154, 155, 156].map((v) => row({ total_ms: String(v), ttfb_ms: String(v) })),
    row({ error: 'timeout after 10000 ms' }),
  ];
  const s = summarizeSamples(rows);
  const total = s.find((r) => r.metric === 'total_ms');
  assert.ok(total);
  assert.equal(total.n, 7);
  assert.equal(total.errors, 1);
  assert.equal(total.median, 153);
  assert.equal(total.max, 156); // the 999 ms warm-up is not in the statistics
  // model: TLS 1.3 new connection = TCP 1 + TLS 1 + request 1 = 3 RTT = 150 ms
  assert.equal(total.model_ms, 150);
  assert.equal(total.measured_over_model, 153 / 150);
  assert.equal(total.rtts_measured, 153 / 50);
});

test('a case whose every request failed gives an empty row, not NaN', () => {
  const s = summarizeSamples([row({ error: 'ECONNREFUSED' }), row({ error: 'ECONNREFUSED' })]);
  for (const r of s) {
    assert.equal(r.n, 0);
    assert.equal(r.errors, 2);
    assert.equal(r.median, null);
    for (const v of Object.values(r)) assert.ok(typeof v !== 'number' || Number.isFinite(v));
  }
});

test('model per metric: reused has no handshake; TLS 1.2 takes 2 RTT to shake hands', () => {
  assert.equal(modelFor(row({ conn_mode: 'reused' }), 'total_ms'), 50);
  assert.equal(modelFor(row({ conn_mode: 'reused' }), 'connect_ms'), 0);
  assert.equal(modelFor(row({ security: 'tls12' }), 'tls_ms'), 100);
  assert.equal(modelFor(row({ security: 'tls12' }), 'total_ms'), 200);
  assert.equal(modelFor(row({ security: 'tls12', conn_mode: 'resumed' }), 'total_ms'), 150);
  assert.equal(modelFor(row({ scenario: 'x', security: 'quic' }), 'total_ms'), null);
});
