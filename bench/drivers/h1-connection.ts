import type net from 'node:net';
import { nowMs } from './clock.ts';
import type { ExchangeResult } from './exchange.ts';
import { H1ResponseParser, type H1ResponseHead } from './h1-parser.ts';

interface InFlight {
  t_write_ms: number;
  t_first_byte_ms: number;
  head: H1ResponseHead | null;
  body_bytes: number;
  resolve(r: ExchangeResult): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * One HTTP/1.1 client connection over an already-open socket, on raw bytes so that every timestamp is taken
 * at the socket. Requests may be pipelined: responses are matched to requests in order.
 */
export class H1Connection {
  private readonly inFlight: InFlight[] = [];
  private readonly parser: H1ResponseParser;
  private chunkTime_ms = 0;
  private closedReason: string | null = null;
  requestsSent = 0;

  constructor(
    private readonly socket: net.Socket,
    private readonly hostHeader: string,
  ) {
    this.parser = new H1ResponseParser({
      onHead: (head) => {
        const cur = this.inFlight[0];
        if (!cur) throw new Error('response without a request');
        cur.head = head;
        cur.t_first_byte_ms = this.chunkTime_ms;
      },
      onBody: (n) => {
        const cur = this.inFlight[0];
        if (cur) cur.body_bytes += n;
      },
      onComplete: () => {
        const cur = this.inFlight.shift();
        if (!cur?.head) return;
        clearTimeout(cur.timer);
        cur.resolve({
          t_write_ms: cur.t_write_ms,
          t_first_byte_ms: cur.t_first_byte_ms,
          t_done_ms: this.chunkTime_ms,
          status: cur.head.status,
          body_bytes: cur.body_bytes,
          headers: cur.head.headers,
        });
        if ((cur.head.headers.connection ?? '').toLowerCase() === 'close')
          this.markClosed('server sent Connection: close');
      },
    });
    socket.on('data', (chunk: Buffer) => {
      this.chunkTime_ms = nowMs();
      try {
        this.parser.feed(chunk);
      } catch (e) {
        this.failAll(`protocol error: ${(e as Error).message}`);
        socket.destroy();
      }
    });
    socket.on('end', () => {
      this.chunkTime_ms = nowMs();
      this.parser.end();
      this.failAll('connection closed by server');
    });
    socket.on('close', () => this.failAll('connection closed'));
    socket.on('error', (e: NodeJS.ErrnoException) => this.failAll(e.code ?? e.message));
  }

  /** Null while the connection can take requests; else why not. */
  get unusableReason(): string | null {
    if (this.closedReason) return this.closedReason;
    if (this.socket.destroyed) return 'connection closed';
    return null;
  }

  request(path: string, timeout_ms: number, extraHeaders: Record<string, string> = {}): Promise<ExchangeResult> {
    const unusable = this.unusableReason;
    if (unusable) return Promise.reject(new Error(unusable));
    return new Promise<ExchangeResult>((resolve, reject) => {
      const lines = [`GET ${path} HTTP/1.1`, `Host: ${this.hostHeader}`, 'Connection: keep-alive'];
      for (const [k, v] of Object.entries(extraHeaders)) lines.push(`${k}: ${v}`);
      const entry: InFlight = {
        t_write_ms: 0,
        t_first_byte_ms: 0,
        head: null,
        body_bytes: 0,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.failAll(`timeout after ${timeout_ms} ms`);
          this.socket.destroy();
        }, timeout_ms),
      };
      this.inFlight.push(entry);
      this.requestsSent++;
      entry.t_write_ms = nowMs();
      this.socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    });
  }

  close(): void {
    this.markClosed('closed by client');
    this.socket.end();
    this.socket.destroySoon();
  }

  destroy(): void {
    this.markClosed('destroyed by client');
    this.socket.destroy();
  }

  private markClosed(reason: string): void {
    this.closedReason ??= reason;
  }

  private failAll(reason: string): void {
    this.markClosed(reason);
    for (const r of this.inFlight.splice(0)) {
      clearTimeout(r.timer);
      r.reject(new Error(reason));
    }
  }
}
