import http2 from 'node:http2';
import type net from 'node:net';
import { nowMs } from './clock.ts';
import type { ExchangeResult } from './exchange.ts';

/** The client's flow-control windows: SETTINGS_INITIAL_WINDOW_SIZE (per stream) and the connection window. */
export interface H2ClientSettings {
  initial_window_bytes: number;
  connection_window_bytes: number;
}

/** One HTTP/2 client session over an already-open socket (h2c prior knowledge, or TLS with ALPN h2). */
export class H2Connection {
  private readonly session: http2.ClientHttp2Session;
  private closedReason: string | null = null;
  requestsSent = 0;

  constructor(socket: net.Socket, authority: string, secure: boolean, settings?: H2ClientSettings) {
    this.session = http2.connect(`${secure ? 'https' : 'http'}://${authority}`, {
      createConnection: () => socket,
      ...(settings ? { settings: { initialWindowSize: settings.initial_window_bytes } } : {}),
    });
    if (settings) {
      this.session.once('connect', () => {
        try {
          this.session.setLocalWindowSize(settings.connection_window_bytes);
        } catch {
          // A session that died while connecting reports through 'error'/'close'.
        }
      });
    }
    this.session.on('error', (e: NodeJS.ErrnoException) => this.markClosed(e.code ?? e.message));
    this.session.on('goaway', () => this.markClosed('server sent GOAWAY'));
    this.session.on('close', () => this.markClosed('session closed'));
  }

  get unusableReason(): string | null {
    if (this.closedReason) return this.closedReason;
    if (this.session.destroyed || this.session.closed) return 'session closed';
    return null;
  }

  request(path: string, timeout_ms: number, extraHeaders: Record<string, string> = {}): Promise<ExchangeResult> {
    const unusable = this.unusableReason;
    if (unusable) return Promise.reject(new Error(unusable));
    return new Promise<ExchangeResult>((resolve, reject) => {
      const t_write_ms = nowMs();
      let t_first_byte_ms = 0;
      let status = 0;
      let headers: Record<string, string> = {};
      let body_bytes = 0;
      let done = false;
      this.requestsSent++;
      const stream = this.session.request({ ':method': 'GET', ':path': path, ...extraHeaders });
      const timer = setTimeout(() => {
        finish(new Error(`timeout after ${timeout_ms} ms`));
        stream.close(http2.constants.NGHTTP2_CANCEL);
      }, timeout_ms);
      const finish = (err: Error | null): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve({ t_write_ms, t_first_byte_ms, t_done_ms: nowMs(), status, body_bytes, headers });
      };
      stream.on('response', (h) => {
        t_first_byte_ms = nowMs();
        status = Number(h[':status'] ?? 0);
        headers = Object.fromEntries(
          Object.entries(h)
            .filter(([k]) => !k.startsWith(':'))
            .map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]),
        );
      });
      stream.on('data', (chunk: Buffer) => {
        body_bytes += chunk.length;
      });
      // A stream reset before any response also ends the readable side: without a status it is an error.
      stream.on('end', () =>
        finish(status === 0 ? new Error(`stream ended without a response (code ${stream.rstCode ?? '?'})`) : null),
      );
      stream.on('error', (e: NodeJS.ErrnoException) => finish(new Error(e.code ?? e.message)));
      stream.on('close', () => {
        if (!done) finish(new Error(`stream closed (code ${stream.rstCode ?? '?'})`));
      });
      stream.end();
    });
  }

  close(): void {
    this.markClosed('closed by client');
    this.session.close();
  }

  destroy(): void {
    this.markClosed('destroyed by client');
    this.session.destroy();
  }

  private markClosed(reason: string): void {
    this.closedReason ??= reason;
  }
}
