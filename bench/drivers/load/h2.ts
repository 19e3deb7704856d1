/** HTTP/2 load driver on node:http2: connections × concurrent streams, closed or open loop (engine.ts). */
import http2 from 'node:http2';
import net from 'node:net';
import { nowMs } from '../clock.ts';
import { runLoad, type LoadAnswer, type LoadConn, type LoadTransport } from './engine.ts';
import type { LoadDriver, LoadOptions } from './types.ts';

/** Timeouts are checked this often, so a request may run up to this much past its timeout. */
const SWEEP_MS = 50;

class H2LoadConn implements LoadConn {
  private closedReason: string | null = null;
  constructor(private readonly session: http2.ClientHttp2Session) {
    session.on('error', (e: NodeJS.ErrnoException) => (this.closedReason ??= e.code ?? e.message));
    session.on('goaway', () => (this.closedReason ??= 'server sent GOAWAY'));
    session.on('close', () => (this.closedReason ??= 'session closed'));
  }

  get unusableReason(): string | null {
    return this.closedReason ?? (this.session.destroyed || this.session.closed ? 'session closed' : null);
  }

  request(path: string, timeout_ms: number): Promise<LoadAnswer> {
    return new Promise((resolve, reject) => {
      let status = 0;
      let body_bytes = 0;
      let done = false;
      const stream = this.session.request({ ':path': path }, { endStream: true });
      const finish = (err: Error | null): void => {
        if (done) return;
        done = true;
        this.pending.delete(entry);
        if (err) reject(err);
        else resolve({ status, body_bytes });
      };
      // One sweep timer per connection instead of a timer per request (timers cost more than the request here).
      const entry = { deadline_ms: nowMs() + timeout_ms, timeout_ms, stream, finish };
      this.pending.add(entry);
      this.armSweep();
      // Body bytes from content-length and the stream drained without a per-chunk listener: this driver must
      // cost the client as little CPU as possible (it shares the machine with the server it measures).
      stream.on('response', (h) => {
        status = Number(h[':status'] ?? 0);
        body_bytes = Number(h['content-length'] ?? 0) || 0;
        stream.resume();
      });
      stream.on('end', () => finish(null));
      stream.on('error', (e: NodeJS.ErrnoException) => finish(new Error(e.code ?? e.message)));
      stream.on('close', () => finish(new Error(`stream reset (code ${stream.rstCode ?? '?'})`)));
    });
  }

  private readonly pending = new Set<{
    deadline_ms: number;
    timeout_ms: number;
    stream: http2.ClientHttp2Stream;
    finish: (e: Error | null) => void;
  }>();
  private sweep: NodeJS.Timeout | null = null;

  private armSweep(): void {
    if (this.sweep) return;
    this.sweep = setInterval(() => {
      const now = nowMs();
      for (const p of this.pending) {
        if (p.deadline_ms > now) continue;
        p.finish(new Error(`timeout after ${p.timeout_ms} ms`));
        p.stream.close(http2.constants.NGHTTP2_CANCEL);
      }
      if (this.pending.size === 0 && this.sweep) {
        clearInterval(this.sweep);
        this.sweep = null;
      }
    }, SWEEP_MS);
    this.sweep.unref();
  }

  close(): void {
    if (this.sweep) clearInterval(this.sweep);
    this.sweep = null;
    this.closedReason ??= 'closed by client';
    this.session.close();
  }
}

export const h2Transport: LoadTransport = {
  open(opts: LoadOptions): Promise<LoadConn> {
    return new Promise((resolve, reject) => {
      const session = http2.connect(`http://${opts.target.host}:${opts.target.port}`, {
        // Without TCP_NODELAY, Nagle + delayed ACKs hold small frames ~40 ms.
        createConnection: () => net.connect({ host: opts.target.host, port: opts.target.port, noDelay: true }),
        // Enough streams for per_connection, and windows that do not throttle the answers.
        settings: { initialWindowSize: 6 * 1024 * 1024, enablePush: false },
        peerMaxConcurrentStreams: Math.max(100, opts.per_connection),
      });
      const timer = setTimeout(() => {
        session.destroy();
        reject(new Error(`connect timeout after ${opts.timeout_ms} ms`));
      }, opts.timeout_ms);
      session.once('connect', () => {
        clearTimeout(timer);
        session.removeListener('error', onError);
        try {
          session.setLocalWindowSize(15 * 1024 * 1024);
        } catch {
          // reported through the session's own events
        }
        resolve(new H2LoadConn(session));
      });
      const onError = (e: NodeJS.ErrnoException): void => {
        clearTimeout(timer);
        session.destroy();
        reject(new Error(e.code ?? e.message));
      };
      session.once('error', onError);
    });
  },
};

export const h2LoadDriver: LoadDriver = {
  name: 'node-http2',
  run: (opts, signal) => runLoad('node-http2', h2Transport, opts, signal),
};
