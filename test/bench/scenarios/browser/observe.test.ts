import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadFigures, waitForConnection_ms } from '../../../../bench/scenarios/browser/observe.ts';
import type { ResourceSeen } from '../../../../bench/scenarios/browser/in-page.ts';

const res = (over: Partial<ResourceSeen>): ResourceSeen => ({
  name: 'x',
  start_ms: 0,
  request_ms: 10,
  end_ms: 20,
  connect_ms: 0,
  tls_ms: 0,
  dns_ms: 0,
  protocol: 'http/1.1',
  status: 200,
  conn_id: 's1',
  tls_session: 'full',
  ...over,
});

test('the wait for a connection is the time before the request less DNS, connect and TLS, never negative', () => {
  assert.equal(waitForConnection_ms({ start_ms: 5, request_ms: 125, connect_ms: 100, dns_ms: 0 }), 20);
  assert.equal(waitForConnection_ms({ start_ms: 5, request_ms: 125, connect_ms: 0, dns_ms: 2 }), 118);
  assert.equal(waitForConnection_ms({ start_ms: 5, request_ms: 50, connect_ms: 100, dns_ms: 0 }), 0);
});

test("connections come from the servers' ids: new ones are those no earlier load of the browser saw", () => {
  const seen = new Set<string>();
  const cold = loadFigures(
    [
      res({ conn_id: 's1', connect_ms: 100, tls_ms: 50, request_ms: 100 }),
      res({ conn_id: 's2', connect_ms: 100, tls_ms: 60, tls_session: 'resumed', request_ms: 100 }),
      res({ conn_id: 's1', start_ms: 0, request_ms: 150 }),
    ],
    seen,
  );
  assert.deepEqual(cold, {
    resources: 3,
    protocol: 'http/1.1',
    connections: 2,
    new_connections: 2,
    resumed_connections: 1,
    tls_ms_max: 60,
    wait_ms_max: 150,
    wait_ms_mean: 50,
    fresh_ids: new Set(['s1', 's2']),
  });
  const warm = loadFigures(
    [res({ conn_id: 's2' }), res({ conn_id: 's1' }), res({ conn_id: 's3', protocol: 'h2' })],
    seen,
  );
  assert.equal(warm.connections, 3);
  assert.equal(warm.new_connections, 1, 's3 is the only one not seen before');
  assert.equal(warm.resumed_connections, 0);
  assert.equal(warm.tls_ms_max, null, 'no handshake in the load');
  assert.equal(warm.protocol, 'h2+http/1.1');
});

test('without a server id on every response the connection counts are unknown, not guessed', () => {
  const f = loadFigures([res({ conn_id: 's1' }), res({ conn_id: null })], new Set());
  assert.equal(f.connections, null);
  assert.equal(f.new_connections, null);
  assert.equal(loadFigures([], new Set()).connections, null);
});

test("the server's accepted count, where it keeps one, is the count of connections opened during the load", () => {
  const seen = new Set<string>(['s1']);
  // s1 served before; s2 first used now; the server accepted 3 during the load (one never used).
  const f = loadFigures([res({ conn_id: 's1' }), res({ conn_id: 's2', tls_session: 'resumed' })], seen, 3);
  assert.equal(f.new_connections, 3);
  assert.equal(f.connections, 2);
  assert.equal(f.resumed_connections, 1, 'resumption is read from the connections first used now');
  assert.deepEqual([...f.fresh_ids], ['s2']);
});
