import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { H1Connection } from '../../../bench/drivers/h1-connection.ts';

/** A raw server answering every request head it reads with `reply`. */
async function scriptedServer(reply: string): Promise<{ port: number; close(): void }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    let seen = '';
    s.on('data', (c: Buffer) => {
      seen += c.toString('latin1');
      for (let i = seen.indexOf('\r\n\r\n'); i >= 0; i = seen.indexOf('\r\n\r\n')) {
        seen = seen.slice(i + 4);
        s.write(reply);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

test('h1 connection: a 103 Early Hints before each 200 neither completes the request nor breaks the connection', async (t) => {
  const srv = await scriptedServer(
    'HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Kab-Conn: c1\r\n\r\nhello',
  );
  t.after(() => srv.close());
  const socket = net.connect({ host: '127.0.0.1', port: srv.port });
  await new Promise<void>((r) => socket.once('connect', () => r()));
  const conn = new H1Connection(socket, `127.0.0.1:${srv.port}`);
  t.after(() => conn.destroy());
  for (let i = 0; i < 3; i++) {
    const r = await conn.request('/bytes/5', 2_000);
    assert.equal(r.status, 200, `request ${i}`);
    assert.equal(r.body_bytes, 5);
    assert.equal(r.headers['x-kab-conn'], 'c1');
  }
  // Two pipelined requests, each answered 103 then 200.
  const both = await Promise.all([conn.request('/a', 2_000), conn.request('/b', 2_000)]);
  assert.deepEqual(
    both.map((r) => [r.status, r.body_bytes]),
    [
      [200, 5],
      [200, 5],
    ],
  );
  assert.equal(conn.unusableReason, null);
});
