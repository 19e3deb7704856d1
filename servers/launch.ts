import { fileURLToPath } from 'node:url';
import { spawnJsonChild, tsEntryArgv, type ChildHandle } from '../lib/child.ts';
import { inNetns } from '../lib/exec.ts';
import { DEFAULT_SERVER_CONFIG, type ServerConfig, type ServerReady, type ServerStats } from './config.ts';

export interface ServerHandle {
  readonly config: ServerConfig;
  readonly ready: ServerReady;
  readonly pid: number;
  readonly netns: string | null;
  stats(): Promise<ServerStats>;
  /** Closes its idle connections as its idle timeout would (h1: those with no request in flight; h2: GOAWAY to every session, closed once its streams end); the stats after. */
  closeIdle(): Promise<ServerStats>;
  alive(): boolean;
  /** Resolves once the process is gone (whether stopped or dead): why, with its last stderr lines. */
  readonly exited: Promise<string>;
  stop(): Promise<void>;
}

const ENTRY: Record<ServerConfig['protocol'], string> = {
  h1: fileURLToPath(new URL('./h1.ts', import.meta.url)),
  h2: fileURLToPath(new URL('./h2.ts', import.meta.url)),
};

/**
 * Addresses the harness's servers may listen on: loopback, or the RFC 2544 benchmarking range inside the
 * harness's own namespaces. Anything else only when asked for explicitly (`npm run serve -- --listen`).
 */
export function isHarnessAddress(host: string): boolean {
  if (host === 'localhost' || host === '::1' || /^127\./.test(host)) return true;
  const m = /^198\.(18|19)\.\d{1,3}\.\d{1,3}$/.exec(host);
  return m !== null;
}

/** Starts one server as its own process (inside netns when given) and waits until it listens. */
export async function startServer(
  partial: Partial<ServerConfig>,
  netns: string | null = null,
  opts: { allowAnyHost?: boolean } = {},
): Promise<ServerHandle> {
  const config: ServerConfig = { ...DEFAULT_SERVER_CONFIG, ...partial };
  if (!opts.allowAnyHost && !isHarnessAddress(config.host)) {
    throw new Error(
      `refusing to listen on ${config.host}: the harness's servers listen only on loopback or 198.18.0.0/15 inside its namespaces`,
    );
  }
  const label = `${config.protocol}${config.tls ? '+tls' : ''} server`;
  const child: ChildHandle<ServerReady> = await spawnJsonChild<ServerReady>(
    inNetns(netns, [
      ...(config.nofile_limit ? ['prlimit', `--nofile=${config.nofile_limit}:${config.nofile_limit}`, '--'] : []),
      ...tsEntryArgv(ENTRY[config.protocol], [JSON.stringify(config)]),
    ]),
    { label },
  );
  return {
    config,
    ready: child.ready,
    pid: child.pid,
    netns,
    alive: () => child.alive(),
    exited: child.exited.then(({ code, signal }) => {
      const tail = child.stderrTail();
      return `${label} (pid ${child.pid}) exited with ${signal ? `signal ${signal}` : `code ${code}`}${tail ? `: ${tail}` : ''}`;
    }),
    async stats() {
      const reply = await child.call<{ stats: ServerStats }>({ op: 'stats' }, 10_000);
      return reply.stats;
    },
    async closeIdle() {
      const reply = await child.call<{ stats: ServerStats }>({ op: 'close_idle' }, 10_000);
      return reply.stats;
    },
    stop: () => child.stop(),
  };
}
