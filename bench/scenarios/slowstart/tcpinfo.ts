/** The harness's handle on the TCP_INFO sampler child (slowstart-sampler.ts) and the choice of the traced socket. */
import { fileURLToPath } from 'node:url';
import { spawnJsonChild, tsEntryArgv, type ChildHandle } from '../../../lib/child.ts';
import { inNetns } from '../../../lib/exec.ts';
import type { SamplerStart, TimedTcpInfo } from './sampler.ts';

const ENTRY = fileURLToPath(new URL('./sampler.ts', import.meta.url));

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

/** One sampler child per source (ss, /proc/net/tcp), both in netns; trace() runs them together and merges. */
export async function startTcpInfoSampler(netns: string | null): Promise<TcpInfoSampler> {
  const children: Array<ChildHandle<{ ready: true; pid: number }>> = [];
  try {
    for (const mode of ['ss', 'proc']) {
      children.push(
        await spawnJsonChild(inNetns(netns, tsEntryArgv(ENTRY, [mode])), { label: `tcp_info sampler (${mode})` }),
      );
    }
  } catch (e) {
    await Promise.all(children.map((c) => c.stop()));
    throw e;
  }
  const call = <R>(
    child: ChildHandle<unknown>,
    body: Record<string, unknown> & { op: string },
    timeout_ms: number,
  ): Promise<R> => child.call<R>(body, timeout_ms);
  return {
    pid: children[0]?.pid ?? 0,
    async trace(port, fn, opts = {}) {
      const start: SamplerStart = {
        port,
        interval_ms: opts.interval_ms ?? 3,
        max_ms: opts.max_ms ?? 30_000,
        max_samples: opts.max_samples ?? 20_000,
      };
      await Promise.all(children.map((c) => call(c, { op: 'start', ...start }, 5_000)));
      let result: Awaited<ReturnType<typeof fn>>;
      let stopped: Array<{ samples: TimedTcpInfo[]; errors: string[] }>;
      try {
        result = await fn();
      } finally {
        // Always stop, even when fn failed, so the next trace can start.
        stopped = await Promise.all(
          children.map((c) =>
            call<{ samples: TimedTcpInfo[]; errors: string[] }>(c, { op: 'stop' }, start.max_ms + 5_000),
          ),
        );
      }
      const samples = stopped.flatMap((x) => x.samples).sort((a, b) => a.t_ms - b.t_ms);
      return { result, samples: busiestSocket(samples), errors: stopped.flatMap((x) => x.errors) };
    },
    stop: async () => {
      await Promise.all(children.map((c) => c.stop()));
    },
  };
}

/**
 * Samples (ss and /proc) of the socket whose bytes_acked grew the most in the ss samples (other sockets on the
 * port are idle kept-alive ones); without ss samples, the socket seen most often with cwnd > initial.
 */
export function busiestSocket(samples: readonly TimedTcpInfo[]): TimedTcpInfo[] {
  const bySocket = new Map<string, TimedTcpInfo[]>();
  for (const s of samples) {
    const key = `${s.local} ${s.peer}`;
    let list = bySocket.get(key);
    if (!list) bySocket.set(key, (list = []));
    list.push(s);
  }
  let best: TimedTcpInfo[] = [];
  let bestScore = -1;
  for (const list of bySocket.values()) {
    const acked = list.filter((s) => s.bytes_acked !== null).map((s) => s.bytes_acked ?? 0);
    const score = acked.length > 0 ? Math.max(...acked) - Math.min(...acked) : list.length * 1e-6;
    if (score > bestScore) {
      best = list;
      bestScore = score;
    }
  }
  return best;
}
