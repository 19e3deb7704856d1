/** The harness's handle on the TCP_INFO sampler child (slowstart-sampler.ts) and the choice of the traced socket. */
import { fileURLToPath } from 'node:url';
import { spawnJsonChild, tsEntryArgv, type ChildHandle } from '../lib/child.ts';
import { inNetns } from '../../netem/exec.ts';
import type { SamplerStart, TimedTcpInfo } from './slowstart-sampler.ts';

const ENTRY = fileURLToPath(new URL('./slowstart-sampler.ts', import.meta.url));

export interface TcpInfoTrace<T> {
  result: T;
  /** Samples of the one socket that moved the most bytes while fn ran (the transfer being traced). */
  samples: TimedTcpInfo[];
  errors: string[];
}

export interface TcpInfoSampler {
  readonly pid: number;
  /** Samples the sockets on port (server side) while fn runs; bounded by opts.max_ms / max_samples. */
  trace<T>(port: number, fn: () => Promise<T>, opts?: Partial<Omit<SamplerStart, 'port'>>): Promise<TcpInfoTrace<T>>;
  stop(): Promise<void>;
}

export async function startTcpInfoSampler(netns: string | null): Promise<TcpInfoSampler> {
  const child: ChildHandle<{ ready: true; pid: number }> = await spawnJsonChild(inNetns(netns, tsEntryArgv(ENTRY)), {
    label: 'tcp_info sampler',
  });
  const call = async <R>(body: Record<string, unknown>, timeout_ms: number): Promise<R> => {
    const reply = await child.request<{ ok: boolean; error?: string } & R>(body, timeout_ms);
    if (!reply.ok) throw new Error(`tcp_info sampler: ${reply.error ?? 'failed'}`);
    return reply;
  };
  return {
    pid: child.pid,
    async trace(port, fn, opts = {}) {
      const start: SamplerStart = { port, interval_ms: opts.interval_ms ?? 2, max_ms: opts.max_ms ?? 30_000, max_samples: opts.max_samples ?? 20_000 };
      await call({ op: 'start', ...start }, 5_000);
      let result: Awaited<ReturnType<typeof fn>>;
      let stopped: { samples: TimedTcpInfo[]; errors: string[] };
      try {
        result = await fn();
      } finally {
        // Always stop, even when fn failed, so the next trace can start.
        stopped = await call<{ samples: TimedTcpInfo[]; errors: string[] }>({ op: 'stop' }, start.max_ms + 5_000);
      }
      return { result, samples: busiestSocket(stopped.samples), errors: stopped.errors };
    },
    stop: () => child.stop(),
  };
}

/** Samples of the socket whose bytes_acked grew the most (other sockets on the port are idle kept-alive ones). */
export function busiestSocket(samples: readonly TimedTcpInfo[]): TimedTcpInfo[] {
  const bySocket = new Map<string, TimedTcpInfo[]>();
  for (const s of samples) {
    const key = `${s.local} ${s.peer}`;
    let list = bySocket.get(key);
    if (!list) bySocket.set(key, (list = []));
    list.push(s);
  }
  let best: TimedTcpInfo[] = [];
  let bestGrowth = -1;
  for (const list of bySocket.values()) {
    const acked = list.map((s) => s.bytes_acked ?? 0);
    const growth = Math.max(...acked) - Math.min(...acked);
    if (growth > bestGrowth) {
      best = list;
      bestGrowth = growth;
    }
  }
  return best;
}
