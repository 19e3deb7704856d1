/**
 * Incremental HTTP/1.1 response parser for the probe client: status, headers, and body framing
 * (Content-Length, chunked, or until close). It counts body bytes rather than keeping them.
 */
export interface H1ResponseHead {
  status: number;
  headers: Record<string, string>;
}

export interface H1ParserEvents {
  onHead(head: H1ResponseHead): void;
  onBody(bytes: number): void;
  onComplete(): void;
}

type State =
  | { kind: 'head' }
  | { kind: 'length'; left: number }
  | { kind: 'chunk-size' }
  | { kind: 'chunk-data'; left: number }
  | { kind: 'chunk-data-crlf' }
  | { kind: 'trailers' }
  | { kind: 'until-close' };

const MAX_HEAD_BYTES = 64 * 1024;

export class H1ResponseParser {
  private state: State = { kind: 'head' };
  private pending: Buffer = Buffer.alloc(0);

  constructor(
    private readonly events: H1ParserEvents,
    private readonly isHeadRequest: () => boolean = () => false,
  ) {}

  /** True while a response body runs until the connection closes. */
  get readsUntilClose(): boolean {
    return this.state.kind === 'until-close';
  }

  /** Call when the connection ends: completes a close-delimited body. Returns false if a response was cut short. */
  end(): boolean {
    if (this.state.kind === 'until-close') {
      this.state = { kind: 'head' };
      this.events.onComplete();
      return true;
    }
    return this.state.kind === 'head' && this.pending.length === 0;
  }

  feed(chunk: Buffer): void {
    let buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = Buffer.alloc(0);
    let off = 0;
    while (off < buf.length) {
      const s = this.state;
      if (s.kind === 'head') {
        const end = buf.indexOf('\r\n\r\n', off, 'latin1');
        if (end < 0) {
          if (buf.length - off > MAX_HEAD_BYTES) throw new Error('response head larger than 64 KiB');
          break;
        }
        const head = parseHead(buf.toString('latin1', off, end));
        off = end + 4;
        this.events.onHead(head);
        this.state = bodyStateFor(head, this.isHeadRequest());
        if (this.state.kind === 'head') this.events.onComplete();
      } else if (s.kind === 'length') {
        const n = Math.min(s.left, buf.length - off);
        off += n;
        s.left -= n;
        if (n > 0) this.events.onBody(n);
        if (s.left === 0) {
          this.state = { kind: 'head' };
          this.events.onComplete();
        }
      } else if (s.kind === 'until-close') {
        this.events.onBody(buf.length - off);
        off = buf.length;
      } else if (s.kind === 'chunk-size') {
        const eol = buf.indexOf('\r\n', off, 'latin1');
        if (eol < 0) break;
        const size = parseInt(buf.toString('latin1', off, eol).split(';')[0] ?? '', 16);
        if (!Number.isFinite(size) || size < 0) throw new Error('bad chunk size');
        off = eol + 2;
        this.state = size === 0 ? { kind: 'trailers' } : { kind: 'chunk-data', left: size };
      } else if (s.kind === 'chunk-data') {
        const n = Math.min(s.left, buf.length - off);
        off += n;
        s.left -= n;
        if (n > 0) this.events.onBody(n);
        if (s.left === 0) this.state = { kind: 'chunk-data-crlf' };
      } else if (s.kind === 'chunk-data-crlf') {
        if (buf.length - off < 2) break;
        off += 2;
        this.state = { kind: 'chunk-size' };
      } else {
        const eol = buf.indexOf('\r\n', off, 'latin1');
        if (eol < 0) break;
        const empty = eol === off;
        off = eol + 2;
        if (empty) {
          this.state = { kind: 'head' };
          this.events.onComplete();
        }
      }
    }
    if (off < buf.length) this.pending = Buffer.from(buf.subarray(off));
    buf = Buffer.alloc(0);
  }
}

function parseHead(text: string): H1ResponseHead {
  const lines = text.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  if (!m?.[1]) throw new Error(`bad status line: ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return { status: Number(m[1]), headers };
}

function bodyStateFor(head: H1ResponseHead, headRequest: boolean): State {
  if (headRequest || head.status === 204 || head.status === 304 || (head.status >= 100 && head.status < 200)) {
    return { kind: 'head' };
  }
  if ((head.headers['transfer-encoding'] ?? '').toLowerCase().includes('chunked')) return { kind: 'chunk-size' };
  const cl = head.headers['content-length'];
  if (cl !== undefined) {
    const n = Number(cl);
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`bad content-length ${cl}`);
    return n === 0 ? { kind: 'head' } : { kind: 'length', left: n };
  }
  return { kind: 'until-close' };
}
