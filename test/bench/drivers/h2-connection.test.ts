import { test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { H2Connection } from '../../../bench/drivers/h2-connection.ts';

/** A loopback h2c server whose handler decides per request; closed when the test ends. */
async function h2Server(
  t: { after(fn: () => void): void },
  onStream: (s: http2.ServerHttp2Stream) => void,
): Promise<number> {
  const server = http2.createServer();
  server.on('stream', onStream);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  return (server.address() as AddressInfo).port;
}

async function connect(port: number): Promise<H2Connection> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((r, j) => socket.once('connect', r).once('error', j));
  return new H2Connection(socket, `127.0.0.1:${port}`, false);
}

test('h2: a stream reset before any response is an error', async (t) => {
  const port = await h2Server(t, (s) => {
    s.on('error', () => undefined); // the server's side of the reset reports it too
    s.close(http2.constants.NGHTTP2_REFUSED_STREAM);
  });
  const conn = await connect(port);
  t.after(() => conn.destroy());
  await assert.rejects(conn.request('/x', 5_000));
});

test('h2: a peer that closes the connection before any response (a server at its FD limit) gives an error, never status 0 with a negative ttfb', async (t) => {
  const server = net.createServer((socket) => socket.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const conn = await connect((server.address() as AddressInfo).port);
  t.after(() => conn.destroy());
  const outcome = await conn.request('/x', 5_000).then(
    (r) => `resolved with status ${r.status}, ttfb ${r.t_first_byte_ms - r.t_write_ms} ms`,
    (e: unknown) => `rejected: ${String(e)}`,
  );
  assert.match(outcome, /^rejected/);
});

test('h2: a normal response has its first byte between the write and the end', async (t) => {
  const port = await h2Server(t, (s) => {
    s.respond({ ':status': 200 });
    s.end('hello');
  });
  const conn = await connect(port);
  t.after(() => conn.destroy());
  const r = await conn.request('/x', 5_000);
  assert.equal(r.status, 200);
  assert.equal(r.body_bytes, 5);
  assert.ok(r.t_write_ms <= r.t_first_byte_ms && r.t_first_byte_ms <= r.t_done_ms);
});
