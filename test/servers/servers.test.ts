import { test } from 'node:test';
import net from 'node:net';
import http2 from 'node:http2';
import assert from 'node:assert/strict';
import { startServer } from '../../servers/launch.ts';
import { Prober, type ProbeRequest } from '../../bench/drivers/probe.ts';
import { CERT_SERVERNAME } from '../../servers/tls-cert.ts';
import type { TlsVersion } from '../../servers/config.ts';

const variants: Array<{ protocol: 'h1' | 'h2'; tls: TlsVersion | null }> = [
  { protocol: 'h1', tls: null },
  { protocol: 'h1', tls: 'TLSv1.3' },
  { protocol: 'h1', tls: 'TLSv1.2' },
  { protocol: 'h2', tls: null },
  { protocol: 'h2', tls: 'TLSv1.3' },
];

for (const v of variants) {
  test(`${v.protocol}${v.tls ? `+${v.tls}` : ''}: new vs reused connection phases are consistent`, async (t) => {
    const server = await startServer({ protocol: v.protocol, tls: v.tls !== null });
    t.after(() => server.stop());
    const prober = new Prober();
    t.after(() => prober.closeAll());
    const req = (over: Partial<ProbeRequest>): ProbeRequest => ({
      target: { host: '127.0.0.1', port: server.ready.port },
      protocol: v.protocol,
      tls:
        v.tls === null
          ? null
          : { ca: server.ready.cert_pem ?? '', servername: CERT_SERVERNAME, min_version: v.tls, max_version: v.tls },
      conn_key: 'k',
      connection: 'new',
      resume: false,
      path: '/bytes/1234',
      close_after: false,
      timeout_ms: 5_000,
      ...over,
    });
    const first = await prober.probe(req({}));
    assert.equal(first.error, null);
    assert.equal(first.status, 200);
    assert.equal(first.body_bytes, 1234);
    assert.equal(first.new_connection, true);
    assert.equal(first.conn_seq, 1);
    assert.ok(first.connect_ms !== null && first.ttfb_ms !== null && first.total_ms !== null && first.tls_ms !== null);
    assert.ok(first.connect_ms > 0, 'a new connection pays a TCP handshake');
    assert.ok(first.connect_ms + first.tls_ms <= first.ttfb_ms, 'connect + tls ≤ ttfb');
    assert.ok(first.ttfb_ms <= first.total_ms, 'ttfb ≤ total');
    if (v.tls) {
      assert.equal(first.tls_version, v.tls);
      assert.equal(first.alpn, v.protocol === 'h2' ? 'h2' : 'http/1.1');
      assert.ok(first.tls_ms > 0);
    } else {
      assert.equal(first.tls_ms, 0);
      assert.equal(first.tls_version, null);
    }
    // Sub-millisecond resolution: at least one phase is not a whole number of ms.
    assert.ok([first.connect_ms, first.ttfb_ms, first.total_ms].some((x) => !Number.isInteger(x)));

    const second = await prober.probe(req({ connection: 'reuse' }));
    assert.equal(second.error, null);
    assert.equal(second.connect_ms, 0);
    assert.equal(second.tls_ms, 0);
    assert.equal(second.conn_id, first.conn_id);
    assert.equal(second.conn_seq, 2);
    assert.equal(second.server_conn_id, first.server_conn_id, 'the server saw the same connection');
    assert.equal(second.server_conn_seq, 2);

    const stats = await server.stats();
    assert.equal(stats.connections_accepted, 1);
    assert.equal(stats.requests_served, 2);
    assert.ok(stats.open_fds > 0 && stats.rss_bytes > 0);
  });
}

test('delay_ms delays the answer; close=1 makes an h1 server close the connection', async (t) => {
  const server = await startServer({ protocol: 'h1', tls: false });
  t.after(() => server.stop());
  const prober = new Prober();
  t.after(() => prober.closeAll());
  const base: ProbeRequest = {
    target: { host: '127.0.0.1', port: server.ready.port },
    protocol: 'h1',
    tls: null,
    conn_key: 'k',
    connection: 'new',
    resume: false,
    path: '/bytes/10?delay_ms=60',
    close_after: false,
    timeout_ms: 5_000,
  };
  const delayed = await prober.probe(base);
  assert.ok((delayed.ttfb_ms ?? 0) >= 60, `ttfb ${delayed.ttfb_ms} ms ≥ 60 ms`);
  const closing = await prober.probe({ ...base, connection: 'reuse', path: '/bytes/10?close=1' });
  assert.equal(closing.error, null);
  const after = await prober.probe({ ...base, connection: 'reuse', path: '/bytes/10' });
  assert.match(after.error ?? '', /not reusable|no open connection/);
});

test('unknown routes answer 404 and are recorded as errors, not thrown', async (t) => {
  const server = await startServer({ protocol: 'h2', tls: false });
  t.after(() => server.stop());
  const prober = new Prober();
  t.after(() => prober.closeAll());
  const s = await prober.probe({
    target: { host: '127.0.0.1', port: server.ready.port },
    protocol: 'h2',
    tls: null,
    conn_key: 'k',
    connection: 'new',
    resume: false,
    path: '/nope',
    close_after: true,
    timeout_ms: 5_000,
  });
  assert.equal(s.status, 404);
  assert.equal(s.error, 'HTTP 404');
});

test('an unreachable server gives an error sample, not a crash', async () => {
  const prober = new Prober();
  // Port 1 on loopback: nothing listens there, the kernel refuses at once.
  const s = await prober.probe({
    target: { host: '127.0.0.1', port: 1 },
    protocol: 'h1',
    tls: null,
    conn_key: 'k',
    connection: 'new',
    resume: false,
    path: '/bytes/1',
    close_after: true,
    timeout_ms: 2_000,
  });
  assert.match(s.error ?? '', /ECONNREFUSED/);
  assert.equal(s.total_ms, null);
  assert.equal(s.new_connection, true);
});

test('TLS session resumption on a new connection', async (t) => {
  const server = await startServer({ protocol: 'h1', tls: true });
  t.after(() => server.stop());
  const prober = new Prober();
  t.after(() => prober.closeAll());
  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    const base: ProbeRequest = {
      target: { host: '127.0.0.1', port: server.ready.port },
      protocol: 'h1',
      tls: { ca: server.ready.cert_pem ?? '', servername: CERT_SERVERNAME, min_version: version, max_version: version },
      conn_key: `k-${version}`,
      connection: 'new',
      resume: true,
      path: '/bytes/10',
      close_after: true,
      timeout_ms: 5_000,
    };
    const cold = await prober.probe(base);
    assert.equal(cold.tls_resumed, false);
    await new Promise((r) => setTimeout(r, 50)); // TLS 1.3 tickets arrive after the handshake
    const warm = await prober.probe(base);
    assert.equal(warm.error, null);
    assert.equal(warm.tls_resumed, true, `${version} resumed`);
  }
});

test('a malformed request target is answered 400 and the server stays up (h1 raw socket, h2 stream)', async (t) => {
  const h1 = await startServer({ protocol: 'h1', tls: false });
  t.after(() => h1.stop());
  const raw = await new Promise<string>((resolve, reject) => {
    const socket = net.connect(h1.ready.port, '127.0.0.1', () =>
      socket.write('GET //[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
    );
    let got = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (got += d));
    socket.on('end', () => resolve(got));
    socket.on('error', reject);
  });
  assert.match(raw, /^HTTP\/1\.1 400 /);
  assert.match(raw, /malformed request target/);
  assert.ok(h1.alive(), 'the h1 server is still running');

  const h2 = await startServer({ protocol: 'h2', tls: false });
  t.after(() => h2.stop());
  const session = http2.connect(`http://127.0.0.1:${h2.ready.port}`);
  t.after(() => session.destroy());
  const status = await new Promise<number>((resolve, reject) => {
    const req = session.request({ ':method': 'GET', ':path': '//[' });
    req.on('response', (h) => resolve(Number(h[':status'])));
    req.on('error', reject);
    req.end();
  });
  assert.equal(status, 400);
  assert.ok(h2.alive(), 'the h2 server is still running');
  // And both still serve.
  const prober = new Prober();
  t.after(() => prober.closeAll());
  for (const [server, protocol] of [
    [h1, 'h1'],
    [h2, 'h2'],
  ] as const) {
    const s = await prober.probe({
      target: { host: '127.0.0.1', port: server.ready.port },
      protocol,
      tls: null,
      conn_key: `after-${protocol}`,
      connection: 'new',
      resume: false,
      path: '/bytes/10',
      close_after: true,
      timeout_ms: 5_000,
    });
    assert.deepEqual([s.status, s.error], [200, null]);
  }
});
