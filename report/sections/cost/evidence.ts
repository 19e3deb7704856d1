/**
 * The evidence (n and strength, issue #21) behind the cost section's verdicts. C6: per protocol, the share of idle
 * connections that hold an FD (Wilson CI) and the per-connection memory and kernel socket memory (slope of the
 * crowds' before/after growth on their size, with its t CI). C11: per rate × profile pair, the bootstrap CI of the
 * CPU-per-request ratio and of the p50 ratio without / with keep-alive over the runs. Pure.
 */
import { wilson } from '../../../lib/stats.ts';
import { bootstrapMedianRatioCi, mulberry32 } from '../../../lib/stats-bootstrap.ts';
import { round4 } from '../../format.ts';
import type { Evidence, VerdictKind } from '../types.ts';
import type { IdlePoint, LoadPoint } from './points.ts';

// ---------------------------------------------------------------------------------------------------------- C6

/** C6 counts an FD as held per idle connection from this share on (its rule: ≥ 0.9 FD per connection). */
export const FD_SHARE_THRESHOLD = 0.9;
/** C6 counts process memory (RSS + heap) per idle connection as a cost above this (its rule: > 1 KiB). */
export const MEMORY_THRESHOLD_BYTES = 1024;

/** Two-sided 97.5 % quantiles of Student's t for 1…30 degrees of freedom. */
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11,
  2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/** Student's t quantile for a two-sided 95 % CI: the table up to 30 df, then its Cornish–Fisher expansion. */
export function t975(df: number): number {
  const tabled = T975[df - 1];
  if (tabled !== undefined) return tabled;
  const z = 1.959964;
  return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df * df);
}

/** A per-connection cost: the slope of growth (bytes) on crowd size through 0, its 95 % CI (null below 2 crowds). */
export interface PerConnCi {
  per_conn: number;
  low: number | null;
  high: number | null;
  crowds: number;
}

/**
 * Each crowd's growth is measured on its own fresh server (after − before), so a crowd of 0 grows by 0: the
 * per-connection cost is the least-squares slope through the origin of growth on crowd size, and its CI the t
 * interval with (crowds − 1) degrees of freedom. One crowd gives the figure but no CI.
 */
export function perConnCi(crowds: ReadonlyArray<{ open: number; growth: number }>): PerConnCi | null {
  const k = crowds.length;
  if (k === 0) return null;
  const sxx = crowds.reduce((a, c) => a + c.open * c.open, 0);
  const slope = crowds.reduce((a, c) => a + c.open * c.growth, 0) / sxx;
  if (k < 2) return { per_conn: slope, low: null, high: null, crowds: k };
  const sse = crowds.reduce((a, c) => a + (c.growth - slope * c.open) ** 2, 0);
  const half = t975(k - 1) * Math.sqrt(sse / (k - 1) / sxx);
  return { per_conn: slope, low: slope - half, high: slope + half, crowds: k };
}

/** Where a CI lies against a threshold: wholly above it, wholly below it, or across it (or no CI). */
type Side = 'above' | 'below' | 'open';
function sideOf(low: number | null | undefined, high: number | null | undefined, at: number): Side {
  if (typeof low === 'number' && low > at) return 'above';
  return typeof high === 'number' && high < at ? 'below' : 'open';
}

export interface C6ProtocolEvidence {
  protocol: string;
  /** Crowds (cases with idle connections open) of this protocol. */
  crowds: number;
  /** Idle connections in all crowds, and how many of them held an FD (the FD growth, at most one each). */
  connections: number;
  fds_held: number;
  fd_low: number;
  fd_high: number;
  memory: PerConnCi | null;
  socket_memory: PerConnCi | null;
  open_min: number;
  open_max: number;
}

/** Per protocol, from every crowd with open connections (the verdict's figures are its largest crowd's). */
export function c6ProtocolEvidence(idle: readonly IdlePoint[]): C6ProtocolEvidence[] {
  const out: C6ProtocolEvidence[] = [];
  for (const protocol of [...new Set(idle.map((p) => p.protocol))].sort()) {
    const crowds = idle.filter((p) => p.protocol === protocol && (p.crowd_open ?? 0) > 0);
    if (crowds.length === 0) continue;
    const opens = crowds.map((p) => p.crowd_open ?? 0);
    const connections = opens.reduce((a, b) => a + b, 0);
    const fds_held = crowds.reduce(
      (a, p) => a + Math.max(0, Math.min(p.crowd_open ?? 0, Math.round((p.fds_per_conn ?? 0) * (p.crowd_open ?? 0)))),
      0,
    );
    const ci = wilson(fds_held, connections);
    const growth = (per: (p: IdlePoint) => number | null) =>
      crowds.flatMap((p) => {
        const v = per(p);
        return v === null ? [] : [{ open: p.crowd_open ?? 0, growth: v * (p.crowd_open ?? 0) }];
      });
    out.push({
      protocol,
      crowds: crowds.length,
      connections,
      fds_held,
      fd_low: ci.low,
      fd_high: ci.high,
      // As the verdict counts it: RSS + heap (a process tree has no heap figure).
      memory: perConnCi(
        growth((p) => (p.rss_per_conn_bytes === null ? null : p.rss_per_conn_bytes + (p.heap_per_conn_bytes ?? 0))),
      ),
      socket_memory: perConnCi(growth((p) => p.tcp_mem_per_conn_bytes)),
      open_min: Math.min(...opens),
      open_max: Math.max(...opens),
    });
  }
  return out;
}

/** Which of the rule's branches decided C6 (see c6Verdict). */
export type C6Outcome = 'no_fd' | 'little_memory' | 'no_buffers' | 'all_costed';

/**
 * Strong when the CI of each figure the verdict rests on lies on its side of the rule's threshold, for every
 * protocol (all must hold): the share of connections holding an FD above 0.9 (Wilson), memory per connection above
 * 1 KiB, and socket memory per connection below the negligible-buffer bound for the finding of ≈ 0 ("not allocated
 * while idle": its CI must exclude a buffer that counts), or above it for "confirmed" (no socket-memory figure, no
 * CI: inconclusive). A refutation rests on one protocol: strong when that protocol's CI lies below the threshold
 * it missed.
 */
export function c6Evidence(
  idle: readonly IdlePoint[],
  outcome: C6Outcome,
  bufferBytes: number,
): { evidence: Evidence; numbers: Record<string, number | null>; words: string } {
  const per = c6ProtocolEvidence(idle);
  const fd = (e: C6ProtocolEvidence): Side => sideOf(e.fd_low, e.fd_high, FD_SHARE_THRESHOLD);
  const mem = (e: C6ProtocolEvidence): Side => sideOf(e.memory?.low, e.memory?.high, MEMORY_THRESHOLD_BYTES);
  const buf = (e: C6ProtocolEvidence): Side => sideOf(e.socket_memory?.low, e.socket_memory?.high, bufferBytes);
  const bufWanted: Side = outcome === 'no_buffers' ? 'below' : 'above';
  const strong =
    per.length > 0 &&
    (outcome === 'no_fd'
      ? per.some((e) => fd(e) === 'below')
      : outcome === 'little_memory'
        ? per.some((e) => mem(e) === 'below')
        : per.every((e) => fd(e) === 'above' && mem(e) === 'above' && buf(e) === bufWanted));
  const k = Math.min(...per.map((e) => e.crowds));
  const lo = Math.min(...per.map((e) => e.open_min));
  const hi = Math.max(...per.map((e) => e.open_max));
  const n =
    per.length === 0
      ? 'n = 0 idle connections'
      : per.every((e) => e.crowds === 1) && lo === hi
        ? `n = 1 crowd of ${lo} idle connections a protocol`
        : `n ≥ ${k} crowd${k === 1 ? '' : 's'} a protocol (${lo}–${hi} idle connections)`;
  const numbers: Record<string, number | null> = {};
  for (const e of per) {
    numbers[`${e.protocol}_crowds`] = e.crowds;
    numbers[`${e.protocol}_fds_held_ci_low_ratio`] = round4(e.fd_low);
    numbers[`${e.protocol}_mem_per_conn_ci_low_bytes`] = round4(e.memory?.low ?? null);
    numbers[`${e.protocol}_mem_per_conn_ci_high_bytes`] = round4(e.memory?.high ?? null);
    numbers[`${e.protocol}_sock_mem_per_conn_ci_high_bytes`] = round4(e.socket_memory?.high ?? null);
  }
  return { evidence: { n, strength: strong ? 'strong' : 'inconclusive' }, numbers, words: c6Words(per) };
}

const kib = (b: number): string => `${(b / 1024).toFixed(1)} KiB`;

/** "95 % CIs per idle connection: h1 memory 17.9–18.6 KiB, socket memory ≤ 3 B; …", or why there is none. */
function c6Words(per: readonly C6ProtocolEvidence[]): string {
  const withCi = per.filter((e) => typeof e.memory?.low === 'number');
  if (withCi.length < per.length || per.length === 0)
    return 'no CI of the memory per connection: it needs 2 crowds a protocol or more';
  const one = (e: C6ProtocolEvidence): string => {
    const sock = e.socket_memory?.high;
    return `${e.protocol} memory ${kib(e.memory?.low ?? 0)}–${kib(e.memory?.high ?? 0)}${typeof sock === 'number' ? `, socket memory ≤ ${Math.max(0, sock).toFixed(0)} B` : ''}`;
  };
  return `95 % CIs per idle connection: ${per.map(one).join('; ')}`;
}

// --------------------------------------------------------------------------------------------------------- C11

/**
 * Fewer runs a side than this give no CI. At 3 + 3 the percentile bootstrap of a ratio of medians excludes 1 about
 * as often as a two-sided 90 % interval would (under no difference: ≈ 10 % of the time, simulated); C11 asks it of
 * every pair at once, which keeps a false "strong" rare.
 */
export const MIN_RUNS_FOR_CI = 3;
/**
 * "depends" is shown by one CI below 1 at some pair (any of the pairs and both metrics): at 3 runs a side, with
 * intervals nearer 90 % than 95 %, such a "some" would come up by chance too often. From 5 runs a side (≈ 3 %
 * under no difference, simulated) it may call the evidence strong.
 */
export const MIN_RUNS_FOR_STRONG_DEPENDS = 5;
const SEED = 21;

export interface RatioCi {
  ratio: number;
  low: number;
  high: number;
}

/** Bootstrap 95 % CI of median(noka) / median(ka) (null: too few runs, or no positive side to divide by). */
export function noKaRatioCi(ka: readonly number[], noka: readonly number[], seed: number): RatioCi | null {
  if (ka.length < MIN_RUNS_FOR_CI || noka.length < MIN_RUNS_FOR_CI) return null;
  const rng = mulberry32(seed);
  if (Math.min(...ka) > 0) {
    const r = bootstrapMedianRatioCi(ka, noka, { rng });
    return { ratio: r.ratio, low: r.low, high: r.high };
  }
  // CPU per request counts clock ticks: a keep-alive run can read 0. Divide the other way and invert.
  if (Math.min(...noka) <= 0) return null;
  const r = bootstrapMedianRatioCi(noka, ka, { rng });
  const inv = (x: number): number => (x > 0 ? 1 / x : Number.POSITIVE_INFINITY);
  return { ratio: inv(r.ratio), low: inv(r.high), high: inv(r.low) };
}

export interface C11PairEvidence {
  /** "100 rps on lan". */
  where: string;
  /** Runs of the side with fewer that have the figure. */
  runs: number;
  cpu: RatioCi | null;
  p50: RatioCi | null;
}

export function c11PairEvidence(pairs: ReadonlyArray<{ ka: LoadPoint; noka: LoadPoint }>): C11PairEvidence[] {
  const vals = (p: LoadPoint, m: 'cpu_per_req_us' | 'latency_p50_ms'): number[] =>
    p.runs.map((r) => r[m]).filter((v): v is number => v !== null);
  return pairs.map(({ ka, noka }, i) => ({
    where: `${noka.rate_rps} rps on ${noka.profile}`,
    runs: Math.min(vals(ka, 'cpu_per_req_us').length, vals(noka, 'cpu_per_req_us').length),
    cpu: noKaRatioCi(vals(ka, 'cpu_per_req_us'), vals(noka, 'cpu_per_req_us'), SEED + 2 * i),
    p50: noKaRatioCi(vals(ka, 'latency_p50_ms'), vals(noka, 'latency_p50_ms'), SEED + 2 * i + 1),
  }));
}

const fmtRatio = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '∞');

/** "CPU ratio above 1 at both pairs (lowest bound 1.22×)", or which pairs it is below 1 at or includes 1 at. */
function ciWords(what: string, xs: ReadonlyArray<{ where: string; ci: RatioCi | null }>): string {
  const range = (c: RatioCi): string => `${fmtRatio(c.low)}–${fmtRatio(c.high)}`;
  const above = xs.filter((x) => x.ci !== null && x.ci.low > 1);
  const below = xs.filter((x) => x.ci !== null && x.ci.high < 1);
  const open = xs.filter((x) => !above.includes(x) && !below.includes(x));
  const each = xs.length === 1 ? 'at the one pair' : xs.length === 2 ? 'at both pairs' : `at all ${xs.length} pairs`;
  if (above.length === xs.length)
    return `${what} above 1 ${each} (lowest bound ${fmtRatio(Math.min(...above.map((x) => x.ci?.low ?? 1)))})`;
  if (below.length === xs.length)
    return `${what} below 1 ${each} (highest bound ${fmtRatio(Math.max(...below.map((x) => x.ci?.high ?? 1)))})`;
  const parts: string[] = [];
  if (above.length) parts.push(`above 1 at ${above.length} of ${xs.length} pairs`);
  if (below.length) parts.push(`below 1 at ${below.map((x) => `${x.where} (${x.ci ? range(x.ci) : ''})`).join(', ')}`);
  if (open.length)
    parts.push(
      `includes 1 at ${open.map((x) => `${x.where} (${x.ci ? range(x.ci) : 'too few runs for one'})`).join(', ')}`,
    );
  return `${what} ${parts.join(', ')}`;
}

/**
 * The deciding figures are, per pair, the ratios without / with keep-alive of CPU per request and of p50 latency.
 * "refuted" (keep-alive cheaper and no slower at every rate) is strong when at every pair the CPU ratio's CI lies
 * above 1 and the p50 ratio's does not reach below 1 (all must hold); "depends" (somewhere no-keep-alive is not
 * worse) is strong when at some pair with MIN_RUNS_FOR_STRONG_DEPENDS runs a side a CI lies wholly below 1.
 */
export function c11Evidence(
  pairs: ReadonlyArray<{ ka: LoadPoint; noka: LoadPoint }>,
  kind: VerdictKind,
): { evidence: Evidence; numbers: Record<string, number | null>; words: string } {
  const per = c11PairEvidence(pairs);
  const strong =
    kind === 'refuted'
      ? per.every((p) => p.cpu !== null && p.cpu.low > 1 && p.p50 !== null && p.p50.low >= 1)
      : per.some(
          (p) =>
            p.runs >= MIN_RUNS_FOR_STRONG_DEPENDS &&
            ((p.cpu !== null && p.cpu.high < 1) || (p.p50 !== null && p.p50.high < 1)),
        );
  const runs = per.map((p) => p.runs);
  const lo = Math.min(...runs);
  const n = `n ${lo === Math.max(...runs) ? '=' : '≥'} ${lo} run${lo === 1 ? '' : 's'} a side, ${per.length} rate × profile pair${per.length === 1 ? '' : 's'}`;
  const cis = (m: 'cpu' | 'p50'): RatioCi[] => per.flatMap((p) => (p[m] ? [p[m]] : []));
  const lows = (m: 'cpu' | 'p50'): number | null =>
    round4(cis(m).length ? Math.min(...cis(m).map((c) => c.low)) : null);
  const highs = (m: 'cpu' | 'p50'): number | null =>
    round4(cis(m).length ? Math.max(...cis(m).map((c) => c.high)) : null);
  const numbers = {
    cpu_ratio_ci_low_min_ratio: lows('cpu'),
    cpu_ratio_ci_high_max_ratio: highs('cpu'),
    p50_ratio_ci_low_min_ratio: lows('p50'),
    p50_ratio_ci_high_max_ratio: highs('p50'),
  };
  const words = per.some((p) => p.cpu || p.p50)
    ? `${Math.min(...runs) < MIN_RUNS_FOR_STRONG_DEPENDS ? 'bootstrap CIs over the runs (nominal 95 %; nearer 90 % at 3 runs a side)' : '95 % CIs over the runs (bootstrap)'}: ${ciWords(
        'CPU ratio',
        per.map((p) => ({ where: p.where, ci: p.cpu })),
      )}, ${ciWords(
        'p50 ratio',
        per.map((p) => ({ where: p.where, ci: p.p50 })),
      )}`
    : `no 95 % CI: fewer than ${MIN_RUNS_FOR_CI} runs a side`;
  return { evidence: { n, strength: strong ? 'strong' : 'inconclusive' }, numbers, words };
}
