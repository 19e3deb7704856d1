/**
 * The sliver of HPACK (RFC 7541) a GET-only load client needs: a request's header block and its HEADERS frames,
 * and a response's `:status`. Pure functions, no I/O.
 *
 * The client advertises SETTINGS_HEADER_TABLE_SIZE = 0, so the server's HPACK encoder keeps no dynamic table
 * and a response's `:status` can be read without any decoder state; everything else in a header block is skipped.
 */
import {
  DEFAULT_MAX_FRAME_SIZE,
  ERR_COMPRESSION_ERROR,
  FLAG_END_HEADERS,
  FLAG_END_STREAM,
  FRAME_CONTINUATION,
  FRAME_HEADERS,
  FRAME_HEADER_BYTES,
  H2ProtocolError,
  writeFrameHeader,
} from './h2-frames.ts';

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
export function buildRequestTemplate(
  path: string,
  authority: string,
  maxFrameSize = DEFAULT_MAX_FRAME_SIZE,
): RequestTemplate {
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
  if (next + len > block.length)
    throw new H2ProtocolError(ERR_COMPRESSION_ERROR, 'string literal runs past the header block');
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
    if (v <= 2)
      d = v; // 00000 '0', 00001 '1', 00010 '2'
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
      if (index > STATIC_TABLE_SIZE)
        throw new H2ProtocolError(ERR_COMPRESSION_ERROR, `dynamic table index ${index} but our table size is 0`);
      fields++;
      const st = STATIC_STATUS[index];
      if (st !== undefined) return st;
      continue;
    }
    if ((b & 0xe0) === 0x20) {
      // Dynamic table size update (§6.3), 5-bit prefix: only before the first field.
      if (fields > 0)
        throw new H2ProtocolError(ERR_COMPRESSION_ERROR, 'dynamic table size update after a header field');
      pos = readInt(block, pos, 5).next;
      continue;
    }
    // Literal: with incremental indexing (01, 6-bit), without indexing (0000, 4-bit), never indexed (0001, 4-bit).
    const prefix = (b & 0xc0) === 0x40 ? 6 : 4;
    const { value: nameIndex, next } = readInt(block, pos, prefix);
    pos = next;
    if (nameIndex > STATIC_TABLE_SIZE)
      throw new H2ProtocolError(ERR_COMPRESSION_ERROR, `dynamic table name index ${nameIndex} but our table size is 0`);
    let isStatus = nameIndex >= STATUS_INDEX_FIRST && nameIndex <= STATUS_INDEX_LAST;
    if (nameIndex === 0) {
      const name = readString(block, pos);
      pos = name.end;
      isStatus = !name.huffman && block.subarray(name.start, name.end).equals(STATUS_NAME);
    }
    const value = readString(block, pos);
    pos = value.end;
    fields++;
    if (isStatus)
      return value.huffman
        ? huffmanDigits(block.subarray(value.start, value.end))
        : rawDigits(block, value.start, value.end);
  }
  return 0;
}
