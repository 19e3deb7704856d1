/**
 * HTTP/2 load driver speaking the framing itself over a raw TCP socket (h2c with prior knowledge), GET only.
 * node:http2's client costs several times more CPU per stream than the server it measures; this one pre-encodes a
 * request's HEADERS frame once per path, stamps the stream id per request, batches writes per tick, reads
 * answers into one reused buffer and decodes nothing of a response but `:status` and the DATA lengths.
 * It plugs into engine.ts exactly like h2.ts, with the same error wording (so classifyError still sorts them).
 */
import net from 'node:net';
import { nowMs } from '../clock.ts';
import { runLoad, type LoadAnswer, type LoadConn, type LoadTransport } from './engine.ts';
import type { LoadDriver, LoadOptions } from './types.ts';
import {
  ERR_CANCEL,
  ERR_ENHANCE_YOUR_CALM,
  ERR_FRAME_SIZE_ERROR,
  ERR_NO_ERROR,
  ERR_PROTOCOL_ERROR,
  FLAG_ACK,
  FLAG_END_HEADERS,
  FLAG_END_STREAM,
  FRAME_CONTINUATION,
  FRAME_GOAWAY,
  FRAME_HEADERS,
  FRAME_PING,
  FRAME_PUSH_PROMISE,
  FRAME_RST_STREAM,
  FRAME_SETTINGS,
  FrameParser,
  H2ProtocolError,
  MAX_STREAM_ID,
  clientPreface,
  goaway,
  headersFragment,
  pingAck,
  rstStream,
  settingsAck,
  windowUpdate,
  type FrameVisitor,
} from './h2-frames.ts';
import { buildRequestTemplate, readStatus, requestInto, type RequestTemplate } from './h2-hpack.ts';

/** Timeouts are checked this often, so a request may run up to this much past its timeout. */
const SWEEP_MS = 50;
/** Receive-window bytes consumed before we hand them back (windows are 2^31-1, so this never throttles). */
const WINDOW_REFILL_BYTES = 2 ** 30;
/** One read buffer per connection, reused for every read (the parser copies what it keeps). */
const READ_BUFFER_BYTES = 64 * 1024;
/** A response header block (HEADERS + CONTINUATIONs) past either bound is a connection error, not memory. */
const MAX_HEADER_BLOCK_BYTES = 64 * 1024;
const MAX_HEADER_BLOCK_FRAMES = 128;
/**
 * ACKs (PING, SETTINGS) queued while the socket has not drained, i.e. while the server reads nothing of ours:
 * past this, a flood. Each read (≤ 64 KiB) is flushed before the next, so at most this plus one read is queued.
 */
const MAX_UNDRAINED_ACK_BYTES = 64 * 1024;

class Stream {
  status = 0;
  /** A final (non-1xx) response HEADERS has arrived. */
  answered = false;
  body_bytes = 0;
  /** DATA bytes (with padding) since this stream's window was last refilled. */
  unacked = 0;
  constructor(
    readonly id: number,
    readonly deadline_ms: number,
    readonly timeout_ms: number,
    readonly resolve: (a: LoadAnswer) => void,
    readonly reject: (e: Error) => void,
  ) {}
}

export class H2RawConn implements LoadConn, FrameVisitor {
  private reason: string | null = null;
  private readonly streams = new Map<number, Stream>();
  private nextId = 1;
  private readonly parser = new FrameParser(this);
  private readonly authority: string;
  private lastPath: string | null = null;
  private lastTemplate: RequestTemplate | null = null;
  private readonly templates = new Map<string, RequestTemplate>();
  /** Frames waiting for the next tick's single socket write. */
  private out = Buffer.allocUnsafe(4096);
  private outLen = 0;
  private flushQueued = false;
  /** Connection-level DATA bytes since the connection window was last refilled. */
  private connUnacked = 0;
  /** A HEADERS block waiting for CONTINUATION frames. */
  private continuation: { streamId: number; endStream: boolean; parts: Buffer[]; bytes: number } | null = null;
  /** ACK bytes queued since the socket last drained. */
  private undrainedAck_bytes = 0;
  private sweep: NodeJS.Timeout | null = null;
  private onSettings: (() => void) | null = null;
  private settingsSeen = false;

  constructor(
    private readonly socket: net.Socket,
    target: { host: string; port: number },
  ) {
    this.authority = `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
    socket.on('error', (e: NodeJS.ErrnoException) => this.fail(e.code ?? e.message));
    socket.on('close', () => this.fail('connection closed'));
    socket.on('drain', () => (this.undrainedAck_bytes = 0));
  }

  get unusableReason(): string | null {
    return this.reason;
  }

  /** Bytes of an unfinished header block held between frames (at most 64 KiB). */
  get pendingHeaderBytes(): number {
    return this.continuation?.bytes ?? 0;
  }

  /** Writes the preface; `ready` resolves on the server's first SETTINGS. */
  start(maxConcurrentStreams: number, ready: () => void): void {
    this.onSettings = ready;
    this.send(clientPreface(maxConcurrentStreams));
  }

  /** Testing aid: the next stream id to be used (odd). */
  setNextStreamId(id: number): void {
    this.nextId = id;
  }

  /** Bytes read by the socket (wired to net.connect's onread). */
  onRead(chunk: Buffer): void {
    if (this.socket.destroyed) return;
    try {
      this.parser.push(chunk);
    } catch (e) {
      const code = e instanceof H2ProtocolError ? e.code : ERR_PROTOCOL_ERROR;
      const msg = e instanceof Error ? e.message : String(e);
      this.continuation = null;
      this.send(goaway(0, code));
      this.flush();
      this.fail(`h2 protocol error: ${msg}`);
      this.socket.destroy();
    }
  }

  request(path: string, timeout_ms: number): Promise<LoadAnswer> {
    if (this.reason !== null) return Promise.reject(new Error(this.reason));
    const id = this.nextId;
    if (id > MAX_STREAM_ID) {
      this.reason = 'stream ids exhausted';
      return Promise.reject(new Error(this.reason));
    }
    this.nextId = id + 2;
    if (this.nextId > MAX_STREAM_ID) this.reason = 'stream ids exhausted';
    let t: RequestTemplate | null | undefined = path === this.lastPath ? this.lastTemplate : this.templates.get(path);
    if (!t) {
      t = buildRequestTemplate(path, this.authority);
      if (this.templates.size >= 64) this.templates.clear();
      this.templates.set(path, t);
    }
    this.lastPath = path;
    this.lastTemplate = t;
    this.reserve(t.bytes.length);
    this.outLen += requestInto(t, id, this.out, this.outLen);
    this.scheduleFlush();
    return new Promise<LoadAnswer>((resolve, reject) => {
      this.streams.set(id, new Stream(id, nowMs() + timeout_ms, timeout_ms, resolve, reject));
      if (this.sweep === null) this.armSweep();
    });
  }

  close(): void {
    if (this.sweep) clearInterval(this.sweep);
    this.sweep = null;
    if (this.socket.destroyed) return;
    this.reason ??= 'closed by client';
    this.failStreams(new Error('connection closed by client'));
    this.send(goaway(0, ERR_NO_ERROR));
    this.flush();
    this.socket.end();
    // The server closes on our GOAWAY + FIN; do not keep the socket around if it does not.
    setTimeout(() => this.socket.destroy(), 1_000).unref();
  }

  // ------------------------------------------------------------ FrameVisitor

  data(streamId: number, flags: number, data_bytes: number, frame_length: number): void {
    if (this.continuation) throw new H2ProtocolError(ERR_PROTOCOL_ERROR, 'DATA frame inside a header block');
    if (streamId === 0) throw new H2ProtocolError(ERR_PROTOCOL_ERROR, 'DATA frame on stream 0');
    this.connUnacked += frame_length;
    if (this.connUnacked > WINDOW_REFILL_BYTES) {
      this.send(windowUpdate(0, this.connUnacked));
      this.connUnacked = 0;
    }
    const s = this.streams.get(streamId);
    if (!s) return; // timed out or cancelled: the bytes still counted against the connection window
    s.body_bytes += data_bytes;
    s.unacked += frame_length;
    if (flags & FLAG_END_STREAM) {
      this.finish(s);
      return;
    }
    if (s.unacked > WINDOW_REFILL_BYTES) {
      this.send(windowUpdate(streamId, s.unacked));
      s.unacked = 0;
    }
  }

  frame(type: number, flags: number, streamId: number, payload: Buffer): void {
    if (this.continuation && type !== FRAME_CONTINUATION) {
      throw new H2ProtocolError(ERR_PROTOCOL_ERROR, `frame type ${type} inside a header block`);
    }
    switch (type) {
      case FRAME_HEADERS: {
        if (streamId === 0) throw new H2ProtocolError(ERR_PROTOCOL_ERROR, 'HEADERS on stream 0');
        const fragment = headersFragment(flags, payload);
        const endStream = (flags & FLAG_END_STREAM) !== 0;
        if (flags & FLAG_END_HEADERS) this.headerBlock(streamId, endStream, fragment);
        else this.continuation = { streamId, endStream, parts: [Buffer.from(fragment)], bytes: fragment.length };
        return;
      }
      case FRAME_CONTINUATION: {
        const c = this.continuation;
        if (!c || c.streamId !== streamId)
          throw new H2ProtocolError(ERR_PROTOCOL_ERROR, 'unexpected CONTINUATION frame');
        if (c.bytes + payload.length > MAX_HEADER_BLOCK_BYTES || c.parts.length >= MAX_HEADER_BLOCK_FRAMES)
          throw new H2ProtocolError(
            ERR_ENHANCE_YOUR_CALM,
            `header block over ${MAX_HEADER_BLOCK_BYTES} bytes or ${MAX_HEADER_BLOCK_FRAMES} frames (CONTINUATION flood)`,
          );
        c.bytes += payload.length;
        c.parts.push(Buffer.from(payload));
        if (flags & FLAG_END_HEADERS) {
          this.continuation = null;
          this.headerBlock(streamId, c.endStream, Buffer.concat(c.parts));
        }
        return;
      }
      case FRAME_RST_STREAM: {
        if (payload.length !== 4) throw new H2ProtocolError(ERR_FRAME_SIZE_ERROR, 'RST_STREAM payload not 4 bytes');
        const s = this.streams.get(streamId);
        if (!s) return;
        this.streams.delete(streamId);
        s.reject(new Error(`stream reset (code ${payload.readUInt32BE(0)})`));
        return;
      }
      case FRAME_SETTINGS: {
        if (streamId !== 0) throw new H2ProtocolError(ERR_PROTOCOL_ERROR, 'SETTINGS on a stream');
        if (flags & FLAG_ACK) return;
        if (payload.length % 6 !== 0)
          throw new H2ProtocolError(ERR_FRAME_SIZE_ERROR, 'SETTINGS payload not a multiple of 6');
        this.sendAck(settingsAck());
        if (!this.settingsSeen) {
          this.settingsSeen = true;
          const ready = this.onSettings;
          this.onSettings = null;
          ready?.();
        }
        return;
      }
      case FRAME_PING: {
        if (payload.length !== 8) throw new H2ProtocolError(ERR_FRAME_SIZE_ERROR, 'PING payload not 8 bytes');
        if (!(flags & FLAG_ACK)) this.sendAck(pingAck(payload));
        return;
      }
      case FRAME_GOAWAY: {
        if (payload.length < 8) throw new H2ProtocolError(ERR_FRAME_SIZE_ERROR, 'GOAWAY payload under 8 bytes');
        const last = payload.readUInt32BE(0) & 0x7fffffff;
        const code = payload.readUInt32BE(4);
        this.reason ??= 'server sent GOAWAY';
        for (const [id, s] of this.streams) {
          if (id <= last) continue;
          this.streams.delete(id);
          s.reject(new Error(`server sent GOAWAY (code ${code})`));
        }
        return;
      }
      case FRAME_PUSH_PROMISE:
        throw new H2ProtocolError(ERR_PROTOCOL_ERROR, 'PUSH_PROMISE although push is disabled');
      default:
        // PRIORITY, WINDOW_UPDATE (we send no DATA), unknown types: nothing to do.
        return;
    }
  }

  // ------------------------------------------------------------ internals

  private headerBlock(streamId: number, endStream: boolean, block: Buffer): void {
    const s = this.streams.get(streamId);
    // Without a dynamic table there is no decoder state to keep up, so blocks of unknown streams are skipped.
    if (!s) return;
    if (!s.answered) {
      const status = readStatus(block);
      // 1xx informational responses precede the real one.
      if (status >= 100 && status < 200 && !endStream) return;
      s.status = status;
      s.answered = true;
    }
    if (endStream) this.finish(s);
  }

  private finish(s: Stream): void {
    this.streams.delete(s.id);
    s.resolve({ status: s.status, body_bytes: s.body_bytes });
  }

  private fail(reason: string): void {
    this.reason ??= reason;
    if (this.sweep) clearInterval(this.sweep);
    this.sweep = null;
    this.failStreams(new Error(reason));
  }

  private failStreams(err: Error): void {
    if (this.streams.size === 0) return;
    const all = [...this.streams.values()];
    this.streams.clear();
    for (const s of all) s.reject(err);
  }

  private reserve(n: number): void {
    if (this.outLen + n <= this.out.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.out.length * 2, this.outLen + n));
    this.out.copy(bigger, 0, 0, this.outLen);
    this.out = bigger;
  }

  /** An ACK the peer asked for; one that keeps asking while it reads nothing of ours is flooding. */
  private sendAck(frame: Buffer): void {
    if (this.socket.writableNeedDrain) {
      this.undrainedAck_bytes += frame.length;
      if (this.undrainedAck_bytes > MAX_UNDRAINED_ACK_BYTES)
        throw new H2ProtocolError(
          ERR_ENHANCE_YOUR_CALM,
          `PING/SETTINGS flood: over ${MAX_UNDRAINED_ACK_BYTES} bytes of ACKs queued while the server reads nothing`,
        );
    }
    this.send(frame);
  }

  private send(frame: Buffer): void {
    this.reserve(frame.length);
    frame.copy(this.out, this.outLen);
    this.outLen += frame.length;
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    process.nextTick(this.flushTick);
  }

  private readonly flushTick = (): void => {
    this.flushQueued = false;
    this.flush();
  };

  /** One socket write of everything queued (copied out: the staging buffer is reused). */
  private flush(): void {
    const n = this.outLen;
    if (n === 0) return;
    this.outLen = 0;
    if (this.socket.destroyed || this.socket.writableEnded) return;
    const b = Buffer.allocUnsafe(n);
    this.out.copy(b, 0, 0, n);
    this.socket.write(b);
  }

  private armSweep(): void {
    this.sweep = setInterval(() => {
      const now = nowMs();
      for (const [id, s] of this.streams) {
        if (s.deadline_ms > now) continue;
        this.streams.delete(id);
        s.reject(new Error(`timeout after ${s.timeout_ms} ms`));
        this.send(rstStream(id, ERR_CANCEL));
      }
      if (this.streams.size === 0 && this.sweep) {
        clearInterval(this.sweep);
        this.sweep = null;
      }
    }, SWEEP_MS);
    this.sweep.unref();
  }
}

export const h2RawTransport: LoadTransport = {
  open(opts: LoadOptions): Promise<LoadConn> {
    return new Promise((resolve, reject) => {
      let conn: H2RawConn | null = null;
      let settled = false;
      const readBuf = Buffer.allocUnsafe(READ_BUFFER_BYTES);
      const socket = net.connect({
        host: opts.target.host,
        port: opts.target.port,
        // Without TCP_NODELAY, Nagle + delayed ACKs hold small frames ~40 ms.
        noDelay: true,
        onread: {
          buffer: readBuf,
          callback: (n: number, buf: Uint8Array) => {
            conn?.onRead(Buffer.from(buf.buffer, buf.byteOffset, n));
            return true;
          },
        },
      });
      const done = (err: Error | null): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.removeListener('error', onError);
        socket.removeListener('close', onClose);
        if (err || !conn) {
          socket.destroy();
          reject(err ?? new Error('connection closed'));
        } else resolve(conn);
      };
      const timer = setTimeout(() => done(new Error(`connect timeout after ${opts.timeout_ms} ms`)), opts.timeout_ms);
      const onError = (e: NodeJS.ErrnoException): void => done(new Error(e.code ?? e.message));
      const onClose = (): void => done(new Error(conn?.unusableReason ?? 'connection closed'));
      socket.once('error', onError);
      socket.once('close', onClose);
      conn = new H2RawConn(socket, opts.target);
      // Our SETTINGS advertise enough streams for per_connection; the engine never has more in flight.
      conn.start(Math.max(100, opts.per_connection), () => done(null));
    });
  },
};

export const h2RawLoadDriver: LoadDriver = {
  name: 'raw-h2',
  run: (opts, signal) => runLoad('raw-h2', h2RawTransport, opts, signal),
};
