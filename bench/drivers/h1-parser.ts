/**
 * Incremental HTTP/1.1 response parser for the probe client: status, headers, and body framing
 * (Content-Length, chunked, or until close). It counts body bytes rather than keeping them.
 *
 * Made for hostile servers too: every line it must hold across reads is bounded (the head and the trailer
 * section at 64 KiB, a chunk-size line at 4 KiB), each byte is searched once (no re-scan of held bytes), and a
 * malformed response throws an Error, after which the parser is unusable.
 */
export interface H1ResponseHead {
  status: number;
  headers: Record<string, string>;
}

export interface H1ParserEvents {
  /** The final (non-1xx) response's head. */
  onHead(head: H1ResponseHead): void;
  onBody(bytes: number): void;
  onComplete(): void;
  /** A 1xx interim response (100 Continue, 103 Early Hints): the final response of the same request follows. */
  onInterim?(head: H1ResponseHead): void;
}

type State =
  | { kind: 'status' }
  | { kind: 'fields'; status: number; headers: Map<string, string>; head_bytes: number }
  | { kind: 'length'; left: number }
  | { kind: 'chunk-size' }
  | { kind: 'chunk-data'; left: number }
  | { kind: 'chunk-data-crlf'; cr: boolean }
  | { kind: 'trailers'; section_bytes: number }
  | { kind: 'until-close' };

const MAX_HEAD_BYTES = 64 * 1024;
/** A chunk-size line with its extensions and CRLF. */
const MAX_CHUNK_SIZE_LINE_BYTES = 4 * 1024;
const MAX_TRAILER_BYTES = 64 * 1024;
const LF = 0x0a;
const CR = 0x0d;

/**
 * One line gathered across reads. Bytes are appended into a buffer that doubles when full (amortised copies)
 * and searched for LF only once, so a line fed in many small reads costs time linear in its length.
 */
class LineBuffer {
  private buf = Buffer.alloc(0);
  private len = 0;
  /** The last complete line, without its CRLF (or bare LF). */
  text = '';
  /** The last complete line's length with its terminator (what the head and trailer budgets count). */
  line_bytes = 0;
  /** Bytes the LF search has looked at, over the parser's life. */
  scanned_bytes = 0;

  get held_bytes(): number {
    return this.len;
  }

  /**
   * Takes chunk bytes from off through the next LF. Returns the offset after the LF with `text` set, or -1 when
   * the chunk ended first (its bytes are kept). Throws tooLong once the line (held bytes included) would exceed
   * max_bytes.
   */
  take(chunk: Buffer, off: number, max_bytes: number, tooLong: string): number {
    // Search no further than the bound: beyond it the line is too long anyway.
    const limit = Math.min(chunk.length, off + Math.max(0, max_bytes - this.len));
    const nl = chunk.subarray(off, limit).indexOf(LF);
    const end = nl < 0 ? limit : off + nl + 1;
    this.scanned_bytes += end - off;
    if (nl < 0) {
      if (limit < chunk.length) throw new Error(tooLong);
      this.append(chunk, off, end);
      return -1;
    }
    this.line_bytes = this.len + (end - off);
    let line: Buffer;
    if (this.len === 0) line = chunk.subarray(off, end - 1);
    else {
      this.append(chunk, off, end - 1);
      line = this.buf.subarray(0, this.len);
      this.len = 0;
    }
    const stop = line.length > 0 && line[line.length - 1] === CR ? line.length - 1 : line.length;
    this.text = line.toString('latin1', 0, stop);
    return end;
  }

  private append(chunk: Buffer, from: number, to: number): void {
    const need = this.len + (to - from);
    if (need > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(256, this.buf.length * 2, need));
      this.buf.copy(bigger, 0, 0, this.len);
      this.buf = bigger;
    }
    chunk.copy(this.buf, this.len, from, to);
    this.len = need;
  }
}

export class H1ResponseParser {
  private state: State = { kind: 'status' };
  private readonly line = new LineBuffer();
  /** A 1xx arrived and the final response has not begun. */
  private awaitingFinal = false;

  constructor(
    private readonly events: H1ParserEvents,
    private readonly isHeadRequest: () => boolean = () => false,
  ) {}

  /** True while a response body runs until the connection closes. */
  get readsUntilClose(): boolean {
    return this.state.kind === 'until-close';
  }

  /** Bytes of an unfinished line held between reads (at most 64 KiB). */
  get pendingBytes(): number {
    return this.line.held_bytes;
  }

  /** Bytes the line searches have looked at so far: each byte fed at most once. */
  get scannedBytes(): number {
    return this.line.scanned_bytes;
  }

  /** Call when the connection ends: completes a close-delimited body. Returns false if a response was cut short. */
  end(): boolean {
    if (this.state.kind === 'until-close') {
      this.state = { kind: 'status' };
      this.events.onComplete();
      return true;
    }
    return this.state.kind === 'status' && this.line.held_bytes === 0 && !this.awaitingFinal;
  }

  feed(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length) {
      const s = this.state;
      if (s.kind === 'length' || s.kind === 'chunk-data') {
        const n = Math.min(s.left, chunk.length - off);
        off += n;
        s.left -= n;
        if (n > 0) this.events.onBody(n);
        if (s.left > 0) continue;
        if (s.kind === 'chunk-data') this.state = { kind: 'chunk-data-crlf', cr: false };
        else this.complete();
      } else if (s.kind === 'until-close') {
        this.events.onBody(chunk.length - off);
        off = chunk.length;
      } else if (s.kind === 'chunk-data-crlf') {
        const b = chunk[off++];
        if (b === CR && !s.cr) s.cr = true;
        else if (b === LF) this.state = { kind: 'chunk-size' };
        else throw new Error('chunk data not followed by CRLF');
      } else {
        off = this.line.take(chunk, off, ...lineBound(s));
        if (off < 0) return;
        this.onLine(s, this.line.text, this.line.line_bytes);
      }
    }
  }

  private onLine(s: State, text: string, bytes: number): void {
    if (s.kind === 'status') {
      this.state = { kind: 'fields', status: parseStatusLine(text), headers: new Map(), head_bytes: bytes };
    } else if (s.kind === 'fields') {
      s.head_bytes += bytes;
      if (text === '') this.onHeadEnd(s.status, s.headers);
      else addField(s.headers, text);
    } else if (s.kind === 'chunk-size') {
      const size = parseChunkSize(text);
      this.state = size === 0 ? { kind: 'trailers', section_bytes: 0 } : { kind: 'chunk-data', left: size };
    } else if (s.kind === 'trailers') {
      s.section_bytes += bytes;
      if (text === '') this.complete();
    }
  }

  private onHeadEnd(status: number, fields: Map<string, string>): void {
    const head: H1ResponseHead = { status, headers: Object.fromEntries(fields) };
    if (status === 101) throw new Error('101 Switching Protocols, but no upgrade was asked for');
    if (status < 200) {
      this.awaitingFinal = true;
      this.state = { kind: 'status' };
      this.events.onInterim?.(head);
      return;
    }
    this.awaitingFinal = false;
    this.events.onHead(head);
    this.state = bodyStateFor(head, this.isHeadRequest());
    if (this.state.kind === 'status') this.events.onComplete();
  }

  private complete(): void {
    this.state = { kind: 'status' };
    this.events.onComplete();
  }
}

/** How long the line the state waits for may grow, and the error past that. */
function lineBound(s: State): [max_bytes: number, tooLong: string] {
  switch (s.kind) {
    case 'status':
      return [MAX_HEAD_BYTES, 'response head larger than 64 KiB'];
    case 'fields':
      return [MAX_HEAD_BYTES - s.head_bytes, 'response head larger than 64 KiB'];
    case 'chunk-size':
      return [MAX_CHUNK_SIZE_LINE_BYTES, 'chunk-size line longer than 4 KiB'];
    case 'trailers':
      return [MAX_TRAILER_BYTES - s.section_bytes, 'trailer section larger than 64 KiB'];
    default:
      throw new Error(`no line to read in state ${s.kind}`);
  }
}

function parseStatusLine(line: string): number {
  const m = /^HTTP\/1\.[01] ([1-9]\d\d)(?: |$)/.exec(line);
  if (!m?.[1]) throw new Error(`bad status line: ${JSON.stringify(line.slice(0, 80))}`);
  return Number(m[1]);
}

/** One field line into the map (last one wins, as before); Content-Length values that disagree are an error. */
function addField(fields: Map<string, string>, line: string): void {
  const i = line.indexOf(':');
  if (i <= 0) return;
  const name = line.slice(0, i).trim().toLowerCase();
  const value = line.slice(i + 1).trim();
  if (name === 'content-length') {
    const prior = fields.get(name);
    const all = prior === undefined ? value : `${prior},${value}`;
    const distinct = new Set(all.split(',').map((v) => v.trim()));
    if (distinct.size > 1) throw new Error(`conflicting content-length values ${JSON.stringify(all.slice(0, 80))}`);
    fields.set(name, [...distinct][0] ?? '');
    return;
  }
  fields.set(name, value);
}

function parseChunkSize(line: string): number {
  const m = /^0*([0-9A-Fa-f]{1,13})[ \t]*(?:;|$)/.exec(line);
  if (!m?.[1]) throw new Error(`bad chunk size ${JSON.stringify(line.slice(0, 80))}`);
  return parseInt(m[1], 16);
}

function bodyStateFor(head: H1ResponseHead, headRequest: boolean): State {
  if (headRequest || head.status === 204 || head.status === 304) return { kind: 'status' };
  const te = head.headers['transfer-encoding'];
  if (te !== undefined) {
    // Transfer-Encoding overrides Content-Length; a body whose last coding is not chunked runs until close.
    const codings = te.toLowerCase().split(',');
    return codings[codings.length - 1]?.trim() === 'chunked' ? { kind: 'chunk-size' } : { kind: 'until-close' };
  }
  const cl = head.headers['content-length'];
  if (cl !== undefined) {
    const n = /^\d+$/.test(cl) ? Number(cl) : NaN;
    if (!Number.isSafeInteger(n)) throw new Error(`bad content-length ${JSON.stringify(cl.slice(0, 80))}`);
    return n === 0 ? { kind: 'status' } : { kind: 'length', left: n };
  }
  return { kind: 'until-close' };
}
