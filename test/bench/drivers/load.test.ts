import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { LatencyHistogram } from '../../../bench/drivers/load/histogram.ts';
import { fakeLoadDriver } from '../../helpers/fake-load-driver.ts';
import { h1LoadDriver } from '../../../bench/drivers/load/h1.ts';
import { h2LoadDriver } from '../../../bench/drivers/load/h2.ts';
import { classifyError } from '../../../bench/drivers/load/engine.ts';
import type { LoadOptions } from '../../../bench/drivers/load/types.ts';
import { startServer } from '../../../servers/launch.ts';
import { loadOpts, refusedPort } from '../../helpers/load.ts';

const opts = loadOpts;

test('latency histogram: µs resolution, quantiles within 1 %, survives JSON and merges', () => {
  const h = new LatencyHistogram();
  for (let i = 1; i <= 10_000; i++) h.recordUs(i * 10); // 10 µs … 100 ms, uniform
  const s = h.summary();
  assert.equal(s.count, 10_000);
  assert.equal(s.min_us, 10);
  assert.equal(s.max_us, 100_000);
  for (const [q, want] of [
    [0.5, 50_000],
    [0.9, 90_000],
    [0.99, 99_000],
  ] as const) {
    const got = h.quantileUs(q) ?? 0;
    assert.ok(Math.abs(got - want) / want < 0.01, `q${q}: ${got} vs ${want}`);
  }
  const small = new LatencyHistogram();
  small.recordUs(37.4);
  assert.equal(small.quantileUs(0.5), 37.4, 'exact below 256 µs (clamped to the extremes)');
  const back = LatencyHistogram.fromJSON(JSON.parse(JSON.stringify(h.toJSON())));
  assert.deepEqual(back.summary(), s);
  back.merge(small);
  assert.equal(back.count, 10_001);
  assert.equal(back.summary().min_us, 10);
  assert.equal(back.quantileUs(4 / 10_001), 37, 'the merged value sits 4th: 10, 20, 30, 37.4 (bucket 37 µs)');
});

test('error kinds: timeouts, resets, others', () => {
  assert.equal(classifyError('timeout after 100 ms'), 'timeout');
  assert.equal(classifyError('ECONNRESET'), 'reset');
  assert.equal(classifyError('stream reset (code 8)'), 'reset');
  assert.equal(classifyError('ECONNREFUSED'), 'other');
});

test('engine via the test double: closed-loop counts, errors as data, the request cap', async () => {
  const ok = await fakeLoadDriver({ latency_ms: 20, fail_every: null, fail_with: 'reset' }).run(
    opts({ duration_ms: 600 }),
  );
  // 4 slots × 600 ms / 20 ms ≈ 120 (timers are late on a busy machine, never early).
  assert.ok(ok.responses >= 60 && ok.responses <= 124, `responses ${ok.responses}`);
  assert.equal(ok.ok_2xx, ok.responses);
  assert.equal(ok.sent, ok.responses);
  assert.ok((ok.latency.p50_us ?? 0) >= 20_000, `p50 ${ok.latency.p50_us} µs ≥ the 20 ms the double waits`);
  assert.equal(ok.send_lag, null);

  const resets = await fakeLoadDriver({ latency_ms: 5, fail_every: 4, fail_with: 'reset' }).run(
    opts({ max_requests: 40, duration_ms: 5_000 }),
  );
  assert.equal(resets.sent, 40);
  assert.equal(resets.resets, 10);
  assert.equal(resets.errors, 10);
  assert.equal(resets.responses, 30);

  const non2xx = await fakeLoadDriver({ latency_ms: 5, fail_every: 2, fail_with: 'status_500' }).run(
    opts({ max_requests: 20, duration_ms: 5_000 }),
  );
  assert.equal(non2xx.non_2xx, 10);
  assert.equal(non2xx.ok_2xx, 10);
  assert.equal(non2xx.latency.count, 10, 'only 2xx latencies are in the histogram');

  const timeouts = await fakeLoadDriver({ latency_ms: 5, fail_every: 5, fail_with: 'timeout' }).run(
    opts({ max_requests: 20, duration_ms: 5_000 }),
  );
  assert.equal(timeouts.timeouts, 4);

  const noKeep = fakeLoadDriver({ latency_ms: 2, fail_every: null, fail_with: 'reset' });
  await noKeep.run(opts({ keep_alive: false, max_requests: 12, duration_ms: 5_000 }));
  assert.equal(noKeep.transport.opened, 12, 'without keep-alive every request opens its own connection');
  await assert.rejects(noKeep.run(opts({ connections: 0 })), /connections must be/);
});

test('engine via the test double: open loop paces from the intended time and shows queueing', async () => {
  const paced = await fakeLoadDriver({ latency_ms: 5, fail_every: null, fail_with: 'reset' }).run(
    opts({ loop: 'open', rate_rps: 200, duration_ms: 1_000 }),
  );
  assert.ok(paced.sent >= 195 && paced.sent <= 201, `sent ${paced.sent} at 200 req/s for 1 s`);
  assert.ok((paced.send_lag?.p50_us ?? Infinity) < 3_000, `median send lag ${paced.send_lag?.p50_us} µs`);
  // 1 slot, 50 ms per answer = 20 req/s capacity, asked for 50 req/s: latency from the intended time grows.
  const stalled = await fakeLoadDriver({ latency_ms: 50, fail_every: null, fail_with: 'reset' }).run(
    opts({ loop: 'open', rate_rps: 50, duration_ms: 1_000, connections: 1, per_connection: 1 }),
  );
  assert.ok(stalled.not_sent > 0, `requests left unsent: ${stalled.not_sent}`);
  assert.ok(
    (stalled.latency.max_us ?? 0) > 300_000,
    `queueing shows in latency (max ${stalled.latency.max_us} µs, service 50 ms)`,
  );
});

test('h2 driver against the h2 server: counts, non-2xx, refused connections as data, open-loop pacing', async (t) => {
  const server = await startServer({ protocol: 'h2' });
  t.after(() => server.stop());
  const target = { host: '127.0.0.1', port: server.ready.port };
  const before = await server.stats();
  const r = await h2LoadDriver.run(opts({ target, connections: 2, per_connection: 8, duration_ms: 800 }));
  assert.equal(r.errors, 0);
  assert.ok(r.responses > 50, `responses ${r.responses}`);
  assert.equal(r.ok_2xx, r.responses);
  assert.equal(r.body_bytes, r.responses * 100);
  const after = await server.stats();
  assert.equal(
    after.requests_served - before.requests_served,
    r.responses,
    'the server served exactly what the driver counted',
  );
  assert.equal(after.sessions_accepted - before.sessions_accepted, 2);

  const notFound = await h2LoadDriver.run(opts({ target, path: '/nope', max_requests: 20, duration_ms: 5_000 }));
  assert.equal(notFound.non_2xx, 20);
  assert.equal(notFound.latency.count, 0);

  const refused = await h2LoadDriver.run(
    opts({ target: { host: '127.0.0.1', port: await refusedPort() }, max_requests: 10, duration_ms: 2_000 }),
  );
  assert.equal(refused.responses, 0);
  assert.equal(refused.errors, refused.sent);
  assert.ok(refused.sent > 0);

  const open = await h2LoadDriver.run(
    opts({ target, loop: 'open', rate_rps: 200, duration_ms: 1_000, connections: 1, per_connection: 50 }),
  );
  assert.ok(open.responses >= 190 && open.responses <= 201, `open loop answered ${open.responses} of 200 due`);
  assert.equal(open.rate_rps_target, 200);
  assert.ok((open.send_lag?.p50_us ?? Infinity) < 5_000, `median send lag ${open.send_lag?.p50_us} µs`);
});

test('h1 driver against the h1 server: autocannon counts (µs histogram), non-2xx, raw open loop, no keep-alive', async (t) => {
  const server = await startServer({ protocol: 'h1' });
  t.after(() => server.stop());
  const target = { host: '127.0.0.1', port: server.ready.port };
  const before = await server.stats();
  const r = await h1LoadDriver.run(
    opts({ target, protocol: 'h1', connections: 2, per_connection: 4, duration_ms: 1_000 }),
  );
  assert.equal(r.driver, 'autocannon');
  assert.equal(r.errors, 0);
  assert.ok(r.responses > 50, `responses ${r.responses}`);
  // autocannon's own histogram holds whole ms; ours keeps µs (to 0.1 µs): not every figure a multiple of 1 000 µs.
  const figures_us = [r.latency.min_us, r.latency.p50_us, r.latency.p90_us].map((v) => v ?? 0);
  assert.ok(
    figures_us.some((v) => v % 1000 !== 0),
    `latencies below whole ms are kept: ${figures_us.join(', ')} µs`,
  );
  const after = await server.stats();
  // autocannon may have a pipelined batch in flight when it stops: the server can serve a few more.
  assert.ok(after.requests_served - before.requests_served >= r.responses);
  assert.ok(after.requests_served - before.requests_served <= r.responses + 8);

  const notFound = await h1LoadDriver.run(
    opts({
      target,
      protocol: 'h1',
      path: '/nope',
      connections: 1,
      per_connection: 1,
      max_requests: 10,
      duration_ms: 3_000,
    }),
  );
  assert.equal(notFound.non_2xx, notFound.responses);
  assert.ok(notFound.responses >= 10);

  const s0 = await server.stats();
  const noKeep = await h1LoadDriver.run(
    opts({
      target,
      protocol: 'h1',
      keep_alive: false,
      connections: 2,
      per_connection: 1,
      max_requests: 30,
      duration_ms: 5_000,
    }),
  );
  const s1 = await server.stats();
  assert.equal(noKeep.driver, 'raw-h1');
  assert.equal(noKeep.ok_2xx, 30);
  assert.equal(s1.connections_accepted - s0.connections_accepted, 30, 'one connection per request');

  const open = await h1LoadDriver.run(
    opts({
      target,
      protocol: 'h1',
      loop: 'open',
      rate_rps: 100,
      duration_ms: 1_000,
      connections: 4,
      per_connection: 1,
    }),
  );
  assert.equal(open.driver, 'raw-h1');
  assert.ok(open.responses >= 95 && open.responses <= 101, `open loop answered ${open.responses} of 100 due`);
});
