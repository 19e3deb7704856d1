/**
 * The hol scenario's charts, tables and caveats, from its figures (analysis.ts): the per-request timeline and
 * batch times (C4, C5 at the application level), page time and retransmits vs packet loss (C5 at the transport
 * level), and the load runs from load.csv.
 */
import { pipeliningTable } from './pipelining.ts';
import type { CsvRow } from '../../load-run.ts';
import { fmtMs, round4 } from '../../format.ts';
import { num } from '../../rows.ts';
import type { Cell, ChartSpec, Table } from '../types.ts';
import { MODE_ORDER, type AppFigures, type HolFigures, type PagePoint } from './analysis.ts';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
/** CI layers draw only where a CI exists (n ≥ 6). */
const CI_PRESENT = { filter: 'isValid(datum.lo) && isValid(datum.hi)' };

/** Whether some row has a CI: a CI layer the filter leaves empty gives Vega "infinite extent" warnings. */
function anyCi(values: ReadonlyArray<{ lo: number | null; hi: number | null }>): boolean {
  return values.some((v) => v.lo !== null && v.hi !== null);
}

/** "with its 95 % CI", or why there is none (a median's 95 % CI needs at least 6 values). */
function ciWords(values: ReadonlyArray<{ lo: number | null; hi: number | null; n: number }>): string {
  if (anyCi(values)) return 'with its 95 % CI';
  return `no 95 % CI: ${Math.max(0, ...values.map((v) => v.n))} or fewer values a point, 6 are needed`;
}

export const MODE_LABEL: Record<string, string> = {
  h1_serial: 'h1 × 1, serial',
  h1_pipelined: 'h1 × 1, pipelined',
  h1_6conn: 'h1 × 6 connections',
  h2_streams: 'h2 × 1, streams',
};
const MODE_COLORS = ['#999999', '#D55E00', '#0072B2', '#009E73'];
const modeColor = (title = 'mode') => ({
  field: 'mode_label',
  type: 'nominal' as const,
  title,
  scale: { domain: MODE_ORDER.map((m) => MODE_LABEL[m] ?? m), range: MODE_COLORS },
});

// ---------------------------------------------------------------------------------------------
// Charts

function timelineChart(app: readonly AppFigures[]): ChartSpec {
  const values = app.flatMap((f) =>
    f.timeline.map((t) => ({
      profile: f.profile,
      mode_label: MODE_LABEL[t.mode] ?? t.mode,
      pos: t.pos,
      ready_ms: t.ready_ms,
      done_ms: t.done_ms,
      write_ms: t.write_ms,
    })),
  );
  const enc = { y: { field: 'pos', type: 'ordinal' as const, title: 'request (1 = slow)' } };
  return {
    id: 'hol-app-timeline',
    title: 'Per request: ready (alone) vs reached the client',
    caption:
      'Grey tick: when the request would have arrived had nothing been ahead of it (its write + its time alone); dot: when it arrived (medians, ms since the batch started). The bar between them is blocked time.',
    spec: {
      $schema: SCHEMA,
      data: { values },
      facet: {
        row: { field: 'mode_label', type: 'nominal', title: null, sort: MODE_ORDER.map((m) => MODE_LABEL[m] ?? m) },
        column: { field: 'profile', type: 'nominal', title: null },
      },
      spec: {
        width: 360,
        height: { step: 12 },
        layer: [
          {
            mark: { type: 'rule', strokeWidth: 3, opacity: 0.5 },
            encoding: {
              ...enc,
              x: { field: 'ready_ms', type: 'quantitative', title: 'ms since batch start' },
              x2: { field: 'done_ms' },
              color: modeColor(),
            },
          },
          {
            mark: { type: 'tick', color: '#888', thickness: 2 },
            encoding: { ...enc, x: { field: 'ready_ms', type: 'quantitative' } },
          },
          {
            mark: { type: 'point', filled: true, size: 40 },
            encoding: {
              ...enc,
              x: { field: 'done_ms', type: 'quantitative' },
              color: modeColor(),
              tooltip: [
                { field: 'mode_label', title: 'mode' },
                { field: 'pos', title: 'request' },
                { field: 'write_ms', title: 'written (ms)' },
                { field: 'ready_ms', title: 'ready alone (ms)' },
                { field: 'done_ms', title: 'arrived (ms)' },
              ],
            },
          },
        ],
      },
    },
  };
}

function batchChart(app: readonly AppFigures[]): ChartSpec {
  const values = app.flatMap((f) =>
    [...f.batch.entries()].map(([mode, d]) => ({
      profile: f.profile,
      mode_label: MODE_LABEL[mode] ?? mode,
      median: round4(d.median),
      lo: round4(d.ci_low),
      hi: round4(d.ci_high),
      n: d.n,
    })),
  );
  return {
    id: 'hol-app-batch',
    title: 'Batch completion time (10 requests, the first one slow)',
    caption: `Median time until the last response of the batch arrived (${ciWords(values)}).`,
    spec: {
      $schema: SCHEMA,
      data: { values },
      facet: { column: { field: 'profile', type: 'nominal', title: null } },
      spec: {
        width: 300,
        height: { step: 20 },
        layer: [
          {
            mark: { type: 'bar' },
            encoding: {
              y: { field: 'mode_label', type: 'nominal', title: null, sort: MODE_ORDER.map((m) => MODE_LABEL[m] ?? m) },
              x: { field: 'median', type: 'quantitative', title: 'batch time (ms)' },
              color: { ...modeColor(), legend: null },
              tooltip: [{ field: 'mode_label' }, { field: 'median' }, { field: 'lo' }, { field: 'hi' }, { field: 'n' }],
            },
          },
          ...(anyCi(values)
            ? [
                {
                  transform: [CI_PRESENT],
                  mark: { type: 'rule' as const },
                  encoding: {
                    y: {
                      field: 'mode_label',
                      type: 'nominal' as const,
                      sort: MODE_ORDER.map((m) => MODE_LABEL[m] ?? m),
                    },
                    x: { field: 'lo', type: 'quantitative' as const },
                    x2: { field: 'hi' },
                  },
                },
              ]
            : []),
        ],
      },
    },
  };
}

function lossChart(points: readonly PagePoint[]): ChartSpec {
  const values = points.map((p) => ({
    panel: `${p.profile} (RTT ${fmtMs(p.rtt_ms)}), ${p.cc}, ${p.conn}`,
    loss_pct: p.loss_pct,
    mode_label: MODE_LABEL[p.mode] ?? p.mode,
    median: round4(p.page.median),
    lo: round4(p.page.ci_low),
    hi: round4(p.page.ci_high),
    p90: round4(p.page.p90),
    n: p.page.n,
    retrans: p.retrans_median,
  }));
  const x = { field: 'loss_pct', type: 'quantitative' as const, title: 'packet loss per direction (%)' };
  return {
    id: 'hol-loss-page',
    title: 'Page time vs packet loss (1 × 100 KB + 40 × 10 KB)',
    caption: `Median page load time per mode (${ciWords(values)}${values.some((v) => v.lo !== null) ? ': bars' : ''}) and p90 (open circles); log scale; one panel per profile × congestion control × connection start. Where the h1 × 6 line falls below h2 × 1, six TCP connections beat one multiplexed one; whether it does so beyond noise is the verdict's Hodges–Lehmann CI of the difference, not these bars.`,
    spec: {
      $schema: SCHEMA,
      data: { values },
      facet: { field: 'panel', type: 'nominal', title: null },
      columns: 2,
      resolve: { scale: { y: 'independent' } },
      spec: {
        width: 320,
        height: 240,
        layer: [
          {
            mark: { type: 'line', point: true },
            encoding: {
              x,
              y: { field: 'median', type: 'quantitative', title: 'page time (ms)', scale: { type: 'log' } },
              color: modeColor(),
              tooltip: [
                { field: 'mode_label' },
                { field: 'loss_pct' },
                { field: 'median' },
                { field: 'lo' },
                { field: 'hi' },
                { field: 'p90' },
                { field: 'n' },
                { field: 'retrans', title: 'retransmitted segments (median)' },
              ],
            },
          },
          ...(anyCi(values)
            ? [
                {
                  transform: [CI_PRESENT],
                  mark: { type: 'rule' as const },
                  encoding: {
                    x,
                    y: { field: 'lo', type: 'quantitative' as const },
                    y2: { field: 'hi' },
                    color: modeColor(),
                  },
                },
              ]
            : []),
          {
            mark: { type: 'point', filled: false, shape: 'circle' },
            encoding: { x, y: { field: 'p90', type: 'quantitative' }, color: modeColor() },
          },
        ],
      },
    },
  };
}

function retransChart(points: readonly PagePoint[]): ChartSpec {
  const values = points.map((p) => ({
    panel: `${p.profile}, ${p.cc}, ${p.conn}`,
    loss_pct: p.loss_pct,
    mode_label: MODE_LABEL[p.mode] ?? p.mode,
    retrans: p.retrans_median,
  }));
  return {
    id: 'hol-loss-retrans',
    title: 'Retransmitted TCP segments per page',
    caption: 'Median RetransSegs of both namespaces per page load (kernel counters, /proc/<pid>/net/snmp).',
    spec: {
      $schema: SCHEMA,
      data: { values },
      facet: { field: 'panel', type: 'nominal', title: null },
      columns: 4,
      spec: {
        width: 260,
        height: 180,
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'loss_pct', type: 'quantitative', title: 'loss (%)' },
          y: { field: 'retrans', type: 'quantitative', title: 'segments' },
          color: modeColor(),
        },
      },
    },
  };
}

function loadCharts(rows: readonly CsvRow[]): ChartSpec[] {
  const closed = rows.filter((r) => r.loop === 'closed' && r.keep_alive === '1' && (r.error ?? '') === '');
  const values = closed.map((r) => ({
    profile: r.profile,
    series:
      r.protocol === 'h1'
        ? `h1 pipelined, ${r.total_concurrency} in flight`
        : `h2 streams, ${r.total_concurrency} in flight`,
    per_connection: num(r.per_connection),
    rps: num(r.requests_per_s),
    p50_ms: (num(r.lat_p50_us) ?? Number.NaN) / 1000,
    p99_ms: (num(r.lat_p99_us) ?? Number.NaN) / 1000,
    errors: num(r.errors),
  }));
  const x = {
    field: 'per_connection',
    type: 'quantitative' as const,
    title: 'requests in flight per connection',
    scale: { type: 'log' as const },
  };
  const color = { field: 'series', type: 'nominal' as const, title: null, legend: { labelLimit: 300 } };
  return [
    {
      id: 'hol-load-rps',
      title: 'Throughput vs pipelining depth / streams per connection (closed loop)',
      caption:
        'Requests per second at a fixed total concurrency: more per connection means fewer connections. Closed loop: each slot waits for its answer.',
      spec: {
        $schema: SCHEMA,
        data: { values },
        facet: { column: { field: 'profile', type: 'nominal', title: null } },
        spec: {
          width: 280,
          height: 200,
          mark: { type: 'line', point: true },
          encoding: {
            x,
            y: { field: 'rps', type: 'quantitative', title: 'requests/s' },
            color,
            tooltip: [
              { field: 'series' },
              { field: 'per_connection' },
              { field: 'rps' },
              { field: 'p99_ms' },
              { field: 'errors' },
            ],
          },
        },
      },
    },
    {
      id: 'hol-load-latency',
      title: 'Latency p50 and p99 vs requests per connection (closed loop)',
      caption: 'Solid: p99; dashed: p50 (µs histogram, shown in ms).',
      spec: {
        $schema: SCHEMA,
        data: { values },
        facet: { column: { field: 'profile', type: 'nominal', title: null } },
        spec: {
          width: 280,
          height: 200,
          layer: [
            {
              mark: { type: 'line', point: true },
              encoding: { x, y: { field: 'p99_ms', type: 'quantitative', title: 'latency (ms)' }, color },
            },
            {
              mark: { type: 'line', strokeDash: [4, 3] },
              encoding: { x, y: { field: 'p50_ms', type: 'quantitative' }, color },
            },
          ],
        },
      },
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Tables

function appTable(app: readonly AppFigures[]): Table {
  const rows: Cell[][] = [];
  for (const f of app) {
    for (const mode of MODE_ORDER) {
      const d = f.fast_delay.get(mode);
      const b = f.fast_blocked.get(mode);
      const batch = f.batch.get(mode);
      if (!d && !batch) continue;
      rows.push([
        f.profile,
        MODE_LABEL[mode] ?? mode,
        round4(d?.median ?? null),
        round4(b?.median ?? null),
        round4(batch?.median ?? null),
        batch ? `${fmtMs(batch.ci_low)} – ${fmtMs(batch.ci_high)}` : '',
        batch?.n ?? null,
      ]);
    }
  }
  return {
    title: 'Application-level HOL: fast requests behind one slow one',
    columns: [
      { label: 'profile' },
      { label: 'mode' },
      { label: 'fast: later than alone (median)', unit: 'ms', numeric: true },
      { label: 'fast: blocked after sent (median)', unit: 'ms', numeric: true },
      { label: 'batch time (median)', unit: 'ms', numeric: true },
      { label: 'batch 95 % CI', unit: 'ms' },
      { label: 'batches', numeric: true },
    ],
    rows,
  };
}

function pageTable(points: readonly PagePoint[]): Table {
  return {
    title: 'Transport-level HOL: page time vs loss',
    columns: [
      { label: 'profile' },
      { label: 'CC' },
      { label: 'connections' },
      { label: 'loss', unit: '%', numeric: true },
      { label: 'mode' },
      { label: 'median', unit: 'ms', numeric: true },
      { label: '95 % CI', unit: 'ms' },
      { label: 'p90', unit: 'ms', numeric: true },
      { label: 'p90 95 % CI', unit: 'ms' },
      { label: 'retransmits (median)', numeric: true },
      { label: 'pages', numeric: true },
      { label: 'errors', numeric: true },
    ],
    rows: points.map((p) => [
      p.profile,
      p.cc,
      p.conn,
      p.loss_pct,
      MODE_LABEL[p.mode] ?? p.mode,
      round4(p.page.median),
      `${fmtMs(p.page.ci_low)} – ${fmtMs(p.page.ci_high)}`,
      round4(p.page.p90),
      `${fmtMs(p.page.p90_ci_low)} – ${fmtMs(p.page.p90_ci_high)}`,
      p.retrans_median,
      p.page.n,
      p.errors,
    ]),
  };
}

function loadTable(rows: readonly CsvRow[]): Table {
  return {
    title: 'Load runs (load.csv)',
    columns: [
      { label: 'profile' },
      { label: 'driver' },
      { label: 'loop' },
      { label: 'keep-alive' },
      { label: 'conns × per conn' },
      { label: 'target', unit: 'req/s', numeric: true },
      { label: 'achieved', unit: 'req/s', numeric: true },
      { label: 'p50', unit: 'ms', numeric: true },
      { label: 'p99', unit: 'ms', numeric: true },
      { label: 'errors / timeouts / resets / non-2xx' },
      { label: 'send lag p99', unit: 'ms', numeric: true },
    ],
    rows: rows.map((r) => [
      r.profile ?? '',
      r.driver || (r.error ? `failed: ${r.error}` : ''),
      r.loop ?? '',
      r.keep_alive === '1' ? 'yes' : 'no',
      `${r.connections} × ${r.per_connection}`,
      num(r.rate_rps_target),
      num(r.requests_per_s),
      round4((num(r.lat_p50_us) ?? Number.NaN) / 1000),
      round4((num(r.lat_p99_us) ?? Number.NaN) / 1000),
      `${r.errors ?? ''} / ${r.timeouts ?? ''} / ${r.resets ?? ''} / ${r.non_2xx ?? ''}`,
      round4((num(r.send_lag_p99_us) ?? Number.NaN) / 1000),
    ]),
  };
}

// ---------------------------------------------------------------------------------------------
// Caveats

function caveats(figs: HolFigures): string[] {
  const out: string[] = [
    'Unblocked time = the same request measured alone on a warm connection of the same protocol; "blocked" = arrival − (write + unblocked). The server\'s own ready time is not reported, so it is inferred this way on the client clock.',
    'The page requests all 41 resources at t = 0 (the document → sub-resource dependency is left out). "fresh": the connects are part of the page time, so h1 × 6 also pays six handshakes (a lost SYN costs a 1 s RTO) and gains six initial windows; "preconnected": connections opened just before, untimed, so only losses during the transfer count.',
    "HTTP/2 uses browser-sized flow-control windows (15 MB session, 6 MB stream, as Chrome); with node's 64 KiB defaults h2 would be flow-control-bound, not TCP-bound.",
    "Loss rates are applied by the link within the run; samples.csv's loss_pct_configured shows the profile's own value — the loss of a case is in its variant and case key.",
  ];
  for (const s of figs.skipped)
    out.push(`${(s.loss_pct ?? '') !== '' ? `loss ${s.loss_pct} %` : s.congestion_control} skipped: ${s.reason}`);
  if (figs.closed_loop_load)
    out.push(
      'Closed-loop load rows (loop = closed) hide queueing (coordinated omission); the open-loop rows measure from the intended send time at 80 % of the closed-loop throughput of the same shape.',
    );
  if (figs.bbr_h2_app) {
    out.push(
      'Under bbr the server paces each connection at its bandwidth estimate, which for a connection that has only carried 1 KB answers is low: the nine fast h2 responses on one connection leave spread over ~10 ms, so some arrive later than 1.1 × alone — pacing, not head-of-line blocking (six h1 connections get six pacing budgets). With --cc reno (no pacing without the fq qdisc) every h2 fast response arrives within 1.1 × alone (measured here: +2.7 to +3.3 ms).',
    );
  }
  if (figs.app_errors) out.push(`${figs.app_errors} application-level requests failed (errors are in hol-app.csv).`);
  return out;
}

export interface HolView {
  specs: ChartSpec[];
  tables: Table[];
  caveats: string[];
}

/** Each part's charts and table, for the parts the run has data of. */
export function holView(figs: HolFigures): HolView {
  const specs: ChartSpec[] = [];
  const tables: Table[] = [];
  if (figs.pipelining) tables.push(pipeliningTable(figs.pipelining));
  if (figs.app.length) {
    specs.push(timelineChart(figs.app), batchChart(figs.app));
    tables.push(appTable(figs.app));
  }
  if (figs.points.length) {
    specs.push(lossChart(figs.points), retransChart(figs.points));
    tables.push(pageTable(figs.points));
  }
  if (figs.load.length) {
    specs.push(...loadCharts(figs.load));
    tables.push(loadTable(figs.load));
  }
  return { specs, tables, caveats: caveats(figs) };
}
