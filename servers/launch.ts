import { fileURLToPath } from 'node:url';
import { spawnJsonChild, tsEntryArgv, type ChildHandle } from '../bench/lib/child.ts';
import { inNetns } from '../netem/exec.ts';
import { DEFAULT_SERVER_CONFIG, type ServerConfig, type ServerReady, type ServerStats } from './config.ts';

export interface ServerHandle {
  readonly config: ServerConfig;
  readonly ready: ServerReady;
  readonly pid: number;
  readonly netns: string | null;
  stats(): Promise<ServerStats>;
  alive(): boolean;
  stop(): Promise<void>;
}

const ENTRY: Record<ServerConfig['protocol'], string> = {
  h1: fileURLToPath(new URL('./h1.ts', import.meta.url)),
  h2: fileURLToPath(new URL('./h2.ts', import.meta.url)),
};

/** Starts one server as its own process (inside netns when given) and waits until it listens. */
export async function startServer(partial: Partial<ServerConfig>, netns: string | null = null): Promise<ServerHandle> {
  const config: ServerConfig = { ...DEFAULT_SERVER_CONFIG, ...partial };
  const label = `${config.protocol}${config.tls ? '+tls' : ''} server`;
  const child: ChildHandle<ServerReady> = await spawnJsonChild<ServerReady>(
    inNetns(netns, tsEntryArgv(ENTRY[config.protocol], [JSON.stringify(config)])),
    { label, ready_timeout_ms: 20_000 },
  );
  return {
    config,
    ready: child.ready,
    pid: child.pid,
    netns,
    alive: () => child.alive(),
    async stats() {
      const reply = await child.request<{ ok: boolean; stats: ServerStats }>({ op: 'stats' }, 10_000);
      return reply.stats;
    },
    stop: () => child.stop(),
  };
}
