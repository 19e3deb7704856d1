/**
 * Application-level head-of-line blocking (C4, C5): a batch of K requests whose first one is slow (the server
 * waits D ms), sent four ways on warm connections. Per request: when it would have reached the client had
 * nothing been in front of it (its write time + its unblocked time, measured alone on the same kind of
 * connection) vs when it did; the difference is blocked_ms.
 */
import { summarize } from '../../../lib/stats-summary.ts';
import type { BatchItemResult, BatchRequest, BatchResult } from '../../drivers/batch.ts';
import { HARNESS_ROUTES, type RouteSet, type SizedPath } from '../../../servers/under-test.ts';
import { bySize, caseKey, type BenchOptions, type RunningServer, type ScenarioContext } from '../types.ts';
import {
  anyServer,
  holMode,
  modesServed,
  recordBatch,
  rotate,
  type HolMode,
  type HolModeName,
  type HolServers,
} from './common.ts';
import { APP_CSV_COLUMNS } from './definition.ts';

export const APP_BATCH_SIZE = 10;
export const APP_SLOW_DELAY_MS = 200;
export const APP_SIZE_BYTES = 1000;
export const APP_MODES: readonly HolModeName[] = ['h1_serial', 'h1_pipelined', 'h1_6conn', 'h2_streams'];

export interface AppPlan {
  reps: number;
  solo_fast: number;
  solo_slow: number;
}

export function appPlan(options: Pick<BenchOptions, 'quick' | 'size' | 'requests'>): AppPlan {
  // Four batches: the fewest whose all-held outcome has a 95 % Wilson interval above one half (4/4: 0.51–1).
  const reps = options.requests ?? bySize(options, { quick: 1, standard: 4, full: 15 });
  return bySize(options, {
    quick: { reps, solo_fast: 2, solo_slow: 1 },
    standard: { reps, solo_fast: 4, solo_slow: 2 },
    full: { reps, solo_fast: 8, solo_slow: 4 },
  });
}

export function appPlannedUnits(options: Pick<BenchOptions, 'quick' | 'size' | 'requests'>): number {
  const p = appPlan(options);
  return 2 * (p.solo_fast + p.solo_slow + 2) + (p.reps + 1) * APP_MODES.length * APP_BATCH_SIZE;
}

export type RequestClass = 'slow' | 'fast';
export const classOf = (pos: number): RequestClass => (pos === 1 ? 'slow' : 'fast');

/** The two routes of a batch: its slow first request and the fast ones behind it. */
export type AppRoutes = Record<RequestClass, SizedPath>;

/** The harness's 1 000-byte responses, the slow one after 200 ms; a user's --path and --slow-path; null without a slow route. */
export function appRoutes(routes: RouteSet): AppRoutes | null {
  const fast = routes.small(APP_SIZE_BYTES);
  const slow = routes.slow(APP_SIZE_BYTES, APP_SLOW_DELAY_MS);
  return fast && slow ? { fast, slow } : null;
}

export function appPath(cls: RequestClass, routes: AppRoutes = appRoutes(HARNESS_ROUTES)!): string {
  return routes[cls].path;
}

/** The harness's slow route is keyed by its delay, a user's by its path (its delay is measured, not set). */
export function appCaseKey(mode: HolModeName, cls: RequestClass, profile: string, slow: SizedPath): string {
  const what: Record<string, string | number> =
    slow.delay_ms !== undefined ? { delay_ms: slow.delay_ms } : { slow: slow.path };
  return caseKey('hol', { part: 'app', mode, k: APP_BATCH_SIZE, ...what, req: cls }, profile);
}

/** Blocked time of one request: how much later than its unblocked arrival (write + time alone) it arrived. */
export function blockedMs(
  item: Pick<BatchItemResult, 'write_ms' | 'done_ms'>,
  unblocked_ms: number | null,
): number | null {
  if (item.write_ms === null || item.done_ms === null || unblocked_ms === null) return null;
  return Math.round(Math.max(0, item.done_ms - item.write_ms - unblocked_ms) * 1000) / 1000;
}

/** The slow route's delay: set by the harness's route, else the slow request's time alone minus the fast one's. */
export function slowDelayMs(slow: SizedPath, unblocked: (cls: RequestClass) => number | null): number | null {
  if (slow.delay_ms !== undefined) return slow.delay_ms;
  const s = unblocked('slow');
  const f = unblocked('fast');
  return s === null || f === null ? null : Math.max(0, Math.round(s - f));
}

/**
 * Unblocked times: each class of request alone on a warm connection of each protocol (median, ms); null where
 * no request succeeded.
 */
async function measureUnblocked(
  ctx: ScenarioContext,
  protocols: ReadonlyArray<'h1' | 'h2'>,
  routes: AppRoutes,
  batchRequest: (mode: HolMode, items: BatchRequest['items'], conn_key: string) => BatchRequest,
): Promise<(protocol: 'h1' | 'h2', cls: RequestClass) => number | null> {
  const plan = appPlan(ctx.options);
  const profile = ctx.profile.name;
  const unblocked = new Map<string, number | null>();
  for (const protocol of protocols) {
    const mode: HolMode = { mode: protocol === 'h1' ? 'h1_serial' : 'h2_streams', protocol, connections: 1, depth: 1 };
    for (const cls of ['fast', 'slow'] as const) {
      const values: number[] = [];
      const n = cls === 'fast' ? plan.solo_fast : plan.solo_slow;
      for (let i = 0; i <= n && !ctx.signal.aborted; i++) {
        const b = await ctx.agent.batch(batchRequest(mode, [{ path: routes[cls].path }], `hol-solo-${protocol}`));
        const it = b.items[0];
        // i = 0 opens the connection and is not counted.
        if (i > 0 && it && it.error === null && it.done_ms !== null && it.write_ms !== null)
          values.push(it.done_ms - it.write_ms);
        ctx.progress.advance(1, `[${profile}] hol app: ${protocol} ${cls} request alone`);
      }
      const s = summarize(values);
      unblocked.set(`${protocol}/${cls}`, s.kind === 'ok' ? Math.round(s.median * 1000) / 1000 : null);
    }
    await ctx.agent.close(`hol-solo-${protocol}`);
  }
  return (protocol, cls) => unblocked.get(`${protocol}/${cls}`) ?? null;
}

export async function runAppPart(ctx: ScenarioContext, servers: HolServers): Promise<void> {
  const routes = appRoutes(anyServer(servers).handle.routes);
  if (routes === null) {
    ctx.skipPart('app', 'needs a route for a slow response (--slow-path)');
    return;
  }
  const plan = appPlan(ctx.options);
  const csv = ctx.csv('hol-app', APP_CSV_COLUMNS);
  const timeout_ms = ctx.options.request_timeout_ms;
  const profile = ctx.profile.name;
  const serverOf = (p: 'h1' | 'h2'): RunningServer => servers[p] ?? anyServer(servers);
  const batchRequest = (mode: HolMode, items: BatchRequest['items'], conn_key: string): BatchRequest => ({
    target: serverOf(mode.protocol).target,
    protocol: mode.protocol,
    tls: serverOf(mode.protocol).clientTls('TLSv1.3'),
    connections: mode.connections,
    depth: mode.depth,
    conn_key,
    fresh: false,
    items,
    timeout_ms,
  });

  const protocols = (['h1', 'h2'] as const).filter((p) => servers[p] !== undefined);
  const unblockedFor = await measureUnblocked(ctx, protocols, routes, batchRequest);
  const delay_ms = slowDelayMs(routes.slow, (cls) => unblockedFor(protocols[0]!, cls));
  ctx.progress.log(
    `[${profile}] hol app: unblocked ${protocols.map((p) => `${p} fast ${unblockedFor(p, 'fast')} ms, slow ${unblockedFor(p, 'slow')} ms`).join('; ')}; the slow response waits ${delay_ms} ms${routes.slow.delay_ms === undefined ? ' (measured)' : ''}`,
  );

  const items = Array.from({ length: APP_BATCH_SIZE }, (_, i) => ({ path: routes[classOf(i + 1)].path }));
  const modes = modesServed(
    APP_MODES.map((m) => holMode(m, APP_BATCH_SIZE)),
    servers,
  );
  let batchNo = 0;
  for (let rep = 0; rep <= plan.reps && !ctx.signal.aborted; rep++) {
    const warmup = rep === 0;
    for (const mode of rotate(modes, rep)) {
      if (ctx.signal.aborted) break;
      const batch_id = `${profile}/app/${++batchNo}`;
      let batch: BatchResult;
      try {
        batch = await ctx.agent.batch(batchRequest(mode, items, `hol-app-${mode.mode}`));
      } catch (e) {
        // A hung agent: record the batch as failed rather than lose the case.
        batch = {
          started_at: new Date().toISOString(),
          connect_ms: [],
          batch_ms: 0,
          errors: items.length,
          items: items.map((_, i) => failedItem(i + 1, (e as Error).message)),
        };
      }
      const unblockedOf = (it: BatchItemResult): number | null => unblockedFor(mode.protocol, classOf(it.pos));
      const delayOf = (it: BatchItemResult): number | null => (classOf(it.pos) === 'slow' ? delay_ms : 0);
      recordBatch(ctx, {
        case_key: (it) => appCaseKey(mode.mode, classOf(it.pos), profile, routes.slow),
        variant: (it) => `part=app;mode=${mode.mode};req=${classOf(it.pos)};d_ms=${delay_ms ?? ''}`,
        mode,
        fresh: false,
        batch,
        batch_id,
        rep,
        warmup,
        size_bytes: (it) => routes[classOf(it.pos)].size_bytes,
        server_delay_ms: delayOf,
        blocked_ms: (it) => blockedMs(it, unblockedOf(it)),
      });
      for (const it of batch.items) {
        const u = unblockedOf(it);
        csv.append({
          profile,
          rtt_ms_calibrated: ctx.calibration.rtt_ms_calibrated,
          congestion_control: ctx.congestion_control,
          mode: mode.mode,
          protocol: mode.protocol,
          connections: mode.connections,
          depth: mode.depth,
          batch_id,
          rep,
          warmup,
          pos: it.pos,
          req: classOf(it.pos),
          server_delay_ms: delayOf(it),
          write_ms: it.write_ms,
          done_ms: it.done_ms,
          unblocked_ms: u,
          ready_ms: it.write_ms !== null && u !== null ? Math.round((it.write_ms + u) * 1000) / 1000 : null,
          blocked_ms: blockedMs(it, u),
          delay_vs_alone_ms: it.done_ms !== null && u !== null ? Math.round((it.done_ms - u) * 1000) / 1000 : null,
          batch_ms: batch.batch_ms,
          error: it.error,
        });
      }
      ctx.progress.advance(items.length, `[${profile}] hol app ${mode.mode} rep ${rep}`);
    }
  }
  for (const m of modes) await ctx.agent.close(`hol-app-${m.mode}`);
}

export function failedItem(pos: number, error: string): BatchItemResult {
  return {
    pos,
    conn_index: 0,
    conn_id: '',
    conn_seq: 0,
    server_conn_id: null,
    write_ms: null,
    first_byte_ms: null,
    done_ms: null,
    status: null,
    body_bytes: null,
    error,
  };
}

/**
 * The analytic model of an application-level case (summary's model_ms), time from the request's own write:
 * one RTT, plus D for the slow request and for every fast one pipelined behind it on the same connection.
 * Transport-level and load cases have no model (null).
 */
export function holCaseModel(tags: Record<string, string>, metric: string): number | null {
  if (metric !== 'total_ms' && metric !== 'ttfb_ms') return null;
  const v = new Map((tags.variant ?? '').split(';').map((kv) => kv.split('=') as [string, string]));
  if (v.get('part') !== 'app') return null;
  const rtt = Number(tags.rtt_ms_calibrated || tags.rtt_ms_configured);
  const delay = Number(tags.server_delay_ms || 0);
  if (!Number.isFinite(rtt) || (tags.rtt_ms_calibrated === '' && tags.rtt_ms_configured === '')) return null;
  // The slow response's delay: in the variant since user servers' slow routes (older runs: the harness's 200 ms).
  const d_ms = v.get('d_ms');
  const slowDelay = d_ms === undefined ? APP_SLOW_DELAY_MS : d_ms === '' ? Number.NaN : Number(d_ms);
  const blockedBehindSlow = v.get('req') === 'slow' || v.get('mode') === 'h1_pipelined';
  const model = rtt + (blockedBehindSlow ? slowDelay : Number.isFinite(delay) ? delay : 0);
  return Number.isFinite(model) ? model : null;
}
