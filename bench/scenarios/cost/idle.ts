/**
 * C6: what idle kept-alive connections cost the server (memory, FDs, kernel sockets, event-loop delay and the
 * latency of an active client while the crowd is present), h1 vs h2; then what clients see past the server's
 * FD limit, and that the server stays up and serves again once connections close.
 *
 * Each (N, protocol) case gets a fresh server so the memory a previous crowd left in the heap does not hide
 * the next one's growth.
 */
import { quantileOf } from '../../../lib/stats.ts';
import { summarize } from '../../../lib/stats-summary.ts';
import type { ServerStats } from '../../../servers/config.ts';
import { caseKey, runSize, type RunSize, type RunningServer, type ScenarioContext } from '../types.ts';
import { idleCrowd, type CrowdAgent } from './agent.ts';
import { costWriter, readSocketMemory, readSockstat, writeKernelSocketFigures, type CostTags } from './common.ts';
import { sleep } from '../../../lib/sleep.ts';
import { statsOf } from '../../../servers/under-test.ts';

export const IDLE_KEEP_ALIVE_MS = 600_000;
export const CROWD_PATH = '/bytes/16';
export const ACTIVE_PATH = '/bytes/100';
export const FD_LIMIT = 256;
export const FD_LIMIT_CROWD = 320;

export function idleCounts(size: RunSize): number[] {
  return { quick: [500], standard: [0, 1_000], full: [0, 100, 1_000, 5_000, 10_000] }[size];
}

export function activeProbes(size: RunSize): number {
  return { quick: 10, standard: 20, full: 50 }[size];
}

type Write = ReturnType<typeof costWriter>;

async function activeLatency(
  ctx: ScenarioContext,
  server: RunningServer,
  protocol: 'h1' | 'h2',
  n: number,
  key: string,
  conn_key: string,
  warmup = false,
): Promise<{ values_ms: number[]; errors: number }> {
  const values_ms: number[] = [];
  let errors = 0;
  const probes = activeProbes(runSize(ctx.options));
  for (let i = 0; i <= probes; i++) {
    if (ctx.signal.aborted) break;
    const warm = warmup || i === 0;
    const sample = await ctx.agent.probe({
      target: server.target,
      protocol,
      tls: null,
      conn_key,
      connection: warm ? 'new' : 'reuse',
      resume: false,
      path: ACTIVE_PATH,
      close_after: false,
      timeout_ms: ctx.options.request_timeout_ms,
    });
    ctx.record({
      scenario: 'cost',
      case_key: key,
      protocol,
      security: 'none',
      conn_mode: 'reused',
      size_bytes: 100,
      connections: n,
      variant: `part=idle;crowd=${n}`,
      rep: i,
      warmup: warm,
      ...sample,
    });
    if (!warmup) ctx.progress.advance(1, `[${ctx.profile.name}] cost idle ${protocol} crowd ${n} probe ${i}`);
    if (warm) continue;
    if (sample.error === null && sample.total_ms !== null) values_ms.push(sample.total_ms);
    else errors++;
  }
  await ctx.agent.close(conn_key);
  return { values_ms, errors };
}

async function waitConnectionsBelow(server: RunningServer, open: number, timeout_ms: number): Promise<ServerStats> {
  const until = performance.now() + timeout_ms;
  let s = await statsOf(server.handle)();
  while (s.connections_open > open && performance.now() < until) {
    await sleep(200);
    s = await statsOf(server.handle)();
  }
  return s;
}

/** One case of C6: N idle connections to a fresh server of one protocol. */
export async function idleCase(
  ctx: ScenarioContext,
  crowd: CrowdAgent,
  write: Write,
  protocol: 'h1' | 'h2',
  n: number,
): Promise<void> {
  const key = caseKey('cost', { part: 'idle', protocol, connections: n }, ctx.profile.name);
  const tags: CostTags & { part: 'idle'; case_key: string } = {
    part: 'idle',
    case_key: key,
    protocol,
    connections: n,
    keep_alive: true,
  };
  const server = await ctx.startServer({ protocol, keep_alive_timeout_ms: IDLE_KEEP_ALIVE_MS });
  const crowd_key = `idle-${protocol}-${n}`;
  try {
    // Warm the server's code paths so the baseline already holds them.
    await activeLatency(ctx, server, protocol, n, key, `cost-warm-${protocol}`, true);
    await sleep(300, ctx.signal);
    const before = await statsOf(server.handle)();
    const sockBefore = await readSockstat(ctx.link.serverNetns);
    const memBefore = await readSocketMemory(ctx.link.serverNetns);
    const opened = await crowd.open(
      idleCrowd({ crowd_key, target: server.target, protocol, count: n, path: CROWD_PATH }),
    );
    await sleep(1_000, ctx.signal);
    const after = await statsOf(server.handle)(); // also resets the event-loop histogram for the probes below
    const sockAfter = await readSockstat(ctx.link.serverNetns);
    const memAfter = await readSocketMemory(ctx.link.serverNetns);
    const active = await activeLatency(ctx, server, protocol, n, key, `cost-active-${protocol}`);
    const during = await statsOf(server.handle)();
    const status = await crowd.status(crowd_key);

    const per = (d: number): number | null => (opened.open > 0 ? d / opened.open : null);
    write(tags, 'crowd_open', opened.open, 'connections');
    write(tags, 'crowd_open_ms', opened.elapsed_ms, 'ms');
    for (const [outcome, count] of Object.entries(opened.outcomes))
      write(tags, 'crowd_outcome', count, 'connections', outcome);
    write(tags, 'crowd_open_after_probes', status.open, 'connections');
    write(tags, 'server_connections_open', after.connections_open, 'connections');
    write(tags, 'server_rss_bytes', after.rss_bytes, 'bytes');
    write(tags, 'server_heap_used_bytes', after.heap_used_bytes, 'bytes');
    write(tags, 'server_open_fds', after.open_fds, 'fds');
    write(tags, 'rss_per_conn_bytes', per(after.rss_bytes - before.rss_bytes), 'bytes');
    write(tags, 'heap_per_conn_bytes', per(after.heap_used_bytes - before.heap_used_bytes), 'bytes');
    write(tags, 'fds_per_conn', per(after.open_fds - before.open_fds), 'fds');
    write(tags, 'server_tcp_inuse', sockAfter.tcp_inuse, 'sockets');
    write(
      tags,
      'tcp_mem_delta_bytes',
      (sockAfter.tcp_mem_pages - sockBefore.tcp_mem_pages) * 4096,
      'bytes',
      'host-wide TCP memory (sockstat mem pages, not per namespace)',
    );
    writeKernelSocketFigures(write, tags, { open: opened.open, sockBefore, sockAfter, memBefore, memAfter });
    write(tags, 'active_p50_ms', quantileOf(active.values_ms, 0.5), 'ms');
    write(tags, 'active_p99_ms', quantileOf(active.values_ms, 0.99), 'ms');
    write(
      tags,
      'active_mean_ms',
      (() => {
        const s = summarize(active.values_ms);
        return s.kind === 'ok' ? s.mean : null;
      })(),
      'ms',
    );
    write(tags, 'active_samples', active.values_ms.length, 'requests');
    write(tags, 'active_errors', active.errors, 'requests');
    write(tags, 'eventloop_delay_p50_ms', during.eventloop_delay.p50_ms, 'ms');
    write(tags, 'eventloop_delay_p99_ms', during.eventloop_delay.p99_ms, 'ms');
    write(tags, 'eventloop_delay_max_ms', during.eventloop_delay.max_ms, 'ms');
  } finally {
    await crowd.close(crowd_key).catch(() => undefined);
    await server.handle.stop();
  }
}

export async function runIdle(ctx: ScenarioContext, crowd: CrowdAgent): Promise<void> {
  const write = costWriter(ctx);
  for (const [i, n] of idleCounts(runSize(ctx.options)).entries()) {
    // Alternate which protocol goes first so drift hits both alike.
    const order: Array<'h1' | 'h2'> = i % 2 === 0 ? ['h1', 'h2'] : ['h2', 'h1'];
    for (const protocol of order) {
      if (ctx.signal.aborted) return;
      await idleCase(ctx, crowd, write, protocol, n);
    }
  }
}

/** Past the FD limit: a server under prlimit --nofile=FD_LIMIT, a crowd larger than it can hold. */
export async function runFdLimit(ctx: ScenarioContext, crowd: CrowdAgent): Promise<void> {
  const write = costWriter(ctx);
  for (const protocol of ['h1', 'h2'] as const) {
    if (ctx.signal.aborted) return;
    const key = caseKey(
      'cost',
      { part: 'fdlimit', protocol, nofile: FD_LIMIT, connections: FD_LIMIT_CROWD },
      ctx.profile.name,
    );
    const tags = {
      part: 'fdlimit' as const,
      case_key: key,
      protocol,
      connections: FD_LIMIT_CROWD,
      nofile_limit: FD_LIMIT,
      keep_alive: true,
    };
    const server = await ctx.startServer({
      protocol,
      keep_alive_timeout_ms: IDLE_KEEP_ALIVE_MS,
      nofile_limit: FD_LIMIT,
    });
    const crowd_key = `fdlimit-${protocol}`;
    const probeOnce = async (phase: string, rep: number): Promise<void> => {
      const sample = await ctx.agent.probe({
        target: server.target,
        protocol,
        tls: null,
        conn_key: `cost-fd-${protocol}`,
        connection: 'new',
        resume: false,
        path: ACTIVE_PATH,
        close_after: true,
        timeout_ms: Math.min(ctx.options.request_timeout_ms, 3_000),
      });
      ctx.record({
        scenario: 'cost',
        case_key: `${key}/phase=${phase}`,
        protocol,
        security: 'none',
        conn_mode: 'new',
        size_bytes: 100,
        connections: FD_LIMIT_CROWD,
        variant: `part=fdlimit;phase=${phase}`,
        failure_is_outcome: true,
        rep,
        warmup: false,
        ...sample,
      });
      ctx.progress.advance(1, `[${ctx.profile.name}] cost fdlimit ${protocol} ${phase}`);
      write(
        { ...tags, rep },
        `probe_${phase}_ok`,
        sample.error === null ? 1 : 0,
        'bool',
        sample.error ?? `${sample.total_ms ?? ''} ms`,
      );
    };
    try {
      const base = await statsOf(server.handle)();
      write(tags, 'server_nofile_limit', base.nofile_limit, 'fds');
      write(tags, 'server_open_fds_idle', base.open_fds, 'fds');
      await probeOnce('before', 1);
      const opened = await crowd.open({
        crowd_key,
        target: server.target,
        protocol,
        count: FD_LIMIT_CROWD,
        concurrency: 20,
        timeout_ms: 3_000,
        total_timeout_ms: 60_000,
        path: CROWD_PATH,
      });
      for (const [outcome, count] of Object.entries(opened.outcomes))
        write(tags, 'crowd_outcome', count, 'connections', outcome);
      write(tags, 'crowd_open', opened.open, 'connections');
      for (let r = 1; r <= 3; r++) await probeOnce('at_limit', r);
      const full = await statsOf(server.handle)();
      write(tags, 'server_open_fds_at_limit', full.open_fds, 'fds');
      write(tags, 'server_connections_open_at_limit', full.connections_open, 'connections');
      write(tags, 'server_accept_errors', full.accept_errors, 'errors');
      write(tags, 'server_alive_at_limit', server.handle.alive() ? 1 : 0, 'bool');
      const status = await crowd.status(crowd_key);
      write(tags, 'crowd_open_at_limit', status.open, 'connections');
      await crowd.close(crowd_key);
      const drained = await waitConnectionsBelow(server, 0, 10_000);
      write(tags, 'server_open_fds_after_close', drained.open_fds, 'fds');
      for (let r = 1; r <= 3; r++) await probeOnce('after_close', r);
      write(tags, 'server_alive_after', server.handle.alive() ? 1 : 0, 'bool');
    } finally {
      await crowd.close(crowd_key).catch(() => undefined);
      await server.handle.stop();
    }
  }
}
