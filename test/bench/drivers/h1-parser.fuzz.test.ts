/**
 * Fuzzing the HTTP/1.1 response parser (seed and budgets: test/helpers/fuzz.ts): valid responses split anywhere
 * parse as their model says; mutated and random bytes either parse or throw the parser's own Error, and never
 * make it hold more than 64 KiB between reads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { H1ResponseParser } from '../../../bench/drivers/h1-parser.ts';
import { checkProperty, mutate, mutationArb, splitAt } from '../../helpers/fuzz.ts';

const MAX_HELD_BYTES = 64 * 1024;

interface ModelResponse {
  interim: Array<{ status: number; fields: Array<[string, string]> }>;
  status: number;
  fields: Array<[string, string]>;
  framing: 'length' | 'chunked' | 'close';
  chunks: number[];
  extensions: string[];
  trailers: Array<[string, string]>;
}

const nameArb = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/);
const valueArb = fc.stringMatching(/^[!-~]([ -~]{0,30}[!-~])?$/);
const fieldArb = fc.tuple(nameArb, valueArb).filter(([n]) => !/^(content-length|transfer-encoding)$/i.test(n));

const responseArb: fc.Arbitrary<ModelResponse> = fc.record({
  interim: fc.array(
    fc.record({ status: fc.constantFrom(100, 102, 103), fields: fc.array(fieldArb, { maxLength: 3 }) }),
    {
      maxLength: 2,
    },
  ),
  status: fc.constantFrom(200, 201, 204, 206, 301, 304, 404, 500, 599),
  fields: fc.array(fieldArb, { maxLength: 6 }),
  framing: fc.constantFrom('length', 'chunked', 'close'),
  chunks: fc.array(fc.integer({ min: 1, max: 3000 }), { maxLength: 5 }),
  extensions: fc.array(fc.stringMatching(/^(;[a-z]{1,8}(=[a-z0-9]{0,20})?){0,3}$/), { maxLength: 5 }),
  trailers: fc.array(fieldArb, { maxLength: 3 }),
});

/** Only the last response of a stream may run until close; 204 and 304 have no body whatever they say. */
function normalise(rs: ModelResponse[]): ModelResponse[] {
  return rs.map((r, i) => ({
    ...r,
    framing: r.framing === 'close' && i < rs.length - 1 ? 'length' : r.framing,
    chunks: r.status === 204 || r.status === 304 ? [] : r.chunks,
  }));
}

function bodyBytes(r: ModelResponse): number {
  return r.chunks.reduce((a, b) => a + b, 0);
}

function serialise(r: ModelResponse): Buffer {
  const head = (status: number, fields: Array<[string, string]>, extra: string[]): string =>
    `HTTP/1.1 ${status} Reason\r\n${[...fields.map(([n, v]) => `${n}: ${v}`), ...extra].map((l) => `${l}\r\n`).join('')}\r\n`;
  const parts = r.interim.map((i) => Buffer.from(head(i.status, i.fields, [])));
  const noBody = r.status === 204 || r.status === 304;
  if (r.framing === 'chunked') {
    parts.push(Buffer.from(head(r.status, r.fields, ['Transfer-Encoding: chunked'])));
    if (!noBody) {
      r.chunks.forEach((n, i) =>
        parts.push(
          Buffer.from(`${n.toString(16)}${r.extensions[i] ?? ''}\r\n`),
          Buffer.alloc(n, 0x62),
          Buffer.from('\r\n'),
        ),
      );
      parts.push(Buffer.from(`0\r\n${r.trailers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`));
    }
  } else {
    const extra = r.framing === 'length' ? [`Content-Length: ${bodyBytes(r)}`] : [];
    parts.push(Buffer.from(head(r.status, r.fields, extra)), Buffer.alloc(noBody ? 0 : bodyBytes(r), 0x62));
  }
  return Buffer.concat(parts);
}

/** Feeds the reads, checking what the parser holds after each; what the events were and how it ended. */
function run(reads: Buffer[]): { events: string[]; error: Error | null; maxHeld: number } {
  const events: string[] = [];
  let open = false;
  const parser = new H1ResponseParser({
    onInterim: (h) => events.push(`interim ${h.status}`),
    onHead: (h) => {
      assert.equal(open, false, 'a head before the previous response completed');
      open = true;
      events.push(`head ${h.status}`);
    },
    onBody: (n) => {
      assert.ok(open && n > 0, `body of ${n} bytes outside a response`);
      const last = events.at(-1) ?? '';
      if (last.startsWith('body ')) events[events.length - 1] = `body ${Number(last.slice(5)) + n}`;
      else events.push(`body ${n}`);
    },
    onComplete: () => {
      assert.equal(open, true, 'a completion without a head');
      open = false;
      events.push('complete');
    },
  });
  let maxHeld = 0;
  try {
    for (const r of reads) {
      parser.feed(r);
      maxHeld = Math.max(maxHeld, parser.pendingBytes);
    }
    parser.end();
  } catch (e) {
    // Only the parser's own errors: a TypeError or RangeError would be a bug, as would an assertion above.
    if (!(e instanceof Error) || e.constructor !== Error) throw e;
    return { events, error: e, maxHeld };
  }
  return { events, error: null, maxHeld };
}

function expectedEvents(rs: ModelResponse[]): string[] {
  return rs.flatMap((r) => [
    ...r.interim.map((i) => `interim ${i.status}`),
    `head ${r.status}`,
    ...(bodyBytes(r) > 0 ? [`body ${bodyBytes(r)}`] : []),
    'complete',
  ]);
}

const cutsArb = fc.array(fc.nat(), { maxLength: 24 });

test('fuzz h1 parser: valid response streams, split anywhere, parse exactly as their model says', async (t) => {
  await checkProperty(
    t,
    fc.property(fc.array(responseArb, { minLength: 1, maxLength: 4 }), cutsArb, (raw, cuts) => {
      const rs = normalise(raw);
      const r = run(splitAt(Buffer.concat(rs.map(serialise)), cuts));
      assert.equal(r.error, null);
      assert.deepEqual(r.events, expectedEvents(rs));
    }),
    { runs: 5_000, time_ms: 2_500 },
  );
});

test('fuzz h1 parser: mutated responses parse or throw the parser’s Error, holding at most 64 KiB', async (t) => {
  await checkProperty(
    t,
    fc.property(
      fc.array(responseArb, { minLength: 1, maxLength: 3 }),
      fc.array(mutationArb, { minLength: 1, maxLength: 6 }),
      cutsArb,
      (raw, mutations, cuts) => {
        const bytes = mutate(Buffer.concat(normalise(raw).map(serialise)), mutations);
        assert.ok(run(splitAt(bytes, cuts)).maxHeld <= MAX_HELD_BYTES);
      },
    ),
    { runs: 10_000, time_ms: 2_500 },
  );
});

/** Pieces of the grammar, so that random input reaches the chunked and trailer states, not only the status line. */
const FRAGMENTS = [
  'HTTP/1.1 200 OK\r\n',
  'HTTP/1.1 103 Early Hints\r\n',
  'HTTP/1.0 101 Switching\r\n',
  'Transfer-Encoding: chunked\r\n',
  'Content-Length: 3\r\n',
  'Content-Length: 4\r\n',
  '\r\n',
  '\n',
  '0\r\n',
  'ffff\r\n',
  '1;a=b\r\nx\r\n',
  'X-T: 1\r\n',
];

/** Where a random sequence starts: before, in or after a head, in a chunked body, in its trailers. */
const STARTS = [
  '',
  'HTTP/1.1 200 OK\r\n',
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n',
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n',
];

const pieceArb: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...FRAGMENTS).map((s) => Buffer.from(s)) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 256 }).map((a) => Buffer.from(a)) },
  // A long run of one byte: an endless line, header or chunk size.
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(0x31, 0x61, 0x20, 0x0d, 0x3b), fc.integer({ min: 1, max: 200_000 }))
      .map(([b, n]) => Buffer.alloc(n, b)),
  },
);

test('fuzz h1 parser: random bytes and grammar pieces, up to 200 KB runs, parse or throw, holding at most 64 KiB', async (t) => {
  await checkProperty(
    t,
    fc.property(
      fc.constantFrom(...STARTS),
      fc.array(pieceArb, { minLength: 1, maxLength: 30 }),
      cutsArb,
      (start, pieces, cuts) => {
        assert.ok(run(splitAt(Buffer.concat([Buffer.from(start), ...pieces]), cuts)).maxHeld <= MAX_HELD_BYTES);
      },
    ),
    { runs: 10_000, time_ms: 2_500 },
  );
});
