/**
 * Hostile HTTP/2 servers against the raw h2 driver: a header block that never ends, and PINGs while the server
 * reads nothing. Each must end the connection with ENHANCE_YOUR_CALM, not grow the client's memory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Duplex } from 'node:stream';
import {
  ERR_ENHANCE_YOUR_CALM,
  FLAG_END_HEADERS,
  FRAME_CONTINUATION,
  FRAME_GOAWAY,
  FRAME_HEADERS,
  FRAME_PING,
  FRAME_SETTINGS,
  FrameParser,
  encodeFrame,
} from '../../../../bench/drivers/load/h2-frames.ts';
import { H2RawConn, h2RawLoadDriver, h2RawTransport } from '../../../../bench/drivers/load/h2-raw.ts';
import { loadOpts } from '../../../helpers/load.ts';

interface Scripted {
  port: number;
  /** GOAWAY error codes the client sent. */
  goaways: number[];
  /** Answers that ran to their end (answer returned null) rather than being cut off by the client. */
  answersFinished: () => number;
  close(): void;
}

/**
 * A server speaking just enough HTTP/2: SETTINGS first, then for each request HEADERS, `answer` writes frames
 * (one batch per macrotask, so the client reads as it goes) until it returns null or the client hangs up.
 */
async function scriptedServer(answer: (streamId: number, path: string, i: number) => Buffer | null): Promise<Scripted> {
  const sockets = new Set<net.Socket>();
  const goaways: number[] = [];
  let finished = 0;
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
    s.write(encodeFrame(FRAME_SETTINGS, 0, 0));
    let preface = 24;
    const p = new FrameParser({
      data: () => undefined,
      frame: (type, _flags, id, payload) => {
        if (type === FRAME_GOAWAY) goaways.push(payload.readUInt32BE(4));
        if (type !== FRAME_HEADERS) return;
        const path = /\/[!-~]*/.exec(payload.toString('latin1'))?.[0] ?? '';
        const pump = (i: number): void => {
          if (s.destroyed) return;
          const b = answer(id, path, i);
          if (!b) {
            finished++;
            return;
          }
          s.write(b);
          setImmediate(() => pump(i + 1));
        };
        pump(0);
      },
    });
    s.on('data', (c: Buffer) => {
      const skip = Math.min(preface, c.length);
      preface -= skip;
      p.push(c.subarray(skip));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    goaways,
    answersFinished: () => finished,
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

const FRAGMENT = Buffer.alloc(16_000, 0x41);
/** At most this many batches of CONTINUATIONs (16 MB of header block, or 20 000 empty frames), then the server stops. */
const FLOOD_FRAMES = 1_000;

test('raw h2: HEADERS without END_HEADERS, then endless CONTINUATION frames, end the connection with ENHANCE_YOUR_CALM', async (t) => {
  const srv = await scriptedServer((id, path, i) => {
    if (i === 0) return encodeFrame(FRAME_HEADERS, 0, id, Buffer.from([0x88]));
    if (i > FLOOD_FRAMES) return null;
    // Big fragments hit the byte bound; empty ones (20 per batch) the frame-count bound.
    if (path === '/empty')
      return Buffer.concat(Array.from({ length: 20 }, () => encodeFrame(FRAME_CONTINUATION, 0, id)));
    return encodeFrame(FRAME_CONTINUATION, 0, id, FRAGMENT);
  });
  t.after(() => srv.close());
  const target = { host: '127.0.0.1', port: srv.port };
  for (const path of ['/big', '/empty']) {
    const conn = await h2RawTransport.open(loadOpts({ target }));
    await assert.rejects(conn.request(path, 5_000), (e: Error) => {
      assert.match(e.message, /^h2 protocol error: header block over 65536 bytes or 128 frames/, path);
      return true;
    });
    assert.notEqual(conn.unusableReason, null);
    conn.close();
  }
  assert.equal(srv.answersFinished(), 0, 'the client hung up before the server ran out of frames');
  // The GOAWAY may be lost: the client closes with the flood unread, and a reset drops what the server has not read.
  assert.ok(
    srv.goaways.every((c) => c === ERR_ENHANCE_YOUR_CALM),
    `GOAWAY codes ${srv.goaways.join(', ')}`,
  );

  // Through the whole driver: every request is a counted error, none an answer.
  const r = await h2RawLoadDriver.run(loadOpts({ target, path: '/big', connections: 1, max_requests: 3 }));
  assert.equal(r.responses, 0);
  assert.ok(r.sent >= 1 && r.errors === r.sent, `sent ${r.sent}, errors ${r.errors}`);
});

/** A socket whose peer reads everything at once; `frames` parses what the client wrote after its preface. */
function capturingSocket(): { socket: Duplex; frames(): Array<{ type: number; payload: Buffer }> } {
  const written: Buffer[] = [];
  const socket = new Duplex({
    read: () => undefined,
    write: (chunk: Buffer, _enc, cb) => {
      written.push(chunk);
      cb();
    },
  });
  return {
    socket,
    frames() {
      const out: Array<{ type: number; payload: Buffer }> = [];
      const p = new FrameParser({
        data: () => undefined,
        frame: (type, _flags, _id, payload) => out.push({ type, payload: Buffer.from(payload) }),
      });
      p.push(Buffer.concat(written).subarray(24));
      return out;
    },
  };
}

test('raw h2: the CONTINUATION bounds, frame by frame: 64 KiB of header block, 128 frames; GOAWAY(ENHANCE_YOUR_CALM) goes out', async () => {
  for (const [fragment, frames] of [
    // HEADERS + 4 × 16 000 bytes fit; the 5th CONTINUATION does not. A block is at most 128 frames.
    [FRAGMENT, 6],
    [Buffer.alloc(0), 129],
  ] as const) {
    const { socket, frames: written } = capturingSocket();
    const conn = new H2RawConn(socket as unknown as net.Socket, { host: '127.0.0.1', port: 1 });
    conn.start(100, () => undefined);
    conn.onRead(encodeFrame(FRAME_SETTINGS, 0, 0));
    const answer = conn.request('/', 5_000);
    conn.onRead(encodeFrame(FRAME_HEADERS, 0, 1, Buffer.from([0x88])));
    let fed = 1;
    while (conn.unusableReason === null && fed < 10_000) {
      conn.onRead(encodeFrame(FRAME_CONTINUATION, 0, 1, fragment));
      fed++;
    }
    await assert.rejects(answer, /header block over 65536 bytes or 128 frames/);
    assert.equal(fed, frames, `frames fed, the erring one included (${fragment.length}-byte fragments)`);
    await tick();
    const goaway = written().find((f) => f.type === FRAME_GOAWAY);
    assert.equal(goaway?.payload.readUInt32BE(4), ERR_ENHANCE_YOUR_CALM);
    assert.ok(socket.destroyed);
  }
});

/** A socket whose peer reads nothing: writes queue in Node's buffer and never drain. */
function unreadSocket(): Duplex {
  return new Duplex({ read: () => undefined, write: () => undefined });
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test('raw h2: a PING flood while the server reads nothing ends with ENHANCE_YOUR_CALM; ACKs queued stay bounded', async () => {
  const socket = unreadSocket();
  const conn = new H2RawConn(socket as unknown as net.Socket, { host: '127.0.0.1', port: 1 });
  let ready = false;
  conn.start(100, () => (ready = true));
  conn.onRead(encodeFrame(FRAME_SETTINGS, 0, 0));
  assert.ok(ready);
  // One 64 KiB socket read of PINGs per macrotask, 400 of them (25 MB), as a server that never reads would send.
  const ping = encodeFrame(FRAME_PING, 0, 0, Buffer.from('0123456789abcdef', 'hex'));
  const read = Buffer.concat(Array.from({ length: Math.floor((64 * 1024) / ping.length) }, () => ping));
  let maxQueued = 0;
  let reads = 0;
  for (; reads < 400 && conn.unusableReason === null; reads++) {
    conn.onRead(read);
    await tick();
    maxQueued = Math.max(maxQueued, socket.writableLength);
  }
  assert.match(conn.unusableReason ?? 'still usable', /^h2 protocol error: PING\/SETTINGS flood/);
  assert.ok(socket.destroyed);
  assert.ok(maxQueued <= 3 * 64 * 1024, `${maxQueued} bytes queued for a server that reads nothing`);
  assert.ok(reads <= 3, `usable for ${reads} reads of PINGs`);
});

test('raw h2: a SETTINGS flood likewise, while PINGs of a server that reads are all answered', async () => {
  const flooded = unreadSocket();
  const conn = new H2RawConn(flooded as unknown as net.Socket, { host: '127.0.0.1', port: 1 });
  conn.start(100, () => undefined);
  const settings = encodeFrame(FRAME_SETTINGS, 0, 0);
  const read = Buffer.concat(Array.from({ length: Math.floor((64 * 1024) / settings.length) }, () => settings));
  for (let i = 0; i < 400 && conn.unusableReason === null; i++) {
    conn.onRead(read);
    await tick();
  }
  assert.match(conn.unusableReason ?? 'still usable', /PING\/SETTINGS flood/);

  // A peer that reads: 100 reads of PINGs (6.4 MB) are every one acked, and the connection stays usable.
  let acked = 0;
  const reading = new Duplex({
    read: () => undefined,
    write: (chunk: Buffer, _enc, cb) => {
      acked += chunk.length;
      setImmediate(cb);
    },
  });
  const ok = new H2RawConn(reading as unknown as net.Socket, { host: '127.0.0.1', port: 1 });
  ok.start(100, () => undefined);
  await tick();
  const before = acked;
  const ping = encodeFrame(FRAME_PING, 0, 0, Buffer.alloc(8, 7));
  const pings = Buffer.concat(Array.from({ length: 3855 }, () => ping));
  for (let i = 0; i < 100; i++) {
    ok.onRead(pings);
    await tick();
    await tick();
  }
  await tick();
  assert.equal(ok.unusableReason, null);
  assert.equal(acked - before, 100 * pings.length);
  ok.close();
});
