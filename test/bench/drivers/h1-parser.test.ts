import { test } from 'node:test';
import assert from 'node:assert/strict';
import { H1ResponseParser, type H1ResponseHead } from '../../../bench/drivers/h1-parser.ts';

function collect(headRequest = false) {
  const events: Array<{ head: H1ResponseHead; body: number; complete: boolean }> = [];
  const interim: number[] = [];
  const parser = new H1ResponseParser(
    {
      onHead: (head) => events.push({ head, body: 0, complete: false }),
      onInterim: (head) => interim.push(head.status),
      onBody: (n) => {
        const e = events.at(-1);
        if (e) e.body += n;
      },
      onComplete: () => {
        const e = events.at(-1);
        if (e) e.complete = true;
      },
    },
    () => headRequest,
  );
  return { parser, events, interim };
}

test('content-length body split across chunks, byte by byte', () => {
  const { parser, events } = collect();
  const raw = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Kab-Conn: s1\r\n\r\nhello');
  for (let i = 0; i < raw.length; i++) parser.feed(raw.subarray(i, i + 1));
  assert.equal(events.length, 1);
  assert.equal(events[0]?.head.status, 200);
  assert.equal(events[0]?.head.headers['x-kab-conn'], 's1');
  assert.equal(events[0]?.body, 5);
  assert.equal(events[0]?.complete, true);
});

test('pipelined responses in one chunk are parsed in order', () => {
  const { parser, events } = collect();
  parser.feed(
    Buffer.from(
      'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nxy',
    ),
  );
  assert.deepEqual(
    events.map((e) => [e.head.status, e.body, e.complete]),
    [
      [200, 3, true],
      [404, 0, true],
      [200, 2, true],
    ],
  );
});

test('chunked encoding with extensions and trailers', () => {
  const { parser, events } = collect();
  parser.feed(
    Buffer.from(
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nWiki\r\n5\r\npedia\r\n0\r\nX-T: 1\r\n\r\n',
    ),
  );
  assert.equal(events[0]?.body, 9);
  assert.equal(events[0]?.complete, true);
});

test('a body delimited by close completes on end(); a cut-short body does not', () => {
  const a = collect();
  a.parser.feed(Buffer.from('HTTP/1.1 200 OK\r\n\r\nabcdef'));
  assert.equal(a.events[0]?.complete, false);
  assert.equal(a.parser.end(), true);
  assert.equal(a.events[0]?.body, 6);
  assert.equal(a.events[0]?.complete, true);

  const b = collect();
  b.parser.feed(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'));
  assert.equal(b.parser.end(), false);
});

test('HEAD and 204 responses have no body even with Content-Length', () => {
  const { parser, events } = collect(true);
  parser.feed(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n'));
  assert.equal(events[0]?.complete, true);
  assert.equal(events[0]?.body, 0);
});

test('garbage status line throws', () => {
  const { parser } = collect();
  assert.throws(() => parser.feed(Buffer.from('SSH-2.0-OpenSSH\r\n\r\n')), /bad status line/);
});

test('103 Early Hints before a 200 on a kept-alive connection: one completion, the 200 and its body; the next response parses', () => {
  const raw = Buffer.from(
    'HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n' +
      'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello' +
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno',
  );
  // Split at every offset: an interim head may end exactly where a read does.
  for (let cut = 0; cut <= raw.length; cut++) {
    const { parser, events, interim } = collect();
    parser.feed(raw.subarray(0, cut));
    parser.feed(raw.subarray(cut));
    assert.deepEqual(
      events.map((e) => [e.head.status, e.body, e.complete]),
      [
        [200, 5, true],
        [404, 2, true],
      ],
      `split at ${cut}`,
    );
    assert.deepEqual(interim, [103, 100]);
    assert.equal(parser.end(), true);
  }

  const cut = collect();
  cut.parser.feed(Buffer.from('HTTP/1.1 103 Early Hints\r\n\r\n'));
  assert.equal(cut.events.length, 0);
  assert.equal(cut.parser.end(), false, 'a connection that ends after the 1xx cut the response short');
});

test('101 Switching Protocols is an error: this client never asks for an upgrade', () => {
  const { parser } = collect();
  assert.throws(
    () => parser.feed(Buffer.from('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n')),
    /101 Switching Protocols/,
  );
});

/** Feeds total_bytes of filler after prefix, in pieces; returns the piece that threw (or -1) and the error. */
function feedEndless(prefix: string, filler: string, total_bytes: number, piece_bytes: number) {
  const { parser } = collect();
  parser.feed(Buffer.from(prefix));
  const piece = Buffer.from(filler.repeat(Math.ceil(piece_bytes / filler.length)).slice(0, piece_bytes), 'latin1');
  let maxPending = 0;
  for (let i = 0; i < total_bytes / piece_bytes; i++) {
    try {
      parser.feed(piece);
    } catch (e) {
      return { threwAt: i, error: e as Error, maxPending };
    }
    maxPending = Math.max(maxPending, parser.pendingBytes);
  }
  return { threwAt: -1, error: null, maxPending };
}

test('an endless chunk-size line (1 MiB of "1" in 1 KiB pieces) throws once past 4 KiB', () => {
  const r = feedEndless('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', '1', 1024 * 1024, 1024);
  assert.match(r.error?.message ?? 'no error', /chunk-size line longer than 4 KiB/);
  assert.ok(r.threwAt >= 0 && r.threwAt <= 4, `threw at piece ${r.threwAt}`);
  assert.ok(r.maxPending <= 4096, `held ${r.maxPending} bytes`);
  // Extensions count toward the line.
  const ext = feedEndless('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=', 'y', 1024 * 1024, 1024);
  assert.match(ext.error?.message ?? 'no error', /chunk-size line longer than 4 KiB/);
});

test('an endless trailer line, and endless short trailer lines, throw once the section passes 64 KiB', () => {
  const prefix = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n';
  const oneLine = feedEndless(`${prefix}X-T: `, 'v', 1024 * 1024, 1024);
  assert.match(oneLine.error?.message ?? 'no error', /trailer section larger than 64 KiB/);
  assert.ok(oneLine.threwAt >= 0 && oneLine.threwAt <= 64, `threw at piece ${oneLine.threwAt}`);
  assert.ok(oneLine.maxPending <= 64 * 1024);
  const manyLines = feedEndless(prefix, 'X-T: 1\r\n', 1024 * 1024, 1000);
  assert.match(manyLines.error?.message ?? 'no error', /trailer section larger than 64 KiB/);
  assert.ok(manyLines.threwAt >= 0 && manyLines.threwAt <= 66, `threw at piece ${manyLines.threwAt}`);
  const head = feedEndless('HTTP/1.1 200 OK\r\n', 'X-H: 1\r\n', 1024 * 1024, 1000);
  assert.match(head.error?.message ?? 'no error', /response head larger than 64 KiB/);
});

test('10 MB of a chunked body in 1000-byte pieces: held bytes stay under 4 KiB and each byte is searched at most once', () => {
  // Chunks of 1..8191 bytes with extensions up to 3 KiB, so chunk-size lines straddle many pieces.
  let seed = 20;
  const rand = (n: number): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed % n;
  };
  const parts: Buffer[] = [Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n')];
  let body = 0;
  while (body < 10_000_000) {
    const size = 1 + rand(8191);
    parts.push(Buffer.from(`${size.toString(16)};ext=${'e'.repeat(rand(3000))}\r\n`), Buffer.alloc(size, 0x61));
    parts.push(Buffer.from('\r\n'));
    body += size;
  }
  parts.push(Buffer.from('0\r\nX-T: 1\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n'));
  const wire = Buffer.concat(parts);
  const { parser, events } = collect();
  let maxPending = 0;
  for (let i = 0; i < wire.length; i += 1000) {
    parser.feed(wire.subarray(i, i + 1000));
    maxPending = Math.max(maxPending, parser.pendingBytes);
  }
  assert.deepEqual(
    events.map((e) => [e.head.status, e.body, e.complete]),
    [
      [200, body, true],
      [204, 0, true],
    ],
  );
  assert.ok(maxPending <= 4096, `held ${maxPending} bytes between reads`);
  assert.ok(parser.scannedBytes <= wire.length - body, `searched ${parser.scannedBytes} of ${wire.length - body}`);
});

test('framing a hostile server could get wrong: conflicting or non-decimal lengths, bad chunk sizes, chunk data without CRLF', () => {
  const throwsOn = (raw: string, re: RegExp): void => {
    const { parser } = collect();
    assert.throws(() => parser.feed(Buffer.from(raw)), re, JSON.stringify(raw));
  };
  throwsOn('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 10\r\n\r\n', /conflicting content-length/);
  throwsOn('HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n', /conflicting content-length/);
  for (const cl of ['0x10', '1e3', '', '-1', '9007199254740993'])
    throwsOn(`HTTP/1.1 200 OK\r\nContent-Length: ${cl}\r\n\r\n`, /bad content-length/);
  const te = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n';
  for (const size of ['0x5', 'g', '-1', '', '12345678901234']) throwsOn(`${te}${size}\r\n`, /bad chunk size/);
  throwsOn(`${te}3\r\nabcXY`, /chunk data not followed by CRLF/);

  const ok = collect();
  ok.parser.feed(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc'));
  ok.parser.feed(Buffer.from(`${te}0003 ;a=b\r\nabc\r\n0\r\n\r\n`));
  // A body whose last transfer coding is not chunked runs until close, Content-Length notwithstanding.
  ok.parser.feed(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\nContent-Length: 2\r\n\r\nxyz'));
  assert.equal(ok.parser.readsUntilClose, true);
  assert.equal(ok.parser.end(), true);
  assert.deepEqual(
    ok.events.map((e) => [e.body, e.complete]),
    [
      [3, true],
      [3, true],
      [3, true],
    ],
  );
});
