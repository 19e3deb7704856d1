/**
 * The cost scenario's crowd agent: the client agent entry point (bench/drivers/agent.ts) in the client namespace,
 * in a process of its own so the idle crowd's sockets do not share an event loop with the active client whose
 * latency is measured. Node raises its soft RLIMIT_NOFILE to the hard limit by itself but cannot raise the hard
 * limit, so the process is started under `prlimit --nofile=N:N` (root may raise it).
 */
import { fileURLToPath } from 'node:url';
import { spawnJsonChild, tsEntryArgv, type ChildHandle } from '../../../lib/child.ts';
import { inNetns } from '../../../lib/exec.ts';
import type { IdleOpenRequest, IdleOpenResult, IdleStatusResult } from '../../drivers/idle-ops.ts';

const ENTRY = fileURLToPath(new URL('../../drivers/agent.ts', import.meta.url));

export interface CrowdAgent {
  readonly pid: number;
  open(q: IdleOpenRequest): Promise<IdleOpenResult>;
  status(crowd_key: string): Promise<IdleStatusResult>;
  close(crowd_key: string): Promise<number>;
  stop(): Promise<void>;
}

/** An idle crowd of `count` connections, 100 opening at a time, each given 10 s, all of them 2 min. */
export function idleCrowd(
  q: Pick<IdleOpenRequest, 'crowd_key' | 'target' | 'protocol' | 'count' | 'path'>,
): IdleOpenRequest {
  return { ...q, concurrency: 100, timeout_ms: 10_000, total_timeout_ms: 120_000 };
}

export async function startCrowdAgent(netns: string | null, nofile_limit: number): Promise<CrowdAgent> {
  const child: ChildHandle<{ ready: true; pid: number }> = await spawnJsonChild(
    inNetns(netns, ['prlimit', `--nofile=${nofile_limit}:${nofile_limit}`, '--', ...tsEntryArgv(ENTRY)]),
    { label: 'crowd agent' },
  );
  const call = <T>(body: Record<string, unknown> & { op: string }, timeout_ms: number): Promise<T> =>
    child.call<T>(body, timeout_ms);
  return {
    pid: child.ready.pid,
    open: async (q) =>
      (await call<{ result: IdleOpenResult }>({ op: 'idle_open', ...q }, q.total_timeout_ms + q.timeout_ms + 10_000))
        .result,
    status: async (crowd_key) =>
      (await call<{ result: IdleStatusResult }>({ op: 'idle_status', crowd_key }, 10_000)).result,
    close: async (crowd_key) => (await call<{ closed: number }>({ op: 'idle_close', crowd_key }, 30_000)).closed,
    stop: () => child.stop(),
  };
}
