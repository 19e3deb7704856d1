/**
 * A batch of requests (a "page") sent over 1..n connections at once, for head-of-line blocking: HTTP/1.1
 * serial or pipelined (depth requests in flight per connection), or HTTP/2 streams on one session. Items are
 * handed out in order from one queue to whichever connection has a free slot, as a browser does. Every time is
 * in ms since the batch started (before any connect), with µs resolution. Lives in the client agent process.
 */
import { nowMs, roundUs } from './clock.ts';
import type { ExchangeResult } from './exchange.ts';
import { H1Connection } from './h1-connection.ts';
import { H2Connection, type H2ClientSettings } from './h2-connection.ts';
import { openSocket } from './socket-open.ts';
import type { ClientTls, Target } from './target.ts';
import { errorMessage } from '../../lib/errors.ts';

export interface BatchItem {
  path: string;
}

export interface BatchRequest {
  target: Target;
  protocol: 'h1' | 'h2';
  tls: ClientTls | null;
  /** Connections the batch is spread over. */
  connections: number;
  /** Requests in flight per connection: h1 1 = serial keep-alive, >1 = pipelining; h2 = concurrent streams. */
  depth: number;
  /** Names the connections so a later batch can reuse them (warm). */
  conn_key: string;
  /** true: open new connections for this batch (the connect is part of the batch time) and close them after. */
  fresh: boolean;
  /** With fresh: start the batch clock only once every connection is open (handshakes not timed). */
  preconnect?: boolean;
  items: BatchItem[];
  timeout_ms: number;
}

export interface BatchItemResult {
  /** 1-based position in the batch (send order). */
  pos: number;
  /** 0-based index of the connection that carried it. */
  conn_index: number;
  conn_id: string;
  conn_seq: number;
  server_conn_id: string | null;
  write_ms: number | null;
  first_byte_ms: number | null;
  done_ms: number | null;
  status: number | null;
  body_bytes: number | null;
  error: string | null;
}

export interface BatchResult {
  started_at: string;
  /** Per connection: TCP connect time when it was opened for this batch, else 0 (warm). */
  connect_ms: number[];
  /** Until the last item settled (success or error). */
  batch_ms: number;
  errors: number;
  items: BatchItemResult[];
}

/** What a batch needs from a connection of either protocol. */
export interface BatchConnection {
  readonly id: string;
  readonly unusableReason: string | null;
  request(path: string, timeout_ms: number): Promise<ExchangeResult>;
  close(): void;
}

// Chrome's HTTP/2 flow-control windows: with node's 64 KiB defaults a 500 KB page would be limited by flow
// control (64 KiB per RTT), not by TCP, and the comparison with HTTP/1.1 would measure the wrong thing.
export const H2_STREAM_WINDOW_BYTES = 6 * 1024 * 1024;
export const H2_SESSION_WINDOW_BYTES = 15 * 1024 * 1024;

/** Chrome-sized windows for the batch's HTTP/2 sessions. */
export const WIDE_H2_SETTINGS: H2ClientSettings = {
  initial_window_bytes: H2_STREAM_WINDOW_BYTES,
  connection_window_bytes: H2_SESSION_WINDOW_BYTES,
};

/** A connection of either protocol under the id the batch reports it by. */
class NamedConnection implements BatchConnection {
  constructor(
    readonly id: string,
    private readonly conn: H1Connection | H2Connection,
  ) {}
  get unusableReason(): string | null {
    return this.conn.unusableReason;
  }
  get requestsSent(): number {
    return this.conn.requestsSent;
  }
  request(path: string, timeout_ms: number): Promise<ExchangeResult> {
    return this.conn.request(path, timeout_ms);
  }
  close(): void {
    this.conn.close();
  }
}

type AnyBatchConnection = NamedConnection;

export const MAX_BATCH_ITEMS = 10_000;
export const MAX_BATCH_CONNECTIONS = 64;

export function validateBatch(req: BatchRequest): string | null {
  if (!Number.isInteger(req.connections) || req.connections < 1 || req.connections > MAX_BATCH_CONNECTIONS)
    return `connections must be 1..${MAX_BATCH_CONNECTIONS}`;
  if (!Number.isInteger(req.depth) || req.depth < 1 || req.depth > 1000) return 'depth must be 1..1000';
  if (req.items.length < 1 || req.items.length > MAX_BATCH_ITEMS) return `a batch holds 1..${MAX_BATCH_ITEMS} items`;
  if (!(req.timeout_ms > 0)) return 'timeout_ms must be > 0';
  return null;
}

/** Runs batches and holds their connections between batches (for warm cases). */
export class BatchRunner {
  private readonly held = new Map<string, AnyBatchConnection[]>();
  private nextConnId = 1;

  async run(req: BatchRequest): Promise<BatchResult> {
    const invalid = validateBatch(req);
    if (invalid) throw new Error(`bad batch: ${invalid}`);
    let started_at = new Date().toISOString();
    let t0 = nowMs();
    const since = (t: number): number => roundUs(t - t0);
    const connect_ms: number[] = new Array<number>(req.connections).fill(0);

    // Slots: a connection (or the error that kept it from opening) per index.
    let conns: Array<AnyBatchConnection | Error>;
    const existing = req.fresh ? undefined : this.held.get(req.conn_key);
    if (req.fresh) this.close(req.conn_key);
    if (existing && existing.length === req.connections && existing.every((c) => c.unusableReason === null)) {
      conns = existing;
    } else {
      this.close(req.conn_key);
      conns = await Promise.all(
        Array.from({ length: req.connections }, async (_, i) => {
          try {
            const c = await this.open(req);
            connect_ms[i] = since(nowMs());
            return c;
          } catch (e) {
            return new Error(errorMessage(e));
          }
        }),
      );
      const opened = conns.filter((c): c is AnyBatchConnection => !(c instanceof Error));
      if (!req.fresh) this.held.set(req.conn_key, opened);
      if (req.fresh && req.preconnect) {
        started_at = new Date().toISOString();
        t0 = nowMs();
      }
    }

    const results: BatchItemResult[] = [];
    let next = 0;
    const lane = async (ci: number): Promise<void> => {
      const conn = conns[ci];
      for (;;) {
        const index = next++;
        const item = req.items[index];
        if (!item) return;
        const r: BatchItemResult = {
          pos: index + 1,
          conn_index: ci,
          conn_id: conn instanceof Error ? '' : (conn?.id ?? ''),
          conn_seq: 0,
          server_conn_id: null,
          write_ms: null,
          first_byte_ms: null,
          done_ms: null,
          status: null,
          body_bytes: null,
          error: null,
        };
        results.push(r);
        if (!conn || conn instanceof Error) {
          r.error = `connect failed: ${conn?.message ?? 'no connection'}`;
          continue;
        }
        r.conn_seq = conn.requestsSent + 1;
        try {
          const ex = await conn.request(item.path, req.timeout_ms);
          r.write_ms = since(ex.t_write_ms);
          r.first_byte_ms = since(ex.t_first_byte_ms);
          r.done_ms = since(ex.t_done_ms);
          r.status = ex.status;
          r.body_bytes = ex.body_bytes;
          r.server_conn_id = ex.headers['x-kab-conn'] ?? null;
          if (ex.status < 200 || ex.status > 299) r.error = `HTTP ${ex.status}`;
        } catch (e) {
          r.error = errorMessage(e);
        }
      }
    };
    const lanes: Promise<void>[] = [];
    // Lane order: the first slot of every connection, then the second…, so items spread across connections first.
    for (let d = 0; d < req.depth; d++) for (let ci = 0; ci < req.connections; ci++) lanes.push(lane(ci));
    await Promise.all(lanes);
    const batch_ms = since(nowMs());
    if (req.fresh) {
      for (const c of conns) if (!(c instanceof Error)) c.close();
    }
    results.sort((a, b) => a.pos - b.pos);
    return { started_at, connect_ms, batch_ms, errors: results.filter((r) => r.error !== null).length, items: results };
  }

  close(conn_key: string): void {
    const cs = this.held.get(conn_key);
    if (!cs) return;
    this.held.delete(conn_key);
    for (const c of cs) c.close();
  }

  closeAll(): void {
    for (const k of [...this.held.keys()]) this.close(k);
  }

  private async open(req: BatchRequest): Promise<AnyBatchConnection> {
    const { socket } = await openSocket(req.target, {
      tls: req.tls,
      alpn: req.protocol === 'h2' ? ['h2'] : ['http/1.1'],
      timeout_ms: req.timeout_ms,
    });
    const authority = `${req.target.host}:${req.target.port}`;
    const id = `b${this.nextConnId++}`;
    // HTTP/2 gets browser-sized windows: with Node's 64 KiB defaults a page would be limited by flow control.
    const conn =
      req.protocol === 'h1'
        ? new H1Connection(socket, authority)
        : new H2Connection(socket, authority, req.tls !== null, WIDE_H2_SETTINGS);
    return new NamedConnection(id, conn);
  }
}
