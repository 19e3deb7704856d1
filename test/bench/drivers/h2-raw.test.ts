import { test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import {
  FLAG_ACK,
  FLAG_END_HEADERS,
  FLAG_END_STREAM,
  FLAG_PADDED,
  FLAG_PRIORITY,
  FRAME_CONTINUATION,
  FRAME_DATA,
  FRAME_GOAWAY,
  FRAME_HEADERS,
  FRAME_PING,
  FRAME_SETTINGS,
  FRAME_WINDOW_UPDATE,
  FrameParser,
  H2ProtocolError,
  MAX_STREAM_ID,
  clientPreface,
  encodeFrame,
  headersFragment,
} from '../../../bench/drivers/load/h2-frames.ts';
import { buildRequestTemplate, huffmanDigits, readStatus, requestInto } from '../../../bench/drivers/load/h2-hpack.ts';
import { H2RawConn, h2RawLoadDriver, h2RawTransport } from '../../../bench/drivers/load/h2-raw.ts';
import { classifyError } from '../../../bench/drivers/load/engine.ts';
import type { LoadOptions } from '../../../bench/drivers/load/types.ts';
import { startServer } from '../../../servers/launch.ts';
import { loadOpts, refusedPort } from '../../helpers/load.ts';

const opts = loadOpts;

/** Every event a parser reports, payloads as hex, so runs over differently split input compare equal. */
function parseAll(chunks: Buffer[], maxFrameSize?: number): string[] {
  const events: string[] = [];
  const p = new FrameParser(
    {
      data: (id, flags, bytes, len) => events.push(`DATA ${id} ${flags} ${bytes}/${len}`),
      frame: (type, flags, id, payload) => events.push(`F${type} ${id} ${flags} ${payload.toString('hex')}`),
    },
    maxFrameSize,
  );
  for (const c of chunks) p.push(c);
  return events;
}

function padded(body: Buffer, pad: number): Buffer {
  return Buffer.concat([Buffer.from([pad]), body, Buffer.alloc(pad)]);
}

test('frame parser: many frames per chunk, frames split anywhere, DATA padding never buffered', () => {
  const ping = Buffer.from('0102030405060708', 'hex');
  const block = Buffer.from([0x88]);
  const priorityPadded = Buffer.concat([Buffer.from([3]), Buffer.from([0, 0, 0, 0, 16]), block, Buffer.alloc(3)]);
  const wire = Buffer.concat([
    encodeFrame(FRAME_SETTINGS, 0, 0, Buffer.from('000300000064', 'hex')),
    encodeFrame(FRAME_HEADERS, FLAG_END_HEADERS | FLAG_PADDED | FLAG_PRIORITY, 1, priorityPadded),
    encodeFrame(FRAME_DATA, FLAG_PADDED, 1, padded(Buffer.alloc(100, 1), 20)),
    encodeFrame(FRAME_DATA, 0, 1, Buffer.alloc(5000, 2)),
    encodeFrame(FRAME_PING, 0, 0, ping),
    encodeFrame(FRAME_DATA, FLAG_END_STREAM | FLAG_PADDED, 1, padded(Buffer.alloc(0), 0)),
    encodeFrame(FRAME_DATA, FLAG_END_STREAM, 3, Buffer.alloc(0)),
  ]);
  const want = [
    'F4 0 0 000300000064',
    `F1 1 ${FLAG_END_HEADERS | FLAG_PADDED | FLAG_PRIORITY} ${priorityPadded.toString('hex')}`,
    `DATA 1 ${FLAG_PADDED} 100/121`,
    'DATA 1 0 5000/5000',
    `F6 0 0 ${ping.toString('hex')}`,
    `DATA 1 ${FLAG_END_STREAM | FLAG_PADDED} 0/1`,
    `DATA 3 ${FLAG_END_STREAM} 0/0`,
  ];
  assert.deepEqual(parseAll([wire]), want, 'one chunk');
  for (let cut = 1; cut < wire.length; cut++) {
    assert.deepEqual(parseAll([wire.subarray(0, cut), wire.subarray(cut)]), want, `split at ${cut}`);
  }
  const bytes: Buffer[] = [];
  for (let i = 0; i < wire.length; i++) bytes.push(wire.subarray(i, i + 1));
  assert.deepEqual(parseAll(bytes), want, 'byte by byte');
  // A reused read buffer: the parser must not keep views of a chunk after push returns.
  const reused = Buffer.alloc(7);
  const events: string[] = [];
  const p = new FrameParser({ data: () => undefined, frame: (t, f, id, pl) => events.push(pl.toString('hex')) });
  for (let i = 0; i < wire.length; i += 7) {
    const n = wire.copy(reused, 0, i, Math.min(i + 7, wire.length));
    p.push(reused.subarray(0, n));
    reused.fill(0xee);
  }
  assert.deepEqual(
    events,
    [0, 1, 4].map((i) => want[i]!.split(' ')[3]),
  );

  assert.deepEqual(headersFragment(FLAG_END_HEADERS | FLAG_PADDED | FLAG_PRIORITY, priorityPadded), block);
  assert.throws(() => headersFragment(FLAG_PADDED, Buffer.from([9, 0x88])), H2ProtocolError);
  assert.throws(() => parseAll([encodeFrame(FRAME_DATA, FLAG_PADDED, 1, Buffer.from([3, 0, 0]))]), /padding/);
  assert.throws(() => parseAll([encodeFrame(FRAME_DATA, 0, 1, Buffer.alloc(16_385))]), /exceeds/);
  assert.deepEqual(parseAll([encodeFrame(FRAME_DATA, 0, 1, Buffer.alloc(16_384))]), ['DATA 1 0 16384/16384']);
});

test('client preface and request HEADERS: settings, window, pre-encoded block with the stream id stamped', () => {
  const pre = clientPreface(250);
  assert.equal(pre.subarray(0, 24).toString('latin1'), 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
  const frames = parseAll([pre.subarray(24)]);
  // HEADER_TABLE_SIZE 0, ENABLE_PUSH 0, MAX_CONCURRENT_STREAMS 250, INITIAL_WINDOW_SIZE 2^31-1.
  assert.equal(frames[0], 'F4 0 0 000100000000' + '000200000000' + '0003000000fa' + '00047fffffff');
  assert.equal(frames[1], `F${FRAME_WINDOW_UPDATE} 0 0 ${(2 ** 31 - 1 - 65_535).toString(16).padStart(8, '0')}`);
  assert.equal(frames.length, 2);

  const t = buildRequestTemplate('/bytes/100', '127.0.0.1:8080');
  const out = Buffer.alloc(100);
  const n = requestInto(t, 0x7fff_fffd, out, 3);
  const got = parseAll([out.subarray(3, 3 + n)]);
  const block = Buffer.concat([
    Buffer.from([0x82, 0x86, 0x01, 14]),
    Buffer.from('127.0.0.1:8080'),
    Buffer.from([0x04, 10]),
    Buffer.from('/bytes/100'),
  ]);
  assert.deepEqual(got, [`F1 ${0x7fff_fffd} ${FLAG_END_STREAM | FLAG_END_HEADERS} ${block.toString('hex')}`]);
  assert.equal(t.bytes.readUInt32BE(5), 0, 'the template itself is never patched');

  // A path longer than a frame: HEADERS + CONTINUATION, every frame stamped; lengths ≥ 127 use more integer bytes.
  const long = '/' + 'a'.repeat(20_000);
  const lt = buildRequestTemplate(long, 'h:1');
  const big = Buffer.alloc(lt.bytes.length);
  requestInto(lt, 5, big, 0);
  const lf = parseAll([big]);
  assert.equal(lf.length, 2);
  assert.match(lf[0]!, /^F1 5 1 /);
  assert.match(lf[1]!, new RegExp(`^F${FRAME_CONTINUATION} 5 ${FLAG_END_HEADERS} `));
});

test('HPACK :status: static indices, raw and Huffman literals, size update, skipped fields, dynamic index rejected', () => {
  const b = (...xs: Array<number | string>): Buffer =>
    Buffer.concat(xs.map((x) => (typeof x === 'string' ? Buffer.from(x, 'latin1') : Buffer.from([x]))));
  assert.equal(readStatus(b(0x88)), 200);
  assert.equal(readStatus(b(0x8d)), 404);
  for (const [i, st] of [
    [0x89, 204],
    [0x8a, 206],
    [0x8b, 304],
    [0x8c, 400],
    [0x8e, 500],
  ] as const)
    assert.equal(readStatus(b(i)), st);
  assert.equal(readStatus(b(0x20, 0x88)), 200, 'dynamic table size update to 0 first');
  assert.equal(readStatus(b(0x3f, 0xe1, 0x1f, 0x8d)), 404, 'size update 4096 (multi-byte integer) first');
  // Literal :status (name index 8) without indexing, never indexed, with incremental indexing; raw "503".
  assert.equal(readStatus(b(0x08, 0x03, '503')), 503);
  assert.equal(readStatus(b(0x18, 0x03, '503')), 503);
  assert.equal(readStatus(b(0x48, 0x03, '503')), 503);
  assert.equal(readStatus(b(0x4d, 0x03, '201')), 201, 'name from index 13 (:status 404) with another value');
  // Huffman "502": '5' 011011, '0' 00000, '2' 00010 = 0110 1100 0000 0010 — 16 bits, no padding.
  assert.equal(readStatus(b(0x08, 0x82, 0x6c, 0x02)), 502);
  // Huffman "503": 011011 00000 011001 + 7 bits of EOS padding = 0x6c 0x0c 0xff.
  assert.equal(readStatus(b(0x48, 0x83, 0x6c, 0x0c, 0xff)), 503);
  // RFC 7541 C.6.1 / C.6.2 response blocks (":status: 302" then cache-control, date, location; then "307").
  const c61 = Buffer.from(
    '488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e082a62d1bff6e919d29ad171863c78f0b97c8e9ae82ae43d3',
    'hex',
  );
  assert.equal(readStatus(c61), 302);
  assert.equal(readStatus(Buffer.from('4883640effc1c0bf', 'hex')), 307);
  // Fields before :status are skipped by their lengths (literal name, a value with a multi-byte length).
  assert.equal(readStatus(b(0x00, 0x03, 'foo', 0x03, 'bar', 0x0f, 0x0c, 0x7f, 0x01, 'x'.repeat(128), 0x88)), 200);
  assert.equal(readStatus(b(0x00, 0x07, ':status', 0x03, '418')), 418, 'literal name ":status"');
  // Unreadable: Huffman non-digit ('a' = 00011), too few digits, no :status at all.
  assert.equal(readStatus(b(0x08, 0x81, 0x1f)), 0);
  assert.equal(readStatus(b(0x08, 0x02, '50')), 0);
  assert.equal(readStatus(b(0x0f, 0x0c, 0x00)), 0);
  assert.equal(huffmanDigits(Buffer.from([0x6c, 0x02])), 502);
  assert.equal(huffmanDigits(Buffer.from([0x6c, 0x02, 0xff])), 0, '8 bits of padding is not padding');
  // A reference into the dynamic table (index > 61) cannot happen with table size 0: a COMPRESSION_ERROR.
  assert.throws(
    () => readStatus(b(0xbe)),
    (e: unknown) => e instanceof H2ProtocolError && e.code === 0x9,
  );
  assert.throws(() => readStatus(b(0x7e, 0x03, '200')), /dynamic table name index 62/);
  assert.throws(() => readStatus(b(0x80)), /index 0/);
  assert.throws(() => readStatus(b(0x08, 0x05, '20')), /past the header block/);
  assert.throws(() => readStatus(b(0x82, 0x20, 0x88)), /size update after/);
});

test('raw h2 driver against the h2 server: counts, big bodies, non-2xx, refused connections as data, open-loop pacing', async (t) => {
  const server = await startServer({ protocol: 'h2' });
  t.after(() => server.stop());
  const target = { host: '127.0.0.1', port: server.ready.port };
  const before = await server.stats();
  const r = await h2RawLoadDriver.run(opts({ target, connections: 2, per_connection: 8, duration_ms: 800 }));
  assert.equal(r.driver, 'raw-h2');
  assert.equal(r.errors, 0);
  assert.ok(r.responses > 50, `responses ${r.responses}`);
  assert.equal(r.sent, r.responses + r.errors);
  assert.equal(r.ok_2xx, r.responses);
  assert.equal(r.body_bytes, r.ok_2xx * 100);
  const after = await server.stats();
  assert.equal(
    after.requests_served - before.requests_served,
    r.responses,
    'the server served exactly what the driver counted',
  );
  assert.equal(after.sessions_accepted - before.sessions_accepted, 2);

  // Bodies of many DATA frames spread over many socket reads.
  const big = await h2RawLoadDriver.run(
    opts({ target, path: '/bytes/300000', connections: 1, per_connection: 4, max_requests: 12, duration_ms: 5_000 }),
  );
  assert.equal(big.ok_2xx, 12);
  assert.equal(big.body_bytes, 12 * 300_000);

  const notFound = await h2RawLoadDriver.run(opts({ target, path: '/nope', max_requests: 20, duration_ms: 5_000 }));
  assert.equal(notFound.non_2xx, 20);
  assert.equal(notFound.errors, 0);
  assert.equal(notFound.latency.count, 0);

  const noKeep = await h2RawLoadDriver.run(
    opts({ target, keep_alive: false, connections: 2, per_connection: 1, max_requests: 10, duration_ms: 5_000 }),
  );
  assert.equal(noKeep.ok_2xx, 10);

  const refused = await h2RawLoadDriver.run(
    opts({ target: { host: '127.0.0.1', port: await refusedPort() }, max_requests: 10, duration_ms: 2_000 }),
  );
  assert.equal(refused.responses, 0);
  assert.equal(refused.errors, refused.sent);
  assert.ok(refused.sent > 0);

  const open = await h2RawLoadDriver.run(
    opts({ target, loop: 'open', rate_rps: 200, duration_ms: 1_000, connections: 1, per_connection: 50 }),
  );
  assert.ok(open.sent >= 180 && open.sent <= 220, `open loop sent ${open.sent} of 200 due`);
  assert.ok(open.responses >= 190 && open.responses <= 201, `open loop answered ${open.responses} of 200 due`);
  assert.equal(open.rate_rps_target, 200);
  assert.ok((open.send_lag?.p50_us ?? Infinity) < 5_000, `median send lag ${open.send_lag?.p50_us} µs`);
});

/**
 * servers/routes.ts only answers 200, 400 and 404 (all in HPACK's static table), so statuses that travel as
 * literals come from a node:http2 server made here: /status/<n>, plus misbehaviours. nghttp2 sends a size update
 * to 0 first, then `:status` as a literal without indexing, Huffman-coded when shorter: 502 → 08 82 6c02,
 * 201 likewise; 503 and 299 (17 bits, no shorter) go raw.
 */
async function oddServer(): Promise<{ port: number; cancelled: number[]; close(): Promise<void> }> {
  const cancelled: number[] = [];
  const server = http2.createServer();
  server.on('stream', (stream, headers) => {
    const path = String(headers[':path']);
    stream.on('error', () => undefined);
    const m = /^\/status\/(\d{3})$/.exec(path);
    if (m) {
      stream.respond({ ':status': Number(m[1]), 'content-length': 3 });
      stream.end('abc');
    } else if (path === '/hang') {
      stream.on('close', () => cancelled.push(stream.rstCode ?? -1));
    } else if (path === '/rst') {
      stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
    } else if (path === '/continue') {
      stream.additionalHeaders({ ':status': 100 });
      stream.respond({ ':status': 200 });
      stream.end('12345');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    cancelled,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

test('raw h2 transport: literal/Huffman statuses from nghttp2, 1xx, timeouts cancel, resets, id exhaustion', async (t) => {
  const srv = await oddServer();
  const target = { host: '127.0.0.1', port: srv.port };
  const conns: Array<{ close(): void }> = [];
  t.after(async () => {
    for (const c of conns) c.close();
    await srv.close();
  });
  const conn = await h2RawTransport.open(opts({ target }));
  conns.push(conn);
  for (const st of [503, 502, 201, 299, 200, 404]) {
    assert.deepEqual(await conn.request(`/status/${st}`, 2_000), { status: st, body_bytes: 3 }, `status ${st}`);
  }
  assert.deepEqual(await conn.request('/continue', 2_000), { status: 200, body_bytes: 5 }, '100 then 200');

  await assert.rejects(
    conn.request('/hang', 100),
    (e: Error) => e.message === 'timeout after 100 ms' && classifyError(e.message) === 'timeout',
  );
  await assert.rejects(
    conn.request('/rst', 2_000),
    (e: Error) => e.message === 'stream reset (code 7)' && classifyError(e.message) === 'reset',
  );
  assert.equal(conn.unusableReason, null, 'stream errors leave the connection usable');
  for (let i = 0; i < 50 && srv.cancelled.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(
    srv.cancelled,
    [http2.constants.NGHTTP2_CANCEL],
    'the timed-out stream was cancelled with RST_STREAM',
  );
  assert.equal((await conn.request('/status/204', 2_000)).status, 204);

  // A status through the whole engine: 2xx by a non-static code counts as ok.
  const viaDriver = await h2RawLoadDriver.run(
    opts({ target, path: '/status/201', max_requests: 8, duration_ms: 5_000 }),
  );
  assert.equal(viaDriver.ok_2xx, 8);
  assert.equal(viaDriver.body_bytes, 24);

  const x = (await h2RawTransport.open(opts({ target }))) as H2RawConn;
  conns.push(x);
  x.setNextStreamId(MAX_STREAM_ID);
  assert.equal((await x.request('/status/200', 2_000)).status, 200, 'stream 2^31-1 is usable');
  assert.equal(x.unusableReason, 'stream ids exhausted');
  await assert.rejects(x.request('/status/200', 2_000), /stream ids exhausted/);
});

test('raw h2 transport: a peer that is not an HTTP/2 server, and one that hangs, fail open() with h2-style errors', async (t) => {
  const sockets = new Set<net.Socket>();
  const junk = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.end('HTTP/1.1 400 Bad Request\r\n\r\n');
  });
  const silent = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => junk.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  t.after(() => {
    for (const s of sockets) s.destroy();
    junk.close();
    silent.close();
  });
  const port = (s: net.Server): number => (s.address() as net.AddressInfo).port;
  await assert.rejects(
    h2RawTransport.open(opts({ target: { host: '127.0.0.1', port: port(junk) } })),
    /protocol error|closed/,
  );
  await assert.rejects(
    h2RawTransport.open(opts({ target: { host: '127.0.0.1', port: port(silent) }, timeout_ms: 150 })),
    /connect timeout after 150 ms/,
  );
  await assert.rejects(
    h2RawTransport.open(opts({ target: { host: '127.0.0.1', port: await refusedPort() } })),
    /ECONNREFUSED/,
  );
});

/**
 * A scripted server (nghttp2 raises GOAWAY's last-stream-id to the last stream it received, so node:http2 cannot
 * send this): once two requests (streams 1 and 3) arrived, GOAWAY(last = 1), answer stream 1, then PING.
 */
test('raw h2 transport: GOAWAY rejects only the streams above its last-stream-id; PINGs are acked', async (t) => {
  const sockets = new Set<net.Socket>();
  const pingAcks: string[] = [];
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.write(encodeFrame(FRAME_SETTINGS, 0, 0));
    const heads: number[] = [];
    let preface = 24;
    const p = new FrameParser({
      data: () => undefined,
      frame: (type, flags, id, payload) => {
        if (type === FRAME_PING && flags & FLAG_ACK) pingAcks.push(payload.toString('hex'));
        if (type !== FRAME_HEADERS) return;
        heads.push(id);
        if (heads.length !== 2) return;
        const g = Buffer.alloc(8);
        g.writeUInt32BE(1, 0);
        s.write(
          Buffer.concat([
            encodeFrame(FRAME_GOAWAY, 0, 0, g),
            encodeFrame(FRAME_HEADERS, FLAG_END_HEADERS | FLAG_END_STREAM, 1, Buffer.from([0x88])),
            encodeFrame(FRAME_PING, 0, 0, Buffer.from('0011223344556677', 'hex')),
          ]),
        );
      },
    });
    s.on('data', (c: Buffer) => {
      const skip = Math.min(preface, c.length);
      preface -= skip;
      p.push(c.subarray(skip));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  const conn = await h2RawTransport.open(
    opts({ target: { host: '127.0.0.1', port: (server.address() as net.AddressInfo).port } }),
  );
  const first = conn.request('/a', 2_000);
  const second = conn.request('/b', 2_000);
  await assert.rejects(
    second,
    (e: Error) => e.message === 'server sent GOAWAY (code 0)' && classifyError(e.message) === 'reset',
  );
  assert.deepEqual(await first, { status: 200, body_bytes: 0 });
  assert.equal(conn.unusableReason, 'server sent GOAWAY');
  await assert.rejects(conn.request('/c', 2_000), /server sent GOAWAY/);
  for (let i = 0; i < 50 && pingAcks.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(pingAcks, ['0011223344556677']);
  conn.close();
});
