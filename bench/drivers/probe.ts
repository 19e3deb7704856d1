import { roundUs } from './clock.ts';
import { H1Connection } from './h1-connection.ts';
import { H2Connection, type H2ClientSettings } from './h2-connection.ts';
import { openSocket } from './socket-open.ts';
import type { ClientTls, ConnectTimings, Target } from './target.ts';
import type { ExchangeResult } from './exchange.ts';
import { errorMessage } from '../../lib/errors.ts';

export type HttpProtocol = 'h1' | 'h2';

export interface ProbeRequest {
  target: Target;
  protocol: HttpProtocol;
  tls: ClientTls | null;
  /** Names the connection this probe uses, so later probes can reuse it. */
  conn_key: string;
  /** new: open a fresh connection (closing any held under conn_key); reuse: send on the held one. */
  connection: 'new' | 'reuse';
  /** With connection 'new' and TLS: offer the last session ticket from this target (resumption). */
  resume: boolean;
  path: string;
  /** Close the connection after the response (client-driven close, not part of the timing). */
  close_after: boolean;
  timeout_ms: number;
  /** h2 only: the client's flow-control windows (absent = Node's defaults, 65 535 bytes each). */
  h2_settings?: H2ClientSettings;
}

/**
 * One timed request. Durations are in ms with µs resolution, measured from when the client started
 * (connect() for a new connection, the write for a reused one). Failed requests carry `error` and null timings.
 */
export interface ProbeSample {
  conn_id: string;
  /** 1 for the first request on a connection, 2 for the second, … */
  conn_seq: number;
  new_connection: boolean;
  connect_ms: number | null;
  tls_ms: number | null;
  ttfb_ms: number | null;
  total_ms: number | null;
  status: number | null;
  body_bytes: number | null;
  tls_version: string | null;
  alpn: string | null;
  tls_resumed: boolean | null;
  server_conn_id: string | null;
  server_conn_seq: number | null;
  error: string | null;
  started_at: string;
}

type Conn = H1Connection | H2Connection;
interface Held {
  conn: Conn;
  id: string;
  timings: ConnectTimings;
}

/** Opens, holds and times client connections. Lives in the client agent process. */
export class Prober {
  private readonly held = new Map<string, Held>();
  private readonly sessions = new Map<string, Buffer>();
  private nextConnId = 1;

  async probe(req: ProbeRequest): Promise<ProbeSample> {
    const started_at = new Date().toISOString();
    let held: Held | undefined;
    let isNew = false;
    try {
      if (req.connection === 'new') {
        this.close(req.conn_key);
        held = await this.open(req);
        isNew = true;
        this.held.set(req.conn_key, held);
      } else {
        held = this.held.get(req.conn_key);
        if (!held) throw new Error(`no open connection '${req.conn_key}' to reuse`);
        const why = held.conn.unusableReason;
        if (why) throw new Error(`connection not reusable: ${why}`);
      }
      const ex = await held.conn.request(req.path, req.timeout_ms);
      const sample = toSample(held, ex, isNew, started_at);
      if (req.close_after) this.close(req.conn_key);
      return sample;
    } catch (e) {
      if (held && held.conn.unusableReason) this.held.delete(req.conn_key);
      return {
        ...emptyTimings(),
        conn_id: held?.id ?? '',
        conn_seq: held ? held.conn.requestsSent : 0,
        new_connection: isNew || req.connection === 'new',
        error: errorMessage(e),
        started_at,
      };
    }
  }

  close(conn_key: string): void {
    const h = this.held.get(conn_key);
    if (!h) return;
    this.held.delete(conn_key);
    h.conn.close();
  }

  closeAll(): void {
    for (const key of [...this.held.keys()]) this.close(key);
  }

  private async open(req: ProbeRequest): Promise<Held> {
    const sessionKey = `${req.target.host}:${req.target.port}:${req.protocol}:${req.tls?.max_version ?? ''}`;
    const { socket, timings } = await openSocket(req.target, {
      tls: req.tls,
      alpn: req.protocol === 'h2' ? ['h2'] : ['http/1.1'],
      session: req.resume ? this.sessions.get(sessionKey) : undefined,
      onSession: (s) => this.sessions.set(sessionKey, s),
      timeout_ms: req.timeout_ms,
    });
    const authority = `${req.target.host}:${req.target.port}`;
    const conn =
      req.protocol === 'h1'
        ? new H1Connection(socket, authority)
        : new H2Connection(socket, authority, req.tls !== null, req.h2_settings);
    return { conn, id: `c${this.nextConnId++}`, timings };
  }
}

function emptyTimings(): Omit<ProbeSample, 'conn_id' | 'conn_seq' | 'new_connection' | 'error' | 'started_at'> {
  return {
    connect_ms: null,
    tls_ms: null,
    ttfb_ms: null,
    total_ms: null,
    status: null,
    body_bytes: null,
    tls_version: null,
    alpn: null,
    tls_resumed: null,
    server_conn_id: null,
    server_conn_seq: null,
  };
}

function toSample(held: Held, ex: ExchangeResult, isNew: boolean, started_at: string): ProbeSample {
  const t = held.timings;
  const t0 = isNew ? t.t_start_ms : ex.t_write_ms;
  const seq = Number(ex.headers['x-kab-conn-seq']);
  return {
    conn_id: held.id,
    conn_seq: held.conn.requestsSent,
    new_connection: isNew,
    connect_ms: isNew ? roundUs(t.t_connected_ms - t.t_start_ms) : 0,
    tls_ms: isNew ? roundUs(t.t_secure_ms - t.t_connected_ms) : 0,
    ttfb_ms: roundUs(ex.t_first_byte_ms - t0),
    total_ms: roundUs(ex.t_done_ms - t0),
    status: ex.status,
    body_bytes: ex.body_bytes,
    tls_version: t.tls_version,
    alpn: t.alpn,
    tls_resumed: t.tls_version === null ? null : t.tls_resumed,
    server_conn_id: ex.headers['x-kab-conn'] ?? null,
    server_conn_seq: Number.isFinite(seq) ? seq : null,
    error: ex.status >= 200 && ex.status < 300 ? null : `HTTP ${ex.status}`,
    started_at,
  };
}
