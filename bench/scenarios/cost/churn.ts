/**
 * C11: connection churn without keep-alive at fixed request rates (open loop) against keep-alive at the same
 * rates: throughput, latency, CPU per request on both sides, TIME_WAIT and ports; then where no-keep-alive fails
 * with a narrowed ip_local_port_range in the client namespace; then the server limits (maxRequestsPerSocket,
 * keepAliveTimeout) as dimensions.
 */
import type { LoadOptions, LoadResult } from '../../drivers/load/types.ts';
import { caseKey, runSize, type RunSize, type RunningServer, type ScenarioContext } from '../types.ts';
import { costWriter, cpuDeltaMs, cpuTimeMs, readSocketCounts, type CostPart, type CostTags } from './common.ts';
import { sleep } from '../../../lib/sleep.ts';
import { pidOf, routeOr } from '../../../servers/under-test.ts';
import { treeUsage } from './process-tree.ts';

/** The churn request: the harness's 100-byte response, or a user's --path. */
export const CHURN_BYTES = 100;
export const PORT_RANGE_NARROW = '61000 61127';
/** Ports in the narrowed range (PORT_RANGE_NARROW, and every run's shifted copy of it). */
export const PORT_RANGE_WIDTH = 128;
const PORT_RANGE_KEY = 'net.ipv4.ip_local_port_range';

/**
 * The narrowed range for run `rep` (1-based) of the ports part: PORT_RANGE_NARROW shifted up by PORT_RANGE_WIDTH per
 * run, so no run starts with the previous run's TIME_WAIT (60 s) in its range. Start and end keep their parity.
 */
export function portRangeForRep(rep: number): string {
  const [lo, hi] = PORT_RANGE_NARROW.split(' ').map(Number) as [number, number];
  const shift = (rep - 1) * PORT_RANGE_WIDTH;
  return `${lo + shift} ${hi + shift}`;
}

export interface ChurnPlan {
  /** Runs of every churn and ports case, interleaved (run 1 of every case, then run 2, …). */
  reps: number;
  rates_rps: number[];
  duration_ms: number;
  connections: number;
  port_rates_rps: number[];
  max_requests_per_socket: number[];
  keep_alive_timeout_ms: number[];
  limits_rate_rps: number;
  limits_connections: number;
  /** Runs of each limits case (a chart, no verdict rests on it: --full only). */
  limits_reps: number;
}

export function churnPlan(size: RunSize): ChurnPlan {
  const standard: ChurnPlan = {
    reps: 3,
    rates_rps: [100, 400],
    // Short runs, repeated: the default suite's 5-minute budget; --full runs 5 s each.
    duration_ms: 1_000,
    connections: 100,
    port_rates_rps: [400],
    // The server-limits chart (no verdict rests on it) is left to --full: the default suite's 5-minute budget.
    max_requests_per_socket: [],
    keep_alive_timeout_ms: [],
    limits_rate_rps: 200,
    limits_connections: 20,
    limits_reps: 0,
  };
  switch (size) {
    case 'quick':
      // A smoke run: churn only (ports and limits are left out; see cost.ts).
      return {
        ...standard,
        reps: 1,
        rates_rps: [400],
        duration_ms: 1_000,
        port_rates_rps: [],
        max_requests_per_socket: [],
        keep_alive_timeout_ms: [],
      };
    case 'standard':
      return standard;
    case 'full':
      return {
        reps: 5,
        rates_rps: [100, 300, 1_000, 2_000],
        duration_ms: 5_000,
        connections: 200,
        port_rates_rps: [50, 100, 200, 400],
        max_requests_per_socket: [0, 1, 10, 100],
        keep_alive_timeout_ms: [50, 200, 5_000],
        limits_rate_rps: 200,
        limits_connections: 20,
        limits_reps: 5,
      };
  }
}

type Write = ReturnType<typeof costWriter>;

interface LoadCase {
  part: CostPart;
  key: string;
  /** 1-based run of the case (the `rep` column of cost.csv). */
  rep: number;
  tags: CostTags;
  server: RunningServer;
  keep_alive: boolean;
  rate_rps: number;
  connections: number;
  duration_ms: number;
}

/** One open-loop load run with CPU, socket and server readings around it; every figure becomes a cost.csv row. */
async function measureLoad(ctx: ScenarioContext, write: Write, c: LoadCase): Promise<LoadResult | null> {
  const tags = {
    ...c.tags,
    part: c.part,
    case_key: c.key,
    rep: c.rep,
    keep_alive: c.keep_alive,
    rate_rps: c.rate_rps,
    connections: c.connections,
  };
  const serverPid = pidOf(c.server.handle);
  // The server's whole process tree (a user's server may be a master and workers; the harness's is one process).
  const serverCpu = (): number | null => treeUsage(serverPid)?.cpu_ms ?? null;
  const counters = c.server.handle.stats;
  const clientNs = ctx.link.clientNetns;
  const serverNs = ctx.link.serverNetns;
  const twClientBefore = await readSocketCounts(clientNs);
  const twServerBefore = await readSocketCounts(serverNs);
  const statsBefore = counters === null ? null : await counters();
  const cpuClient0 = cpuTimeMs(ctx.agent.pid);
  const cpuServer0 = serverCpu();
  const opts: LoadOptions = {
    target: c.server.target,
    protocol: 'h1',
    path: routeOr(c.server.handle.routes.small(CHURN_BYTES), 'a small response').path,
    connections: c.connections,
    per_connection: 1,
    loop: 'open',
    rate_rps: c.rate_rps,
    keep_alive: c.keep_alive,
    duration_ms: c.duration_ms,
    max_requests: Math.ceil((c.rate_rps * c.duration_ms) / 1000),
    timeout_ms: 5_000,
  };
  let res: LoadResult | null = null;
  try {
    res = await ctx.agent.load(opts);
  } catch (e) {
    write(tags, 'load_failed', 1, 'bool', e instanceof Error ? e.message.slice(0, 200) : String(e));
  }
  const cpuClient1 = cpuTimeMs(ctx.agent.pid);
  const cpuServer1 = serverCpu();
  const sockClient = await readSocketCounts(clientNs);
  const sockServer = await readSocketCounts(serverNs);
  const statsAfter = counters === null ? null : await counters();
  ctx.progress.advance(1, `[${ctx.profile.name}] cost ${c.part} ka=${c.keep_alive} ${c.rate_rps} rps run ${c.rep}`);
  if (!res) return null;
  const us = (v: number | null): number | null => (v === null ? null : v / 1000);
  const perReq = (a: number | null, b: number | null): number | null => {
    const ms = cpuDeltaMs(a, b);
    return ms === null || res.responses === 0 ? null : (ms * 1000) / res.responses;
  };
  write(tags, 'throughput_rps', res.requests_per_s, 'rps');
  write(tags, 'sent', res.sent, 'requests');
  write(tags, 'ok_2xx', res.ok_2xx, 'requests');
  write(tags, 'errors', res.errors, 'requests');
  write(tags, 'timeouts', res.timeouts, 'requests');
  write(tags, 'resets', res.resets, 'requests');
  write(tags, 'not_sent', res.not_sent, 'requests');
  write(tags, 'error_pct', res.sent > 0 ? (100 * (res.errors + res.not_sent)) / (res.sent + res.not_sent) : null, '%');
  write(tags, 'latency_p50_ms', us(res.latency.p50_us), 'ms');
  write(tags, 'latency_p90_ms', us(res.latency.p90_us), 'ms');
  write(tags, 'latency_p99_ms', us(res.latency.p99_us), 'ms');
  write(tags, 'latency_max_ms', us(res.latency.max_us), 'ms');
  write(tags, 'client_cpu_per_req_us', perReq(cpuClient0, cpuClient1), 'us');
  write(tags, 'server_cpu_per_req_us', perReq(cpuServer0, cpuServer1), 'us');
  write(
    tags,
    'server_conns_per_req',
    res.responses > 0 && statsAfter !== null && statsBefore !== null
      ? (statsAfter.connections_accepted - statsBefore.connections_accepted) / res.responses
      : null,
    'connections',
  );
  write(tags, 'client_time_wait_before', twClientBefore.time_wait, 'sockets');
  write(tags, 'client_time_wait_after', sockClient.time_wait, 'sockets');
  write(tags, 'server_time_wait_after', sockServer.time_wait, 'sockets');
  write(tags, 'client_ports_in_use_after', sockClient.total, 'sockets');
  write(tags, 'client_time_wait_delta', sockClient.time_wait - twClientBefore.time_wait, 'sockets');
  write(tags, 'server_time_wait_delta', sockServer.time_wait - twServerBefore.time_wait, 'sockets');
  return res;
}

export async function runChurn(ctx: ScenarioContext): Promise<void> {
  const write = costWriter(ctx);
  const plan = churnPlan(runSize(ctx.options));
  const server = await ctx.startServer({ protocol: 'h1', keep_alive_timeout_ms: 60_000 });
  try {
    // Interleaved: run 1 of every case, then run 2, …, so drift hits every case alike; the keep-alive / no-keep-alive
    // order alternates between rates and between runs.
    for (let rep = 1; rep <= plan.reps; rep++) {
      for (const [i, rate_rps] of plan.rates_rps.entries()) {
        const order = (i + rep - 1) % 2 === 0 ? [true, false] : [false, true];
        for (const keep_alive of order) {
          if (ctx.signal.aborted) return;
          const key = caseKey(
            'cost',
            { part: 'churn', protocol: 'h1', keep_alive: keep_alive ? 1 : 0, rate_rps },
            ctx.profile.name,
          );
          await measureLoad(ctx, write, {
            part: 'churn',
            key,
            rep,
            tags: { protocol: 'h1' },
            server,
            keep_alive,
            rate_rps,
            connections: plan.connections,
            duration_ms: plan.duration_ms,
          });
          await sleep(500, ctx.signal);
        }
      }
    }
  } finally {
    await server.handle.stop();
  }
}

/**
 * Port exhaustion: the client namespace's ephemeral range narrowed to PORT_RANGE_WIDTH (128) ports, above the
 * default range so no earlier TIME_WAIT sits in it. Keep-alive runs first at every rate, in every run: once
 * no-keep-alive has filled the range with TIME_WAIT, any new connection fails for 60 s. Whether it does depends on
 * which side closes first (that side keeps the TIME_WAIT): the rows record TIME_WAIT on both sides. The runs are
 * interleaved like churn's, each in its own range (portRangeForRep), so a run does not inherit the previous run's
 * TIME_WAIT; the `port_range` column holds the run's range.
 */
export async function runPorts(ctx: ScenarioContext): Promise<void> {
  const write = costWriter(ctx);
  const plan = churnPlan(runSize(ctx.options));
  const tuning = ctx.link.tuning;
  if (tuning === null) {
    write(
      { part: 'ports', case_key: caseKey('cost', { part: 'ports' }, ctx.profile.name) },
      'skipped',
      1,
      'bool',
      'needs a link with namespaces of its own (tun or tc): the port range is a host setting otherwise',
    );
    return;
  }
  const original = (await tuning.readSysctls('client'))[PORT_RANGE_KEY];
  if (original === undefined) throw new Error(`could not read ${PORT_RANGE_KEY} in the client namespace`);
  const server = await ctx.startServer({ protocol: 'h1', keep_alive_timeout_ms: 60_000 });
  const connections = 50;
  try {
    for (let rep = 1; rep <= plan.reps; rep++) {
      const range = portRangeForRep(rep);
      await tuning.setSysctls('client', { [PORT_RANGE_KEY]: range });
      for (const keep_alive of [true, false]) {
        for (const rate_rps of plan.port_rates_rps) {
          if (ctx.signal.aborted) return;
          const key = caseKey(
            'cost',
            { part: 'ports', protocol: 'h1', keep_alive: keep_alive ? 1 : 0, rate_rps, ports: PORT_RANGE_WIDTH },
            ctx.profile.name,
          );
          await measureLoad(ctx, write, {
            part: 'ports',
            key,
            rep,
            tags: { protocol: 'h1', port_range: range.replace(' ', '-') },
            server,
            keep_alive,
            rate_rps,
            connections,
            duration_ms: plan.duration_ms,
          });
        }
      }
    }
  } finally {
    await tuning.setSysctls('client', { [PORT_RANGE_KEY]: original });
    await server.handle.stop();
  }
}

/**
 * Server limits as dimensions: maxRequestsPerSocket and keepAliveTimeout, at one fixed open-loop rate, on a fresh
 * server per run. Runs interleaved like churn's; every other run takes the cases in reverse order.
 */
export async function runLimits(ctx: ScenarioContext): Promise<void> {
  const write = costWriter(ctx);
  const plan = churnPlan(runSize(ctx.options));
  const cases: Array<{ mrps: number; kat: number }> = [
    ...plan.max_requests_per_socket.map((mrps) => ({ mrps, kat: 60_000 })),
    ...plan.keep_alive_timeout_ms.map((kat) => ({ mrps: 0, kat })),
  ];
  const runs = Array.from({ length: plan.limits_reps }, (_, i) =>
    (i % 2 === 0 ? cases : [...cases].reverse()).map((c) => ({ ...c, rep: i + 1 })),
  ).flat();
  for (const { mrps, kat, rep } of runs) {
    if (ctx.signal.aborted) return;
    const server = await ctx.startServer({ protocol: 'h1', keep_alive_timeout_ms: kat, max_requests_per_socket: mrps });
    try {
      const key = caseKey(
        'cost',
        {
          part: 'limits',
          protocol: 'h1',
          max_requests_per_socket: mrps,
          keep_alive_timeout_ms: kat,
          rate_rps: plan.limits_rate_rps,
        },
        ctx.profile.name,
      );
      await measureLoad(ctx, write, {
        part: 'limits',
        key,
        rep,
        tags: { protocol: 'h1', max_requests_per_socket: mrps, keep_alive_timeout_ms: kat },
        server,
        keep_alive: true,
        rate_rps: plan.limits_rate_rps,
        connections: plan.limits_connections,
        duration_ms: plan.duration_ms,
      });
    } finally {
      await server.handle.stop();
    }
  }
}
