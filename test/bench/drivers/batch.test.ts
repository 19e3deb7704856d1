import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { BatchRunner, type BatchRequest } from '../../../bench/drivers/batch.ts';
import { startServer, type ServerHandle } from '../../../servers/launch.ts';

const K = 10;
const D_MS = 200;

function items(): BatchRequest['items'] {
  return Array.from({ length: K }, (_, i) => ({ path: i === 0 ? `/bytes/100?delay_ms=${D_MS}` : '/bytes/100' }));
}

function req(server: ServerHandle, over: Partial<BatchRequest>): BatchRequest {
  return {
    target: { host: '127.0.0.1', port: server.ready.port },
    protocol: server.config.protocol,
    tls: null,
    connections: 1,
    depth: 1,
    conn_key: 't',
    fresh: true,
    items: items(),
    timeout_ms: 5_000,
    ...over,
  };
}

async function freePortWithNoListener(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test('batch driver: h1 pipelining blocks fast responses behind the slow one; h2 and 6 connections do not', async (t) => {
  const h1 = await startServer({ protocol: 'h1' });
  t.after(() => h1.stop());
  const h2 = await startServer({ protocol: 'h2' });
  t.after(() => h2.stop());
  const runner = new BatchRunner();
  t.after(() => runner.closeAll());

  const piped = await runner.run(req(h1, { depth: K }));
  assert.equal(piped.errors, 0);
  assert.equal(piped.items.length, K);
  assert.deepEqual(new Set(piped.items.map((i) => i.conn_id)).size, 1);
  for (const it of piped.items.slice(1)) {
    assert.ok((it.write_ms ?? Infinity) < 50, `pipelined request ${it.pos} was written at once (${it.write_ms} ms)`);
    assert.ok(
      (it.done_ms ?? 0) >= D_MS,
      `pipelined fast response ${it.pos} waited for the slow one (${it.done_ms} ms)`,
    );
  }

  // Warm the h2 session first: a cold session's set-up (and JIT) on a busy 2-core machine can take ~100 ms.
  await runner.run(req(h2, { depth: K, fresh: false, conn_key: 'h2', items: [{ path: '/bytes/100' }] }));
  const streams = await runner.run(req(h2, { depth: K, fresh: false, conn_key: 'h2' }));
  assert.equal(streams.errors, 0);
  for (const it of streams.items.slice(1))
    assert.ok((it.done_ms ?? Infinity) < D_MS / 2, `h2 stream ${it.pos} was not blocked (${it.done_ms} ms)`);
  assert.ok((streams.items[0]?.done_ms ?? 0) >= D_MS);

  await runner.run(req(h1, { connections: 6, fresh: false, conn_key: 'six', items: items().slice(1, 7) }));
  const six = await runner.run(req(h1, { connections: 6, fresh: false, conn_key: 'six' }));
  assert.equal(six.errors, 0);
  assert.equal(new Set(six.items.map((i) => i.conn_id)).size, 6);
  for (const it of six.items.slice(1))
    assert.ok((it.done_ms ?? Infinity) < D_MS / 2, `h1×6 request ${it.pos} on a free connection (${it.done_ms} ms)`);

  const serial = await runner.run(req(h1, {}));
  assert.equal(serial.errors, 0);
  const second = serial.items[1];
  assert.ok(
    second && (second.write_ms ?? 0) >= D_MS,
    'serial: the second request is only sent after the slow first one',
  );
  assert.ok(serial.batch_ms >= D_MS);
});

test('batch driver: warm connections are reused across batches, fresh ones are not', async (t) => {
  const h1 = await startServer({ protocol: 'h1' });
  t.after(() => h1.stop());
  const runner = new BatchRunner();
  t.after(() => runner.closeAll());
  const fast = [{ path: '/bytes/10' }, { path: '/bytes/10' }];
  const a = await runner.run(req(h1, { fresh: false, conn_key: 'w', connections: 2, items: fast }));
  const b = await runner.run(req(h1, { fresh: false, conn_key: 'w', connections: 2, items: fast }));
  assert.ok(
    a.connect_ms.every((c) => c > 0),
    'first warm batch opened its connections',
  );
  assert.deepEqual(b.connect_ms, [0, 0]);
  assert.deepEqual(new Set(b.items.map((i) => i.conn_id)), new Set(a.items.map((i) => i.conn_id)));
  assert.ok(b.items.every((i) => i.conn_seq === 2));
  const c = await runner.run(req(h1, { fresh: true, conn_key: 'w', connections: 2, items: fast }));
  assert.ok(c.items.every((i) => !a.items.some((x) => x.conn_id === i.conn_id)));
});

test('batch driver: errors are data (HTTP 404, refused connection), never thrown', async (t) => {
  const h2 = await startServer({ protocol: 'h2' });
  t.after(() => h2.stop());
  const runner = new BatchRunner();
  t.after(() => runner.closeAll());
  const r = await runner.run(
    req(h2, { depth: 4, items: [{ path: '/bytes/10' }, { path: '/nope' }, { path: '/bytes/10' }] }),
  );
  assert.equal(r.errors, 1);
  assert.equal(r.items[1]?.error, 'HTTP 404');
  assert.equal(r.items[0]?.error, null);

  const port = await freePortWithNoListener();
  const refused = await runner.run({
    ...req(h2, { items: [{ path: '/bytes/10' }, { path: '/bytes/10' }] }),
    target: { host: '127.0.0.1', port },
  });
  assert.equal(refused.errors, 2);
  assert.match(refused.items[0]?.error ?? '', /connect failed: .*ECONNREFUSED/);
  await assert.rejects(runner.run(req(h2, { connections: 0 })), /connections must be/);
});
