/**
 * HTTP/2 framing (RFC 9113) a GET-only load client needs: frame constants, encoders and the frame parser. Pure
 * functions, no I/O: h2-raw.ts drives them over a socket; the header blocks are h2-hpack.ts's.
 */

export const FRAME_DATA = 0x0;
export const FRAME_HEADERS = 0x1;
export const FRAME_PRIORITY = 0x2;
export const FRAME_RST_STREAM = 0x3;
export const FRAME_SETTINGS = 0x4;
export const FRAME_PUSH_PROMISE = 0x5;
export const FRAME_PING = 0x6;
export const FRAME_GOAWAY = 0x7;
export const FRAME_WINDOW_UPDATE = 0x8;
export const FRAME_CONTINUATION = 0x9;

export const FLAG_END_STREAM = 0x1;
export const FLAG_ACK = 0x1;
export const FLAG_END_HEADERS = 0x4;
export const FLAG_PADDED = 0x8;
export const FLAG_PRIORITY = 0x20;

export const SETTINGS_HEADER_TABLE_SIZE = 0x1;
export const SETTINGS_ENABLE_PUSH = 0x2;
export const SETTINGS_MAX_CONCURRENT_STREAMS = 0x3;
export const SETTINGS_INITIAL_WINDOW_SIZE = 0x4;
export const SETTINGS_MAX_FRAME_SIZE = 0x5;

export const ERR_NO_ERROR = 0x0;
export const ERR_PROTOCOL_ERROR = 0x1;
export const ERR_FLOW_CONTROL_ERROR = 0x3;
export const ERR_FRAME_SIZE_ERROR = 0x6;
export const ERR_CANCEL = 0x8;
export const ERR_COMPRESSION_ERROR = 0x9;
/** The peer is generating excessive load (RFC 9113 §7): floods of frames we must answer or keep. */
export const ERR_ENHANCE_YOUR_CALM = 0xb;

export const FRAME_HEADER_BYTES = 9;
/** SETTINGS_MAX_FRAME_SIZE's initial value: what either side may send until told otherwise (we never tell). */
export const DEFAULT_MAX_FRAME_SIZE = 16_384;
export const DEFAULT_WINDOW = 65_535;
export const MAX_WINDOW = 2 ** 31 - 1;
export const MAX_STREAM_ID = 2 ** 31 - 1;

const CLIENT_MAGIC = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** A connection error (RFC 9113 §5.4.1): the connection must be torn down with GOAWAY(code). */
export class H2ProtocolError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'H2ProtocolError';
  }
}

/** Writes a 9-byte frame header at offset. */
export function writeFrameHeader(
  buf: Buffer,
  offset: number,
  length: number,
  type: number,
  flags: number,
  streamId: number,
): void {
  buf[offset] = (length >>> 16) & 0xff;
  buf[offset + 1] = (length >>> 8) & 0xff;
  buf[offset + 2] = length & 0xff;
  buf[offset + 3] = type;
  buf[offset + 4] = flags;
  buf.writeUInt32BE(streamId & 0x7fffffff, offset + 5);
}

/** One whole frame (any type), payload copied in. */
export function encodeFrame(
  type: number,
  flags: number,
  streamId: number,
  payload: Uint8Array = Buffer.alloc(0),
): Buffer {
  const buf = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  writeFrameHeader(buf, 0, payload.length, type, flags, streamId);
  buf.set(payload, FRAME_HEADER_BYTES);
  return buf;
}

/**
 * What a client writes first: the connection preface, SETTINGS (no dynamic HPACK table, no push, stream windows
 * at the maximum, max_concurrent_streams as given), then a WINDOW_UPDATE raising the connection window to 2^31-1.
 */
export function clientPreface(maxConcurrentStreams: number): Buffer {
  const settings: Array<[number, number]> = [
    [SETTINGS_HEADER_TABLE_SIZE, 0],
    [SETTINGS_ENABLE_PUSH, 0],
    [SETTINGS_MAX_CONCURRENT_STREAMS, maxConcurrentStreams >>> 0],
    [SETTINGS_INITIAL_WINDOW_SIZE, MAX_WINDOW],
  ];
  const payload = Buffer.allocUnsafe(settings.length * 6);
  settings.forEach(([id, value], i) => {
    payload.writeUInt16BE(id, i * 6);
    payload.writeUInt32BE(value, i * 6 + 2);
  });
  return Buffer.concat([
    CLIENT_MAGIC,
    encodeFrame(FRAME_SETTINGS, 0, 0, payload),
    windowUpdate(0, MAX_WINDOW - DEFAULT_WINDOW),
  ]);
}

const SETTINGS_ACK = encodeFrame(FRAME_SETTINGS, FLAG_ACK, 0);

export function settingsAck(): Buffer {
  return SETTINGS_ACK;
}

/** The PING ACK echoing an 8-byte PING payload. */
export function pingAck(payload: Buffer): Buffer {
  return encodeFrame(FRAME_PING, FLAG_ACK, 0, payload);
}

export function windowUpdate(streamId: number, increment: number): Buffer {
  if (!(Number.isInteger(increment) && increment >= 1 && increment <= MAX_WINDOW))
    throw new RangeError(`window increment ${increment} not in 1..2^31-1`);
  const p = Buffer.allocUnsafe(4);
  p.writeUInt32BE(increment, 0);
  return encodeFrame(FRAME_WINDOW_UPDATE, 0, streamId, p);
}

export function rstStream(streamId: number, code: number): Buffer {
  const p = Buffer.allocUnsafe(4);
  p.writeUInt32BE(code >>> 0, 0);
  return encodeFrame(FRAME_RST_STREAM, 0, streamId, p);
}

export function goaway(lastStreamId: number, code: number): Buffer {
  const p = Buffer.allocUnsafe(8);
  p.writeUInt32BE(lastStreamId & 0x7fffffff, 0);
  p.writeUInt32BE(code >>> 0, 4);
  return encodeFrame(FRAME_GOAWAY, 0, 0, p);
}

// ---------------------------------------------------------------- frame parser

export interface FrameVisitor {
  /**
   * A whole DATA frame. data_bytes: payload minus padding (what the body holds); frame_length: the whole payload
   * length, which is what flow control counts. The payload itself is never buffered.
   */
  data(streamId: number, flags: number, data_bytes: number, frame_length: number): void;
  /** Any other whole frame. payload is only valid during the call (it may be a view of the socket's buffer). */
  frame(type: number, flags: number, streamId: number, payload: Buffer): void;
}

/**
 * Incremental frame parser: chunks may split frames anywhere and hold any number of them. Throws
 * H2ProtocolError on a frame larger than maxFrameSize or bad DATA padding; after a throw it is unusable.
 * Chunks are not retained after push returns (it copies what it must keep), so a reused read buffer is fine.
 */
export class FrameParser {
  private readonly hdr = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  private hdrHave = 0;
  /** Inside a frame whose payload spans chunks. */
  private inFrame = false;
  private length = 0;
  private type = 0;
  private flags = 0;
  private streamId = 0;
  private remaining = 0;
  /** DATA: pad length; -1 while the PADDED length byte has not arrived. */
  private padLen = 0;
  /** Non-DATA frames spanning chunks are gathered here. */
  private payload: Buffer | null = null;

  constructor(
    private readonly visitor: FrameVisitor,
    private readonly maxFrameSize = DEFAULT_MAX_FRAME_SIZE,
  ) {}

  push(chunk: Buffer): void {
    const n = chunk.length;
    let pos = 0;
    while (pos < n) {
      if (this.inFrame) {
        pos = this.continueFrame(chunk, pos);
        continue;
      }
      let length: number;
      let type: number;
      let flags: number;
      let streamId: number;
      if (this.hdrHave === 0 && n - pos >= FRAME_HEADER_BYTES) {
        length = (chunk[pos]! << 16) | (chunk[pos + 1]! << 8) | chunk[pos + 2]!;
        type = chunk[pos + 3]!;
        flags = chunk[pos + 4]!;
        streamId = chunk.readUInt32BE(pos + 5) & 0x7fffffff;
        pos += FRAME_HEADER_BYTES;
      } else {
        const take = Math.min(FRAME_HEADER_BYTES - this.hdrHave, n - pos);
        chunk.copy(this.hdr, this.hdrHave, pos, pos + take);
        this.hdrHave += take;
        pos += take;
        if (this.hdrHave < FRAME_HEADER_BYTES) return;
        this.hdrHave = 0;
        const h = this.hdr;
        length = (h[0]! << 16) | (h[1]! << 8) | h[2]!;
        type = h[3]!;
        flags = h[4]!;
        streamId = h.readUInt32BE(5) & 0x7fffffff;
      }
      if (length > this.maxFrameSize) {
        throw new H2ProtocolError(
          ERR_FRAME_SIZE_ERROR,
          `frame of ${length} bytes exceeds the ${this.maxFrameSize}-byte maximum`,
        );
      }
      if (type === FRAME_DATA) {
        const padded = (flags & FLAG_PADDED) !== 0;
        if (padded && length === 0)
          throw new H2ProtocolError(ERR_PROTOCOL_ERROR, 'padded DATA frame without a pad length');
        if (n - pos >= length) {
          const pad = padded ? chunk[pos]! : 0;
          this.emitData(streamId, flags, length, pad);
          pos += length;
          continue;
        }
        this.padLen = padded ? -1 : 0;
        this.payload = null;
      } else {
        if (n - pos >= length) {
          this.visitor.frame(type, flags, streamId, chunk.subarray(pos, pos + length));
          pos += length;
          continue;
        }
        this.payload = Buffer.allocUnsafe(length);
      }
      this.inFrame = true;
      this.length = length;
      this.type = type;
      this.flags = flags;
      this.streamId = streamId;
      this.remaining = length;
    }
  }

  /** Consumes what the chunk holds of the current frame; returns the new position. */
  private continueFrame(chunk: Buffer, pos: number): number {
    const take = Math.min(this.remaining, chunk.length - pos);
    if (this.payload) {
      chunk.copy(this.payload, this.length - this.remaining, pos, pos + take);
    } else if (this.padLen < 0 && take > 0) {
      this.padLen = chunk[pos]!;
    }
    this.remaining -= take;
    pos += take;
    if (this.remaining === 0) {
      this.inFrame = false;
      if (this.payload) {
        const p = this.payload;
        this.payload = null;
        this.visitor.frame(this.type, this.flags, this.streamId, p);
      } else {
        this.emitData(this.streamId, this.flags, this.length, this.padLen);
      }
    }
    return pos;
  }

  private emitData(streamId: number, flags: number, length: number, pad: number): void {
    const padded = (flags & FLAG_PADDED) !== 0;
    // The pad length byte counts toward the payload; padding as long as the payload or longer is an error.
    if (padded && pad >= length)
      throw new H2ProtocolError(ERR_PROTOCOL_ERROR, `DATA padding ${pad} ≥ payload ${length}`);
    this.visitor.data(streamId, flags, padded ? length - 1 - pad : length, length);
  }
}

/** The header block fragment of a HEADERS frame's payload: padding and priority fields removed. */
export function headersFragment(flags: number, payload: Buffer): Buffer {
  let start = 0;
  let end = payload.length;
  if (flags & FLAG_PADDED) {
    if (payload.length < 1) throw new H2ProtocolError(ERR_PROTOCOL_ERROR, 'padded HEADERS frame without a pad length');
    end -= payload[0]!;
    start = 1;
  }
  if (flags & FLAG_PRIORITY) start += 5;
  if (end < start) throw new H2ProtocolError(ERR_PROTOCOL_ERROR, 'HEADERS padding/priority longer than the frame');
  return payload.subarray(start, end);
}
