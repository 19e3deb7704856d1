/**
 * C12: a client pool (node http.Agent) with maxSockets below, equal to and above the concurrency. A round sends
 * `concurrency` requests at once; the first round of a pool opens its connections (cold), later rounds reuse
 * them (warm). Per request: time queued for a socket, TCP connect, total.
 */
import { errorMessage } from '../../../lib/errors.ts';
import { bySize, caseKey, type BenchOptions } from '../types.ts';
import { type PartContext } from './common.ts';
import { lcClientSpec, lcSampleFields } from '../../drivers/lifecycle-clients.ts';

export const C12_CONCURRENCY = 8;
export const C12_MAX_SOCKETS = [2, 4, 8, 16] as const;

/** The pools a run measures: below and equal to the concurrency decide C12; --full adds 4 and 16 for the chart. */
export function c12MaxSockets(options: Pick<BenchOptions, 'quick' | 'size'>): readonly number[] {
  return bySize<readonly number[]>(options, { quick: [2, 8], standard: [2, 8], full: C12_MAX_SOCKETS });
}
const C12_ROUNDS = 3;

export function c12Reps(options: Pick<BenchOptions, 'quick' | 'size'>): number {
  return bySize(options, { quick: 1, standard: 2, full: 10 });
}

export function c12Key(max_sockets: number, round: 'cold' | 'warm', profile: string): string {
  return caseKey('lifecycle', { part: 'c12', max_sockets, concurrency: C12_CONCURRENCY, round }, profile);
}

export async function runC12(p: PartContext): Promise<void> {
  const { ctx, agent } = p;
  const server = await ctx.startServer({ protocol: 'h1', keep_alive_timeout_ms: 60_000 });
  try {
    for (let rep = 1; rep <= c12Reps(ctx.options); rep++) {
      const pools = c12MaxSockets(ctx.options);
      const offset = rep % pools.length;
      const order = [...pools.slice(offset), ...pools.slice(0, offset)];
      for (const m of order) {
        if (ctx.signal.aborted) return;
        const key = `c12-${rep}-${m}`;
        try {
          await agent.open(lcClientSpec(key, server.target, { max_sockets: m }));
          for (let round = 1; round <= C12_ROUNDS; round++) {
            const kind = round === 1 ? 'cold' : 'warm';
            const results = await agent.requests(
              Array.from({ length: C12_CONCURRENCY }, () => ({
                client_key: key,
                path: '/bytes/1000',
                timeout_ms: 10_000,
                cap_ms: 15_000,
                retry_once_on_reset: false,
              })),
            );
            const ck = c12Key(m, kind, ctx.profile.name);
            const conns = new Set(results.map((r) => r.conn_id)).size;
            for (const [i, r] of results.entries()) {
              p.row({
                part: 'c12',
                case_key: ck,
                strategy: `max_sockets=${m}`,
                fault: kind,
                trial: (rep - 1) * C12_ROUNDS + round,
                outcome: r.error === null ? 'ok' : 'failed',
                status: r.status,
                error: r.error,
                reused: r.reused,
                queue_ms: r.queue_ms,
                connect_ms: r.connect_ms,
                total_ms: r.total_ms,
                max_sockets: m,
                concurrency: C12_CONCURRENCY,
                note: `round ${round}; request ${i + 1} of ${C12_CONCURRENCY}; ${conns} connections used`,
              });
              ctx.record({
                failure_is_outcome: true,
                scenario: 'lifecycle',
                case_key: ck,
                protocol: 'h1',
                security: 'none',
                conn_mode: r.reused ? 'reused' : 'new',
                size_bytes: 1000,
                variant: `part=c12;max_sockets=${m};concurrency=${C12_CONCURRENCY};round=${kind}`,
                connections: conns,
                batch_id: `${key}-${round}`,
                batch_pos: i + 1,
                batch_size: C12_CONCURRENCY,
                rep,
                warmup: false,
                ...lcSampleFields(r),
              });
            }
            ctx.progress.advance(C12_CONCURRENCY, `[${ctx.profile.name}] lifecycle C12 maxSockets ${m} round ${round}`);
          }
        } catch (e) {
          p.row({
            part: 'c12',
            case_key: c12Key(m, 'cold', ctx.profile.name),
            strategy: `max_sockets=${m}`,
            trial: rep,
            outcome: 'error',
            error: errorMessage(e),
          });
        } finally {
          await agent.close(key).catch(() => undefined);
        }
      }
    }
  } finally {
    await server.handle.stop();
  }
}

export function c12Units(options: Pick<BenchOptions, 'quick' | 'size'>): number {
  return c12Reps(options) * c12MaxSockets(options).length * C12_ROUNDS * C12_CONCURRENCY;
}
