/**
 * The slow-start scenario's section: C2 (keep-alive also skips slow start's first rounds), from summary.csv
 * (medians, model_ms from bench/scenarios/slowstart-model.ts), tcpinfo.csv (the server socket's cwnd during
 * traced transfers) and slowstart-skipped.csv (what the kernel did not allow).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readCsv } from '../../lib/csv-file.ts';
import { IDLE_RESTART_EXEMPT_CC, parseVariant } from '../../bench/scenarios/slowstart/model.ts';
import type { CsvRow, RunFolder } from '../load-run.ts';
import { fmtBytes, fmtRtt, round4 } from '../format.ts';
import { num } from '../rows.ts';
import type { Cell, ChartSpec, ReportSection, SectionOutput, Table, Verdict, VerdictKind } from './types.ts';

/** A size counts as "saved by keep-alive beyond the handshake" when warm is at least this many RTTs faster than cold minus the handshake. */
export const SAVED_ROUNDS_MIN = 0.75;
/** Idle counts as "lost the window" when it is this many RTTs slower than warm. */
export const LOST_ROUNDS_MIN = 0.75;
const DONE_SIZE_BYTES = 1048576;
const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

export interface SlowstartFigure {
  profile: string;
  rtt_ms: number | null;
  part: string;
  protocol: string;
  state: string;
  idle_ms: number;
  cc: string;
  ssai: number;
  iw: number;
  h2_window: number | null;
  size_bytes: number;
  n: number;
  errors: number;
  median_ms: number | null;
  ci_low_ms: number | null;
  ci_high_ms: number | null;
  model_ms: number | null;
  /** median / RTT, and the model in the same unit. */
  rounds: number | null;
  model_rounds: number | null;
  /** "cold", "warm", "idle 1 s, ssai=1", … */
  label: string;
}

export function stateLabel(state: string, idle_ms: number, ssai: number): string {
  return state === 'idle' ? `idle ${idle_ms / 1000} s, ssai=${ssai}` : state;
}

export function slowstartFigures(summary: readonly CsvRow[]): SlowstartFigure[] {
  const out: SlowstartFigure[] = [];
  for (const r of summary) {
    if (r.scenario !== 'slowstart' || r.metric !== 'total_ms') continue;
    const v = parseVariant(r.variant ?? '');
    const size = num(r.size_bytes);
    if (size === null || !v.state) continue;
    const rtt = num(r.rtt_ms_calibrated) ?? num(r.rtt_ms_configured);
    const median = num(r.median);
    const model = num(r.model_ms);
    const perRtt = (x: number | null): number | null => (x !== null && rtt !== null && rtt >= 1 ? round4(x / rtt) : null);
    const idle_ms = num(v.idle_ms) ?? 0;
    const ssai = num(v.ssai) ?? 1;
    out.push({
      profile: r.profile ?? '',
      rtt_ms: rtt,
      part: v.part ?? 'size',
      protocol: r.protocol ?? 'h1',
      state: v.state,
      idle_ms,
      cc: v.cc ?? '',
      ssai,
      iw: num(v.iw) ?? 10,
      h2_window: num(v.h2_window),
      size_bytes: size,
      n: num(r.n) ?? 0,
      errors: num(r.errors) ?? 0,
      median_ms: median,
      ci_low_ms: num(r.ci95_low),
      ci_high_ms: num(r.ci95_high),
      model_ms: model,
      rounds: perRtt(median),
      model_rounds: perRtt(model),
      label: stateLabel(v.state, idle_ms, ssai),
    });
  }
  return out;
}

function find(figs: readonly SlowstartFigure[], f: Partial<SlowstartFigure>): SlowstartFigure | undefined {
  return figs.find((x) => Object.entries(f).every(([k, v]) => x[k as keyof SlowstartFigure] === v));
}

export interface DoneRow {
  profile: string;
  cc: string;
  size_bytes: number;
  cold: SlowstartFigure | undefined;
  warm: SlowstartFigure | undefined;
  idle_ssai1: SlowstartFigure | undefined;
  idle_ssai0: SlowstartFigure | undefined;
  /** The same after 5 s (longer than many RTOs: back to initcwnd under ssai=1). */
  idle5_ssai1: SlowstartFigure | undefined;
}

/** The issue's done-when figures: cold / warm / idle 1 s (ssai 1 and 0) at 1 MiB, per profile and congestion control. */
export function doneWhenRows(figs: readonly SlowstartFigure[], size_bytes = DONE_SIZE_BYTES, idle_ms = 1000): DoneRow[] {
  const keys = [...new Set(figs.filter((f) => f.part === 'size').map((f) => `${f.profile}\u0000${f.cc}`))];
  return keys.map((k) => {
    const [profile = '', cc = ''] = k.split('\u0000');
    const base = { part: 'size', profile, cc, size_bytes };
    return {
      profile,
      cc,
      size_bytes,
      cold: find(figs, { ...base, state: 'cold' }),
      warm: find(figs, { ...base, state: 'warm' }),
      idle_ssai1: find(figs, { ...base, state: 'idle', idle_ms, ssai: 1 }),
      idle_ssai0: find(figs, { ...base, state: 'idle', idle_ms, ssai: 0 }),
      idle5_ssai1: find(figs, { ...base, state: 'idle', idle_ms: 5000, ssai: 1 }),
    };
  });
}

export interface C2Finding {
  profile: string;
  cc: string;
  /** Smallest swept size where warm beats cold by SAVED_ROUNDS_MIN RTT beyond the handshake; null: none. */
  threshold_bytes: number | null;
  /** Slow-start rounds the warm connection saves at the largest size (cold − 1 handshake RTT − warm), RTTs. */
  saved_rounds_largest: number | null;
  largest_bytes: number | null;
  /** Per idle gap and ssai: the most RTTs an idle request lost against warm of the same size, and that size. */
  idle_lost_rounds: Array<{ idle_ms: number; ssai: number; lost_rounds: number | null; size_bytes: number | null }>;
}

export function c2Findings(figs: readonly SlowstartFigure[]): C2Finding[] {
  const sweep = figs.filter((f) => f.part === 'size' && f.protocol === 'h1');
  const keys = [...new Set(sweep.map((f) => `${f.profile}\u0000${f.cc}`))];
  return keys.map((k) => {
    const [profile = '', cc = ''] = k.split('\u0000');
    const mine = sweep.filter((f) => f.profile === profile && f.cc === cc);
    const sizes = [...new Set(mine.map((f) => f.size_bytes))].sort((a, b) => a - b);
    const saved = (size: number): number | null => {
      const cold = find(mine, { state: 'cold', size_bytes: size });
      const warm = find(mine, { state: 'warm', size_bytes: size });
      if (cold?.rounds == null || warm?.rounds == null) return null;
      return round4(cold.rounds - 1 - warm.rounds);
    };
    const threshold = sizes.find((s) => (saved(s) ?? -Infinity) >= SAVED_ROUNDS_MIN) ?? null;
    const largest = sizes[sizes.length - 1] ?? null;
    const gaps = [...new Set(mine.filter((f) => f.state === 'idle').map((f) => `${f.idle_ms}|${f.ssai}`))];
    return {
      profile,
      cc,
      threshold_bytes: threshold,
      saved_rounds_largest: largest === null ? null : saved(largest),
      largest_bytes: largest,
      idle_lost_rounds: gaps.map((g) => {
        const [idle, ssai] = g.split('|').map(Number) as [number, number];
        let worst: { lost_rounds: number | null; size_bytes: number | null } = { lost_rounds: null, size_bytes: null };
        for (const size of sizes) {
          const idleFig = find(mine, { state: 'idle', idle_ms: idle, ssai, size_bytes: size });
          const warm = find(mine, { state: 'warm', size_bytes: size });
          if (idleFig?.rounds == null || warm?.rounds == null) continue;
          const lost = round4(idleFig.rounds - warm.rounds);
          if (lost !== null && (worst.lost_rounds === null || lost > worst.lost_rounds)) worst = { lost_rounds: lost, size_bytes: size };
        }
        return { idle_ms: idle, ssai, ...worst };
      }),
    };
  });
}

/** C2's verdict: confirmed if warm saves rounds and idling never loses them, depends if idling (ssai=1) loses them for some cc, refuted if warm saves none. */
export function c2Verdict(findings: readonly C2Finding[]): Verdict {
  const saving = findings.filter((f) => f.threshold_bytes !== null);
  const numbers: Record<string, number | null> = {};
  for (const f of findings) {
    numbers[`saved_rounds_${f.profile}_${f.cc}`] = f.saved_rounds_largest;
    numbers[`threshold_bytes_${f.profile}_${f.cc}`] = f.threshold_bytes;
    for (const g of f.idle_lost_rounds) numbers[`idle${g.idle_ms}ms_ssai${g.ssai}_lost_rounds_${f.profile}_${f.cc}`] = g.lost_rounds;
  }
  const rule = `warm saves slow-start rounds when it beats cold by ≥ ${SAVED_ROUNDS_MIN} RTT beyond the handshake; an idle connection lost them when ≥ ${LOST_ROUNDS_MIN} RTT slower than warm at some size`;
  if (findings.length === 0) return { claim: 'C2', kind: 'not_run', figure: 'no slow-start sweep in this run', numbers };
  if (saving.length === 0) {
    return { claim: 'C2', kind: 'refuted', figure: 'a warm connection was never ≥ 1 round trip faster than a cold one beyond the handshake', numbers, rule };
  }
  const losers = findings.flatMap((f) => f.idle_lost_rounds.filter((g) => g.ssai === 1 && (g.lost_rounds ?? 0) >= LOST_ROUNDS_MIN).map((g) => ({ f, g })));
  const thresholds = saving.map((f) => f.threshold_bytes as number);
  const minT = Math.min(...thresholds);
  const maxT = Math.max(...thresholds);
  const best = saving.reduce((a, b) => ((b.saved_rounds_largest ?? 0) > (a.saved_rounds_largest ?? 0) ? b : a));
  const tText = minT === maxT ? fmtBytes(minT) : `${fmtBytes(minT)}–${fmtBytes(maxT)}`;
  let figure = `a warm connection skips slow start for responses from ~${tText} up: ${fmtRtt(best.saved_rounds_largest)} saved beyond the handshake at ${fmtBytes(best.largest_bytes)} (${best.cc}, ${best.profile})`;
  let kind: VerdictKind = 'confirmed';
  let reason: string | undefined;
  if (losers.length > 0) {
    kind = 'depends';
    const l = losers.reduce((a, b) => ((b.g.lost_rounds ?? 0) > (a.g.lost_rounds ?? 0) ? b : a));
    const exempt = findings.filter((f) => IDLE_RESTART_EXEMPT_CC.includes(f.cc)).map((f) => f.cc);
    figure += `; after ${l.g.idle_ms / 1000} s idle with tcp_slow_start_after_idle=1 (${l.f.cc}) a ${fmtBytes(l.g.size_bytes)} response takes ${fmtRtt(l.g.lost_rounds)} more than warm`;
    reason = `holds for responses above ~${fmtBytes(minT)} on connections idle less than the RTO, or with tcp_slow_start_after_idle=0${exempt.length ? `, or with ${[...new Set(exempt)].join('/')} (which ignores the setting)` : ''}`;
  }
  const v: Verdict = { claim: 'C2', kind, figure, numbers, rule };
  if (reason !== undefined) v.reason = reason;
  return v;
}

function readExtra(dir: string, name: string): CsvRow[] {
  const p = join(dir, `${name}.csv`);
  if (!existsSync(p)) return [];
  try {
    return readCsv(p);
  } catch {
    return [];
  }
}

const STATE_ORDER = ['cold', 'warm', 'idle 1 s, ssai=1', 'idle 1 s, ssai=0', 'idle 5 s, ssai=1', 'idle 5 s, ssai=0'];
const STATE_COLORS = ['#D55E00', '#0072B2', '#E69F00', '#56B4E9', '#CC79A7', '#009E73'];

function stateColor(labels: readonly string[]): { field: string; type: 'nominal'; title: string; scale: { domain: string[]; range: string[] }; sort: string[] } {
  const domain = [...STATE_ORDER.filter((s) => labels.includes(s)), ...[...new Set(labels)].filter((s) => !STATE_ORDER.includes(s)).sort()];
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
  const x = { field: 'size_bytes', type: 'quantitative' as const, scale: { type: 'log' as const }, title: 'response size (bytes, log)' };
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
      facet: { row: { field: 'profile', type: 'nominal', title: null }, column: { field: 'cc', type: 'nominal', title: 'congestion control' } },
      resolve: { scale: { y: 'independent' } },
      spec: {
        width: 300,
        height: 220,
        layer: [
          { mark: { type: 'line', strokeDash: [4, 3], opacity: 0.7 }, encoding: { x, y: { field: 'model', type: 'quantitative', title: yTitle }, color } },
          {
            mark: { type: 'point', filled: true, size: 50 },
            encoding: {
              x,
              y: { field: 'measured', type: 'quantitative', title: yTitle, scale: y === 'ms' ? { type: 'log' } : {} },
              color,
              tooltip: [
                { field: 'label', title: 'connection' },
                { field: 'size', title: 'size' },
                { field: 'measured', type: 'quantitative', title: y === 'ms' ? 'median (ms)' : 'round trips', format: '.2f' },
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

export interface TracePoint {
  trace: string;
  profile: string;
  cc: string;
  label: string;
  t_ms: number;
  cwnd_segments: number;
  ssthresh_segments: number | null;
  bytes_acked: number | null;
  rtt_ms: number | null;
  delivery_rate_mbit: number | null;
}

/** cwnd samples per trace, time shifted so each trace starts at its first sample. */
export function tracePoints(rows: readonly CsvRow[]): TracePoint[] {
  const first = new Map<string, number>();
  const out: TracePoint[] = [];
  for (const r of rows) {
    const t = num(r.t_ms);
    const cwnd = num(r.cwnd_segments);
    if (t === null || cwnd === null) continue;
    const trace = r.trace_id ?? '';
    if (!first.has(trace)) first.set(trace, t);
    out.push({
      trace,
      profile: r.profile ?? '',
      cc: r.cc ?? '',
      label: stateLabel(r.state ?? '', num(r.idle_ms) ?? 0, num(r.ssai) ?? 1),
      t_ms: round4(t - (first.get(trace) ?? t)) ?? 0,
      cwnd_segments: cwnd,
      ssthresh_segments: num(r.ssthresh_segments),
      bytes_acked: num(r.bytes_acked),
      rtt_ms: num(r.rtt_ms),
      delivery_rate_mbit: num(r.delivery_rate_mbit),
    });
  }
  return out;
}

function cwndChart(points: readonly TracePoint[]): ChartSpec {
  const color = stateColor(points.map((p) => p.label));
  return {
    id: 'slowstart-cwnd-trace',
    title: 'The server socket’s congestion window during one 1 MiB transfer (TCP_INFO)',
    caption: 'Sampled with `ss -tin` in the server namespace. Cold starts at initcwnd and doubles per round trip; warm starts where the warm-up left it; idle with slow start after idle restarts from a halved (or initial) window — except under bbr.',
    spec: {
      $schema: SCHEMA,
      data: { values: points },
      facet: { row: { field: 'profile', type: 'nominal', title: null }, column: { field: 'cc', type: 'nominal', title: 'congestion control' } },
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
    .map((f) => ({ profile: f.profile, cc: f.cc, iw: `initcwnd ${f.iw}`, iw_n: f.iw, rounds: f.rounds, model_rounds: f.model_rounds, median_ms: f.median_ms }));
  return {
    id: 'slowstart-initcwnd',
    title: `Initial window: a cold ${fmtBytes(values.length ? 102400 : null)} response with initcwnd 4 / 10 / 32 on the server route`,
    caption: 'Bars: measured round trips (median / RTT); ticks: the model. Each doubling of the initial window removes about one slow-start round.',
    spec: {
      $schema: SCHEMA,
      data: { values },
      facet: { row: { field: 'profile', type: 'nominal', title: null }, column: { field: 'cc', type: 'nominal', title: 'congestion control' } },
      spec: {
        width: 220,
        height: { step: 22 },
        encoding: { y: { field: 'iw', type: 'nominal', sort: [...new Set(values.map((v) => v.iw_n))].sort((a, b) => a - b).map((n) => `initcwnd ${n}`), title: null } },
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
          { mark: { type: 'tick', color: '#D55E00', thickness: 3 }, encoding: { x: { field: 'model_rounds', type: 'quantitative' } } },
        ],
      },
    } as ChartSpec['spec'],
  };
}

/** Bytes per RTT an h2 stream can receive with a given window: the limit when it is below the TCP window. */
export function h2WindowLimitedRounds(size_bytes: number, window_bytes: number): number {
  return Math.ceil(size_bytes / window_bytes);
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
  const windows = [...new Set(figs.filter((f) => f.part === 'h2').map((f) => f.h2_window ?? 0))].sort((a, b) => a - b).map((w) => `window ${fmtBytes(w)}`);
  return {
    id: 'slowstart-h2-window',
    title: 'HTTP/2: the client’s flow-control window as the limit',
    caption: "Bars: measured; black diamonds: the model (TCP slow start, each round capped at the window). With Node's default 64 KiB stream/connection window the server may send only 64 KiB per round trip, whatever TCP's cwnd: a warm connection gains little. A 16 MiB window hands the limit back to TCP.",
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
          color: { field: 'window', type: 'nominal', title: 'h2 window', scale: { domain: windows, range: ['#D55E00', '#0072B2', '#009E73'] } },
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
          { mark: { type: 'point', shape: 'diamond', filled: true, size: 45 }, encoding: { x: { field: 'model_rounds', type: 'quantitative' }, color: { value: '#222222' } } },
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
      { label: 'idle 1 s, ssai=1', unit: 'RTT', numeric: true },
      { label: 'its model', unit: 'RTT', numeric: true },
      { label: 'idle 1 s, ssai=0', unit: 'RTT', numeric: true },
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
      r2(r.idle_ssai1?.rounds),
      r2(r.idle_ssai1?.model_rounds),
      r2(r.idle_ssai0?.rounds),
      r2(r.idle5_ssai1?.rounds),
      doneChecks(r),
    ]),
  };
}

/** The issue's done-when conditions for one row, each marked yes/no (— when a figure is missing). */
export function doneChecks(r: DoneRow): string {
  const mark = (ok: boolean | null): string => (ok === null ? '—' : ok ? 'yes' : 'no');
  const c = r.cold?.rounds ?? null;
  const cm = r.cold?.model_rounds ?? null;
  const w = r.warm?.rounds ?? null;
  const i1 = r.idle_ssai1?.rounds ?? null;
  const i0 = r.idle_ssai0?.rounds ?? null;
  const i5 = r.idle5_ssai1?.rounds ?? null;
  // "≤ 2 round trips plus transfer time": the warm model is 1 round trip plus the transfer at the profile's rate.
  const transfer = r.warm?.model_rounds != null ? Math.max(0, r.warm.model_rounds - 1) : 0;
  const checks = [
    `cold = model ± 1: ${mark(c !== null && cm !== null ? Math.abs(c - cm) <= 1 : null)}`,
    `warm ≤ 2 + transfer: ${mark(w !== null ? w <= 2 + transfer : null)}`,
    `idle 1 s (ssai=1) = cold − handshake ± 1: ${mark(i1 !== null && c !== null ? Math.abs(i1 - (c - 1)) <= 1 : null)}`,
    `idle 1 s (ssai=0) = warm ± 1: ${mark(i0 !== null && w !== null ? Math.abs(i0 - w) <= 1 : null)}`,
  ];
  if (i5 !== null) checks.push(`idle 5 s (ssai=1) = cold − handshake ± 1: ${mark(c !== null ? Math.abs(i5 - (c - 1)) <= 1 : null)}`);
  return checks.join('; ');
}

function casesTable(figs: readonly SlowstartFigure[], part: string, title: string): Table {
  const rows = figs
    .filter((f) => f.part === part)
    .sort((a, b) => a.profile.localeCompare(b.profile) || a.cc.localeCompare(b.cc) || a.size_bytes - b.size_bytes || a.label.localeCompare(b.label) || a.iw - b.iw)
    .map((f): Cell[] => [f.profile, f.cc, f.protocol, f.label, f.iw, f.h2_window, fmtBytes(f.size_bytes), f.n, f.errors, r2(f.median_ms), r2(f.model_ms), r2(f.rounds), r2(f.model_rounds)]);
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

export function buildSlowstart(run: RunFolder): SectionOutput {
  const figs = slowstartFigures(run.summary);
  const traces = tracePoints(readExtra(run.dir, 'tcpinfo'));
  const skipped = readExtra(run.dir, 'slowstart-skipped');
  const findings = c2Findings(figs);
  const specs: ChartSpec[] = [sweepChart(figs, 'ms'), sweepChart(figs, 'rounds')];
  if (traces.length > 0) specs.push(cwndChart(traces));
  if (figs.some((f) => f.part === 'iw')) specs.push(iwChart(figs));
  if (figs.some((f) => f.part === 'h2')) specs.push(h2Chart(figs));
  const tables: Table[] = [doneTable(doneWhenRows(figs))];
  if (figs.some((f) => f.part === 'iw')) tables.push(casesTable(figs, 'iw', 'Initial window (cold 100 KiB)'));
  if (figs.some((f) => f.part === 'h2')) tables.push(casesTable(figs, 'h2', 'HTTP/2 flow-control window'));
  tables.push(casesTable(figs, 'size', 'Every case of the size sweep'));

  const caveats: string[] = [
    'bbr has its own cong_control hook, so Linux skips tcp_slow_start_after_idle for it (tcp_slow_start_after_idle_check): under bbr an idle connection keeps its window whatever the setting.',
    'The model assumes loss-free slow start (cwnd + 1 segment per acked segment), no receive-window limit and an unlimited link unless the profile has a rate; a warm transfer that takes more than its round trips is limited by the link’s (or the userspace delay line’s) throughput, which the model leaves out on an unlimited link.',
    'The congestion_control column of samples.csv holds the server namespace’s default when the run started; the congestion control each case ran with is `cc=` in its variant (set per case in the server namespace, confirmed by ss in tcpinfo.csv).',
    'The warm window in the model (initcwnd + the warm-up’s segments) is an upper bound: Linux grows cwnd only while the sender is cwnd-limited, so the receiver window or the application can stop it earlier — the cwnd trace shows where the warm-up really left it. A reno connection that sends a whole large window at once can also overflow the link’s queue; bbr paces.',
    'The client’s receive window can be the limit of a warm connection: its autotuning grows with what the warm-up delivered, and the cwnd trace’s snd_wnd shows it (e.g. ~690 KB, below a 1 MiB response).',
    'Idle restart model: Linux halves cwnd once per RTO (≈ RTT + 200 ms) of the server’s idle time (the client’s gap + 1 RTT), never below initcwnd.',
    `tcp_info is sampled by running ss every few ms; the sampling interval is as long as one ss call takes (about ${medianInterval(traces) ?? '?'} ms here), so single rounds may be missed.`,
  ];
  for (const s of skipped) caveats.push(`skipped ${s.what ?? ''}=${s.value ?? ''} on ${s.profile ?? ''}: ${s.reason ?? ''}`);
  const h2Default = figs.find((f) => f.part === 'h2' && f.state === 'warm' && f.h2_window === 65535 && f.size_bytes === DONE_SIZE_BYTES);
  if (h2Default?.rounds != null) {
    caveats.push(
      `HTTP/2 with the client's default 65 535-byte window: a warm 1 MiB response took ${fmtRtt(h2Default.rounds)} (window limit alone: ${h2WindowLimitedRounds(DONE_SIZE_BYTES, 65535)} round trips) — there the h2 window, not TCP, is the limit.`,
    );
  }
  return {
    claimSentence: 'Keep-alive saves more than the handshake: a reused connection has already grown its congestion window — unless it sat idle long enough for Linux to shrink it again.',
    verdicts: [c2Verdict(findings)],
    specs,
    tables,
    caveats,
  };
}

function medianInterval(points: readonly TracePoint[]): number | null {
  const gaps: number[] = [];
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1];
    const b = points[i];
    if (a && b && a.trace === b.trace && b.t_ms > a.t_ms) gaps.push(b.t_ms - a.t_ms);
  }
  if (gaps.length === 0) return null;
  gaps.sort((x, y) => x - y);
  return Math.round(gaps[Math.floor(gaps.length / 2)] ?? 0);
}

export const slowstartSection: ReportSection = {
  scenario: 'slowstart',
  build: buildSlowstart,
};

