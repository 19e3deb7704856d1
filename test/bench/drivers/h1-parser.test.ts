import { test } from 'node:test';
import assert from 'node:assert/strict';
import { H1ResponseParser, type H1ResponseHead } from '../../../bench/drivers/h1-parser.ts';

function collect(headRequest = false) {
  const events: Array<{ head: H1ResponseHead; body: number; complete: boolean }> = [];
  const parser = new H1ResponseParser(
    {
      onHead: (head) => events.push({ head, body: 0, complete: false }),
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
  return { parser, events };
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
