import { fileURLToPath } from 'node:url';
import { spawnJsonChild, tsEntryArgv, type ChildHandle } from '../lib/child.ts';
import { inNetns } from '../lib/exec.ts';
import { DEFAULT_LB_CONFIG, type LbConfig, type LbReady, type LbStats } from './lb.ts';

export interface LbHandle {
  readonly config: LbConfig;
  readonly ready: LbReady;
  readonly pid: number;
  stats(): Promise<LbStats>;
  alive(): boolean;
  stop(): Promise<void>;
}

const ENTRY = fileURLToPath(new URL('./lb.ts', import.meta.url));

/** Starts the reverse proxy as its own process (inside netns when given) and waits until it listens. */
export async function startLb(partial: Partial<LbConfig>, netns: string | null = null): Promise<LbHandle> {
  const config: LbConfig = { ...DEFAULT_LB_CONFIG, ...partial };
  const child: ChildHandle<LbReady> = await spawnJsonChild<LbReady>(
    inNetns(netns, tsEntryArgv(ENTRY, [JSON.stringify(config)])),
    { label: 'lb' },
  );
  return {
    config,
    ready: child.ready,
    pid: child.pid,
    alive: () => child.alive(),
    async stats() {
      const reply = await child.call<{ stats: LbStats }>({ op: 'stats' }, 10_000);
      return reply.stats;
    },
    stop: () => child.stop(),
  };
}
