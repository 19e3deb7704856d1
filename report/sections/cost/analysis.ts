/**
 * The cost section's figures and verdicts (C6, C11), from cost.csv of the run: one row per measured figure (metric,
 * value, unit) with the case's tags. Pure: rows in, points, spreads and verdicts out (section.ts reads the file).
 */
import { medianSorted, sortAsc } from '../../../lib/stats.ts';
import type { CsvRow } from '../../load-run.ts';
import type { Verdict } from '../types.ts';
import { numberOrNull } from '../../../lib/numbers.ts';
import { c11Evidence, c6Evidence } from './evidence.ts';
import {
  LOAD_METRICS,
  type IdlePoint,
  type LoadFigures,
  type LoadMetric,
  type LoadPoint,
  type LoadRun,
  type Spread,
} from './points.ts';

/** Below this kernel TCP memory per idle connection, idle sockets are said to hold no buffer memory. */
export const IDLE_BUFFER_NEGLIGIBLE_BYTES = 512;

const num = numberOrNull;

/** The value of one metric of one case (the last row when repeated). */
function metricOf(rows: readonly CsvRow[], case_key: string, metric: string): number | null {
  let v: number | null = null;
  for (const r of rows) if (r.case_key === case_key && r.metric === metric) v = num(r.value);
  return v;
}

function caseKeys(rows: readonly CsvRow[], part: string): string[] {
  return [...new Set(rows.filter((r) => r.part === part).map((r) => r.case_key ?? ''))];
}

function tagOf(rows: readonly CsvRow[], case_key: string, tag: string): string {
  return rows.find((r) => r.case_key === case_key)?.[tag] ?? '';
}

const kb = (b: number | null): string => (b === null ? 'n/a' : `${(b / 1024).toFixed(1)} KiB`);

export function idlePoints(rows: readonly CsvRow[]): IdlePoint[] {
  return caseKeys(rows, 'idle').map((k) => {
    const n = Number(tagOf(rows, k, 'connections'));
    const open = metricOf(rows, k, 'crowd_open');
    return {
      profile: tagOf(rows, k, 'profile'),
      protocol: tagOf(rows, k, 'protocol'),
      connections: n,
      rss_per_conn_bytes: metricOf(rows, k, 'rss_per_conn_bytes'),
      heap_per_conn_bytes: metricOf(rows, k, 'heap_per_conn_bytes'),
      fds_per_conn: metricOf(rows, k, 'fds_per_conn'),
      tcp_mem_per_conn_bytes: metricOf(rows, k, 'sock_mem_per_conn_bytes'),
      server_rss_bytes: metricOf(rows, k, 'server_rss_bytes'),
      active_p50_ms: metricOf(rows, k, 'active_p50_ms'),
      active_p99_ms: metricOf(rows, k, 'active_p99_ms'),
      eventloop_delay_p99_ms: metricOf(rows, k, 'eventloop_delay_p99_ms'),
      crowd_open: open,
    };
  });
}

/** The spread of the non-null values (null when there is none). */
export function spreadOf(values: readonly (number | null)[]): Spread | null {
  const sorted = sortAsc(values.filter((v): v is number => v !== null));
  const min = sorted[0];
  const max = sorted[sorted.length - 1];
  if (min === undefined || max === undefined) return null;
  return { median: medianSorted(sorted), min, max, n: sorted.length };
}

/** The runs of one case, grouped by the `rep` column, in rep order. */
export function loadRuns(rows: readonly CsvRow[], case_key: string): LoadRun[] {
  const byRep = new Map<string, CsvRow[]>();
  for (const r of rows) {
    if (r.case_key !== case_key) continue;
    const rep = r.rep ?? '';
    const list = byRep.get(rep) ?? [];
    list.push(r);
    byRep.set(rep, list);
  }
  const order = (rep: string): number => (rep === '' ? -Infinity : Number(rep));
  return [...byRep.entries()]
    .sort(([a], [b]) => order(a) - order(b) || a.localeCompare(b))
    .map(([rep, mine]) => {
      const client = metricOf(mine, case_key, 'client_cpu_per_req_us');
      const server = metricOf(mine, case_key, 'server_cpu_per_req_us');
      return {
        rep,
        throughput_rps: metricOf(mine, case_key, 'throughput_rps'),
        error_pct: metricOf(mine, case_key, 'error_pct'),
        latency_p50_ms: metricOf(mine, case_key, 'latency_p50_ms'),
        latency_p99_ms: metricOf(mine, case_key, 'latency_p99_ms'),
        client_cpu_per_req_us: client,
        server_cpu_per_req_us: server,
        cpu_per_req_us: client === null || server === null ? null : client + server,
        server_conns_per_req: metricOf(mine, case_key, 'server_conns_per_req'),
        client_time_wait_delta: metricOf(mine, case_key, 'client_time_wait_delta'),
        server_time_wait_delta: metricOf(mine, case_key, 'server_time_wait_delta'),
      };
    });
}

/** Every case of a part, its runs aggregated: per metric the median over runs, with min, max and n in `spread`. */
export function loadPoints(rows: readonly CsvRow[], part: 'churn' | 'ports' | 'limits'): LoadPoint[] {
  return caseKeys(rows, part).map((k) => {
    const runs = loadRuns(rows, k);
    const spread = Object.fromEntries(LOAD_METRICS.map((m) => [m, spreadOf(runs.map((r) => r[m]))])) as Record<
      LoadMetric,
      Spread | null
    >;
    const medians = Object.fromEntries(LOAD_METRICS.map((m) => [m, spread[m]?.median ?? null])) as LoadFigures;
    return {
      part,
      profile: tagOf(rows, k, 'profile'),
      keep_alive: tagOf(rows, k, 'keep_alive') === '1',
      rate_rps: Number(tagOf(rows, k, 'rate_rps')),
      max_requests_per_socket: tagOf(rows, k, 'max_requests_per_socket'),
      keep_alive_timeout_ms: tagOf(rows, k, 'keep_alive_timeout_ms'),
      ...medians,
      n: runs.length,
      runs,
      spread,
    };
  });
}

/** "median [min–max]" with `digits` decimals; a single value alone; " (n k)" when fewer runs than the case's have it. */
export function fmtSpread(s: Spread | null, digits: number, runs = s?.n ?? 0): string {
  if (s === null) return 'n/a';
  const f = (v: number): string => v.toFixed(digits);
  const core = s.n === 1 ? f(s.median) : `${f(s.median)} [${f(s.min)}–${f(s.max)}]`;
  return s.n < runs ? `${core} (n ${s.n})` : core;
}

/** "the median of 3 runs" (or "of 2–3 runs" when the cases differ; "one run" for single runs). */
export function runsText(ns: readonly number[]): string {
  if (ns.length === 0) return 'no run';
  const lo = Math.min(...ns);
  const hi = Math.max(...ns);
  if (hi <= 1) return 'one run';
  return lo === hi ? `the median of ${hi} runs` : `the median of ${lo}–${hi} runs`;
}

/** Runs of a churn pair (same rep) where each side is cheaper in CPU per request (client + server). */
export function cpuWinsByRun(
  ka: LoadPoint,
  noka: LoadPoint,
): { ka_cheaper: number; noka_cheaper: number; runs: number } {
  let ka_cheaper = 0;
  let noka_cheaper = 0;
  let runs = 0;
  for (const a of ka.runs) {
    const b = noka.runs.find((r) => r.rep === a.rep);
    if (!b || a.cpu_per_req_us === null || b.cpu_per_req_us === null) continue;
    runs++;
    if (b.cpu_per_req_us > a.cpu_per_req_us) ka_cheaper++;
    else if (b.cpu_per_req_us < a.cpu_per_req_us) noka_cheaper++;
  }
  return { ka_cheaper, noka_cheaper, runs };
}

export interface FdLimitCase {
  protocol: string;
  nofile_limit: number | null;
  crowd: number;
  outcomes: Record<string, number>;
  probes_before_ok: number;
  probes_at_limit_ok: number;
  probes_at_limit: number;
  probes_after_ok: number;
  probes_after: number;
  alive_after: boolean;
  at_limit_errors: string[];
}

export function fdLimitCases(rows: readonly CsvRow[]): FdLimitCase[] {
  return caseKeys(rows, 'fdlimit').map((k) => {
    const mine = rows.filter((r) => r.case_key === k);
    const outcomes: Record<string, number> = {};
    for (const r of mine.filter((x) => x.metric === 'crowd_outcome')) outcomes[r.detail ?? '?'] = num(r.value) ?? 0;
    const probes = (phase: string): CsvRow[] => mine.filter((r) => r.metric === `probe_${phase}_ok`);
    const okCount = (phase: string): number => probes(phase).filter((r) => r.value === '1').length;
    return {
      protocol: tagOf(rows, k, 'protocol'),
      nofile_limit: metricOf(rows, k, 'server_nofile_limit'),
      crowd: Number(tagOf(rows, k, 'connections')),
      outcomes,
      probes_before_ok: okCount('before'),
      probes_at_limit_ok: okCount('at_limit'),
      probes_at_limit: probes('at_limit').length,
      probes_after_ok: okCount('after_close'),
      probes_after: probes('after_close').length,
      alive_after: metricOf(rows, k, 'server_alive_after') === 1,
      at_limit_errors: probes('at_limit')
        .filter((r) => r.value !== '1')
        .map((r) => r.detail ?? ''),
    };
  });
}

export const C6_RULE =
  'confirmed when each idle connection holds ≥ 0.9 FD and > 1 KiB of server memory; "depends" when the kernel holds no buffer memory for idle sockets (only FDs and process memory); strong evidence when, per protocol, each 95 % CI lies on its side: the Wilson CI of the share of idle connections holding an FD above 0.9, memory per connection (the slope of the crowds\' growth on their size: a CI from 2 crowds on) above 1 KiB, kernel socket memory per connection below 512 B (above it for "confirmed")';

export function c6Verdict(idle: IdlePoint[], fd: FdLimitCase[]): Verdict {
  const largest = (p: string): IdlePoint | undefined =>
    idle.filter((x) => x.protocol === p && x.connections > 0).sort((a, b) => b.connections - a.connections)[0];
  const h1 = largest('h1');
  const h2 = largest('h2');
  if (!h1 && !h2) return { claim: 'C6', kind: 'not_run', figure: 'no idle-connection case in this run', numbers: {} };
  const fdsOk = [h1, h2].every((x) => !x || (x.fds_per_conn !== null && x.fds_per_conn >= 0.9));
  const memOk = [h1, h2].every((x) => !x || (x.rss_per_conn_bytes ?? 0) + (x.heap_per_conn_bytes ?? 0) > 1024);
  const buffers = [h1, h2].map((x) => x?.tcp_mem_per_conn_bytes ?? null).filter((v): v is number => v !== null);
  const buffersNegligible = buffers.length > 0 && buffers.every((b) => b < IDLE_BUFFER_NEGLIGIBLE_BYTES);
  const limitHit = fd.some((c) => c.probes_at_limit_ok < c.probes_at_limit);
  const recovered = fd.length > 0 && fd.every((c) => c.alive_after && c.probes_after_ok === c.probes_after);
  const fig = (x: IdlePoint | undefined, p: string): string =>
    x
      ? `${p} at ${x.connections} idle: ${x.fds_per_conn?.toFixed(2) ?? 'n/a'} FD, ${kb(x.rss_per_conn_bytes)} RSS, ${kb(x.heap_per_conn_bytes)} heap per connection`
      : `${p} not measured`;
  const figure = `${fig(h1, 'h1')}; ${fig(h2, 'h2')}; kernel TCP memory ${buffers.map((b) => `${b.toFixed(0)} B`).join(' / ') || 'n/a'} per idle connection${
    fd.length
      ? `; past the FD limit new clients ${limitHit ? 'failed' : 'did not fail'} and the server ${recovered ? 'stayed up and served again once connections closed' : 'did not recover'}`
      : ''
  }`;
  const numbers = {
    h1_rss_per_conn_bytes: h1?.rss_per_conn_bytes ?? null,
    h1_heap_per_conn_bytes: h1?.heap_per_conn_bytes ?? null,
    h2_rss_per_conn_bytes: h2?.rss_per_conn_bytes ?? null,
    h2_heap_per_conn_bytes: h2?.heap_per_conn_bytes ?? null,
    h1_fds_per_conn: h1?.fds_per_conn ?? null,
    h2_fds_per_conn: h2?.fds_per_conn ?? null,
    connections_max: Math.max(h1?.connections ?? 0, h2?.connections ?? 0),
  };
  const rule = C6_RULE;
  const outcome = !fdsOk ? 'no_fd' : !memOk ? 'little_memory' : buffersNegligible ? 'no_buffers' : 'all_costed';
  const ev = c6Evidence(idle, outcome, IDLE_BUFFER_NEGLIGIBLE_BYTES);
  const base = {
    claim: 'C6',
    figure: `${figure}; ${ev.words}`,
    numbers: { ...numbers, ...ev.numbers },
    rule,
    evidence: ev.evidence,
  } as const;
  if (!fdsOk || !memOk)
    return {
      ...base,
      kind: 'refuted',
      reason: fdsOk
        ? 'each idle connection holds its FD but under 1 KiB of server memory: cheap to keep for this server'
        : 'idle connections held no FD',
    };
  if (buffersNegligible)
    return {
      ...base,
      kind: 'depends',
      reason: 'FDs and process memory yes; socket buffers are not allocated while a connection is idle',
    };
  return { ...base, kind: 'confirmed' };
}

/** A run fell behind its target rate: errors or unsent requests, short of the rate, or queueing (p50 ≫ the other mode's). */
export function fellBehind(p: LoadPoint, other: LoadPoint): boolean {
  if ((p.error_pct ?? 0) > 1) return true;
  if (p.throughput_rps !== null && p.throughput_rps < 0.95 * p.rate_rps) return true;
  return p.latency_p50_ms !== null && other.latency_p50_ms !== null && p.latency_p50_ms > 10 * other.latency_p50_ms;
}

/** The lowest rate where no-keep-alive failed (> 1 % errors) with the narrowed port range, and keep-alive's errors there. */
export function portFailure(
  ports: readonly LoadPoint[],
): { rate_rps: number; noka_error_pct: number; ka_error_pct: number | null } | null {
  const failed = ports
    .filter((p) => !p.keep_alive && (p.error_pct ?? 0) > 1)
    .sort((a, b) => a.rate_rps - b.rate_rps)[0];
  if (!failed) return null;
  const ka = ports
    .filter((p) => p.keep_alive && p.rate_rps >= failed.rate_rps)
    .sort((a, b) => a.rate_rps - b.rate_rps)[0];
  return { rate_rps: failed.rate_rps, noka_error_pct: failed.error_pct ?? 0, ka_error_pct: ka?.error_pct ?? null };
}

export const C11_RULE =
  'on the medians over runs: refuted when turning keep-alive off costs more CPU per request and no less latency at every measured rate; "depends" otherwise (runs that disagree on which side costs less are named, and weigh in the CIs, not in the kind: one outlier run must not flip it); strong evidence when the bootstrap 95 % CIs of the ratios without / with keep-alive (CPU per request, p50) lie above 1 at every rate (refuted), or one lies below 1 somewhere with 5 runs a side or more (depends: at 3 runs a side the bootstrap is nearer a 90 % interval, too loose for "somewhere")';

/** The churn cases with and without keep-alive at the same profile and rate, in the order of the no-keep-alive ones. */
export function churnPairs(churn: readonly LoadPoint[]): Array<{ ka: LoadPoint; noka: LoadPoint }> {
  const pairs: Array<{ ka: LoadPoint; noka: LoadPoint }> = [];
  for (const noka of churn.filter((p) => !p.keep_alive)) {
    const ka = churn.find((p) => p.keep_alive && p.profile === noka.profile && p.rate_rps === noka.rate_rps);
    if (ka) pairs.push({ ka, noka });
  }
  return pairs;
}

/** The ports part in C11's figure: where no-keep-alive failed with the narrowed range ('' when the part did not run). */
function portsFigure(ports: readonly LoadPoint[], range_text: string): string {
  const pf = portFailure(ports);
  // portRangeText gives "of 128 ports (one range per run: …)" for a table title; here it follows "narrowed to".
  const port_range = range_text.replace(/^of /, '');
  return ports.length
    ? pf
      ? `; with the client's ephemeral ports narrowed to ${port_range}, no-keep-alive failed ${pf.noka_error_pct.toFixed(1)} % of requests from ${pf.rate_rps} rps, keep-alive ${pf.ka_error_pct?.toFixed(1) ?? 'n/a'} % (${runsText(ports.map((p) => p.n))})`
      : `; with the client's ephemeral ports narrowed to ${port_range}, no-keep-alive did not fail at the rates tried (${runsText(ports.map((p) => p.n))})`
    : '';
}

export function c11Verdict(churn: LoadPoint[], ports: LoadPoint[] = [], port_range = ''): Verdict {
  const pairs = churnPairs(churn);
  if (pairs.length === 0)
    return {
      claim: 'C11',
      kind: 'not_run',
      figure: 'no churn pair (same rate with and without keep-alive) in this run',
      numbers: {},
    };
  // Per case the median over its runs of client + server CPU per request.
  const ratios = pairs.map(({ ka, noka }) => {
    const a = ka.cpu_per_req_us;
    const b = noka.cpu_per_req_us;
    return a && b ? b / a : null;
  });
  const runCounts = pairs
    .flatMap(({ ka, noka }) => [ka, noka].map((p) => p.spread.cpu_per_req_us?.n ?? p.n))
    .filter((n) => n > 0);
  const runs = runsText(runCounts);
  // Runs that disagree on which side costs less CPU per request (same rep of both sides, run next to each other).
  const split = pairs
    .map(({ ka, noka }) => ({ noka, wins: cpuWinsByRun(ka, noka) }))
    .filter(({ wins }) => wins.ka_cheaper > 0 && wins.noka_cheaper > 0);
  const worseEverywhere = pairs.every(
    ({ ka, noka }, i) => (ratios[i] ?? 0) > 1 && (noka.latency_p50_ms ?? 0) >= (ka.latency_p50_ms ?? 0),
  );
  const failing = pairs
    .filter(({ noka, ka }) => fellBehind(noka, ka))
    .map(({ noka }) => `${noka.rate_rps} rps on ${noka.profile}`);
  const kaFailing = pairs.filter(({ noka, ka }) => fellBehind(noka, ka) && fellBehind(ka, noka)).length;
  const valid = ratios.filter((r): r is number => r !== null);
  const medianRatio = valid.length ? medianSorted(sortAsc(valid)) : null;
  const worst = pairs.reduce((w, p) =>
    (p.noka.latency_p50_ms ?? 0) - (p.ka.latency_p50_ms ?? 0) >
    (w.noka.latency_p50_ms ?? 0) - (w.ka.latency_p50_ms ?? 0)
      ? p
      : w,
  );
  const pf = portFailure(ports);
  const portText = portsFigure(ports, port_range);
  const p50 = (p: LoadPoint): string =>
    p.spread.latency_p50_ms ? `${fmtSpread(p.spread.latency_p50_ms, 2)} ms` : 'n/a';
  const ev = c11Evidence(pairs, worseEverywhere ? 'refuted' : 'depends');
  const splitWords = split
    .map(
      ({ noka, wins }) =>
        `${noka.rate_rps} rps on ${noka.profile} (keep-alive cheaper in ${wins.ka_cheaper}, no keep-alive in ${wins.noka_cheaper} of ${wins.runs} runs)`,
    )
    .join(', ');
  const figure = `without keep-alive each request cost ${medianRatio?.toFixed(2) ?? 'n/a'}× the CPU (client + server; ${runs} per case, then the median over ${pairs.length} rate×profile pairs); p50 ${p50(worst.noka)} vs ${p50(worst.ka)} at ${worst.noka.rate_rps} rps on ${worst.noka.profile}; ${ev.words}${split.length ? `; the runs disagree on which side costs less CPU at ${splitWords}` : ''}; ${failing.length ? `no-keep-alive fell behind (> 1 % errors or unsent, < 95 % of the rate, or p50 > 10× keep-alive's) at ${failing.join(', ')}; keep-alive ${kaFailing === 0 ? 'kept up at all of them' : `fell behind too at ${kaFailing} of them`}` : 'both kept up at every rate'}${portText}`;
  const numbers = {
    cpu_ratio_median: medianRatio,
    pairs: pairs.length,
    runs_min: runCounts.length ? Math.min(...runCounts) : null,
    runs_max: runCounts.length ? Math.max(...runCounts) : null,
    pairs_runs_disagree: split.length,
    failing_rates: failing.length,
    port_failure_rate_rps: pf?.rate_rps ?? null,
    ...ev.numbers,
  };
  const base = { claim: 'C11', figure, numbers, rule: C11_RULE, evidence: ev.evidence } as const;
  if (worseEverywhere)
    return {
      ...base,
      kind: 'refuted',
      reason:
        'even for short requests at high churn keep-alive is cheaper per request; turning it off only saves what idle connections hold (C6)',
    };
  return { ...base, kind: 'depends', reason: 'no-keep-alive was not worse at every rate' };
}

/** The narrowed port range(s) of the ports part: one per run when each run had its own (`port_range` column). */
export function portRangeText(rows: readonly CsvRow[]): string {
  const byRep = new Map<string, string>();
  for (const r of rows)
    if (r.part === 'ports' && r.port_range && !byRep.has(r.rep ?? '')) byRep.set(r.rep ?? '', r.port_range);
  const ranges = [...new Set([...byRep.entries()].sort(([a], [b]) => Number(a) - Number(b)).map(([, v]) => v))];
  if (ranges.length <= 1) return ranges[0] ?? '';
  const m = /^(\d+)-(\d+)$/.exec(ranges[0] ?? '');
  const width = m ? Number(m[2]) - Number(m[1]) + 1 : null;
  return `${width === null ? '' : `of ${width} ports `}(one range per run: ${ranges.join(', ')})`;
}

/** Everything the cost section shows, from the rows of cost.csv. */
export interface CostFigures {
  idle: IdlePoint[];
  fd: FdLimitCase[];
  churn: LoadPoint[];
  ports: LoadPoint[];
  limits: LoadPoint[];
  /** The narrowed port range(s) of the ports part, as portRangeText gives it. */
  port_range: string;
  /** RLIMIT_NOFILE of the client's crowd agent process as written in cost.csv (undefined when not written). */
  crowd_agent_nofile: string | undefined;
  /** C6, then C11. */
  verdicts: Verdict[];
}

export function costFigures(rows: readonly CsvRow[]): CostFigures {
  const idle = idlePoints(rows);
  const fd = fdLimitCases(rows);
  const churn = loadPoints(rows, 'churn');
  const ports = loadPoints(rows, 'ports');
  const limits = loadPoints(rows, 'limits');
  const port_range = portRangeText(rows);
  return {
    idle,
    fd,
    churn,
    ports,
    limits,
    port_range,
    crowd_agent_nofile: rows.find((r) => r.metric === 'crowd_agent_nofile')?.value,
    verdicts: [c6Verdict(idle, fd), c11Verdict(churn, ports, port_range)],
  };
}
