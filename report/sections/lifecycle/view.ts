/** The lifecycle section's charts, tables and caveats, built from its analysis (./analysis.ts). */
import { round4 } from '../../format.ts';
import type { Cell, ChartSpec, Table } from '../types.ts';
import type { C7Trial, C8Rate, C8Trial, C9Trial, LifecycleAnalysis, PoolFigure, StrategyFigure } from './analysis.ts';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

function c8RateChart(rates: readonly C8Rate[]): ChartSpec {
  return {
    id: 'lifecycle-c8-rate',
    title: 'C8: failed requests per 1 000 after an idle gap, by timeout setting',
    caption:
      'Bars: 502s (behind the LB) or resets (client straight to the server) per 1 000 reused-connection attempts; whiskers: 95 % Wilson interval.',
    spec: {
      $schema: SCHEMA,
      data: {
        values: rates.map((r) => ({
          case: r.label,
          per_1000: r.per_1000,
          low: r.ci_low_per_1000,
          high: r.ci_high_per_1000,
          n: r.n,
          path: r.strategy === 'lb' ? 'via LB' : 'client → server',
        })),
      },
      width: 420,
      layer: [
        {
          mark: 'bar',
          encoding: {
            y: { field: 'case', type: 'nominal', title: null, sort: null, axis: { labelLimit: 320 } },
            x: { field: 'per_1000', type: 'quantitative', title: 'failures per 1 000 requests' },
            color: { field: 'path', type: 'nominal', title: null },
            tooltip: [{ field: 'case' }, { field: 'per_1000', format: '.1f' }, { field: 'n' }],
          },
        },
        {
          mark: 'rule',
          encoding: {
            y: { field: 'case', type: 'nominal', sort: null },
            x: { field: 'low', type: 'quantitative' },
            x2: { field: 'high' },
          },
        },
      ],
    } as ChartSpec['spec'],
  };
}

function c8GapsChart(trials: readonly C8Trial[]): ChartSpec {
  return {
    id: 'lifecycle-c8-gaps',
    title: 'C8: which idle gaps failed',
    caption:
      'Each dot is one request, placed by its idle gap relative to the first timeout of the pair; red ones failed. The red ticks mark the race window (≈ one RTT of the racing hop).',
    spec: {
      $schema: SCHEMA,
      data: { values: trials.map((t) => ({ case: t.label, gap: t.gap_ms, failed: t.failed ? 'failed' : 'ok' })) },
      width: 420,
      mark: { type: 'tick', thickness: 1, clip: true },
      encoding: {
        // Timer lag on a busy machine leaves a few gaps far out; the race is within a few RTTs of 0.
        x: {
          field: 'gap',
          type: 'quantitative',
          title: 'idle gap − first timeout (ms)',
          scale: { domain: [-250, 250] },
        },
        y: { field: 'case', type: 'nominal', title: null, axis: { labelLimit: 320 } },
        color: {
          field: 'failed',
          type: 'nominal',
          scale: { domain: ['ok', 'failed'], range: ['#9aa5b1', '#d62728'] },
          title: null,
        },
      },
    } as ChartSpec['spec'],
  };
}

function c10Chart(c10: readonly StrategyFigure[]): ChartSpec {
  return {
    id: 'lifecycle-c10-detect',
    title: 'C10: time until the client learned the server was gone',
    caption:
      'Median ms from the fault to the first sign (FIN, RST, timeout, PING miss); missing bars were not detected within the cap.',
    spec: {
      $schema: SCHEMA,
      data: {
        values: c10.map((f) => ({
          fault: f.fault,
          strategy: f.strategy,
          detect_ms: f.detect_ms,
          outcomes: f.outcomes,
        })),
      },
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
  };
}

function c9Chart(trials: readonly C9Trial[]): ChartSpec {
  return {
    id: 'lifecycle-c9-outcome',
    title: 'C9: an idle connection behind a NAT that forgot it',
    caption: 'Outcome of the request sent after idling past the middlebox flow timeout, per strategy.',
    spec: {
      $schema: SCHEMA,
      data: { values: trials.map((t) => ({ strategy: t.strategy, outcome: t.outcome })) },
      width: 360,
      mark: 'bar',
      encoding: {
        y: { field: 'strategy', type: 'nominal', title: null },
        x: { aggregate: 'count', type: 'quantitative', title: 'trials' },
        color: {
          field: 'outcome',
          type: 'nominal',
          title: null,
          scale: {
            domain: ['survived', 'ok_new_connection', 'failed', 'hung', 'error', 'skipped'],
            range: ['#2ca02c', '#9aa5b1', '#d62728', '#ff7f0e', '#7f7f7f', '#c7c7c7'],
          },
        },
      },
    } as ChartSpec['spec'],
  };
}

function c12Chart(pools: readonly PoolFigure[]): ChartSpec {
  const values = pools.flatMap((f) => [
    { pool: `maxSockets ${f.max_sockets}`, round: f.round, phase: 'queued for a socket', ms: f.queue_ms ?? 0 },
    {
      pool: `maxSockets ${f.max_sockets}`,
      round: f.round,
      phase: 'rest of the request',
      ms: Math.max(0, (f.total_ms ?? 0) - (f.queue_ms ?? 0)),
    },
  ]);
  return {
    id: 'lifecycle-c12-pool',
    title: `C12: pool size vs ${pools[0]?.concurrency ?? ''} concurrent requests`,
    caption:
      'Median per request: time waiting for a pooled socket and the rest (connect on a cold pool, then the exchange).',
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
  };
}

export function lifecycleCharts(a: LifecycleAnalysis): ChartSpec[] {
  const specs: ChartSpec[] = [];
  if (a.c8_rates.length) specs.push(c8RateChart(a.c8_rates), c8GapsChart(a.c8_trials));
  if (a.c10.length) specs.push(c10Chart(a.c10));
  if (a.c9.length) specs.push(c9Chart(a.c9_trials));
  if (a.pools.length) specs.push(c12Chart(a.pools));
  return specs;
}

function c7Table(trials: readonly C7Trial[]): Table {
  return {
    title: 'C7: server idle close vs TCP keepalive',
    columns: [
      { label: 'trial' },
      { label: 'server timeout configured', unit: 'ms', numeric: true },
      { label: 'closed after', unit: 'ms', numeric: true },
      { label: 'write on the closed connection' },
      { label: 'after', unit: 'ms', numeric: true },
      { label: 'TCP keepalive time/intvl/probes' },
    ],
    rows: trials.map((t) => [t.trial, t.y_ms, t.idle_ms, t.outcome, t.detect_ms, t.tcp_keepalive]),
  };
}

function c8Table(rates: readonly C8Rate[]): Table {
  return {
    title: 'C8: idle-timeout race, per case',
    columns: [
      { label: 'case' },
      { label: 'trials', numeric: true },
      { label: 'failures', numeric: true },
      { label: 'per 1 000', numeric: true },
      { label: '95 % CI' },
      { label: 'reused', numeric: true },
      { label: 'failed gaps p5…p95', unit: 'ms' },
    ],
    rows: rates.map((r): Cell[] => [
      r.label,
      r.n,
      r.failures,
      round4(r.per_1000),
      `${r.ci_low_per_1000.toFixed(0)}–${r.ci_high_per_1000.toFixed(0)}`,
      r.reused,
      r.window_low_ms === null ? '—' : `${r.window_low_ms}…${r.window_high_ms}`,
    ]),
  };
}

function strategyTable(title: string, figs: readonly StrategyFigure[]): Table {
  return {
    title,
    columns: [
      { label: 'fault' },
      { label: 'strategy' },
      { label: 'settings' },
      { label: 'trials', numeric: true },
      { label: 'detected after (median)', unit: 'ms', numeric: true },
      { label: 'outcomes' },
      { label: 'retried', numeric: true },
      { label: 'next request ok', numeric: true },
    ],
    rows: figs.map((f): Cell[] => [
      f.fault,
      f.strategy,
      f.settings,
      f.n,
      round4(f.detect_ms),
      f.outcomes,
      f.retried,
      f.next_ok,
    ]),
  };
}

function poolTable(pools: readonly PoolFigure[]): Table {
  return {
    title: 'C12: pool size vs concurrency',
    columns: [
      { label: 'round' },
      { label: 'maxSockets', numeric: true },
      { label: 'concurrency', numeric: true },
      { label: 'requests', numeric: true },
      { label: 'queued (median)', unit: 'ms', numeric: true },
      { label: 'queued p90', unit: 'ms', numeric: true },
      { label: 'connect (new conns)', unit: 'ms', numeric: true },
      { label: 'total (median)', unit: 'ms', numeric: true },
      { label: 'total p90', unit: 'ms', numeric: true },
    ],
    rows: pools.map((f): Cell[] => [
      f.round,
      f.max_sockets,
      f.concurrency,
      f.n,
      round4(f.queue_ms),
      round4(f.queue_p90_ms),
      round4(f.connect_ms),
      round4(f.total_ms),
      round4(f.total_p90_ms),
    ]),
  };
}

export function lifecycleTables(a: LifecycleAnalysis): Table[] {
  const tables: Table[] = [];
  if (a.c7_trials) tables.push(c7Table(a.c7_trials));
  if (a.c8_rates.length) tables.push(c8Table(a.c8_rates));
  for (const [title, figs] of [
    ['C9: NAT idle drop', a.c9],
    ['C10: crash detection', a.c10],
  ] as const) {
    if (figs.length) tables.push(strategyTable(title, figs));
  }
  if (a.pools.length) tables.push(poolTable(a.pools));
  return tables;
}

export function lifecycleCaveats(a: LifecycleAnalysis): string[] {
  const caveats = [
    `Times are scaled 1:${a.scale}: 1 s here stands for ${a.scale} s in production (LB idle 6 s ≙ ALB 60 s; server 5 s / 7 s ≙ 50 s / 70 s; NAT flow timeout 4 s ≙ 40 s; Linux TCP keepalive 7200/75/9 s is recorded unscaled). Kernel keepalive settings are whole seconds, so they are scaled too (1 s ≙ 10 s).`,
    'C8: the failure rate depends on how the idle gaps are spread: gaps are drawn uniformly within ± max(25 ms, 2 RTT) of the first timeout of the pair, so the rate is the race window (≈ one RTT of the racing hop) over that spread, not a production rate. What carries over is which settings give any failures at all.',
    "Node 20's http server closes an idle connection 1 s after its keepAliveTimeout (it announces `Keep-Alive: timeout=N` and pads by 1 s); C8's Y is the real close time. Node ≥ 19's Agent honours that hint (keeps a socket N − 1 s), the LB here ignores it as ALB and nginx do.",
    "Node's http.Agent turns SO_KEEPALIVE on for pooled sockets with a 1 s idle time but the kernel's 75 s interval; the 'none' strategies here turn it off so that they show the bare kernel behaviour.",
  ];
  if (a.harness_errors)
    caveats.push(`${a.harness_errors} trial(s) errored in the harness: ${a.harness_error_messages.join('; ')}`);
  return caveats;
}
