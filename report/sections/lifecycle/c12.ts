/**
 * C12 from lifecycle.csv: a pool reuses the connections keep-alive keeps open (a warm round beats its cold first
 * round by the handshake), and a pool smaller than the concurrency queues requests.
 */
import { quantileOf } from '../../../lib/stats.ts';
import { hodgesLehmann, type HodgesLehmannResult } from '../../../lib/stats-rank-tests.ts';
import { numberOrNull as num } from '../../../lib/numbers.ts';
import type { CsvRow } from '../../load-run.ts';
import { fmtMs, round4 } from '../../format.ts';
import type { Evidence, Verdict } from '../types.ts';

export interface PoolFigure {
  max_sockets: number;
  concurrency: number;
  round: string;
  n: number;
  queue_ms: number | null;
  queue_p90_ms: number | null;
  connect_ms: number | null;
  total_ms: number | null;
  total_p90_ms: number | null;
  errors: number;
  /** Each successful request's wait for a socket and its total time (ms), in row order. */
  queue_samples_ms: number[];
  total_samples_ms: number[];
}

export function poolFigures(rows: readonly CsvRow[]): PoolFigure[] {
  const by = new Map<string, CsvRow[]>();
  for (const r of rows)
    if (r.part === 'c12' && r.max_sockets)
      by.set(`${r.max_sockets}|${r.fault}`, [...(by.get(`${r.max_sockets}|${r.fault}`) ?? []), r]);
  const out: PoolFigure[] = [];
  for (const rs of by.values()) {
    const ok = rs.filter((r) => r.outcome === 'ok');
    const col = (c: string): number[] => ok.map((r) => num(r[c])).filter((x): x is number => x !== null);
    const newConn = ok
      .filter((r) => r.reused === '0')
      .map((r) => num(r.connect_ms))
      .filter((x): x is number => x !== null);
    out.push({
      max_sockets: Number(rs[0]!.max_sockets),
      concurrency: Number(rs[0]!.concurrency),
      round: rs[0]!.fault ?? '',
      n: ok.length,
      queue_ms: quantileOf(col('queue_ms'), 0.5),
      queue_p90_ms: quantileOf(col('queue_ms'), 0.9),
      connect_ms: quantileOf(newConn, 0.5),
      total_ms: quantileOf(col('total_ms'), 0.5),
      total_p90_ms: quantileOf(col('total_ms'), 0.9),
      errors: rs.length - ok.length,
      queue_samples_ms: col('queue_ms'),
      total_samples_ms: col('total_ms'),
    });
  }
  return out.sort((a, b) => a.round.localeCompare(b.round) || a.max_sockets - b.max_sockets);
}

/** Hodges–Lehmann shift head − base with its 95 % CI; null when a side has no samples. */
function shift(base: readonly number[], head: readonly number[]): HodgesLehmannResult | null {
  return base.length && head.length ? hodgesLehmann(base, head) : null;
}

const signed = (x: number | null): string => (x === null ? 'n/a' : `${x >= 0 ? '+' : '−'}${fmtMs(Math.abs(x))}`);
const ciWords = (h: HodgesLehmannResult | null): string =>
  h === null
    ? 'no samples'
    : h.low === null || h.high === null
      ? `${signed(h.shift)}, too few requests for a 95 % CI`
      : `${signed(h.shift)} [95 % CI ${signed(h.low)}…${signed(h.high)}]`;

export function verdictC12(figs: readonly PoolFigure[]): Verdict {
  const rule =
    'confirmed when a warm pool with maxSockets ≥ concurrency beats its cold first round (reuse saves the handshake) and a pool smaller than the concurrency queues requests; strong evidence when the Hodges–Lehmann 95 % CI of warm − cold total time lies below 0 and that of the small pool’s wait for a socket minus the full pool’s lies above 0 (both must hold; a "refuted" is strong when a CI lies on the other side of 0), inconclusive otherwise; the requests of a round are taken as independent, which they are not quite (a small pool’s waits follow queue position): the CIs are narrower than the rounds alone would give, and the effect (a round trip against jitter of a fraction of a millisecond) is what carries the call';
  const warm = figs.filter((f) => f.round === 'warm');
  const cold = figs.filter((f) => f.round === 'cold');
  const small = warm.filter((f) => f.max_sockets < f.concurrency).sort((a, b) => a.max_sockets - b.max_sockets)[0];
  const equal = warm.find((f) => f.max_sockets === f.concurrency);
  const coldEqual = cold.find((f) => f.max_sockets === f.concurrency);
  if (!small || !equal || !coldEqual)
    return {
      claim: 'C12',
      kind: 'depends',
      reason: 'pool cases missing',
      figure: 'no figure',
      numbers: {},
      rule,
      evidence: {
        n: `n = ${Math.min(...[small, equal, coldEqual].map((f) => f?.n ?? 0))} requests in the smallest pool case`,
        strength: 'inconclusive',
      },
    };
  const reuse = shift(coldEqual.total_samples_ms, equal.total_samples_ms);
  const queue = shift(equal.queue_samples_ms, small.queue_samples_ms);
  const figure =
    `${equal.concurrency} concurrent requests: maxSockets ${small.max_sockets} queues them (median ${fmtMs(small.queue_ms)} waiting, p90 ${fmtMs(small.queue_p90_ms)}, total p90 ${fmtMs(small.total_p90_ms)}; wait − maxSockets ${equal.max_sockets}'s ${ciWords(queue)}); ` +
    `maxSockets ${equal.max_sockets}: warm median ${fmtMs(equal.total_ms)} vs cold ${fmtMs(coldEqual.total_ms)} (a new connection's connect ${fmtMs(coldEqual.connect_ms)}; warm − cold ${ciWords(reuse)})`;
  const numbers = {
    small_max_sockets: small.max_sockets,
    small_queue_ms: round4(small.queue_ms),
    small_total_p90_ms: round4(small.total_p90_ms),
    equal_warm_total_ms: round4(equal.total_ms),
    equal_cold_total_ms: round4(coldEqual.total_ms),
    connect_ms: round4(coldEqual.connect_ms),
    warm_minus_cold_ms: round4(reuse?.shift ?? null),
    warm_minus_cold_ci_low_ms: round4(reuse?.low ?? null),
    warm_minus_cold_ci_high_ms: round4(reuse?.high ?? null),
    queue_shift_ms: round4(queue?.shift ?? null),
    queue_shift_ci_low_ms: round4(queue?.low ?? null),
    queue_shift_ci_high_ms: round4(queue?.high ?? null),
  };
  const ok =
    (equal.total_ms ?? Infinity) < (coldEqual.total_ms ?? 0) && (small.queue_p90_ms ?? 0) > (equal.queue_p90_ms ?? 0);
  const below = (h: HodgesLehmannResult | null): boolean => h !== null && h.high !== null && h.high < 0;
  const above = (h: HodgesLehmannResult | null): boolean => h !== null && h.low !== null && h.low > 0;
  const evidence: Evidence = {
    n: `n = ${coldEqual.n} cold + ${equal.n} warm requests at maxSockets ${equal.max_sockets}, ${small.n} warm at maxSockets ${small.max_sockets}`,
    strength: (ok ? below(reuse) && above(queue) : above(reuse) || below(queue)) ? 'strong' : 'inconclusive',
  };
  return {
    claim: 'C12',
    kind: ok ? 'confirmed' : 'refuted',
    figure,
    numbers,
    rule,
    evidence,
    ...(ok ? {} : { reason: 'reuse did not beat the cold round, or the small pool did not queue' }),
  };
}
