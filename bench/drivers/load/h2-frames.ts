/**
 * HTTP/2 framing (RFC 9113) and the sliver of HPACK (RFC 7541) a GET-only load client needs. Pure functions,
 * no I/O: h2-raw.ts drives them over a socket.
 *
 * The client advertises SETTINGS_HEADER_TABLE_SIZE = 0, so the server's HPACK encoder keeps no dynamic table
 * and a response's `:status` can be read without any decoder state; everything else in a header block is skipped.
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
export function writeFrameHeader(buf: Buffer, offset: number, length: number, type: number, flags: number, streamId: number): void {
  buf[offset] = (length >>> 16) & 0xff;
  buf[offset + 1] = (length >>> 8) & 0xff;
  buf[offset + 2] = length & 0xff;
  buf[offset + 3] = type;
  buf[offset + 4] = flags;
  buf.writeUInt32BE(streamId & 0x7fffffff, offset + 5);
}

/** One whole frame (any type), payload copied in. */
export function encodeFrame(type: number, flags: number, streamId: number, payload: Uint8Array = Buffer.alloc(0)): Buffer {
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
  return Buffer.concat([CLIENT_MAGIC, encodeFrame(FRAME_SETTINGS, 0, 0, payload), windowUpdate(0, MAX_WINDOW - DEFAULT_WINDOW)]);
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
  if (!(Number.isInteger(increment) && increment >= 1 && increment <= MAX_WINDOW)) throw new RangeError(`window increment ${increment} not in 1..2^31-1`);
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

// ---------------------------------------------------------------- request HEADERS

/** An HPACK integer with an N-bit prefix (RFC 7541 §5.1); `first` holds the representation's high bits. */
function encodeInt(out: number[], first: number, prefixBits: number, value: number): void {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    out.push(first | value);
    return;
  }
  out.push(first | max);
  let v = value - max;
  while (v >= 128) {
    out.push((v % 128) + 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

/** Literal header field without indexing, name from the static table, raw (non-Huffman) value. */
function literalWithoutIndexing(out: number[], nameIndex: number, value: string): void {
  encodeInt(out, 0x00, 4, nameIndex);
  const bytes = Buffer.from(value, 'latin1');
  encodeInt(out, 0x00, 7, bytes.length);
  for (const b of bytes) out.push(b);
}

/** The HPACK block of a GET: :method GET (static 2), :scheme http (static 6), :authority (1), :path (4). */
export function encodeRequestHeaderBlock(path: string, authority: string): Buffer {
  const out: number[] = [0x82, 0x86];
  literalWithoutIndexing(out, 1, authority);
  literalWithoutIndexing(out, 4, path);
  return Buffer.from(out);
}

/** The frames of one request with the stream id left 0; requestInto stamps the id into a copy. */
export interface RequestTemplate {
  readonly bytes: Buffer;
  /** Where each frame's stream id sits (HEADERS, then any CONTINUATIONs). */
  readonly idOffsets: readonly number[];
}

/**
 * A GET's HEADERS frame (END_STREAM|END_HEADERS), encoded once per path. A block over maxFrameSize (only for
 * absurd paths) goes out as HEADERS + CONTINUATION frames.
 */
export function buildRequestTemplate(path: string, authority: string, maxFrameSize = DEFAULT_MAX_FRAME_SIZE): RequestTemplate {
  const block = encodeRequestHeaderBlock(path, authority);
  const frames = Math.max(1, Math.ceil(block.length / maxFrameSize));
  const bytes = Buffer.allocUnsafe(block.length + frames * FRAME_HEADER_BYTES);
  const idOffsets: number[] = [];
  let at = 0;
  for (let i = 0; i < frames; i++) {
    const part = block.subarray(i * maxFrameSize, (i + 1) * maxFrameSize);
    const last = i === frames - 1;
    const type = i === 0 ? FRAME_HEADERS : FRAME_CONTINUATION;
    const flags = (i === 0 ? FLAG_END_STREAM : 0) | (last ? FLAG_END_HEADERS : 0);
    writeFrameHeader(bytes, at, part.length, type, flags, 0);
    idOffsets.push(at + 5);
    part.copy(bytes, at + FRAME_HEADER_BYTES);
    at += FRAME_HEADER_BYTES + part.length;
  }
  return { bytes, idOffsets };
}

/** Copies the template into out at offset with streamId stamped in; returns the bytes written. */
export function requestInto(t: RequestTemplate, streamId: number, out: Buffer, offset: number): number {
  t.bytes.copy(out, offset);
  for (const o of t.idOffsets) out.writeUInt32BE(streamId, offset + o);
  return t.bytes.length;
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
        throw new H2ProtocolError(ERR_FRAME_SIZE_ERROR, `frame of ${length} bytes exceeds the ${this.maxFrameSize}-byte maximum`);
      }
      if (type === FRAME_DATA) {
        const padded = (flags & FLAG_PADDED) !== 0;
        if (padded && length === 0) throw new H2ProtocolError(ERR_PROTOCOL_ERROR, 'padded DATA frame without a pad length');
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
    if (padded && pad >= length) throw new H2ProtocolError(ERR_PROTOCOL_ERROR, `DATA padding ${pad} ≥ payload ${length}`);
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

// ---------------------------------------------------------------- HPACK :status

/** Static table indices 8..14 (RFC 7541 Appendix A). */
const STATIC_STATUS: Record<number, number> = { 8: 200, 9: 204, 10: 206, 11: 304, 12: 400, 13: 404, 14: 500 };
const STATIC_TABLE_SIZE = 61;
const STATUS_INDEX_FIRST = 8;
const STATUS_INDEX_LAST = 14;
const STATUS_NAME = Buffer.from(':status', 'latin1');

/** Reads an HPACK integer (RFC 7541 §5.1) at pos with an N-bit prefix. */
function readInt(block: Buffer, pos: number, prefixBits: number): { value: number; next: number } {
  const max = (1 << prefixBits) - 1;
  if (pos >= block.length) throw new H2ProtocolError(ERR_COMPRESSION_ERROR, 'header block ends inside an integer');
  let value = block[pos]! & max;
  pos++;
  if (value < max) return { value, next: pos };
  let mul = 1;
  for (;;) {
    if (pos >= block.length) throw new H2ProtocolError(ERR_COMPRESSION_ERROR, 'header block ends inside an integer');
    const b = block[pos]!;
    pos++;
    value += (b & 0x7f) * mul;
    mul *= 128;
    if ((b & 0x80) === 0) break;
    if (mul > 2 ** 28) throw new H2ProtocolError(ERR_COMPRESSION_ERROR, 'HPACK integer too large');
  }
  return { value, next: pos };
}

/** A string literal's bounds: { huffman, start, end, next }. */
function readString(block: Buffer, pos: number): { huffman: boolean; start: number; end: number } {
  if (pos >= block.length) throw new H2ProtocolError(ERR_COMPRESSION_ERROR, 'header block ends before a string');
  const huffman = (block[pos]! & 0x80) !== 0;
  const { value: len, next } = readInt(block, pos, 7);
  if (next + len > block.length) throw new H2ProtocolError(ERR_COMPRESSION_ERROR, 'string literal runs past the header block');
  return { huffman, start: next, end: next + len };
}

/** '0'..'9' Huffman-coded (RFC 7541 Appendix B); 0 when anything but digits and EOS padding is there. */
export function huffmanDigits(bytes: Buffer): number {
  const bits = bytes.length * 8;
  let at = 0;
  let value = 0;
  let digits = 0;
  const bit = (i: number): number => (bytes[i >>> 3]! >>> (7 - (i & 7))) & 1;
  while (at < bits) {
    const left = bits - at;
    if (left <= 7) {
      let ones = true;
      for (let i = at; i < bits; i++) if (bit(i) === 0) ones = false;
      if (ones) break; // EOS padding
    }
    if (left < 5) return 0;
    let v = 0;
    for (let i = 0; i < 5; i++) v = (v << 1) | bit(at + i);
    at += 5;
    let d: number;
    if (v <= 2) d = v; // 00000 '0', 00001 '1', 00010 '2'
    else if (v >= 0b01100 && v <= 0b01111 && at < bits) {
      const v6 = (v << 1) | bit(at);
      at += 1;
      if (v6 < 0b011001) return 0; // 011000 is '/'
      d = v6 - 0b011001 + 3; // 011001 '3' … 011111 '9'
    } else return 0;
    value = value * 10 + d;
    digits++;
  }
  return digits === 3 ? value : 0;
}

function rawDigits(block: Buffer, start: number, end: number): number {
  if (end - start !== 3) return 0;
  let value = 0;
  for (let i = start; i < end; i++) {
    const c = block[i]! - 0x30;
    if (c < 0 || c > 9) return 0;
    value = value * 10 + c;
  }
  return value;
}

/**
 * The response's `:status` from an HPACK header block decoded without a dynamic table (we advertised size 0).
 * 0 when the block has no readable `:status` (e.g. a Huffman code that is not a digit). Throws H2ProtocolError
 * (COMPRESSION_ERROR) on a dynamic-table reference or a malformed block.
 */
export function readStatus(block: Buffer): number {
  let pos = 0;
  let fields = 0;
  while (pos < block.length) {
    const b = block[pos]!;
    if (b & 0x80) {
      // Indexed header field (§6.1), 7-bit prefix.
      const { value: index, next } = readInt(block, pos, 7);
      pos = next;
      if (index === 0) throw new H2ProtocolError(ERR_COMPRESSION_ERROR, 'indexed header field with index 0');
      if (index > STATIC_TABLE_SIZE) throw new H2ProtocolError(ERR_COMPRESSION_ERROR, `dynamic table index ${index} but our table size is 0`);
      fields++;
      const st = STATIC_STATUS[index];
      if (st !== undefined) return st;
      continue;
    }
    if ((b & 0xe0) === 0x20) {
      // Dynamic table size update (§6.3), 5-bit prefix: only before the first field.
      if (fields > 0) throw new H2ProtocolError(ERR_COMPRESSION_ERROR, 'dynamic table size update after a header field');
      pos = readInt(block, pos, 5).next;
      continue;
    }
    // Literal: with incremental indexing (01, 6-bit), without indexing (0000, 4-bit), never indexed (0001, 4-bit).
    const prefix = (b & 0xc0) === 0x40 ? 6 : 4;
    const { value: nameIndex, next } = readInt(block, pos, prefix);
    pos = next;
    if (nameIndex > STATIC_TABLE_SIZE) throw new H2ProtocolError(ERR_COMPRESSION_ERROR, `dynamic table name index ${nameIndex} but our table size is 0`);
    let isStatus = nameIndex >= STATUS_INDEX_FIRST && nameIndex <= STATUS_INDEX_LAST;
    if (nameIndex === 0) {
      const name = readString(block, pos);
      pos = name.end;
      isStatus = !name.huffman && block.subarray(name.start, name.end).equals(STATUS_NAME);
    }
    const value = readString(block, pos);
    pos = value.end;
    fields++;
    if (isStatus) return value.huffman ? huffmanDigits(block.subarray(value.start, value.end)) : rawDigits(block, value.start, value.end);
  }
  return 0;
}
