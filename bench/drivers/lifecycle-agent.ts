/**
 * A client agent for connection-lifecycle work (the lifecycle and policy scenarios): the same agent entry point
 * (bench/drivers/agent.ts) in the client namespace, answering the lc_* ops of lifecycle-ops.ts. A process of its
 * own keeps its sockets and timers apart from the shared probe agent.
 */
import { fileURLToPath } from 'node:url';
import { spawnJsonChild, tsEntryArgv, type ChildHandle } from '../../lib/child.ts';
import { inNetns } from '../../lib/exec.ts';
import type { IdleCloseRequest, IdleCloseResult } from './idle-close-probe.ts';
import type { LcClientSpec, LcRequest, LcResult, SocketEvent } from './lifecycle-clients.ts';

const ENTRY = fileURLToPath(new URL('./agent.ts', import.meta.url));

export interface LifecycleAgent {
  readonly pid: number;
  open(spec: LcClientSpec): Promise<void>;
  request(r: LcRequest): Promise<LcResult>;
  /** Sent together so they compete for the client's pool. */
  requests(rs: LcRequest[]): Promise<LcResult[]>;
  events(client_key: string, since_epoch_ms: number): Promise<SocketEvent[]>;
  close(client_key: string): Promise<void>;
  idleClose(q: IdleCloseRequest): Promise<IdleCloseResult>;
  stop(): Promise<void>;
}

/** Wall-clock ms with sub-ms resolution; the agent uses the same clock for *_epoch_ms. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

export async function startLifecycleAgent(netns: string | null): Promise<LifecycleAgent> {
  const child: ChildHandle<{ ready: true; pid: number }> = await spawnJsonChild(inNetns(netns, tsEntryArgv(ENTRY)), {
    label: 'lifecycle agent',
  });
  const call = <T>(body: Record<string, unknown> & { op: string }, timeout_ms: number): Promise<T> =>
    child.call<T>(body, timeout_ms);
  const margin = (r: LcRequest): number => (r.delay_ms ?? 0) + r.cap_ms * (r.retry_once_on_reset ? 2 : 1) + 10_000;
  return {
    pid: child.pid,
    open: (spec) => call({ op: 'lc_open', spec }, 5_000).then(() => undefined),
    request: async (r) => (await call<{ result: LcResult }>({ op: 'lc_request', ...r }, margin(r))).result,
    requests: async (rs) =>
      (await call<{ results: LcResult[] }>({ op: 'lc_requests', requests: rs }, Math.max(10_000, ...rs.map(margin))))
        .results,
    events: async (client_key, since_epoch_ms) =>
      (await call<{ events: SocketEvent[] }>({ op: 'lc_events', client_key, since_epoch_ms }, 5_000)).events,
    close: (client_key) => call({ op: 'lc_close', client_key }, 5_000).then(() => undefined),
    idleClose: async (q) =>
      (await call<{ result: IdleCloseResult }>({ op: 'lc_idle_close', ...q }, q.wait_ms + q.reuse_timeout_ms + 15_000))
        .result,
    stop: () => child.stop(),
  };
}
