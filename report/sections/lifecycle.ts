/**
 * The lifecycle scenario's section (C7, C8, C9, C10, C12), from lifecycle.csv of the run: one row per trial.
 * Times in that file are scaled 1:time_scale; every figure states what it stands for.
 */
import { existsSync } from 'node:fs';
import { quantileOf } from '../../lib/stats.ts';
import { join } from 'node:path';
import { readCsv } from '../../lib/csv-file.ts';
import type { CsvRow, RunFolder } from '../load-run.ts';
import { fmtMs, round4 } from '../format.ts';
import type { Cell, ChartSpec, ReportSection, SectionOutput, Table, Verdict } from './types.ts';
import { numberOrNull } from '../../lib/numbers.ts';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

export function loadLifecycleRows(run: Pick<RunFolder, 'dir'>): CsvRow[] {
  const path = join(run.dir, 'lifecycle.csv');
  return existsSync(path) ? readCsv(path, ['part', 'case_key', 'outcome']) : [];
}

const num = numberOrNull;

const median = (xs: readonly number[]): number | null => quantileOf(xs, 0.5);
const quantile = quantileOf;

/** Wilson 95 % interval of a proportion k/n. */
export function wilson(k: number, n: number): { low: number; high: number } {
  if (n === 0) return { low: 0, high: 1 };
  const z = 1.96;
  const p = k / n;
  const d = 1 + (z * z) / n;
  const c = p + (z * z) / (2 * n);
  const h = z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
  return { low: Math.max(0, (c - h) / d), high: Math.min(1, (c + h) / d) };
}

// ---------------------------------------------------------------- C8

export interface C8Rate {
  case_key: string;
  profile: string;
  strategy: string;
  x_ms: number | null;
  y_ms: number | null;
  label: string;
  n: number;
  failures: number;
  per_1000: number;
  ci_low_per_1000: number;
  ci_high_per_1000: number;
  reused: number;
  /** 5th–95th percentile of idle gap − edge (ms) among failed trials: the race window, blurred by timer lag. */
  window_low_ms: number | null;
  window_high_ms: number | null;
  spread_ms: number | null;
}

export function c8Rates(rows: readonly CsvRow[]): C8Rate[] {
  const by = new Map<string, CsvRow[]>();
  for (const r of rows) if (r.part === 'c8') by.set(r.case_key ?? '', [...(by.get(r.case_key ?? '') ?? []), r]);
  const out: C8Rate[] = [];
  for (const [key, rs] of by) {
    const first = rs[0]!;
    const done = rs.filter((r) => r.outcome !== 'skipped');
    const failed = done.filter((r) => r.outcome !== 'ok');
    const gapsFailed = failed.map((r) => num(r.gap_ms)).filter((x): x is number => x !== null);
    const gaps = done.map((r) => Math.abs(num(r.gap_ms) ?? 0));
    const ci = wilson(failed.length, done.length);
    out.push({
      case_key: key,
      profile: first.profile ?? '',
      strategy: first.strategy ?? '',
      x_ms: num(first.x_ms),
      y_ms: num(first.y_ms),
      label: first.note ?? key,
      n: done.length,
      failures: failed.length,
      per_1000: done.length ? (1000 * failed.length) / done.length : 0,
      ci_low_per_1000: 1000 * ci.low,
      ci_high_per_1000: 1000 * ci.high,
      reused: done.filter((r) => r.reused === '1').length,
      window_low_ms: gapsFailed.length ? Math.round((quantile(gapsFailed, 0.05) ?? 0) * 10) / 10 : null,
      window_high_ms: gapsFailed.length ? Math.round((quantile(gapsFailed, 0.95) ?? 0) * 10) / 10 : null,
      spread_ms: gaps.length ? Math.round(Math.max(...gaps)) : null,
    });
  }
  return out;
}

const per1000 = (r: C8Rate): string => `${r.per_1000.toFixed(0)} per 1 000 (95 % CI ${r.ci_low_per_1000.toFixed(0)}–${r.ci_high_per_1000.toFixed(0)}, n=${r.n})`;

export function verdictC8(rates: readonly C8Rate[], scale: number): Verdict {
  // The claim is the advice "server idle timeout a little below the LB's": it holds if Y < X is the safe side.
  const rule =
    'refuted when, behind the LB, the server timeout below the LB\'s (Y < X) gives 502s whose 95 % CI excludes 0 while Y > X gives none (the advice is backwards); confirmed when Y > X fails and Y < X does not; depends otherwise';
  const lb = rates.filter((r) => r.strategy === 'lb' && r.x_ms !== null && r.y_ms !== null);
  const below = lb.find((r) => (r.y_ms ?? 0) < (r.x_ms ?? 0));
  const above = lb.find((r) => (r.y_ms ?? 0) > (r.x_ms ?? 0));
  if (!below || !above) return { claim: 'C8', kind: 'depends', reason: 'the run lacks one of the two LB cases', figure: 'no figure', numbers: {}, rule };
  const direct = rates.filter((r) => r.strategy !== 'lb');
  const d = (s: string): C8Rate | undefined => direct.find((r) => r.strategy === s);
  const window =
    below.window_low_ms !== null && below.window_high_ms !== null ? `; 90 % of the failures at idle gaps ${below.window_low_ms}…${below.window_high_ms} ms from Y` : '';
  let figure =
    `Y < X (server ${(below.y_ms ?? 0) / 1000} s < LB ${(below.x_ms ?? 0) / 1000} s, ≙ ${((below.y_ms ?? 0) * scale) / 1000} s < ${((below.x_ms ?? 0) * scale) / 1000} s): ` +
    `${per1000(below)} 502s; Y > X: ${per1000(above)}${window}`;
  const noTimeout = d('no_idle_timeout');
  const below2 = d('idle_below_server');
  const nodeDefault = d('node_default');
  if (noTimeout && below2) figure += `. One hop closer: a Node client without idle timeout ${noTimeout.per_1000.toFixed(0)} resets per 1 000, with its idle timeout below the server's ${below2.per_1000.toFixed(0)}`;
  if (nodeDefault) figure += `, Node 20's default Agent (honours Keep-Alive: timeout) ${nodeDefault.per_1000.toFixed(0)}`;
  const numbers: Record<string, number | null> = {
    y_below_x_per_1000: round4(below.per_1000),
    y_below_x_n: below.n,
    y_above_x_per_1000: round4(above.per_1000),
    y_above_x_n: above.n,
    window_low_ms: below.window_low_ms,
    window_high_ms: below.window_high_ms,
    direct_no_timeout_per_1000: noTimeout ? round4(noTimeout.per_1000) : null,
    direct_timeout_below_per_1000: below2 ? round4(below2.per_1000) : null,
    node_default_per_1000: nodeDefault ? round4(nodeDefault.per_1000) : null,
  };
  if (above.failures > 0 && below.failures === 0) return { claim: 'C8', kind: 'confirmed', figure, numbers, rule };
  if (above.failures > 0) return { claim: 'C8', kind: 'depends', reason: 'failures on both sides of the LB timeout', figure, numbers, rule };
  if (below.failures === 0 || below.ci_low_per_1000 <= 0) return { claim: 'C8', kind: 'depends', reason: 'no significant failure rate with Y < X in this run', figure, numbers, rule };
  return {
    claim: 'C8',
    kind: 'refuted',
    reason: 'the advice is backwards: the server closing first (Y < X) is what makes the LB send 502s; keep the server\'s idle timeout above the LB\'s (LB 60 s → server 65 s or more), as AWS documents for ALB targets',
    figure,
    numbers,
    rule,
  };
}

// ---------------------------------------------------------------- C7

export function verdictC7(rows: readonly CsvRow[], scale: number, linkBackend = ''): { verdict: Verdict; table: Table } {
  const rs = rows.filter((r) => r.part === 'c7' && r.outcome !== 'error');
  const closes = rs.map((r) => num(r.idle_ms)).filter((x): x is number => x !== null);
  const y = num(rs[0]?.y_ms);
  const ka = rs[0]?.tcp_keepalive ?? '';
  const kaTime = Number(/client (\d+)/.exec(ka)?.[1] ?? NaN);
  const close = median(closes);
  const outcomes = [...new Set(rs.map((r) => r.outcome))].join(', ');
  const reuseMs = median(rs.map((r) => num(r.detect_ms)).filter((x): x is number => x !== null));
  const rule = 'confirmed when the server closes idle connections before the first TCP keepalive probe would go out (time scaled back to real seconds)';
  const table: Table = {
    title: 'C7: server idle close vs TCP keepalive',
    columns: [{ label: 'trial' }, { label: 'server timeout configured', unit: 'ms', numeric: true }, { label: 'closed after', unit: 'ms', numeric: true }, { label: 'write on the closed connection' }, { label: 'after', unit: 'ms', numeric: true }, { label: 'TCP keepalive time/intvl/probes' }],
    rows: rs.map((r) => [r.trial ?? '', num(r.y_ms), num(r.idle_ms), r.outcome ?? '', num(r.detect_ms), r.tcp_keepalive ?? '']),
  };
  if (close === null || !Number.isFinite(kaTime)) {
    if (linkBackend === 'proxy') {
      // The proxy keeps its own client-side connection open when the server closes upstream: no FIN reaches the client.
      return { verdict: { claim: 'C7', kind: 'not_run', figure: "the proxy link hides the server's close from the client; needs the tun or tc link (root)", numbers: {}, rule }, table };
    }
    return { verdict: { claim: 'C7', kind: 'depends', reason: 'no server close measured', figure: 'no figure', numbers: {}, rule }, table };
  }
  const figure =
    `the server (keepAliveTimeout ${y} ms, ≙ ${((y ?? 0) * scale) / 1000} s) closed idle connections after ${fmtMs(close)} (≙ ${((close * scale) / 1000).toFixed(0)} s; Node 20 pads the timeout by 1 s); ` +
    `TCP keepalive would first probe after ${kaTime} s (net.ipv4.tcp_keepalive_time, unscaled). A raw client writing on the closed connection: ${outcomes}${reuseMs !== null ? ` after ${fmtMs(reuseMs)}` : ''} (the first write is accepted; the peer's RST surfaces on a later write)`;
  return {
    verdict: { claim: 'C7', kind: (close * scale) / 1000 < kaTime ? 'confirmed' : 'refuted', figure, numbers: { server_close_ms: round4(close), server_close_real_s: round4((close * scale) / 1000), tcp_keepalive_time_s: kaTime }, rule },
    table,
  };
}

// ---------------------------------------------------------------- C9 / C10

export interface StrategyFigure {
  part: string;
  fault: string;
  strategy: string;
  n: number;
  detect_ms: number | null;
  undetected: number;
  outcomes: string;
  retried: number;
  next_ok: number;
  settings: string;
}

export function strategyFigures(rows: readonly CsvRow[], part: 'c9' | 'c10'): StrategyFigure[] {
  const by = new Map<string, CsvRow[]>();
  for (const r of rows) if (r.part === part && r.strategy) by.set(`${r.fault}|${r.strategy}`, [...(by.get(`${r.fault}|${r.strategy}`) ?? []), r]);
  return [...by.values()].map((rs) => {
    const f = rs[0]!;
    const counts = new Map<string, number>();
    for (const r of rs) counts.set(r.outcome ?? '', (counts.get(r.outcome ?? '') ?? 0) + 1);
    const detects = rs.map((r) => num(r.detect_ms)).filter((x): x is number => x !== null);
    const settings = [
      f.tcp_keepalive ? `keepalive ${f.tcp_keepalive} s` : '',
      f.tcp_user_timeout_ms ? `TCP_USER_TIMEOUT ${f.tcp_user_timeout_ms} ms` : '',
      f.h2_ping_ms ? `PING every ${f.h2_ping_ms} ms` : '',
      f.request_timeout_ms ? `request timeout ${f.request_timeout_ms} ms` : '',
    ]
      .filter(Boolean)
      .join(', ');
    return {
      part,
      fault: f.fault ?? '',
      strategy: f.strategy ?? '',
      n: rs.length,
      detect_ms: median(detects),
      undetected: rs.length - detects.length,
      outcomes: [...counts].map(([k, v]) => `${k} ${v}`).join(', '),
      retried: rs.filter((r) => r.retried === '1').length,
      next_ok: rs.filter((r) => r.next_ok === '1').length,
      settings: settings || 'none',
    };
  });
}

const detectText = (f: StrategyFigure | undefined): string =>
  !f ? 'not run' : f.detect_ms === null ? 'not within the cap' : `${fmtMs(f.detect_ms)}${f.undetected ? ` (${f.undetected} of ${f.n} not within the cap)` : ''}`;

export function verdictC9(figs: readonly StrategyFigure[]): Verdict {
  const rule = 'confirmed when, past the middlebox idle timeout, the connection without keepalive hangs or fails and the ones with TCP keepalive or h2 PING below it survive';
  const g = (s: string): StrategyFigure | undefined => figs.find((f) => f.strategy === s);
  const none = g('none');
  const ka = g('tcp_keepalive');
  const ping = g('h2_ping');
  const ut = g('tcp_user_timeout');
  if (!none || !ka || !ping || none.outcomes.startsWith('skipped')) {
    return { claim: 'C9', kind: 'depends', reason: 'needs a link with a flow idle timeout (tun, or tc with iptables and conntrack)', figure: 'not measured on this link', numbers: {}, rule };
  }
  const survived = (f: StrategyFigure): number => Number(/survived (\d+)/.exec(f.outcomes)?.[1] ?? 0);
  const figure =
    `after idling past the flow timeout: no keepalive → ${none.outcomes} (learned: ${detectText(none)}); TCP_USER_TIMEOUT → learned after ${detectText(ut)}; ` +
    `TCP keepalive ${ka.settings} → survived ${survived(ka)}/${ka.n}; h2 PING → survived ${survived(ping)}/${ping.n}`;
  const numbers = { none_survived: survived(none), keepalive_survived: survived(ka), ping_survived: survived(ping), n: none.n, user_timeout_detect_ms: ut?.detect_ms ?? null };
  const ok = survived(none) === 0 && survived(ka) === ka.n && survived(ping) === ping.n;
  return { claim: 'C9', kind: ok ? 'confirmed' : 'refuted', figure, numbers, rule, ...(ok ? {} : { reason: 'keepalive did not keep every flow, or the idle flow survived without it' }) };
}

export function verdictC10(figs: readonly StrategyFigure[]): Verdict {
  const rule =
    'confirmed when every fault is noticed only at the next send; depends when a killed process is noticed at once (its kernel sends FIN) while a vanished host is noticed only by a send, a timer or a probe';
  const g = (fault: string, s: string): StrategyFigure | undefined => figs.find((f) => f.fault === fault && f.strategy === s);
  const killed = g('process_killed', 'none');
  const gone = figs.filter((f) => f.fault === 'host_gone');
  const reboot = g('host_rebooted', 'none');
  const retry = g('host_rebooted', 'retry_once');
  if (!killed) return { claim: 'C10', kind: 'depends', reason: 'crash cases missing', figure: 'no figure', numbers: {}, rule };
  const goneText = gone.map((f) => `${f.strategy} ${detectText(f)}`).join('; ');
  const figure =
    `process killed: noticed after ${detectText(killed)} by every strategy (its kernel closes the socket: FIN, no send needed); ` +
    `host gone (silence): ${goneText || 'not run'}; host rebooted: without a strategy noticed after ${detectText(reboot)} (RST on the next send)` +
    (retry ? `, retry-once-on-reset recovered ${retry.outcomes}` : '');
  const numbers: Record<string, number | null> = { killed_detect_ms: killed.detect_ms };
  for (const f of gone) numbers[`host_gone_${f.strategy}_detect_ms`] = f.detect_ms;
  if (reboot) numbers.rebooted_none_detect_ms = reboot.detect_ms;
  const killedFast = killed.detect_ms !== null && killed.detect_ms < 1000;
  return killedFast
    ? { claim: 'C10', kind: 'depends', reason: 'a crashed process is noticed at once (FIN); a vanished or rebooted host only on the next send, a timeout or a probe', figure, numbers, rule }
    : { claim: 'C10', kind: 'confirmed', figure, numbers, rule };
}

// ---------------------------------------------------------------- C12

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
}

export function poolFigures(rows: readonly CsvRow[]): PoolFigure[] {
  const by = new Map<string, CsvRow[]>();
  for (const r of rows) if (r.part === 'c12' && r.max_sockets) by.set(`${r.max_sockets}|${r.fault}`, [...(by.get(`${r.max_sockets}|${r.fault}`) ?? []), r]);
  const out: PoolFigure[] = [];
  for (const rs of by.values()) {
    const ok = rs.filter((r) => r.outcome === 'ok');
    const col = (c: string): number[] => ok.map((r) => num(r[c])).filter((x): x is number => x !== null);
    const newConn = ok.filter((r) => r.reused === '0').map((r) => num(r.connect_ms)).filter((x): x is number => x !== null);
    out.push({
      max_sockets: Number(rs[0]!.max_sockets),
      concurrency: Number(rs[0]!.concurrency),
      round: rs[0]!.fault ?? '',
      n: ok.length,
      queue_ms: median(col('queue_ms')),
      queue_p90_ms: quantile(col('queue_ms'), 0.9),
      connect_ms: median(newConn),
      total_ms: median(col('total_ms')),
      total_p90_ms: quantile(col('total_ms'), 0.9),
      errors: rs.length - ok.length,
    });
  }
  return out.sort((a, b) => a.round.localeCompare(b.round) || a.max_sockets - b.max_sockets);
}

export function verdictC12(figs: readonly PoolFigure[]): Verdict {
  const rule = 'confirmed when a warm pool with maxSockets ≥ concurrency beats its cold first round (reuse saves the handshake) and a pool smaller than the concurrency queues requests';
  const warm = figs.filter((f) => f.round === 'warm');
  const cold = figs.filter((f) => f.round === 'cold');
  const small = warm.filter((f) => f.max_sockets < f.concurrency).sort((a, b) => a.max_sockets - b.max_sockets)[0];
  const equal = warm.find((f) => f.max_sockets === f.concurrency);
  const coldEqual = cold.find((f) => f.max_sockets === f.concurrency);
  if (!small || !equal || !coldEqual) return { claim: 'C12', kind: 'depends', reason: 'pool cases missing', figure: 'no figure', numbers: {}, rule };
  const figure =
    `${equal.concurrency} concurrent requests: maxSockets ${small.max_sockets} queues them (median ${fmtMs(small.queue_ms)} waiting, p90 ${fmtMs(small.queue_p90_ms)}, total p90 ${fmtMs(small.total_p90_ms)}); ` +
    `maxSockets ${equal.max_sockets}: warm median ${fmtMs(equal.total_ms)} vs cold ${fmtMs(coldEqual.total_ms)} (a new connection's connect ${fmtMs(coldEqual.connect_ms)})`;
  const numbers = {
    small_max_sockets: small.max_sockets,
    small_queue_ms: round4(small.queue_ms),
    small_total_p90_ms: round4(small.total_p90_ms),
    equal_warm_total_ms: round4(equal.total_ms),
    equal_cold_total_ms: round4(coldEqual.total_ms),
    connect_ms: round4(coldEqual.connect_ms),
  };
  const ok = (equal.total_ms ?? Infinity) < (coldEqual.total_ms ?? 0) && (small.queue_p90_ms ?? 0) > (equal.queue_p90_ms ?? 0);
  return { claim: 'C12', kind: ok ? 'confirmed' : 'refuted', figure, numbers, rule, ...(ok ? {} : { reason: 'reuse did not beat the cold round, or the small pool did not queue' }) };
}

// ---------------------------------------------------------------- charts and section

function chartsFor(rows: readonly CsvRow[], rates: readonly C8Rate[], c10: readonly StrategyFigure[], c9: readonly StrategyFigure[], pools: readonly PoolFigure[]): ChartSpec[] {
  const specs: ChartSpec[] = [];
  if (rates.length) {
    specs.push({
      id: 'lifecycle-c8-rate',
      title: 'C8: failed requests per 1 000 after an idle gap, by timeout setting',
      caption: 'Bars: 502s (behind the LB) or resets (client straight to the server) per 1 000 reused-connection attempts; whiskers: 95 % Wilson interval.',
      spec: {
        $schema: SCHEMA,
        data: { values: rates.map((r) => ({ case: r.label, per_1000: r.per_1000, low: r.ci_low_per_1000, high: r.ci_high_per_1000, n: r.n, path: r.strategy === 'lb' ? 'via LB' : 'client → server' })) },
        width: 420,
        layer: [
          { mark: 'bar', encoding: { y: { field: 'case', type: 'nominal', title: null, sort: null, axis: { labelLimit: 320 } }, x: { field: 'per_1000', type: 'quantitative', title: 'failures per 1 000 requests' }, color: { field: 'path', type: 'nominal', title: null }, tooltip: [{ field: 'case' }, { field: 'per_1000', format: '.1f' }, { field: 'n' }] } },
          { mark: 'rule', encoding: { y: { field: 'case', type: 'nominal', sort: null }, x: { field: 'low', type: 'quantitative' }, x2: { field: 'high' } } },
        ],
      } as ChartSpec['spec'],
    });
    const c8 = rows.filter((r) => r.part === 'c8');
    specs.push({
      id: 'lifecycle-c8-gaps',
      title: 'C8: which idle gaps failed',
      caption: 'Each dot is one request, placed by its idle gap relative to the first timeout of the pair; red ones failed. The red ticks mark the race window (≈ one RTT of the racing hop).',
      spec: {
        $schema: SCHEMA,
        data: { values: c8.map((r) => ({ case: r.note ?? r.case_key, gap: num(r.gap_ms), failed: r.outcome === 'ok' ? 'ok' : 'failed' })) },
        width: 420,
        mark: { type: 'tick', thickness: 1, clip: true },
        encoding: {
          // Timer lag on a busy machine leaves a few gaps far out; the race is within a few RTTs of 0.
          x: { field: 'gap', type: 'quantitative', title: 'idle gap − first timeout (ms)', scale: { domain: [-250, 250] } },
          y: { field: 'case', type: 'nominal', title: null, axis: { labelLimit: 320 } },
          color: { field: 'failed', type: 'nominal', scale: { domain: ['ok', 'failed'], range: ['#9aa5b1', '#d62728'] }, title: null },
        },
      } as ChartSpec['spec'],
    });
  }
  if (c10.length) {
    specs.push({
      id: 'lifecycle-c10-detect',
      title: 'C10: time until the client learned the server was gone',
      caption: 'Median ms from the fault to the first sign (FIN, RST, timeout, PING miss); missing bars were not detected within the cap.',
      spec: {
        $schema: SCHEMA,
        data: { values: c10.map((f) => ({ fault: f.fault, strategy: f.strategy, detect_ms: f.detect_ms, outcomes: f.outcomes })) },
        facet: { column: { field: 'fault', type: 'nominal', title: null } },
        spec: {
          width: 180,
          mark: 'bar',
          encoding: {
            y: { field: 'strategy', type: 'nominal', title: null, sort: null },
            x: { field: 'detect_ms', type: 'quantitative', title: 'time to detect (ms)' },
            tooltip: [{ field: 'strategy' }, { field: 'detect_ms', format: '.1f' }, { field: 'outcomes' }],
          },
        },
      } as ChartSpec['spec'],
    });
  }
  if (c9.length) {
    specs.push({
      id: 'lifecycle-c9-outcome',
      title: 'C9: an idle connection behind a NAT that forgot it',
      caption: 'Outcome of the request sent after idling past the middlebox flow timeout, per strategy.',
      spec: {
        $schema: SCHEMA,
        data: { values: rows.filter((r) => r.part === 'c9').map((r) => ({ strategy: r.strategy, outcome: r.outcome })) },
        width: 360,
        mark: 'bar',
        encoding: {
          y: { field: 'strategy', type: 'nominal', title: null },
          x: { aggregate: 'count', type: 'quantitative', title: 'trials' },
          color: {
            field: 'outcome',
            type: 'nominal',
            title: null,
            scale: { domain: ['survived', 'ok_new_connection', 'failed', 'hung', 'error', 'skipped'], range: ['#2ca02c', '#9aa5b1', '#d62728', '#ff7f0e', '#7f7f7f', '#c7c7c7'] },
          },
        },
      } as ChartSpec['spec'],
    });
  }
  if (pools.length) {
    const values = pools.flatMap((f) => [
      { pool: `maxSockets ${f.max_sockets}`, round: f.round, phase: 'queued for a socket', ms: f.queue_ms ?? 0 },
      { pool: `maxSockets ${f.max_sockets}`, round: f.round, phase: 'rest of the request', ms: Math.max(0, (f.total_ms ?? 0) - (f.queue_ms ?? 0)) },
    ]);
    specs.push({
      id: 'lifecycle-c12-pool',
      title: `C12: pool size vs ${pools[0]?.concurrency ?? ''} concurrent requests`,
      caption: 'Median per request: time waiting for a pooled socket and the rest (connect on a cold pool, then the exchange).',
      spec: {
        $schema: SCHEMA,
        data: { values },
        facet: { column: { field: 'round', type: 'nominal', title: null } },
        spec: {
          width: 220,
          mark: 'bar',
          encoding: {
            y: { field: 'pool', type: 'nominal', title: null, sort: null },
            x: { field: 'ms', type: 'quantitative', title: 'median ms', stack: 'zero' },
            color: { field: 'phase', type: 'nominal', title: null },
          },
        },
      } as ChartSpec['spec'],
    });
  }
  return specs;
}

export function buildLifecycle(rows: readonly CsvRow[], scale: number, linkBackend = ''): SectionOutput {
  const verdicts: Verdict[] = [];
  const tables: Table[] = [];
  const c7 = verdictC7(rows, scale, linkBackend);
  if (rows.some((r) => r.part === 'c7')) {
    verdicts.push(c7.verdict);
    tables.push(c7.table);
  }
  const rates = c8Rates(rows);
  if (rates.length) {
    verdicts.push(verdictC8(rates, scale));
    tables.push({
      title: 'C8: idle-timeout race, per case',
      columns: [{ label: 'case' }, { label: 'trials', numeric: true }, { label: 'failures', numeric: true }, { label: 'per 1 000', numeric: true }, { label: '95 % CI' }, { label: 'reused', numeric: true }, { label: 'failed gaps p5…p95', unit: 'ms' }],
      rows: rates.map((r): Cell[] => [r.label, r.n, r.failures, round4(r.per_1000), `${r.ci_low_per_1000.toFixed(0)}–${r.ci_high_per_1000.toFixed(0)}`, r.reused, r.window_low_ms === null ? '—' : `${r.window_low_ms}…${r.window_high_ms}`]),
    });
  }
  const c9 = strategyFigures(rows, 'c9');
  if (c9.length) verdicts.push(verdictC9(c9));
  const c10 = strategyFigures(rows, 'c10');
  if (c10.length) verdicts.push(verdictC10(c10));
  for (const [title, figs] of [['C9: NAT idle drop', c9], ['C10: crash detection', c10]] as const) {
    if (!figs.length) continue;
    tables.push({
      title,
      columns: [{ label: 'fault' }, { label: 'strategy' }, { label: 'settings' }, { label: 'trials', numeric: true }, { label: 'detected after (median)', unit: 'ms', numeric: true }, { label: 'outcomes' }, { label: 'retried', numeric: true }, { label: 'next request ok', numeric: true }],
      rows: figs.map((f): Cell[] => [f.fault, f.strategy, f.settings, f.n, round4(f.detect_ms), f.outcomes, f.retried, f.next_ok]),
    });
  }
  const pools = poolFigures(rows);
  if (pools.length) {
    verdicts.push(verdictC12(pools));
    tables.push({
      title: 'C12: pool size vs concurrency',
      columns: [{ label: 'round' }, { label: 'maxSockets', numeric: true }, { label: 'concurrency', numeric: true }, { label: 'requests', numeric: true }, { label: 'queued (median)', unit: 'ms', numeric: true }, { label: 'queued p90', unit: 'ms', numeric: true }, { label: 'connect (new conns)', unit: 'ms', numeric: true }, { label: 'total (median)', unit: 'ms', numeric: true }, { label: 'total p90', unit: 'ms', numeric: true }],
      rows: pools.map((f): Cell[] => [f.round, f.max_sockets, f.concurrency, f.n, round4(f.queue_ms), round4(f.queue_p90_ms), round4(f.connect_ms), round4(f.total_ms), round4(f.total_p90_ms)]),
    });
  }
  const caveats = [
    `Times are scaled 1:${scale}: 1 s here stands for ${scale} s in production (LB idle 6 s ≙ ALB 60 s; server 5 s / 7 s ≙ 50 s / 70 s; NAT flow timeout 4 s ≙ 40 s; Linux TCP keepalive 7200/75/9 s is recorded unscaled). Kernel keepalive settings are whole seconds, so they are scaled too (1 s ≙ 10 s).`,
    'C8: the failure rate depends on how the idle gaps are spread: gaps are drawn uniformly within ± max(25 ms, 2 RTT) of the first timeout of the pair, so the rate is the race window (≈ one RTT of the racing hop) over that spread, not a production rate. What carries over is which settings give any failures at all.',
    "Node 20's http server closes an idle connection 1 s after its keepAliveTimeout (it announces `Keep-Alive: timeout=N` and pads by 1 s); C8's Y is the real close time. Node ≥ 19's Agent honours that hint (keeps a socket N − 1 s), the LB here ignores it as ALB and nginx do.",
    "Node's http.Agent turns SO_KEEPALIVE on for pooled sockets with a 1 s idle time but the kernel's 75 s interval; the 'none' strategies here turn it off so that they show the bare kernel behaviour.",
  ];
  const errors = rows.filter((r) => r.outcome === 'error');
  if (errors.length) caveats.push(`${errors.length} trial(s) errored in the harness: ${[...new Set(errors.map((r) => r.error))].slice(0, 3).join('; ')}`);
  return {
    claimSentence: 'Most keep-alive incidents are connections one side thinks alive and the other has dropped: idle timeouts between LB and server (C8), servers closing before TCP keepalive probes (C7), NATs forgetting idle flows (C9), crashed peers (C10); and pools reuse what stays open (C12).',
    verdicts,
    specs: chartsFor(rows, rates, c10, c9, pools),
    tables,
    caveats,
  };
}

export const lifecycleSection: ReportSection = {
  scenario: 'lifecycle',
  build(run) {
    const rows = loadLifecycleRows(run);
    const scale = num(rows[0]?.time_scale) ?? 10;
    const link = (run.meta.link ?? {}) as { backend?: unknown };
    return buildLifecycle(rows, scale, typeof link.backend === 'string' ? link.backend : '');
  },
};
