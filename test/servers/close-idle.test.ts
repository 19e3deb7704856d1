import { test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import tls from 'node:tls';
import { once } from 'node:events';
import { startServer } from '../../servers/launch.ts';

/** One GET over an open TLS socket (HTTP/1.1 keep-alive); resolves with the response head. */
function get(socket: tls.TLSSocket, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer): void => {
      buf += d.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      const len = /content-length: (\d+)/i.exec(buf);
      if (end >= 0 && len && buf.length >= end + 4 + Number(len[1])) {
        socket.off('data', onData);
        resolve(buf.slice(0, end));
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(`GET ${path} HTTP/1.1\r\nhost: x\r\n\r\n`);
  });
}

test('h1 over TLS: close_idle ends an idle keep-alive connection, and the next one resumes its TLS session', async (t) => {
  const server = await startServer({ protocol: 'h1', tls: true, keep_alive_timeout_ms: 60_000 });
  t.after(() => server.stop());
  const ca = server.ready.cert_pem!;
  const connect = (session?: Buffer): Promise<tls.TLSSocket> =>
    new Promise((resolve, reject) => {
      const s = tls.connect(
        {
          host: '127.0.0.1',
          port: server.ready.port,
          ca,
          servername: 'keepalive-bench.local',
          session,
          ALPNProtocols: ['http/1.1'],
        },
        () => resolve(s),
      );
      s.once('error', reject);
    });
  const first = await connect();
  let ticket: Buffer | undefined;
  first.on('session', (s: Buffer) => (ticket = s));
  const head = await get(first, '/bytes/100?web=1');
  assert.match(head, /server-timing: kab-conn;desc="s1", kab-tls;desc="full"/i);
  assert.match(head, /timing-allow-origin: \*/i);
  const closed = once(first, 'close');
  await server.closeIdle();
  await closed;
  assert.equal(first.destroyed, true);
  assert.ok(ticket, 'the server issued a session ticket');
  const second = await connect(ticket);
  t.after(() => second.destroy());
  assert.equal(second.isSessionReused(), true);
  assert.match(await get(second, '/bytes/100?web=1'), /kab-conn;desc="s2", kab-tls;desc="resumed"/i);
});

test('h2 over TLS: close_idle sends GOAWAY and the session ends', async (t) => {
  const server = await startServer({ protocol: 'h2', tls: true, keep_alive_timeout_ms: 60_000 });
  t.after(() => server.stop());
  const session = http2.connect(`https://127.0.0.1:${server.ready.port}`, {
    ca: server.ready.cert_pem!,
    servername: 'keepalive-bench.local',
  });
  t.after(() => session.destroy());
  const req = session.request({ ':path': '/page/2000?subs=2&sub_bytes=10' });
  const [headers] = (await once(req, 'response')) as [http2.IncomingHttpHeaders];
  let body = '';
  req.setEncoding('utf8').on('data', (d: string) => (body += d));
  await once(req, 'end');
  assert.equal(headers[':status'], 200);
  assert.equal(headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(Buffer.byteLength(body), 2000);
  assert.equal(headers['server-timing'], 'kab-conn;desc="s1", kab-tls;desc="full"');
  const goaway = once(session, 'goaway');
  await server.closeIdle();
  await goaway;
  await once(session, 'close');
});
