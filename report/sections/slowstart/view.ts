/** The slow-start section's charts, tables and caveats, built from its analysis (./analysis.ts). */
import { fmtBytes, fmtRtt } from '../../format.ts';
import type { Cell, ChartSpec, Table } from '../types.ts';
import { doneChecks, type DoneRow, type SlowstartAnalysis, type SlowstartFigure, type TracePoint } from './analysis.ts';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** cold, warm, then idle by gap (ssai=1 before ssai=0): the order of stateLabel's labels in legends. */
function stateRank(label: string): [number, number, number] {
  if (label === 'cold') return [0, 0, 0];
  if (label === 'warm') return [1, 0, 0];
  const m = /^idle ([\d.]+) s, ssai=(\d)$/.exec(label);
  return m ? [2, Number(m[1]), m[2] === '1' ? 0 : 1] : [3, 0, 0];
}

function byState(a: string, b: string): number {
  const [x, y] = [stateRank(a), stateRank(b)];
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2] || a.localeCompare(b);
}
const STATE_COLORS = ['#D55E00', '#0072B2', '#E69F00', '#56B4E9', '#CC79A7', '#009E73'];

function stateColor(labels: readonly string[]): {
  field: string;
  type: 'nominal';
  title: string;
  scale: { domain: string[]; range: string[] };
  sort: string[];
} {
  const domain = [...new Set(labels)].sort(byState);
  const range = domain.map((_, i) => STATE_COLORS[i % STATE_COLORS.length] as string);
  return { field: 'label', type: 'nominal', title: 'connection', scale: { domain, range }, sort: domain };
}

function sweepChart(figs: readonly SlowstartFigure[], y: 'ms' | 'rounds'): ChartSpec {
  const sweep = figs.filter((f) => f.part === 'size' && f.protocol === 'h1');
  const values = sweep.map((f) => ({
    profile: f.profile,
    cc: f.cc,
    label: f.label,
    size_bytes: f.size_bytes,
    size: fmtBytes(f.size_bytes),
    measured: y === 'ms' ? f.median_ms : f.rounds,
    model: y === 'ms' ? f.model_ms : f.model_rounds,
    ci_low: y === 'ms' ? f.ci_low_ms : null,
    ci_high: y === 'ms' ? f.ci_high_ms : null,
    n: f.n,
    errors: f.errors,
  }));
  const color = stateColor(sweep.map((f) => f.label));
  const yTitle = y === 'ms' ? 'total time (ms)' : 'round trips (total / calibrated RTT)';
  const x = {
    field: 'size_bytes',
    type: 'quantitative' as const,
    scale: { type: 'log' as const },
    title: 'response size (bytes, log)',
  };
  return {
    id: y === 'ms' ? 'slowstart-time-vs-size' : 'slowstart-rounds-vs-size',
    title: y === 'ms' ? 'Time vs response size: cold, warm and idle connections' : 'Round trips vs response size',
    caption:
      y === 'ms'
        ? 'Points: measured medians; dashed lines: the model (slow-start rounds from the start window of each state). The gap between cold and warm above a few windows is what keep-alive saves beyond the handshake.'
        : 'Round trips = median / calibrated RTT. A cold connection needs 1 (handshake) + 1 + the slow-start rounds; a warm one ~1; an idle one with slow start after idle falls back towards cold.',
    spec: {
      $schema: SCHEMA,
      data: { values },
      facet: {
        row: { field: 'profile', type: 'nominal', title: null },
        column: { field: 'cc', type: 'nominal', title: 'congestion control' },
      },
      resolve: { scale: { y: 'independent' } },
      spec: {
        width: 300,
        height: 220,
        layer: [
          {
            mark: { type: 'line', strokeDash: [4, 3], opacity: 0.7 },
            encoding: { x, y: { field: 'model', type: 'quantitative', title: yTitle }, color },
          },
          {
            mark: { type: 'point', filled: true, size: 50 },
            encoding: {
              x,
              y: { field: 'measured', type: 'quantitative', title: yTitle, scale: y === 'ms' ? { type: 'log' } : {} },
              color,
              tooltip: [
                { field: 'label', title: 'connection' },
                { field: 'size', title: 'size' },
                {
                  field: 'measured',
                  type: 'quantitative',
                  title: y === 'ms' ? 'median (ms)' : 'round trips',
                  format: '.2f',
                },
                { field: 'model', type: 'quantitative', title: 'model', format: '.2f' },
                { field: 'n', title: 'n' },
                { field: 'errors', title: 'errors' },
              ],
            },
          },
        ],
      },
    } as ChartSpec['spec'],
  };
}

function cwndChart(points: readonly TracePoint[]): ChartSpec {
  const color = stateColor(points.map((p) => p.label));
  return {
    id: 'slowstart-cwnd-trace',
    title: 'The server socket’s congestion window during one 1 MiB transfer (TCP_INFO)',
    caption:
      'Sampled with `ss -tin` in the server namespace. Cold starts at initcwnd and doubles per round trip; warm starts where the warm-up left it; idle with slow start after idle restarts from a halved (or initial) window — except under bbr.',
    spec: {
      $schema: SCHEMA,
      data: { values: points },
      facet: {
        row: { field: 'profile', type: 'nominal', title: null },
        column: { field: 'cc', type: 'nominal', title: 'congestion control' },
      },
      resolve: { scale: { x: 'independent' } },
      spec: {
        width: 300,
        height: 220,
        mark: { type: 'line', point: true, interpolate: 'step-after' },
        encoding: {
          x: { field: 't_ms', type: 'quantitative', title: 'time since sampling started (ms)' },
          y: { field: 'cwnd_segments', type: 'quantitative', title: 'cwnd (segments)', scale: { type: 'log' } },
          color,
          tooltip: [
            { field: 'label', title: 'connection' },
            { field: 't_ms', type: 'quantitative', title: 't (ms)', format: '.1f' },
            { field: 'cwnd_segments', title: 'cwnd' },
            { field: 'ssthresh_segments', title: 'ssthresh' },
            { field: 'bytes_acked', title: 'bytes acked' },
            { field: 'rtt_ms', title: 'rtt (ms)' },
            { field: 'delivery_rate_mbit', title: 'delivery rate (Mbit/s)' },
          ],
        },
      },
    } as ChartSpec['spec'],
  };
}

function iwChart(figs: readonly SlowstartFigure[]): ChartSpec {
  const values = figs
    .filter((f) => f.part === 'iw')
    .map((f) => ({
      profile: f.profile,
      cc: f.cc,
      iw: `initcwnd ${f.iw}`,
      iw_n: f.iw,
      rounds: f.rounds,
      model_rounds: f.model_rounds,
      median_ms: f.median_ms,
    }));
  return {
    id: 'slowstart-initcwnd',
    title: `Initial window: a cold ${fmtBytes(values.length ? 102400 : null)} response with initcwnd 4 / 10 / 32 on the server route`,
    caption:
      'Bars: measured round trips (median / RTT); ticks: the model. Each doubling of the initial window removes about one slow-start round.',
    spec: {
      $schema: SCHEMA,
      data: { values },
      facet: {
        row: { field: 'profile', type: 'nominal', title: null },
        column: { field: 'cc', type: 'nominal', title: 'congestion control' },
      },
      spec: {
        width: 220,
        height: { step: 22 },
        encoding: {
          y: {
            field: 'iw',
            type: 'nominal',
            sort: [...new Set(values.map((v) => v.iw_n))].sort((a, b) => a - b).map((n) => `initcwnd ${n}`),
            title: null,
          },
        },
        layer: [
          {
            mark: { type: 'bar', color: '#0072B2' },
            encoding: {
              x: { field: 'rounds', type: 'quantitative', title: 'round trips' },
              tooltip: [
                { field: 'iw', title: 'initial window' },
                { field: 'rounds', type: 'quantitative', title: 'round trips', format: '.2f' },
                { field: 'model_rounds', type: 'quantitative', title: 'model', format: '.2f' },
                { field: 'median_ms', type: 'quantitative', title: 'median (ms)', format: '.1f' },
              ],
            },
          },
          {
            mark: { type: 'tick', color: '#D55E00', thickness: 3 },
            encoding: { x: { field: 'model_rounds', type: 'quantitative' } },
          },
        ],
      },
    } as ChartSpec['spec'],
  };
}

function h2Chart(figs: readonly SlowstartFigure[]): ChartSpec {
  const values = figs
    .filter((f) => f.part === 'h2')
    .map((f) => ({
      profile: f.profile,
      case: `${f.state}, ${fmtBytes(f.size_bytes)}`,
      window: `window ${fmtBytes(f.h2_window)}`,
      rounds: f.rounds,
      model_rounds: f.model_rounds,
      median_ms: f.median_ms,
    }));
  const windows = [...new Set(figs.filter((f) => f.part === 'h2').map((f) => f.h2_window ?? 0))]
    .sort((a, b) => a - b)
    .map((w) => `window ${fmtBytes(w)}`);
  return {
    id: 'slowstart-h2-window',
    title: 'HTTP/2: the client’s flow-control window as the limit',
    caption:
      "Bars: measured; black diamonds: the model (TCP slow start, each round capped at the window). With Node's default 64 KiB stream/connection window the server may send only 64 KiB per round trip, whatever TCP's cwnd: a warm connection gains little. A 16 MiB window hands the limit back to TCP.",
    spec: {
      $schema: SCHEMA,
      data: { values },
      facet: { row: { field: 'profile', type: 'nominal', title: null } },
      spec: {
        width: 420,
        height: { step: 14 },
        encoding: {
          y: { field: 'case', type: 'nominal', title: null },
          yOffset: { field: 'window', type: 'nominal', sort: windows },
          color: {
            field: 'window',
            type: 'nominal',
            title: 'h2 window',
            scale: { domain: windows, range: ['#D55E00', '#0072B2', '#009E73'] },
          },
        },
        layer: [
          {
            mark: { type: 'bar' },
            encoding: {
              x: { field: 'rounds', type: 'quantitative', title: 'round trips (median / RTT)' },
              tooltip: [
                { field: 'case', title: 'case' },
                { field: 'window', title: 'window' },
                { field: 'rounds', type: 'quantitative', title: 'round trips', format: '.2f' },
                { field: 'model_rounds', type: 'quantitative', title: 'model (TCP and window limit)', format: '.2f' },
                { field: 'median_ms', type: 'quantitative', title: 'median (ms)', format: '.1f' },
              ],
            },
          },
          {
            mark: { type: 'point', shape: 'diamond', filled: true, size: 45 },
            encoding: { x: { field: 'model_rounds', type: 'quantitative' }, color: { value: '#222222' } },
          },
        ],
      },
    } as ChartSpec['spec'],
  };
}

function r2(v: number | null | undefined): Cell {
  return v === null || v === undefined ? null : Math.round(v * 100) / 100;
}

function doneTable(rows: readonly DoneRow[]): Table {
  return {
    title: 'Done-when figures at 1 MiB (round trips = median / calibrated RTT; model in brackets)',
    columns: [
      { label: 'profile' },
      { label: 'cc' },
      { label: 'cold', unit: 'RTT', numeric: true },
      { label: 'cold model', unit: 'RTT', numeric: true },
      { label: 'cold − handshake', unit: 'RTT', numeric: true },
      { label: 'warm', unit: 'RTT', numeric: true },
      { label: 'idle gap', unit: 's', numeric: true },
      { label: 'idle, ssai=1', unit: 'RTT', numeric: true },
      { label: 'its model', unit: 'RTT', numeric: true },
      { label: 'idle, ssai=0', unit: 'RTT', numeric: true },
      { label: 'idle 5 s, ssai=1', unit: 'RTT', numeric: true },
      { label: 'checks (issue 7)' },
    ],
    rows: rows.map((r) => [
      r.profile,
      r.cc,
      r2(r.cold?.rounds),
      r2(r.cold?.model_rounds),
      r.cold?.rounds == null ? null : r2(r.cold.rounds - 1),
      r2(r.warm?.rounds),
      r.idle_ms === null ? null : r.idle_ms / 1000,
      r2(r.idle_ssai1?.rounds),
      r2(r.idle_ssai1?.model_rounds),
      r2(r.idle_ssai0?.rounds),
      r2(r.idle5_ssai1?.rounds),
      doneChecks(r),
    ]),
  };
}

function casesTable(figs: readonly SlowstartFigure[], part: string, title: string): Table {
  const rows = figs
    .filter((f) => f.part === part)
    .sort(
      (a, b) =>
        a.profile.localeCompare(b.profile) ||
        a.cc.localeCompare(b.cc) ||
        a.size_bytes - b.size_bytes ||
        a.label.localeCompare(b.label) ||
        a.iw - b.iw,
    )
    .map((f): Cell[] => [
      f.profile,
      f.cc,
      f.protocol,
      f.label,
      f.iw,
      f.h2_window,
      fmtBytes(f.size_bytes),
      f.n,
      f.errors,
      r2(f.median_ms),
      r2(f.model_ms),
      r2(f.rounds),
      r2(f.model_rounds),
    ]);
  return {
    title,
    columns: [
      { label: 'profile' },
      { label: 'cc' },
      { label: 'protocol' },
      { label: 'connection' },
      { label: 'initcwnd', numeric: true },
      { label: 'h2 window', unit: 'B', numeric: true },
      { label: 'size' },
      { label: 'n', numeric: true },
      { label: 'errors', numeric: true },
      { label: 'median', unit: 'ms', numeric: true },
      { label: 'model', unit: 'ms', numeric: true },
      { label: 'measured', unit: 'RTT', numeric: true },
      { label: 'model', unit: 'RTT', numeric: true },
    ],
    rows,
  };
}

export function slowstartCharts(a: SlowstartAnalysis): ChartSpec[] {
  const specs: ChartSpec[] = [sweepChart(a.figs, 'ms'), sweepChart(a.figs, 'rounds')];
  if (a.traces.length > 0) specs.push(cwndChart(a.traces));
  if (a.figs.some((f) => f.part === 'iw')) specs.push(iwChart(a.figs));
  if (a.figs.some((f) => f.part === 'h2')) specs.push(h2Chart(a.figs));
  return specs;
}

export function slowstartTables(a: SlowstartAnalysis): Table[] {
  const tables: Table[] = [doneTable(a.done_rows)];
  if (a.figs.some((f) => f.part === 'iw')) tables.push(casesTable(a.figs, 'iw', 'Initial window (cold 100 KiB)'));
  if (a.figs.some((f) => f.part === 'h2')) tables.push(casesTable(a.figs, 'h2', 'HTTP/2 flow-control window'));
  tables.push(casesTable(a.figs, 'size', 'Every case of the size sweep'));
  return tables;
}

export function slowstartCaveats(a: SlowstartAnalysis): string[] {
  const caveats: string[] = [
    'bbr has its own cong_control hook, so Linux skips tcp_slow_start_after_idle for it (tcp_slow_start_after_idle_check): under bbr an idle connection keeps its window whatever the setting.',
    'The model assumes loss-free slow start (cwnd + 1 segment per acked segment), no receive-window limit and an unlimited link unless the profile has a rate; a warm transfer that takes more than its round trips is limited by the link’s (or the userspace delay line’s) throughput, which the model leaves out on an unlimited link.',
    'The congestion_control column of samples.csv holds the server namespace’s default when the run started; the congestion control each case ran with is `cc=` in its variant (set per case in the server namespace, confirmed by ss in tcpinfo.csv).',
    'The warm window in the model (initcwnd + the warm-up’s segments) is an upper bound: Linux grows cwnd only while the sender is cwnd-limited, so the receiver window or the application can stop it earlier — the cwnd trace shows where the warm-up really left it. A reno connection that sends a whole large window at once can also overflow the link’s queue; bbr paces.',
    'The client’s receive window can be the limit of a warm connection: its autotuning grows with what the warm-up delivered, and the cwnd trace’s snd_wnd shows it (e.g. ~690 KB, below a 1 MiB response).',
    'Idle restart model: Linux halves cwnd once per RTO (≈ RTT + 200 ms) of the server’s idle time (the client’s gap + 1 RTT), never below initcwnd.',
    `tcp_info is sampled by running ss every few ms; the sampling interval is as long as one ss call takes (about ${a.trace_interval_ms ?? '?'} ms here), so single rounds may be missed.`,
  ];
  for (const s of a.skipped) caveats.push(`skipped ${s.what}=${s.value} on ${s.profile}: ${s.reason}`);
  const h2 = a.h2_default_window;
  if (h2 !== null) {
    caveats.push(
      `HTTP/2 with the client's default 65 535-byte window: a warm 1 MiB response took ${fmtRtt(h2.warm_rounds)} (window limit alone: ${h2.window_limit_rounds} round trips) — there the h2 window, not TCP, is the limit.`,
    );
  }
  return caveats;
}
