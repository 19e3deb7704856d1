import { readdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Server as NetServer, Socket } from 'node:net';
import { DEFAULT_SERVER_CONFIG, type ServerConfig, type ServerReady, type ServerStats } from './config.ts';
import { generateSelfSignedCert, type CertPair } from './tls-cert.ts';
import { emitJsonLine } from '../bench/lib/child.ts';

/** Counters both servers keep; `connections_open` follows socket close events. */
export class ServerCounters {
  connections_accepted = 0;
  connections_open = 0;
  requests_served = 0;
  sessions_accepted = 0;
  private nextConnId = 1;

  trackSocket(socket: Socket): number {
    this.connections_accepted++;
    this.connections_open++;
    socket.once('close', () => this.connections_open--);
    return this.nextConnId++;
  }

  snapshot(): ServerStats {
    const mem = process.memoryUsage();
    return {
      connections_accepted: this.connections_accepted,
      connections_open: this.connections_open,
      requests_served: this.requests_served,
      sessions_accepted: this.sessions_accepted,
      rss_bytes: mem.rss,
      heap_used_bytes: mem.heapUsed,
      open_fds: openFdCount(),
    };
  }
}

function openFdCount(): number {
  try {
    return readdirSync('/proc/self/fd').length - 1; // minus the fd readdir itself holds
  } catch {
    return -1;
  }
}

export function parseServerConfig(argv: readonly string[]): ServerConfig {
  const raw = argv[2];
  const given = raw ? (JSON.parse(raw) as Partial<ServerConfig>) : {};
  return { ...DEFAULT_SERVER_CONFIG, ...given };
}

export async function certFor(config: ServerConfig): Promise<CertPair | null> {
  if (!config.tls) return null;
  if (config.cert_pem && config.key_pem) return { cert_pem: config.cert_pem, key_pem: config.key_pem, key_type: 'given' };
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
): Promise<void> {
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

  const shutdown = (code: number): void => {
    closeAll();
    server.close();
    process.exit(code);
  };
  process.once('SIGTERM', () => shutdown(0));
  process.once('SIGINT', () => shutdown(0));

  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    let msg: { id?: number; op?: string };
    try {
      msg = JSON.parse(line) as { id?: number; op?: string };
    } catch {
      return;
    }
    if (msg.op === 'stats') emitJsonLine({ id: msg.id, ok: true, stats: counters.snapshot() });
    else emitJsonLine({ id: msg.id, ok: false, error: `unknown op ${String(msg.op)}` });
  });
  rl.on('close', () => shutdown(0));
}

export function reportStartupFailure(e: unknown): never {
  emitJsonLine({ error: e instanceof Error ? e.message : String(e) });
  process.exit(1);
}
