import { readdirSync, readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import type { Server as NetServer, Socket } from 'node:net';
import { DEFAULT_SERVER_CONFIG, type ServerConfig, type ServerReady, type ServerStats } from './config.ts';
import { generateSelfSignedCert, type CertPair } from './tls-cert.ts';
import { emitJsonLine, serveJsonLines } from '../lib/child.ts';

const LOOP_DELAY_RESOLUTION_MS = 10;

/** Counters both servers keep; `connections_open` follows socket close events. */
export class ServerCounters {
  connections_accepted = 0;
  connections_open = 0;
  requests_served = 0;
  sessions_accepted = 0;
  accept_errors = 0;
  private nextConnId = 1;
  private readonly loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });

  constructor() {
    this.loopDelay.enable();
  }

  trackSocket(socket: Socket): number {
    this.connections_accepted++;
    this.connections_open++;
    socket.once('close', () => this.connections_open--);
    return this.nextConnId++;
  }

  snapshot(): ServerStats {
    const mem = memoryUsage();
    return {
      connections_accepted: this.connections_accepted,
      connections_open: this.connections_open,
      requests_served: this.requests_served,
      sessions_accepted: this.sessions_accepted,
      rss_bytes: mem.rss,
      heap_used_bytes: mem.heapUsed,
      open_fds: openFdCount(),
      eventloop_delay: this.eventLoopDelay(),
      accept_errors: this.accept_errors,
      nofile_limit: nofileLimit(),
    };
  }

  private eventLoopDelay(): ServerStats['eventloop_delay'] {
    const h = this.loopDelay;
    // The histogram records the whole interval between timer ticks: the delay is what exceeds the resolution.
    const ms = (ns: number): number =>
      Number.isFinite(ns) ? Math.max(0, Math.round((ns - LOOP_DELAY_RESOLUTION_MS * 1e6) / 1e3) / 1e3) : 0;
    const out = { p50_ms: ms(h.percentile(50)), p99_ms: ms(h.percentile(99)), max_ms: ms(h.max), mean_ms: ms(h.mean) };
    h.reset();
    return out;
  }
}

/** At the FD limit process.memoryUsage() throws (it opens /proc/self/stat): -1 for RSS then, not a crash. */
function memoryUsage(): { rss: number; heapUsed: number } {
  try {
    return process.memoryUsage();
  } catch {
    return { rss: -1, heapUsed: getHeapStatistics().used_heap_size };
  }
}

function nofileLimit(): number | null {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m?.[1] ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

function openFdCount(): number {
  try {
    return readdirSync('/proc/self/fd').length - 1; // minus the fd readdir itself holds
  } catch {
    return -1;
  }
}

/**
 * KAB_SERVER_CLOSE_EVERY_RESPONSE=1 makes the h1 and h2 servers close every connection after one response
 * (h1: `Connection: close`; h2: GOAWAY once the stream ends) — a server change that breaks connection reuse,
 * for checking that a compare gate catches one.
 */
export function closeEveryResponse(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.KAB_SERVER_CLOSE_EVERY_RESPONSE === '1';
}

export function parseServerConfig(argv: readonly string[]): ServerConfig {
  const raw = argv[2];
  const given = raw ? (JSON.parse(raw) as Partial<ServerConfig>) : {};
  return { ...DEFAULT_SERVER_CONFIG, ...given };
}

export async function certFor(config: ServerConfig): Promise<CertPair | null> {
  if (!config.tls) return null;
  if (config.cert_pem && config.key_pem)
    return { cert_pem: config.cert_pem, key_pem: config.key_pem, key_type: 'given' };
  return generateSelfSignedCert();
}

/**
 * The child side of the server protocol: listen, print the ready line, answer `stats` on stdin, and exit when
 * stdin closes (the harness is gone) or on SIGTERM/SIGINT.
 */
export async function serveAsChild(
  config: ServerConfig,
  server: NetServer,
  counters: ServerCounters,
  cert: CertPair | null,
  closeAll: () => void,
  closeIdle: (() => void) | null = null,
): Promise<void> {
  if (config.limits) server.maxConnections = config.limits.max_connections;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('server has no TCP address');
  const ready: ServerReady = {
    ready: true,
    protocol: config.protocol,
    tls: config.tls,
    host: addr.address,
    port: addr.port,
    pid: process.pid,
    cert_pem: cert?.cert_pem ?? null,
    cert_key_type: cert?.key_type ?? null,
  };
  emitJsonLine({ ...ready });
  // Without a listener, an accept() error (EMFILE at the FD limit) would crash the server; count it instead.
  server.on('error', () => counters.accept_errors++);

  const shutdown = (code: number): void => {
    closeAll();
    server.close();
    process.exit(code);
  };
  process.once('SIGTERM', () => shutdown(0));
  process.once('SIGINT', () => shutdown(0));

  answerStatsOnStdin(
    () => counters.snapshot(),
    () => shutdown(0),
    closeIdle,
  );
}

/**
 * The control channel every harness server keeps on stdin: `{id, op:'stats'}` is answered with the stats;
 * `{id, op:'close_idle'}` (where the server offers it) closes every connection with no request in flight, as
 * an idle timeout would, and answers with the stats after; EOF (the harness is gone, even after a SIGKILL)
 * shuts the server down.
 */
export function answerStatsOnStdin(
  stats: () => unknown,
  shutdown: () => void,
  closeIdle: (() => void) | null = null,
): void {
  serveJsonLines(
    (msg: { op?: unknown }) => {
      if (msg.op === 'close_idle' && closeIdle !== null) {
        closeIdle();
        return { stats: stats() };
      }
      if (msg.op !== 'stats') throw new Error(`unknown op ${String(msg.op)}`);
      return { stats: stats() };
    },
    { onEof: shutdown, ready: null },
  );
}

export function reportStartupFailure(e: unknown): never {
  emitJsonLine({ error: e instanceof Error ? e.message : String(e) });
  process.exit(1);
}
