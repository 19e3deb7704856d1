import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NoAnswerError, calibrate, type CalibrationOptions } from '../../../bench/drivers/calibrate.ts';
import type { Agent } from '../../../bench/drivers/agent-client.ts';
import type { ProbeSample } from '../../../bench/drivers/probe.ts';
import { DEFAULT_PARAMS } from '../../../netem/profiles.ts';
import { HARNESS_ROUTES } from '../../../servers/under-test.ts';

/** An agent whose every request takes connect_ms to connect and 2 × connect_ms in all, or fails with error. */
function fakeAgent(connect_ms: number, error: string | null = null): Agent & { probes: number; closed: string[] } {
  const sample = (): ProbeSample => ({
    conn_id: 'c1',
    conn_seq: 1,
    new_connection: true,
    connect_ms: error ? null : connect_ms,
    tls_ms: null,
    ttfb_ms: error ? null : 2 * connect_ms,
    total_ms: error ? null : 2 * connect_ms,
    status: error ? null : 200,
    body_bytes: error ? null : 1,
    tls_version: null,
    alpn: null,
    tls_resumed: null,
    server_conn_id: null,
    server_conn_seq: null,
    error,
    started_at: new Date(0).toISOString(),
  });
  const agent = {
    pid: 0,
    probes: 0,
    closed: [] as string[],
    probe: async () => {
      agent.probes++;
      return sample();
    },
    batch: async () => assert.fail('not used'),
    load: async () => assert.fail('not used'),
    close: async (key: string) => {
      agent.closed.push(key);
    },
    closeAll: async () => undefined,
    stop: async () => undefined,
  };
  return agent;
}

const params = DEFAULT_PARAMS;
const opts = (emulated: boolean): CalibrationOptions => ({
  samples: 5,
  timeout_ms: 1_000,
  rtt_from: 'connect',
  protocol: 'h1',
  tls: null,
  routes: HARNESS_ROUTES,
  emulated,
});
const target = { host: '127.0.0.1', port: 1 };

test('calibrate: a measured RTT off the configured one is a warning on an emulated link, not on a real path', async () => {
  const emulated = await calibrate(fakeAgent(51), target, params, opts(true));
  assert.equal(emulated.rtt_ms_calibrated, 51);
  assert.match(emulated.warnings.join(' '), /measured RTT 51\.000 ms is off the configured 0 ms/);
  const real = await calibrate(fakeAgent(51), target, params, opts(false));
  assert.equal(real.rtt_ms_calibrated, 51);
  assert.deepEqual(real.warnings, [], 'a --target path has no configured RTT to be off');
});

test('calibrate: no answer to 3 requests in a row ends it with NoAnswerError naming the first error', async () => {
  const agent = fakeAgent(0, 'connect ECONNREFUSED 127.0.0.1:1');
  await assert.rejects(calibrate(agent, target, params, opts(false)), (e: unknown) => {
    assert.ok(e instanceof NoAnswerError);
    assert.equal(e.attempts, 3);
    assert.equal(e.first_error, 'connect ECONNREFUSED 127.0.0.1:1');
    return true;
  });
  assert.equal(agent.probes, 3, 'stops at the third failure, not after every sample');
  assert.deepEqual(agent.closed, ['calibration'], 'its connection is closed on the way out');
});
