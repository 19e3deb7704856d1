/**
 * HTTP/1.1 reverse proxy standing in for a cloud load balancer or an nginx upstream keepalive pool: a node:http
 * server in front, a keep-alive http.Agent pool behind it with its own idle timeout (X), 502 when the upstream
 * connection fails. Run as a child process of the harness (see servers/launch-lb.ts).
 *
 * Requests carrying `x-kab-lane: <name>` get their own upstream pool, so one process can host many independent
 * LB → server connection pairs (trials run side by side without sharing a socket).
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import { answerStatsOnStdin } from './process.ts';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emitJsonLine } from '../lib/child.ts';
import { errorMessage } from '../lib/errors.ts';

export interface LbConfig {
  host: string;
  /** 0 = any free port. */
  port: number;
  upstream_host: string;
  upstream_port: number;
  /** X: how long an idle upstream connection stays in the pool. */
  upstream_idle_timeout_ms: number;
  /** Upstream connections per lane (http.Agent maxSockets). */
  upstream_max_sockets: number;
  /**
   * Node's Agent (≥ 19) shortens its idle timeout to the server's `Keep-Alive: timeout=N` hint minus 1 s.
   * Load balancers (ALB, nginx) ignore that hint; false strips it before the pool sees it.
   */
  honor_keepalive_hint: boolean;
  /** Idle timeout of client → LB connections (front side). */
  front_keep_alive_timeout_ms: number;
}

export const DEFAULT_LB_CONFIG: LbConfig = {
  host: '127.0.0.1',
  port: 0,
  upstream_host: '127.0.0.1',
  upstream_port: 0,
  upstream_idle_timeout_ms: 6_000,
  upstream_max_sockets: 16,
  honor_keepalive_hint: false,
  front_keep_alive_timeout_ms: 120_000,
};

export interface LbReady {
  ready: true;
  host: string;
  port: number;
  pid: number;
}

export interface LbStats {
  requests: number;
  responses_502: number;
  upstream_connections: number;
  upstream_reused: number;
  /** Upstream failures by error code (ECONNRESET, …). */
  upstream_errors: Record<string, number>;
  lanes: number;
}

const LANE_HEADER = 'x-kab-lane';
const MAX_LANES = 4096;

export function parseLbConfig(argv: readonly string[]): LbConfig {
  const raw = argv[2];
  const given = raw ? (JSON.parse(raw) as Partial<LbConfig>) : {};
  return { ...DEFAULT_LB_CONFIG, ...given };
}

/** Hop-by-hop headers a proxy must not forward (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function forwardHeaders(h: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  return out;
}

export function createLb(config: LbConfig): { server: http.Server; stats(): LbStats; closeAll(): void } {
  const agents = new Map<string, http.Agent>();
  const upstreamSockets = new Set<Socket>();
  const frontSockets = new Set<Socket>();
  const stats: LbStats = {
    requests: 0,
    responses_502: 0,
    upstream_connections: 0,
    upstream_reused: 0,
    upstream_errors: {},
    lanes: 0,
  };
  let nextUpstreamId = 1;
  const upstreamIds = new WeakMap<Socket, number>();

  const agentFor = (lane: string): http.Agent => {
    let a = agents.get(lane);
    if (a) return a;
    if (agents.size >= MAX_LANES) throw new Error(`more than ${MAX_LANES} lanes`);
    a = new http.Agent({
      keepAlive: true,
      maxSockets: config.upstream_max_sockets,
      timeout: config.upstream_idle_timeout_ms,
    });
    agents.set(lane, a);
    stats.lanes = agents.size;
    return a;
  };

  const server = http.createServer((req, res) => {
    stats.requests++;
    const laneRaw = req.headers[LANE_HEADER];
    const lane = typeof laneRaw === 'string' ? laneRaw : '';
    let upstream: http.ClientRequest | null = null;
    const fail = (code: string): void => {
      stats.responses_502++;
      stats.upstream_errors[code] = (stats.upstream_errors[code] ?? 0) + 1;
      if (res.headersSent) {
        res.destroy();
        return;
      }
      res.writeHead(502, {
        'content-type': 'text/plain',
        'x-kab-upstream-error': code,
        'x-kab-upstream-reused': upstream?.reusedSocket ? '1' : '0',
      });
      res.end(`bad gateway: upstream ${code}\n`);
    };
    let agent: http.Agent;
    try {
      agent = agentFor(lane);
    } catch (e) {
      fail(errorMessage(e));
      return;
    }
    const headers = forwardHeaders(req.headers);
    // The front decoded a chunked body; it must go upstream framed too. Unframed (Node sends a GET's body bare),
    // its bytes would read as a further request on the pooled connection: a smuggled request.
    if (req.headers['transfer-encoding'] !== undefined) headers['transfer-encoding'] = 'chunked';
    upstream = http.request({
      host: config.upstream_host,
      port: config.upstream_port,
      method: req.method,
      path: req.url,
      headers,
      agent,
    });
    const up = upstream;
    up.on('socket', (socket: Socket) => {
      if (!upstreamIds.has(socket)) {
        upstreamIds.set(socket, nextUpstreamId++);
        stats.upstream_connections++;
        upstreamSockets.add(socket);
        socket.once('close', () => upstreamSockets.delete(socket));
      }
    });
    up.on('response', (upRes) => {
      if (up.reusedSocket) stats.upstream_reused++;
      // The pool reads this header when the response ends (Agent.keepSocketAlive).
      if (!config.honor_keepalive_hint) delete upRes.headers['keep-alive'];
      const out = forwardHeaders(upRes.headers);
      out['x-kab-upstream-reused'] = up.reusedSocket ? '1' : '0';
      out['x-kab-upstream-conn'] = String(up.socket ? (upstreamIds.get(up.socket) ?? 0) : 0);
      res.writeHead(upRes.statusCode ?? 502, out);
      upRes.pipe(res);
      upRes.on('error', () => res.destroy());
    });
    up.on('error', (e: NodeJS.ErrnoException) => fail(e.code ?? e.message));
    req.pipe(up);
  });
  server.keepAliveTimeout = config.front_keep_alive_timeout_ms;
  server.on('connection', (s: Socket) => {
    frontSockets.add(s);
    s.once('close', () => frontSockets.delete(s));
  });
  return {
    server,
    stats: () => ({ ...stats, upstream_errors: { ...stats.upstream_errors } }),
    closeAll() {
      for (const a of agents.values()) a.destroy();
      for (const s of upstreamSockets) s.destroy();
      for (const s of frontSockets) s.destroy();
    },
  };
}

async function main(): Promise<void> {
  const config = parseLbConfig(process.argv);
  const lb = createLb(config);
  await new Promise<void>((resolve, reject) => {
    lb.server.once('error', reject);
    lb.server.listen(config.port, config.host, () => resolve());
  });
  const addr = lb.server.address();
  if (addr === null || typeof addr === 'string') throw new Error('lb has no TCP address');
  const ready: LbReady = { ready: true, host: addr.address, port: addr.port, pid: process.pid };
  emitJsonLine({ ...ready });
  const shutdown = (): void => {
    lb.closeAll();
    lb.server.close();
    process.exit(0);
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  answerStatsOnStdin(() => lb.stats(), shutdown);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => {
    emitJsonLine({ error: errorMessage(e) });
    process.exit(1);
  });
}
