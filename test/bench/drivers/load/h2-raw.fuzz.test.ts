/**
 * Fuzzing the raw HTTP/2 driver's reading side (seed and budgets: test/helpers/fuzz.ts): the frame parser, the
 * HPACK `:status` reader, and a whole connection fed random and mutated frame streams by a "server".
 */
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type net from 'node:net';
import { Duplex } from 'node:stream';
import fc from 'fast-check';
import {
  FLAG_END_HEADERS,
  FRAME_CONTINUATION,
  FRAME_HEADERS,
  FRAME_SETTINGS,
  FrameParser,
  H2ProtocolError,
  encodeFrame,
} from '../../../../bench/drivers/load/h2-frames.ts';
import { readStatus } from '../../../../bench/drivers/load/h2-hpack.ts';
import { H2RawConn } from '../../../../bench/drivers/load/h2-raw.ts';
import type { LoadAnswer } from '../../../../bench/drivers/load/engine.ts';
import { checkProperty, mutate, mutationArb, splitAt } from '../../../helpers/fuzz.ts';

const MAX_HEADER_BLOCK_BYTES = 64 * 1024;

/** Rethrows anything but the driver's own protocol error. */
function onlyProtocolErrors(e: unknown): H2ProtocolError {
  if (e instanceof H2ProtocolError) return e;
  throw e;
}

const hpackArb = fc.constantFrom(
  [0x88],
  [0x8d],
  [0x20, 0x88],
  [0x08, 0x03, 0x35, 0x30, 0x33],
  [0x48, 0x82, 0x6c, 0x02],
  [0x00, 0x01, 0x61, 0x01, 0x62, 0x88],
  [0xbe],
);

const payloadArb: fc.Arbitrary<Buffer> = fc
  .oneof(
    { weight: 3, arbitrary: fc.uint8Array({ maxLength: 40 }) },
    { weight: 3, arbitrary: hpackArb.map((a) => Uint8Array.from(a)) },
    { weight: 2, arbitrary: fc.uint8Array({ minLength: 8, maxLength: 8 }) },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: 4, maxLength: 4 }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 3 }).map((k) => new Uint8Array(6 * k)) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 17_000 }).map((n) => new Uint8Array(n)) },
  )
  .map((a) => Buffer.from(a));

const frameArb: fc.Arbitrary<Buffer> = fc
  .record({
    type: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 9 }) }, { weight: 1, arbitrary: fc.nat(255) }),
    flags: fc.oneof(fc.constantFrom(0, 0x1, 0x4, 0x5, 0x8, 0x20, 0x24, 0x2d), fc.nat(255)),
    streamId: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(0, 1, 3, 5) }, { weight: 1, arbitrary: fc.nat() }),
    payload: payloadArb,
  })
  .map((f) => encodeFrame(f.type, f.flags, f.streamId, f.payload));

/** A header block on stream 1 in HEADERS + n CONTINUATIONs, ended or not: a flood when long enough. */
const headerBlockArb: fc.Arbitrary<Buffer> = fc
  .record({ n: fc.integer({ min: 1, max: 200 }), size: fc.integer({ min: 0, max: 16_384 }), end: fc.boolean() })
  .map(({ n, size, end }) => {
    const frames = [encodeFrame(FRAME_HEADERS, 0, 1, Buffer.from([0x88]))];
    for (let i = 1; i <= n; i++)
      frames.push(encodeFrame(FRAME_CONTINUATION, i === n && end ? FLAG_END_HEADERS : 0, 1, Buffer.alloc(size)));
    return Buffer.concat(frames);
  });

/** A frame stream: frames, then mutated; a header block of many frames; or plain random bytes. */
const streamArb: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 1, arbitrary: headerBlockArb },
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.array(frameArb, { minLength: 1, maxLength: 40 }), fc.array(mutationArb, { maxLength: 4 }))
      .map(([frames, ms]) => mutate(Buffer.concat(frames), ms)),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2048 }).map((a) => Buffer.from(a)) },
);

const cutsArb = fc.array(fc.nat(), { maxLength: 24 });

/** A payload's length and hash: megabytes of frames compare without megabytes of hex. */
function digest(payload: Buffer): string {
  return `${payload.length}:${createHash('sha1').update(payload).digest('hex').slice(0, 16)}`;
}

function parseEvents(reads: Buffer[]): { events: string[]; error: string | null } {
  const events: string[] = [];
  const p = new FrameParser({
    data: (id, flags, bytes, len) => events.push(`D ${id} ${flags} ${bytes}/${len}`),
    frame: (type, flags, id, payload) => events.push(`F ${type} ${id} ${flags} ${digest(payload)}`),
  });
  try {
    for (const r of reads) p.push(r);
  } catch (e) {
    return { events, error: onlyProtocolErrors(e).message };
  }
  return { events, error: null };
}

test('fuzz h2 frame parser: any bytes, split anywhere, give the same frames as one read, or the same H2ProtocolError', async (t) => {
  await checkProperty(
    t,
    fc.property(streamArb, cutsArb, (bytes, cuts) => {
      assert.deepEqual(parseEvents(splitAt(bytes, cuts)), parseEvents([bytes]));
    }),
    { runs: 5_000, time_ms: 2_500 },
  );
});

/** '0'..'9' Huffman-coded (RFC 7541 Appendix B), padded with EOS ones. */
function huffmanDigitString(digits: string): Buffer {
  let bits = '';
  for (const ch of digits) {
    const d = Number(ch);
    bits += d <= 2 ? d.toString(2).padStart(5, '0') : (0b011001 + d - 3).toString(2).padStart(6, '0');
  }
  bits += '1'.repeat((8 - (bits.length % 8)) % 8);
  return Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
}

const STATIC_INDEX: Record<number, number> = { 200: 8, 204: 9, 206: 10, 304: 11, 400: 12, 404: 13, 500: 14 };

/** A block whose `:status` is status: size update?, other fields, then :status indexed, raw or Huffman. */
const blockArb = fc
  .record({
    status: fc.integer({ min: 100, max: 999 }),
    sizeUpdate: fc.boolean(),
    others: fc.array(fc.tuple(fc.integer({ min: 15, max: 61 }), fc.uint8Array({ maxLength: 200 })), { maxLength: 3 }),
    form: fc.constantFrom('indexed', 'raw', 'huffman'),
    prefix: fc.constantFrom(0x00, 0x10, 0x40),
  })
  .map((b) => {
    const out: number[] = b.sizeUpdate ? [0x20] : [];
    for (const [index, value] of b.others) {
      // Literal without indexing, name index ≥ 15 (not :status); value length as an HPACK integer.
      out.push(0x0f, index - 15, ...(value.length < 127 ? [value.length] : [0x7f, value.length - 127]), ...value);
    }
    const digits = String(b.status);
    const indexed = STATIC_INDEX[b.status];
    if (b.form === 'indexed' && indexed !== undefined) out.push(0x80 | indexed);
    else if (b.form === 'huffman') {
      const h = huffmanDigitString(digits);
      out.push(b.prefix | 8, 0x80 | h.length, ...h);
    } else out.push(b.prefix | 8, 3, ...Buffer.from(digits));
    return { status: b.status, block: Buffer.from(out) };
  });

test('fuzz HPACK :status: well-formed blocks read their status; mutated and random ones a status or COMPRESSION_ERROR', async (t) => {
  await checkProperty(
    t,
    fc.property(blockArb, fc.array(mutationArb, { maxLength: 4 }), fc.uint8Array({ maxLength: 64 }), (b, ms, junk) => {
      assert.equal(readStatus(b.block), b.status);
      for (const block of [mutate(b.block, ms), Buffer.from(junk)]) {
        try {
          const st = readStatus(block);
          assert.ok(Number.isInteger(st) && st >= 0 && st <= 999, `status ${st}`);
        } catch (e) {
          assert.equal(onlyProtocolErrors(e).code, 0x9);
        }
      }
    }),
    { runs: 10_000, time_ms: 2_500 },
  );
});

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A socket whose peer reads at once; counts what the client wrote. */
function countingSocket(): { socket: Duplex; written: () => number } {
  let n = 0;
  const socket = new Duplex({
    read: () => undefined,
    write: (chunk: Buffer, _enc, cb) => {
      n += chunk.length;
      cb();
    },
  });
  return { socket, written: () => n };
}

test('fuzz raw h2 connection: random frame streams never throw out of a read, hold ≤ 64 KiB of header block, and get back no more than they sent', async (t) => {
  await checkProperty(
    t,
    fc.asyncProperty(streamArb, cutsArb, async (bytes, cuts) => {
      const { socket, written } = countingSocket();
      const conn = new H2RawConn(socket as unknown as net.Socket, { host: '127.0.0.1', port: 1 });
      conn.start(100, () => undefined);
      conn.onRead(encodeFrame(FRAME_SETTINGS, 0, 0));
      const outcomes: Array<LoadAnswer | Error> = [];
      for (let i = 0; i < 3; i++) {
        conn.request(`/bytes/${i}`, 60_000).then(
          (a) => outcomes.push(a),
          (e: Error) => outcomes.push(e),
        );
      }
      await tick();
      const before = written();
      for (const read of splitAt(bytes, cuts)) {
        conn.onRead(read);
        assert.ok(conn.pendingHeaderBytes <= MAX_HEADER_BLOCK_BYTES);
      }
      await tick();
      // Every reply answers a frame of at least its size; a connection error adds one GOAWAY (17 bytes).
      assert.ok(written() - before <= bytes.length + 17, `wrote ${written() - before} for ${bytes.length}`);
      const reason = conn.unusableReason;
      assert.ok(reason === null || /^(h2 protocol error: |server sent GOAWAY)/.test(reason), reason ?? '');
      for (const o of outcomes) {
        if (o instanceof Error) continue;
        assert.ok(Number.isInteger(o.status) && o.status >= 0 && o.status <= 999 && o.body_bytes >= 0);
      }
      conn.close();
    }),
    { runs: 3_000, time_ms: 3_000 },
  );
});
