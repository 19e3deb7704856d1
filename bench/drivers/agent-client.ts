import { fileURLToPath } from 'node:url';
import { spawnJsonChild, tsEntryArgv } from '../../lib/child.ts';
import { inNetns } from '../../lib/exec.ts';
import type { ProbeRequest, ProbeSample } from './probe.ts';
import type { BatchRequest, BatchResult } from './batch.ts';
import type { LoadOptions, LoadResult } from './load/types.ts';

/** The harness's handle on a client agent process. */
export interface Agent {
  readonly pid: number;
  probe(req: ProbeRequest): Promise<ProbeSample>;
  /** A batch of requests over several connections / pipelined / h2 streams (head-of-line scenarios). */
  batch(req: BatchRequest): Promise<BatchResult>;
  /** A load run (load driver chosen by protocol) from the client's namespace. */
  load(opts: LoadOptions): Promise<LoadResult>;
  close(conn_key: string): Promise<void>;
  closeAll(): Promise<void>;
  stop(): Promise<void>;
}

const ENTRY = fileURLToPath(new URL('./agent.ts', import.meta.url));

export async function startAgent(netns: string | null): Promise<Agent> {
  const child = await spawnJsonChild<{ ready: true; pid: number }>(inNetns(netns, tsEntryArgv(ENTRY)), {
    label: 'client agent',
  });
  const call = <T>(body: Record<string, unknown> & { op: string }, timeout_ms: number): Promise<T> =>
    child.call<T>(body, timeout_ms);
  return {
    pid: child.pid,
    async probe(req) {
      // The agent enforces req.timeout_ms itself; the extra margin only catches a hung agent.
      const reply = await call<{ sample: ProbeSample }>({ op: 'probe', ...req }, req.timeout_ms + 5_000);
      return reply.sample;
    },
    async batch(req) {
      // Items run in parallel lanes, each bounded by req.timeout_ms; the margin only catches a hung agent.
      const lanes = Math.ceil(req.items.length / (req.connections * req.depth));
      const reply = await call<{ batch: BatchResult }>({ op: 'batch', ...req }, req.timeout_ms * (lanes + 1) + 5_000);
      return reply.batch;
    },
    async load(opts) {
      // The run ends by itself after duration_ms + timeout_ms (in-flight requests); the margin catches a hung agent.
      const reply = await call<{ load: LoadResult }>(
        { op: 'load', ...opts },
        opts.duration_ms + opts.timeout_ms + 10_000,
      );
      return reply.load;
    },
    async close(conn_key) {
      await call({ op: 'close', conn_key }, 5_000);
    },
    async closeAll() {
      await call({ op: 'close_all' }, 5_000);
    },
    stop: () => child.stop(),
  };
}
