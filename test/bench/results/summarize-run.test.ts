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

test('the zero-RTT profile of the same run gives each case its processing baseline', () => {
  const at = (profile: string, rtt: string, cal: string, values: number[]) =>
    values.map((v) =>
      row({
        profile,
        case_key: `handshake/protocol=h1/security=tls13/conn_mode=new/profile=${profile}`,
        rtt_ms_configured: rtt,
        rtt_ms_calibrated: cal,
        total_ms: String(v),
      }),
    );
  const s = summarizeSamples([
    ...at('loopback', '0', '0.2', [4.6, 4.6, 4.6]),
    ...at('wan', '50', '50', [157, 157, 157]),
  ]);
  const lo = s.find((r) => r.profile === 'loopback' && r.metric === 'total_ms');
  const wan = s.find((r) => r.profile === 'wan' && r.metric === 'total_ms');
  // loopback: model 3 × 0.2 = 0.6 ms, measured 4.6 → 4.0 ms of processing
  assert.equal(lo?.cpu_baseline_ms, 4);
  // wan: model 150 + 4.0 = 154 ms; 157 / 154
  assert.equal(wan?.cpu_baseline_ms, 4);
  assert.equal(wan?.model_plus_cpu_ms, 154);
  assert.equal(wan?.measured_over_model_plus_cpu, Math.round((157 / 154) * 1e4) / 1e4);
  // Another run's or another link's baseline never applies.
  const other = summarizeSamples(at('wan', '50', '50', [157]));
  assert.equal(other.find((r) => r.metric === 'total_ms')?.model_plus_cpu_ms, null);
});
