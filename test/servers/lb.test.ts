import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { startServer } from '../../servers/launch.ts';
import { startLb } from '../../servers/launch-lb.ts';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request on a fresh connection (no client-side pooling: only the LB's pool is under test). */
function get(port: number, path: string, lane: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, headers: { 'x-kab-lane': lane } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.setTimeout(5_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('lb: requests of a lane reuse one upstream connection; lanes get their own', async (t) => {
  const server = await startServer({ protocol: 'h1', keep_alive_timeout_ms: 10_000 });
  t.after(() => server.stop());
  const lb = await startLb({ upstream_port: server.ready.port, upstream_idle_timeout_ms: 10_000 });
  t.after(() => lb.stop());
  const replies: Reply[] = [];
  for (let i = 0; i < 3; i++) replies.push(await get(lb.ready.port, '/bytes/100', 'a'));
  replies.push(await get(lb.ready.port, '/bytes/100', 'b'));
  for (const r of replies) {
    assert.equal(r.status, 200);
    assert.equal(r.body.length, 100);
  }
  assert.deepEqual(
    replies.map((r) => r.headers['x-kab-upstream-reused']),
    ['0', '1', '1', '0'],
  );
  // The server saw the three lane-a requests on one connection, numbered 1, 2, 3.
  assert.deepEqual(
    replies.slice(0, 3).map((r) => r.headers['x-kab-conn-seq']),
    ['1', '2', '3'],
  );
  const lbStats = await lb.stats();
  assert.equal(lbStats.upstream_connections, 2);
  assert.equal(lbStats.upstream_reused, 2);
  assert.equal(lbStats.lanes, 2);
  assert.equal((await server.stats()).connections_accepted, 2);
});

test('lb: an upstream connection idle longer than the pool timeout X is closed and replaced', async (t) => {
  const server = await startServer({ protocol: 'h1', keep_alive_timeout_ms: 10_000 });
  t.after(() => server.stop());
  const lb = await startLb({ upstream_port: server.ready.port, upstream_idle_timeout_ms: 300 });
  t.after(() => lb.stop());
  const first = await get(lb.ready.port, '/bytes/10', 'x');
  await sleep(100);
  const within = await get(lb.ready.port, '/bytes/10', 'x');
  await sleep(700);
  const after = await get(lb.ready.port, '/bytes/10', 'x');
  assert.equal(first.headers['x-kab-upstream-reused'], '0');
  assert.equal(within.headers['x-kab-upstream-reused'], '1');
  assert.equal(after.headers['x-kab-upstream-reused'], '0', 'the pool dropped the idle connection after X');
  assert.notEqual(after.headers['x-kab-upstream-conn'], first.headers['x-kab-upstream-conn']);
  const s = await server.stats();
  assert.equal(s.connections_accepted, 2);
  assert.equal(s.connections_open, 1, 'the LB closed the idle connection to the server');
});

test("lb: the server's Keep-Alive hint is ignored unless honor_keepalive_hint", async (t) => {
  // Node's server announces `Keep-Alive: timeout=2`; an honoring pool then keeps the socket only 2 − 1 = 1 s.
  const server = await startServer({ protocol: 'h1', keep_alive_timeout_ms: 2_000 });
  t.after(() => server.stop());
  const deaf = await startLb({
    upstream_port: server.ready.port,
    upstream_idle_timeout_ms: 5_000,
    honor_keepalive_hint: false,
  });
  t.after(() => deaf.stop());
  const honoring = await startLb({
    upstream_port: server.ready.port,
    upstream_idle_timeout_ms: 5_000,
    honor_keepalive_hint: true,
  });
  t.after(() => honoring.stop());
  await Promise.all([get(deaf.ready.port, '/bytes/1', 'h'), get(honoring.ready.port, '/bytes/1', 'h')]);
  await sleep(1_400);
  const [d, h] = await Promise.all([get(deaf.ready.port, '/bytes/1', 'h'), get(honoring.ready.port, '/bytes/1', 'h')]);
  assert.equal(d.headers['x-kab-upstream-reused'], '1');
  assert.equal(h.headers['x-kab-upstream-reused'], '0');
  assert.equal(d.headers['keep-alive'], undefined, 'hop-by-hop header not forwarded');
});

test('lb: an upstream that resets the connection gives 502 with the error code', async (t) => {
  const resetter = net.createServer((s) => {
    s.on('data', () => s.resetAndDestroy());
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => resetter.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => resetter.close(() => r())));
  const addr = resetter.address();
  assert.ok(addr !== null && typeof addr === 'object');
  const lb = await startLb({ upstream_port: addr.port });
  t.after(() => lb.stop());
  const r = await get(lb.ready.port, '/bytes/10', 'r');
  assert.equal(r.status, 502);
  assert.equal(r.headers['x-kab-upstream-error'], 'ECONNRESET');
  const s = await lb.stats();
  assert.equal(s.responses_502, 1);
  assert.equal(s.upstream_errors.ECONNRESET, 1);
  // An upstream that is not listening at all: ECONNREFUSED, also 502.
  const closedPort = addr.port;
  await new Promise<void>((r2) => resetter.close(() => r2()));
  const refused = await get(lb.ready.port, '/bytes/10', 'r2');
  assert.equal(refused.status, 502);
  assert.equal(refused.headers['x-kab-upstream-error'], 'ECONNREFUSED', `port ${closedPort}`);
});
