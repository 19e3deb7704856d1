/**
 * Head-of-line blocking under load (C4, C5): throughput and latency percentiles vs HTTP/1.1 pipelining depth
 * (autocannon) and vs concurrent streams per HTTP/2 connection (node:http2 driver), each at a fixed total
 * concurrency; with and without keep-alive; then an open-loop (fixed arrival rate) run per protocol whose
 * latency counts from the intended send time. Closed-loop rows say so in `loop`.
 */
import type { LoadOptions, LoadResult } from '../../drivers/load/types.ts';
import { routeOr } from '../../../servers/under-test.ts';
import { bySize, caseKey, runSize, type BenchOptions, type ScenarioContext } from '../types.ts';
import { anyServer, type HolServers } from './common.ts';
import { LOAD_CSV_COLUMNS } from './definition.ts';

export const LOAD_PATH_BYTES = 100;
export const H1_TOTAL_CONCURRENCY = 16;
export const H2_TOTAL_CONCURRENCY = 100;

export interface LoadCase {
  protocol: 'h1' | 'h2';
  loop: 'closed' | 'open';
  keep_alive: boolean;
  connections: number;
  per_connection: number;
  /** open loop: this fraction of the closed-loop throughput of the same shape measured just before. */
  rate_fraction: number | null;
}

export function loadCases(options: Pick<BenchOptions, 'quick' | 'size'>): LoadCase[] {
  // The default suite keeps the ends of each range (its 5-minute budget); --full fills them in.
  const depths = bySize(options, { quick: [16], standard: [1, 16], full: [1, 2, 4, 8, 16] });
  const streams = bySize(options, { quick: [100], standard: [1, 100], full: [1, 4, 10, 25, 50, 100] });
  const out: LoadCase[] = [];
  for (const d of depths)
    out.push({
      protocol: 'h1',
      loop: 'closed',
      keep_alive: true,
      connections: H1_TOTAL_CONCURRENCY / d,
      per_connection: d,
      rate_fraction: null,
    });
  const smoke = runSize(options) === 'quick';
  if (!smoke)
    out.push({
      protocol: 'h1',
      loop: 'closed',
      keep_alive: false,
      connections: H1_TOTAL_CONCURRENCY,
      per_connection: 1,
      rate_fraction: null,
    });
  for (const s of streams)
    out.push({
      protocol: 'h2',
      loop: 'closed',
      keep_alive: true,
      connections: H2_TOTAL_CONCURRENCY / s,
      per_connection: s,
      rate_fraction: null,
    });
  if (smoke) {
    // A smoke run keeps one open-loop case (its closed-loop twin is the 100-stream one above).
    out.push({
      protocol: 'h2',
      loop: 'open',
      keep_alive: true,
      connections: 1,
      per_connection: H2_TOTAL_CONCURRENCY,
      rate_fraction: 0.8,
    });
    return out;
  }
  out.push({
    protocol: 'h2',
    loop: 'closed',
    keep_alive: false,
    connections: H1_TOTAL_CONCURRENCY,
    per_connection: 1,
    rate_fraction: null,
  });
  out.push({
    protocol: 'h1',
    loop: 'open',
    keep_alive: true,
    connections: H1_TOTAL_CONCURRENCY,
    per_connection: 1,
    rate_fraction: 0.8,
  });
  out.push({
    protocol: 'h2',
    loop: 'open',
    keep_alive: true,
    connections: 1,
    per_connection: H2_TOTAL_CONCURRENCY,
    rate_fraction: 0.8,
  });
  return out;
}

export function loadDurationMs(options: Pick<BenchOptions, 'quick' | 'size'>): number {
  return bySize(options, { quick: 500, standard: 1_000, full: 5_000 });
}

export function loadPlannedUnits(options: Pick<BenchOptions, 'quick' | 'size'>): number {
  // Units here are seconds of load × 10, so a load case weighs like a few batches in the ETA.
  return loadCases(options).length * (loadDurationMs(options) / 100);
}

export function loadCaseKey(c: LoadCase, profile: string): string {
  return caseKey(
    'hol',
    {
      part: 'load',
      protocol: c.protocol,
      loop: c.loop,
      keep_alive: c.keep_alive ? 1 : 0,
      connections: c.connections,
      per_connection: c.per_connection,
    },
    profile,
  );
}

export async function runLoadPart(ctx: ScenarioContext, servers: HolServers): Promise<void> {
  // The load drivers (autocannon, node:http2) speak cleartext HTTP only.
  const cleartext: HolServers = {};
  for (const p of ['h1', 'h2'] as const)
    if (servers[p] && servers[p].clientTls('TLSv1.3') === null) cleartext[p] = servers[p];
  if (cleartext.h1 === undefined && cleartext.h2 === undefined) {
    ctx.skipPart('load', 'needs a cleartext server (the load drivers speak plain HTTP)');
    return;
  }
  const path = routeOr(anyServer(cleartext).handle.routes.small(LOAD_PATH_BYTES), 'a small response').path;
  const csv = ctx.csv('load', LOAD_CSV_COLUMNS);
  const duration_ms = loadDurationMs(ctx.options);
  const profile = ctx.profile.name;
  const closedRps = new Map<string, number>();
  const shape = (c: LoadCase): string => `${c.protocol}/${c.connections}x${c.per_connection}`;
  for (const c of loadCases(ctx.options)) {
    const server = cleartext[c.protocol];
    if (ctx.signal.aborted) break;
    if (server === undefined) continue;
    let rate_rps: number | null = null;
    if (c.loop === 'open') {
      const base = closedRps.get(shape(c));
      rate_rps = base !== undefined && base > 0 ? Math.max(1, Math.round(base * (c.rate_fraction ?? 0.8))) : 100;
    }
    const opts: LoadOptions = {
      target: server.target,
      protocol: c.protocol,
      path,
      connections: c.connections,
      per_connection: c.per_connection,
      loop: c.loop,
      rate_rps,
      keep_alive: c.keep_alive,
      duration_ms,
      max_requests: null,
      timeout_ms: Math.min(ctx.options.request_timeout_ms, 10_000),
    };
    let r: LoadResult | null = null;
    let error: string | null = null;
    try {
      r = await ctx.agent.load(opts);
    } catch (e) {
      error = (e as Error).message;
    }
    if (r && c.loop === 'closed' && c.keep_alive) closedRps.set(shape(c), r.requests_per_s);
    csv.append({
      case_key: loadCaseKey(c, profile),
      profile,
      rtt_ms_calibrated: ctx.calibration.rtt_ms_calibrated,
      congestion_control: ctx.congestion_control,
      driver: r?.driver ?? null,
      protocol: c.protocol,
      loop: c.loop,
      keep_alive: c.keep_alive,
      connections: c.connections,
      per_connection: c.per_connection,
      total_concurrency: c.connections * c.per_connection,
      rate_rps_target: rate_rps,
      duration_ms,
      elapsed_ms: r?.elapsed_ms ?? null,
      sent: r?.sent ?? null,
      responses: r?.responses ?? null,
      ok_2xx: r?.ok_2xx ?? null,
      non_2xx: r?.non_2xx ?? null,
      errors: r?.errors ?? null,
      timeouts: r?.timeouts ?? null,
      resets: r?.resets ?? null,
      not_sent: r?.not_sent ?? null,
      requests_per_s: r?.requests_per_s ?? null,
      lat_mean_us: r?.latency.mean_us ?? null,
      lat_p50_us: r?.latency.p50_us ?? null,
      lat_p90_us: r?.latency.p90_us ?? null,
      lat_p99_us: r?.latency.p99_us ?? null,
      lat_p999_us: r?.latency.p999_us ?? null,
      lat_max_us: r?.latency.max_us ?? null,
      send_lag_p50_us: r?.send_lag?.p50_us ?? null,
      send_lag_p99_us: r?.send_lag?.p99_us ?? null,
      send_lag_max_us: r?.send_lag?.max_us ?? null,
      error,
    });
    ctx.progress.advance(
      duration_ms / 100,
      `[${profile}] hol load ${c.protocol} ${c.loop} ${c.connections}×${c.per_connection}${c.keep_alive ? '' : ' no-keep-alive'}: ${r ? `${r.requests_per_s} req/s` : error}`,
    );
  }
}
