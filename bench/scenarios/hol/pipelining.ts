/**
 * Does the server answer HTTP/1.1 pipelining at all (C4)? Batches of requests for responses of different sizes,
 * all written at once on one fresh connection: each response must arrive, and be the size of the request in its
 * turn. A server that closes after the first, stalls, or answers out of turn shows here, with or without a slow
 * route; the app part then measures the head-of-line blocking itself.
 */
import { HARNESS_ROUTES, type RouteSet, type SizedPath } from '../../../servers/under-test.ts';
import type { BatchItemResult } from '../../drivers/batch.ts';
import { bySize, type BenchOptions, type RunningServer, type ScenarioContext } from '../types.ts';
import { failedItem } from './app.ts';
import { PIPELINING_CSV_COLUMNS } from './definition.ts';

export const PIPELINE_DEPTH = 10;

export function pipeliningBatches(options: Pick<BenchOptions, 'quick' | 'size'>): number {
  return bySize(options, { quick: 1, standard: 3, full: 10 });
}

export function pipeliningUnits(options: Pick<BenchOptions, 'quick' | 'size'>): number {
  return pipeliningBatches(options) * PIPELINE_DEPTH;
}

/** The batch: the small route and the sized ones in turn (the harness's: 100 B, 1 000 B, 10 000 B). */
export function pipelineItems(routes: RouteSet = HARNESS_ROUTES): SizedPath[] {
  const sizes = routes.sizes();
  const pool: SizedPath[] = [];
  const small = routes.small(100);
  if (small !== null) pool.push({ path: small.path, size_bytes: small.size_bytes });
  for (const size_bytes of sizes === 'any' ? [1_000, 10_000] : sizes) {
    const path = routes.sized(size_bytes);
    if (path !== null && !pool.some((p) => p.path === path)) pool.push({ path, size_bytes });
  }
  if (pool.length === 0) return [];
  return Array.from({ length: PIPELINE_DEPTH }, (_, i) => pool[i % pool.length]!);
}

/** What became of one pipelined request. */
export function pipelinedAnswer(item: Pick<BatchItemResult, 'error' | 'body_bytes'>, expected_bytes: number): string {
  if (item.error !== null) return 'failed';
  return item.body_bytes === expected_bytes ? 'in_turn' : 'wrong_size';
}

export async function runPipeliningCheck(ctx: ScenarioContext, server: RunningServer): Promise<void> {
  const items = pipelineItems(server.handle.routes);
  if (items.length === 0) return;
  const csv = ctx.csv('hol-pipelining', PIPELINING_CSV_COLUMNS);
  const profile = ctx.profile.name;
  for (let rep = 1; rep <= pipeliningBatches(ctx.options) && !ctx.signal.aborted; rep++) {
    let results: BatchItemResult[];
    try {
      const batch = await ctx.agent.batch({
        target: server.target,
        protocol: 'h1',
        tls: server.clientTls('TLSv1.3'),
        connections: 1,
        depth: PIPELINE_DEPTH,
        conn_key: 'hol-pipelining',
        fresh: true,
        items: items.map((it) => ({ path: it.path })),
        timeout_ms: ctx.options.request_timeout_ms,
      });
      results = batch.items;
    } catch (e) {
      results = items.map((_, i) => failedItem(i + 1, (e as Error).message));
    }
    for (const it of results) {
      const expected = items[it.pos - 1]?.size_bytes ?? 0;
      csv.append({
        profile,
        rtt_ms_calibrated: ctx.calibration.rtt_ms_calibrated,
        rep,
        pos: it.pos,
        path: items[it.pos - 1]?.path ?? null,
        expected_bytes: expected,
        body_bytes: it.body_bytes,
        status: it.status,
        answer: pipelinedAnswer(it, expected),
        error: it.error,
      });
    }
    const answered = results.filter((it) => pipelinedAnswer(it, items[it.pos - 1]?.size_bytes ?? 0) === 'in_turn');
    ctx.progress.advance(
      PIPELINE_DEPTH,
      `[${profile}] hol pipelining: ${answered.length} of ${PIPELINE_DEPTH} answered in turn`,
    );
  }
  await ctx.agent.close('hol-pipelining');
}
