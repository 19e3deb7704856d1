import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectedSaving, modelRequest, segmentsFor, slowStartRounds } from '../../lib/model.ts';
import type { ConnectionKind, RequestModelInput, Security } from '../../lib/model.ts';

function close(actual: number, expected: number, tol = 1e-9): void {
  assert.ok(Math.abs(actual - expected) <= tol, `expected ${expected} ± ${tol}, got ${actual}`);
}

const MiB = 1024 * 1024;

function small(security: Security, connection: ConnectionKind, rtt_ms = 50): RequestModelInput {
  return { rtt_ms, protocol: 'h1', security, connection, response_bytes: 100 };
}

test('slowStartRounds: hand-worked examples', () => {
  // 1 MiB = 1048576 B / 1448 = 724.15 → 725 segments; windows 10, 20, 40, 80, 160, 320, 640
  // cumulative 10, 30, 70, 150, 310, 630, 1270 ≥ 725 → 7 rounds
  assert.equal(segmentsFor(MiB, 1448), 725);
  assert.equal(slowStartRounds(MiB, 10, 1448), 7);
  // 10^6 B → 691 segments, still 7 rounds (630 < 691 ≤ 1270)
  assert.equal(slowStartRounds(1e6, 10, 1448), 7);
  // exactly the initial window: 10 × 1448 = 14480 B → 1 round; one byte more → 11 segments → 2
  assert.equal(slowStartRounds(14480, 10, 1448), 1);
  assert.equal(slowStartRounds(14481, 10, 1448), 2);
  // 30 segments = 10 + 20 → 2 rounds; 31 → 3
  assert.equal(slowStartRounds(30 * 1448, 10, 1448), 2);
  assert.equal(slowStartRounds(31 * 1448, 10, 1448), 3);
  // IW 1 (old RFC 2581 style): 1 → 1 round; 2..3 segments → 2; 4..7 → 3
  assert.equal(slowStartRounds(1448, 1, 1448), 1);
  assert.equal(slowStartRounds(3 * 1448, 1, 1448), 2);
  assert.equal(slowStartRounds(4 * 1448, 1, 1448), 3);
  // an empty body still costs the one round of its headers; no window limit → 1 round
  assert.equal(slowStartRounds(0, 10, 1448), 1);
  assert.equal(slowStartRounds(1e9, Infinity, 1448), 1);
  assert.throws(() => slowStartRounds(100, 0, 1448), RangeError);
  assert.throws(() => slowStartRounds(-1, 10, 1448), RangeError);
});

test('handshake round trips per security and connection kind', () => {
  // [security, connection, tcp, tls, total RTTs, total ms at 50 ms]
  const cases: [Security, ConnectionKind, number, number, number][] = [
    ['tls12', 'new', 1, 2, 4], //     (1 + 2 + 1) × 50 = 200 ms
    ['tls12', 'resumed', 1, 1, 3], // abbreviated handshake: (1 + 1 + 1) × 50 = 150 ms
    ['tls13', 'new', 1, 1, 3], //     (1 + 1 + 1) × 50 = 150 ms
    ['tls13', 'resumed', 1, 1, 3], // no 0-RTT: still 1 RTT of TLS
    ['tls13', 'reused', 0, 0, 1], //  request only: 50 ms
    ['tls12', 'reused', 0, 0, 1],
    ['none', 'new', 1, 0, 2], //      (1 + 1) × 50 = 100 ms
    ['none', 'reused', 0, 0, 1],
  ];
  for (const [security, connection, tcp, tls, rtts] of cases) {
    const m = modelRequest(small(security, connection));
    const label = `${security}/${connection}`;
    assert.equal(m.tcp_handshake_rtts, tcp, label);
    assert.equal(m.tls_handshake_rtts, tls, label);
    assert.equal(m.request_rtts, 1, label);
    assert.equal(m.slow_start_rounds, 0, label);
    assert.equal(m.transfer_ms, 0, label);
    assert.equal(m.total_rtts, rtts, label);
    close(m.total_ms, rtts * 50);
  }
  // the brief's example: 100 B over TLS 1.2, new connection, 50 ms → 200 ms
  close(modelRequest(small('tls12', 'new')).total_ms, 200);
});

test('protocol adds no round trip (prior-knowledge h2c, ALPN inside the TLS handshake)', () => {
  for (const security of ['none', 'tls12', 'tls13'] as const) {
    const h1 = modelRequest({ ...small(security, 'new'), protocol: 'h1' });
    const h2 = modelRequest({ ...small(security, 'new'), protocol: 'h2' });
    assert.deepEqual(h2, h1);
  }
});

test('1 MiB without a rate limit: 6 extra slow-start rounds on a new connection, none on a warm one', () => {
  const input: RequestModelInput = {
    rtt_ms: 50,
    protocol: 'h1',
    security: 'none',
    connection: 'new',
    response_bytes: MiB,
  };
  const fresh = modelRequest(input);
  // 7 rounds → 6 extra; (1 + 1 + 6) × 50 = 400 ms
  assert.equal(fresh.response_segments, 725);
  assert.equal(fresh.slow_start_rounds, 6);
  close(fresh.slow_start_ms, 300);
  assert.equal(fresh.total_rtts, 8);
  close(fresh.total_ms, 400);
  // reused with an open window: 1 RTT; reused after idle (cwnd reset to 10): 1 + 6 = 7 RTTs
  close(modelRequest({ ...input, connection: 'reused' }).total_ms, 50);
  const idle = modelRequest({ ...input, connection: 'reused', cwnd_segments_at_start: 10 });
  assert.equal(idle.total_rtts, 7);
  close(idle.total_ms, 350);
  // a warmed window of 320 segments: 320 + 640 ≥ 725 → 2 rounds → 1 extra
  assert.equal(modelRequest({ ...input, connection: 'reused', cwnd_segments_at_start: 320 }).slow_start_rounds, 1);
});

test('rate limit: idle gaps of slow start overlap with the transfer (Kurose & Ross)', () => {
  // 1 MiB, new cleartext, RTT 50 ms, 100 Mbit/s. One segment: 1448 × 8 / 100000 = 0.11584 ms.
  // idle_k = 50 + 0.11584 − w_k × 0.11584 for w = 10, 20, 40, 80, 160, 320:
  //   48.95744 + 47.79904 + 45.48224 + 40.84864 + 31.58144 + 13.04704 = 227.71584 ms
  // transfer = 1048576 × 8 / 100000 = 83.88608 ms
  // total = 2 × 50 + 227.71584 + 83.88608 = 411.60192 ms
  //   (a plain sum of rounds and transfer would say 400 + 83.886 = 483.886 ms)
  const m = modelRequest({
    rtt_ms: 50,
    protocol: 'h1',
    security: 'none',
    connection: 'new',
    response_bytes: MiB,
    rate_mbit: 100,
  });
  close(m.transfer_ms, 83.88608, 1e-9);
  close(m.slow_start_ms, 227.71584, 1e-9);
  close(m.total_ms, 411.60192, 1e-9);
  assert.equal(m.slow_start_rounds, 6); // the round count ignores the rate
  assert.equal(m.total_rtts, 8);
  // the brief's round number: 10^6 B at 100 Mbit/s is 80 ms of transfer
  close(
    modelRequest({
      rtt_ms: 50,
      protocol: 'h1',
      security: 'none',
      connection: 'reused',
      response_bytes: 1e6,
      rate_mbit: 100,
    }).transfer_ms,
    80,
  );
});

test('rate limit slower than the window: no idle at all, total = 2 RTT + transfer', () => {
  // 100 KiB at 1 Mbit/s, RTT 10 ms: one segment takes 11.584 ms, so the first window (10 segments,
  // 115.84 ms) already outlasts an RTT: idle_1 = 10 + 11.584 − 115.84 < 0 → 0, and every later one too.
  // total = 2 × 10 + 102400 × 8 / 1000 = 20 + 819.2 = 839.2 ms; rounds: 71 segments → 4 → 3 extra
  const m = modelRequest({
    rtt_ms: 10,
    protocol: 'h2',
    security: 'none',
    connection: 'new',
    response_bytes: 100 * 1024,
    rate_mbit: 1,
  });
  close(m.slow_start_ms, 0);
  close(m.total_ms, 839.2, 1e-9);
  assert.equal(m.slow_start_rounds, 3);
  assert.equal(m.total_rtts, 5);
});

test('large requests, server delay, validation', () => {
  // request of 100000 B = 70 segments from a fresh client window of 10: 10, 30, 70 → 3 rounds → 2 extra
  // total for a 1000 B response, cleartext new at 20 ms: (1 + 1 + 2) × 20 = 80 ms; + 7 ms server delay = 87
  const m = modelRequest({
    rtt_ms: 20,
    protocol: 'h1',
    security: 'none',
    connection: 'new',
    response_bytes: 1000,
    request_bytes: 100000,
    server_delay_ms: 7,
  });
  assert.equal(m.request_slow_start_rounds, 2);
  assert.equal(m.total_rtts, 4);
  close(m.total_ms, 87);
  assert.equal(m.server_delay_ms, 7);
  // on a reused connection the client's window is assumed open
  assert.equal(modelRequest({ ...small('none', 'reused'), request_bytes: 100000 }).request_slow_start_rounds, 0);
  // smaller MSS → more segments: 14480 B at MSS 1000 → 15 segments → 2 rounds
  assert.equal(modelRequest({ ...small('none', 'new'), response_bytes: 14480, mss_bytes: 1000 }).slow_start_rounds, 1);
  // a larger initcwnd removes the extra round
  assert.equal(
    modelRequest({ ...small('none', 'new'), response_bytes: 14481, initcwnd_segments: 11 }).slow_start_rounds,
    0,
  );
  assert.throws(() => modelRequest(small('none', 'resumed')), RangeError);
  assert.throws(() => modelRequest(small('none', 'new', -1)), RangeError);
  assert.throws(() => modelRequest({ ...small('none', 'new'), rate_mbit: 0 }), RangeError);
  assert.throws(() => modelRequest({ ...small('none', 'new'), response_bytes: Number.NaN }), RangeError);
});

test('expectedSaving: new vs reused', () => {
  // 100 B, TLS 1.3, 80 ms: new (1 + 1 + 1) × 80 = 240, reused 80 → saving 160 ms = 2 RTTs
  const s = expectedSaving({ rtt_ms: 80, protocol: 'h2', security: 'tls13', response_bytes: 100 });
  close(s.saving_ms, 160);
  assert.equal(s.saving_rtts, 2);
  close(s.new_connection.total_ms, 240);
  close(s.reused_connection.total_ms, 80);
  // 1 MiB, cleartext, 50 ms, 100 Mbit/s: 411.60192 − (50 + 83.88608) = 277.71584 ms; 8 − 1 = 7 RTTs
  const big = expectedSaving({ rtt_ms: 50, protocol: 'h1', security: 'none', response_bytes: MiB, rate_mbit: 100 });
  close(big.saving_ms, 277.71584, 1e-9);
  assert.equal(big.saving_rtts, 7);
});

test('properties: saving grows with RTT; total grows with size; new ≥ resumed ≥ reused', () => {
  let previousSaving = -1;
  for (const rtt_ms of [0.1, 1, 10, 50, 150, 300]) {
    const s = expectedSaving({ rtt_ms, protocol: 'h1', security: 'tls12', response_bytes: 50_000, rate_mbit: 50 });
    assert.ok(s.saving_ms > previousSaving, `rtt ${rtt_ms}`);
    previousSaving = s.saving_ms;
    const resumed = modelRequest({
      rtt_ms,
      protocol: 'h1',
      security: 'tls12',
      connection: 'resumed',
      response_bytes: 50_000,
      rate_mbit: 50,
    });
    assert.ok(s.new_connection.total_ms >= resumed.total_ms && resumed.total_ms >= s.reused_connection.total_ms);
  }
  let previousTotal = -1;
  for (let size = 0; size <= 4 * MiB; size += 64 * 1024) {
    for (const rate_mbit of [null, 10, 1000]) {
      const t = modelRequest({
        rtt_ms: 30,
        protocol: 'h1',
        security: 'none',
        connection: 'new',
        response_bytes: size,
        rate_mbit,
      });
      assert.ok(Number.isFinite(t.total_ms));
      if (rate_mbit === 10) {
        assert.ok(t.total_ms >= previousTotal, `size ${size}`);
        previousTotal = t.total_ms;
      }
      // rounds and transfer never add up to more than their plain sum, nor less than either part
      const roundsOnly = modelRequest({
        rtt_ms: 30,
        protocol: 'h1',
        security: 'none',
        connection: 'new',
        response_bytes: size,
      });
      assert.ok(t.total_ms <= roundsOnly.total_ms + t.transfer_ms + 1e-9);
      assert.ok(t.total_ms >= Math.max(2 * 30 + t.transfer_ms, rate_mbit === null ? roundsOnly.total_ms : 0) - 1e-9);
    }
  }
});
