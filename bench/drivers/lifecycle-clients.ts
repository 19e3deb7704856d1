/**
 * The lifecycle scenario's clients, run inside the client agent process: Node http.Agent pools and node:http2
 * sessions with per-strategy socket settings, timed requests, and the socket events that tell when the client
 * learned a connection died.
 *
 * Times called *_epoch_ms are wall-clock (performance.timeOrigin + now()), comparable with the harness's own
 * epoch clock; durations are monotonic.
 */
import http from 'node:http';
import http2 from 'node:http2';
import type net from 'node:net';
import { roundUs } from './clock.ts';
import type { Target } from './target.ts';
import { applyTcpOptions, type TcpKeepalive } from './tcp-options.ts';
import { errorMessage } from '../../lib/errors.ts';
import { sleep } from '../../lib/sleep.ts';

export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

export interface LcClientSpec {
  client_key: string;
  protocol: 'h1' | 'h2';
  target: Target;
  /** h1: http.Agent maxSockets. */
  max_sockets: number;
  /** h1: idle timeout of pooled sockets (Agent `timeout`); null = none. */
  idle_timeout_ms: number | null;
  /** h1: let the Agent shorten its idle timeout to the server's `Keep-Alive: timeout` hint − 1 s (Node ≥ 19). */
  honor_keepalive_hint: boolean;
  /** SO_KEEPALIVE with these TCP_KEEPIDLE/INTVL/CNT; null = off (also overrides the Agent's own 1 s keepalive). */
  tcp_keepalive: TcpKeepalive | null;
  /** TCP_USER_TIMEOUT; null = kernel default (retransmissions decide, ~15 min). */
  tcp_user_timeout_ms: number | null;
  /** h2: send a PING this often and destroy the session when one is not answered within the timeout. */
  h2_ping_interval_ms: number | null;
  h2_ping_timeout_ms: number | null;
}

export interface LcRequest {
  client_key: string;
  path: string;
  headers?: Record<string, string>;
  /** Give up (and report `timeout`) after this long; null = never (the harness's cap_ms still bounds it). */
  timeout_ms: number | null;
  /** Hard bound on the wait, reported as `cap` (the request is destroyed). */
  cap_ms: number;
  /** Retry an idempotent request once on a fresh connection when a reused one fails (reset, hang up, EPIPE). */
  retry_once_on_reset: boolean;
  /** Wait this long in the agent before sending (idle gaps measured where the socket lives). */
  delay_ms?: number;
}

export interface LcResult {
  status: number | null;
  error: string | null;
  /** Error of the first attempt when a retry followed. */
  first_error: string | null;
  retried: boolean;
  started_epoch_ms: number;
  ended_epoch_ms: number;
  /** x-kab-* response headers (server connection, LB upstream reuse/error). */
  kab_headers: Record<string, string>;
  /** When the first failure was seen (null if none). */
  failed_epoch_ms: number | null;
  total_ms: number | null;
  /** Time waiting for a pooled socket (h1). */
  queue_ms: number | null;
  /** TCP connect time when this request opened its connection, else 0. */
  connect_ms: number | null;
  reused: boolean | null;
  conn_id: number | null;
  body_bytes: number | null;
  server_conn_id: string | null;
}

export interface SocketEvent {
  conn_id: number;
  kind: 'open' | 'end' | 'error' | 'close';
  code: string | null;
  at_epoch_ms: number;
}

// ----- clients -----

/** When each socket was created (connect() called), for a connect time that starts at the SYN. */
const socketCreated = new WeakMap<net.Socket, number>();

class LcAgent extends http.Agent {
  override createConnection(options: net.NetConnectOpts, cb?: (err: Error | null, s: net.Socket) => void): net.Socket {
    const created = performance.now();
    const s = (
      http.Agent.prototype as unknown as { createConnection: (o: net.NetConnectOpts, c?: unknown) => net.Socket }
    ).createConnection.call(this, options, cb);
    socketCreated.set(s, created);
    return s;
  }
  constructor(
    opts: http.AgentOptions,
    private readonly spec: LcClientSpec,
  ) {
    super(opts);
  }
  override keepSocketAlive(socket: net.Socket): boolean {
    const res = (socket as unknown as { _httpMessage?: { res?: http.IncomingMessage } })._httpMessage?.res;
    if (!this.spec.honor_keepalive_hint && res) delete res.headers['keep-alive'];
    const keep = (super.keepSocketAlive(socket) as unknown as boolean | undefined) !== false;
    // The base class turns SO_KEEPALIVE on with keepAliveMsecs: put the strategy's own setting back.
    try {
      applyTcpOptions(socket, this.spec.tcp_keepalive, this.spec.tcp_user_timeout_ms);
    } catch {
      /* socket already gone */
    }
    return keep;
  }
}

interface Client {
  spec: LcClientSpec;
  agent: LcAgent | null;
  session: http2.ClientHttp2Session | null;
  pingTimer: NodeJS.Timeout | null;
  events: SocketEvent[];
  nextConnId: number;
  sockets: Set<net.Socket>;
}

const MAX_EVENTS = 10_000;

export class LifecycleClients {
  private readonly clients = new Map<string, Client>();

  open(spec: LcClientSpec): void {
    this.close(spec.client_key);
    const c: Client = {
      spec,
      agent: null,
      session: null,
      pingTimer: null,
      events: [],
      nextConnId: 1,
      sockets: new Set(),
    };
    if (spec.protocol === 'h1') {
      const opts: http.AgentOptions = { keepAlive: true, maxSockets: spec.max_sockets, scheduling: 'fifo' };
      if (spec.idle_timeout_ms !== null) opts.timeout = spec.idle_timeout_ms;
      c.agent = new LcAgent(opts, spec);
    }
    this.clients.set(spec.client_key, c);
  }

  close(client_key: string): void {
    const c = this.clients.get(client_key);
    if (!c) return;
    this.clients.delete(client_key);
    if (c.pingTimer) clearInterval(c.pingTimer);
    c.session?.destroy();
    c.agent?.destroy();
    for (const s of c.sockets) s.destroy();
  }

  closeAll(): void {
    for (const k of [...this.clients.keys()]) this.close(k);
  }

  events(client_key: string, since_epoch_ms: number): SocketEvent[] {
    return (this.clients.get(client_key)?.events ?? []).filter((e) => e.at_epoch_ms >= since_epoch_ms);
  }

  private client(key: string): Client {
    const c = this.clients.get(key);
    if (!c) throw new Error(`no lifecycle client '${key}'`);
    return c;
  }

  /** Registers a new socket: numbers it, records its end/error/close, applies the TCP options once connected. */
  private track(c: Client, socket: net.Socket): number {
    const id = c.nextConnId++;
    const log = (kind: SocketEvent['kind'], code: string | null): void => {
      if (c.events.length < MAX_EVENTS) c.events.push({ conn_id: id, kind, code, at_epoch_ms: epochMs() });
    };
    c.sockets.add(socket);
    const apply = (): void => {
      log('open', null);
      try {
        applyTcpOptions(socket, c.spec.tcp_keepalive, c.spec.tcp_user_timeout_ms);
      } catch (e) {
        log('error', `setsockopt: ${errorMessage(e)}`);
      }
    };
    if (socket.connecting) socket.once('connect', apply);
    else apply();
    socket.once('end', () => log('end', null));
    socket.on('error', (e: NodeJS.ErrnoException) => log('error', e.code ?? e.message));
    socket.once('close', () => {
      c.sockets.delete(socket);
      log('close', null);
    });
    return id;
  }

  async request(r: LcRequest): Promise<LcResult> {
    const c = this.client(r.client_key);
    const delay_ms = Math.min(r.delay_ms ?? 0, 600_000);
    if (delay_ms > 0) await sleep(delay_ms);
    const first = await this.attempt(c, r);
    if (!r.retry_once_on_reset || first.error === null || !first.reused || !isResetLike(first.error)) return first;
    const second = await this.attempt(c, r);
    return {
      ...second,
      retried: true,
      first_error: first.error,
      started_epoch_ms: first.started_epoch_ms,
      failed_epoch_ms: first.failed_epoch_ms,
    };
  }

  private attempt(c: Client, r: LcRequest): Promise<LcResult> {
    return c.spec.protocol === 'h1' ? this.attemptH1(c, r) : this.attemptH2(c, r);
  }

  private attemptH1(c: Client, r: LcRequest): Promise<LcResult> {
    const agent = c.agent;
    if (!agent) throw new Error('h1 client without agent');
    const t0 = performance.now();
    const started_epoch_ms = epochMs();
    return new Promise<LcResult>((resolve) => {
      let settled = false;
      let tSocket: number | null = null;
      let tConnect: number | null = null;
      let conn_id: number | null = null;
      let isNew = false;
      let body_bytes = 0;
      const ids = connIds.get(c) ?? new WeakMap<net.Socket, number>();
      connIds.set(c, ids);
      let kab_headers: Record<string, string> = {};
      const done = (status: number | null, error: string | null, server_conn_id: string | null = null): void => {
        if (settled) return;
        settled = true;
        clearTimeout(capTimer);
        const end = performance.now();
        resolve({
          status,
          error,
          first_error: null,
          retried: false,
          started_epoch_ms,
          ended_epoch_ms: epochMs(),
          kab_headers,
          failed_epoch_ms: error !== null ? epochMs() : null,
          total_ms: error === null ? roundUs(end - t0) : null,
          queue_ms: tSocket !== null ? roundUs(tSocket - t0) : null,
          connect_ms: isNew ? (tConnect !== null && tSocket !== null ? roundUs(tConnect - tSocket) : null) : 0,
          reused: tSocket !== null ? !isNew : null,
          conn_id,
          body_bytes: error === null ? body_bytes : null,
          server_conn_id,
        });
      };
      const req = http.request({
        host: c.spec.target.host,
        port: c.spec.target.port,
        path: r.path,
        method: 'GET',
        agent,
        headers: r.headers,
      });
      const capTimer = setTimeout(() => {
        done(null, 'cap');
        req.destroy();
      }, r.cap_ms);
      if (r.timeout_ms !== null) {
        req.setTimeout(r.timeout_ms, () => {
          done(null, 'timeout');
          req.destroy();
        });
      }
      req.on('socket', (socket: net.Socket) => {
        tSocket = performance.now();
        let id = ids.get(socket);
        if (id === undefined) {
          isNew = true;
          tSocket = socketCreated.get(socket) ?? tSocket;
          id = this.track(c, socket);
          ids.set(socket, id);
          if (socket.connecting) socket.once('connect', () => (tConnect = performance.now()));
          else tConnect = tSocket;
        }
        conn_id = id;
      });
      req.on('response', (res) => {
        kab_headers = kabHeaders(res.headers);
        res.on('data', (chunk: Buffer) => (body_bytes += chunk.length));
        res.on('end', () => {
          const sc = res.headers['x-kab-conn'];
          const upErr = res.headers['x-kab-upstream-error'];
          const status = res.statusCode ?? null;
          const err =
            status !== null && status >= 500 ? `HTTP ${status}${typeof upErr === 'string' ? ` ${upErr}` : ''}` : null;
          done(status, err, typeof sc === 'string' ? sc : null);
        });
        res.on('error', (e: NodeJS.ErrnoException) => done(res.statusCode ?? null, e.code ?? e.message));
      });
      req.on('error', (e: NodeJS.ErrnoException) => done(null, e.code ?? e.message));
      req.end();
    });
  }

  private ensureSession(c: Client): http2.ClientHttp2Session {
    if (c.session && !c.session.closed && !c.session.destroyed) return c.session;
    const session = http2.connect(`http://${c.spec.target.host}:${c.spec.target.port}`);
    c.session = session;
    session.on('error', () => undefined);
    session.once('connect', (s: http2.ClientHttp2Session, socket: net.Socket) => {
      void s;
      this.track(c, socket);
    });
    if (c.spec.h2_ping_interval_ms !== null) {
      const timeout_ms = c.spec.h2_ping_timeout_ms ?? c.spec.h2_ping_interval_ms;
      const timer = setInterval(() => {
        if (session.destroyed || !session.socket) return;
        let answered = false;
        const t = setTimeout(() => {
          if (!answered) session.destroy(Object.assign(new Error('h2 PING unanswered'), { code: 'PING_TIMEOUT' }));
        }, timeout_ms);
        session.ping((err) => {
          answered = true;
          clearTimeout(t);
          if (err) session.destroy(err);
        });
      }, c.spec.h2_ping_interval_ms);
      c.pingTimer = timer;
      session.once('close', () => clearInterval(timer));
    }
    return session;
  }

  private attemptH2(c: Client, r: LcRequest): Promise<LcResult> {
    const t0 = performance.now();
    const started_epoch_ms = epochMs();
    const reused = c.session !== null && !c.session.closed && !c.session.destroyed && !c.session.connecting;
    const session = this.ensureSession(c);
    return new Promise<LcResult>((resolve) => {
      let settled = false;
      let body_bytes = 0;
      const done = (status: number | null, error: string | null, server_conn_id: string | null = null): void => {
        if (settled) return;
        settled = true;
        clearTimeout(capTimer);
        resolve({
          status,
          error,
          first_error: null,
          retried: false,
          started_epoch_ms,
          ended_epoch_ms: epochMs(),
          kab_headers: sc !== null ? { 'x-kab-conn': sc } : {},
          failed_epoch_ms: error !== null ? epochMs() : null,
          total_ms: error === null ? roundUs(performance.now() - t0) : null,
          queue_ms: null,
          connect_ms: null,
          reused,
          conn_id: c.nextConnId - 1,
          body_bytes: error === null ? body_bytes : null,
          server_conn_id,
        });
      };
      let stream: http2.ClientHttp2Stream;
      try {
        stream = session.request({ ':path': r.path, ...(r.headers ?? {}) });
      } catch (e) {
        done(null, (e as NodeJS.ErrnoException).code ?? errorMessage(e));
        return;
      }
      const capTimer = setTimeout(() => {
        done(null, 'cap');
        stream.close(http2.constants.NGHTTP2_CANCEL);
      }, r.cap_ms);
      if (r.timeout_ms !== null) {
        stream.setTimeout(r.timeout_ms, () => {
          done(null, 'timeout');
          stream.close(http2.constants.NGHTTP2_CANCEL);
        });
      }
      let status: number | null = null;
      let sc: string | null = null;
      stream.on('response', (h) => {
        status = Number(h[':status']);
        const v = h['x-kab-conn'];
        sc = typeof v === 'string' ? v : null;
      });
      stream.on('data', (chunk: Buffer) => (body_bytes += chunk.length));
      stream.on('end', () => done(status, status !== null && status >= 500 ? `HTTP ${status}` : null, sc));
      stream.on('error', (e: NodeJS.ErrnoException) => done(null, e.code ?? e.message));
      stream.on('close', () => done(status, status === null ? `stream closed (${stream.rstCode ?? '?'})` : null, sc));
      stream.end();
    });
  }
}

function kabHeaders(h: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (k.startsWith('x-kab-') && typeof v === 'string') out[k] = v;
  return out;
}

const connIds = new WeakMap<Client, WeakMap<net.Socket, number>>();

/** Failures that mean "the reused connection was already dead": safe to retry an idempotent request once. */
export function isResetLike(error: string): boolean {
  return /ECONNRESET|EPIPE|socket hang up|ERR_STREAM_PREMATURE_CLOSE|ERR_HTTP2_GOAWAY|ERR_HTTP2_INVALID_SESSION|ERR_HTTP2_STREAM_CANCEL|stream closed/.test(
    error,
  );
}

/** A client spec with every option off but the given ones: h1, one socket, no idle timeout. */
export function lcClientSpec(client_key: string, target: Target, over: Partial<LcClientSpec> = {}): LcClientSpec {
  return {
    client_key,
    protocol: 'h1',
    target,
    max_sockets: 1,
    idle_timeout_ms: null,
    honor_keepalive_hint: false,
    tcp_keepalive: null,
    tcp_user_timeout_ms: null,
    h2_ping_interval_ms: null,
    h2_ping_timeout_ms: null,
    ...over,
  };
}

/** The samples.csv columns a lifecycle request fills. */
export function lcSampleFields(r: LcResult): {
  status: number | null;
  error: string | null;
  total_ms: number | null;
  connect_ms: number | null;
  new_connection: boolean | null;
  server_conn_id: string | null;
  body_bytes: number | null;
  started_at: string;
} {
  return {
    status: r.status,
    error: r.error,
    total_ms: r.total_ms,
    connect_ms: r.connect_ms,
    new_connection: r.reused === null ? null : !r.reused,
    server_conn_id: r.kab_headers['x-kab-conn'] ?? null,
    body_bytes: r.body_bytes,
    started_at: new Date(r.started_epoch_ms).toISOString(),
  };
}
