import { test } from 'node:test';
import assert from 'node:assert/strict';
import net, { type AddressInfo } from 'node:net';
import { headerOf, idleCloseProbe } from '../../../bench/drivers/idle-close-probe.ts';

/** A raw server: answers one request with this status line and headers, then closes after idle_ms (or at once on Connection: close). */
async function rawServer(
  statusLine: string,
  headers: string,
  idle_ms: number,
): Promise<{ port: number; close(): void }> {
  const server = net.createServer((socket) => {
    let buf = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      buf += d;
      if (!buf.includes('\r\n\r\n')) return;
      const close = /\r\nconnection: close\r\n/i.test(buf);
      socket.write(`${statusLine}\r\n${headers}Content-Length: 2\r\n\r\nok`);
      if (close) socket.end();
      else setTimeout(() => socket.end(), idle_ms);
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, close: () => server.close() };
}

test('idle close probe: the FIN after the idle time, the keep-alive headers, HTTP/1.0 status lines too', async (t) => {
  const s = await rawServer('HTTP/1.0 200 OK', 'Connection: keep-alive\r\nKeep-Alive: timeout=1, max=5\r\n', 300);
  t.after(() => s.close());
  const target = { host: '127.0.0.1', port: s.port };
  const r = await idleCloseProbe({ target, path: '/', wait_ms: 5_000, reuse_after: false, reuse_timeout_ms: 0 });
  assert.equal(r.error, null);
  assert.equal(r.first_status, 200);
  assert.equal(r.keep_alive_header, 'timeout=1, max=5');
  assert.equal(r.connection_header, 'keep-alive');
  assert.ok(r.server_close_after_ms !== null && r.server_close_after_ms >= 250 && r.server_close_after_ms < 2_000);
  const c = await idleCloseProbe({
    target,
    path: '/',
    wait_ms: 5_000,
    reuse_after: false,
    reuse_timeout_ms: 0,
    connection_close: true,
  });
  assert.ok(
    c.server_close_after_ms !== null && c.server_close_after_ms < 250,
    `closed at once: ${c.server_close_after_ms}`,
  );
  const open = await idleCloseProbe({ target, path: '/', wait_ms: 100, reuse_after: false, reuse_timeout_ms: 0 });
  assert.equal(open.server_close_after_ms, null, 'no FIN within a wait shorter than the idle time');
});

test('headerOf: case-insensitive names, trimmed values, null when absent, never the status line', () => {
  const head = 'HTTP/1.1 200 OK\r\nKEEP-ALIVE:  timeout=5 \r\nX: y\r\n\r\n';
  assert.equal(headerOf(head, 'keep-alive'), 'timeout=5');
  assert.equal(headerOf(head, 'connection'), null);
  assert.equal(headerOf('HTTP/1.1 200 OK', 'http/1.1 200 ok'), null);
});
