/**
 * The slow-start section's figures and C2 verdict (keep-alive also skips slow start's first rounds): pure, CSV rows
 * in (summary, tcpinfo, slowstart-skipped), figures and the verdict out.
 */
import { IDLE_RESTART_EXEMPT_CC, parseVariant } from '../../../bench/scenarios/slowstart/model.ts';
import type { CsvRow } from '../../load-run.ts';
import { fmtBytes, fmtRtt, round4 } from '../../format.ts';
import { num } from '../../rows.ts';
import type { Verdict, VerdictKind } from '../types.ts';
import {
  c2Comparisons,
  c2Evidence,
  c2EvidenceNumbers,
  ciWords,
  comparisonAt,
  type RoundsComparison,
} from './c2-evidence.ts';
import type { C2Finding, SlowstartFigure } from './figures.ts';

export type { C2Finding, SlowstartFigure } from './figures.ts';

/** A size counts as "saved by keep-alive beyond the handshake" when warm is at least this many RTTs faster than cold minus the handshake. */
export const SAVED_ROUNDS_MIN = 0.75;
/** Idle counts as "lost the window" when it is this many RTTs slower than warm. */
export const LOST_ROUNDS_MIN = 0.75;
const DONE_SIZE_BYTES = 1048576;
/** The h2 window that limits a warm response: the client's default (65 535 bytes). */
const H2_DEFAULT_WINDOW_BYTES = 65535;

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
    const perRtt = (x: number | null): number | null =>
      x !== null && rtt !== null && rtt >= 1 ? round4(x / rtt) : null;
    const idle_ms = num(v.idle_ms) ?? 0;
    const ssai = num(v.ssai) ?? 1;
    out.push({
      case_key: r.case_key ?? '',
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
  /** The shortest idle gap below 5 s the run measured (the RTO-based one: 1 s at 50 ms RTT); null: none. */
  idle_ms: number | null;
  idle_ssai1: SlowstartFigure | undefined;
  idle_ssai0: SlowstartFigure | undefined;
  /** The same after 5 s (longer than many RTOs: back to initcwnd under ssai=1). */
  idle5_ssai1: SlowstartFigure | undefined;
}

/**
 * The issue's done-when figures: cold / warm / idle after the short gap (ssai 1 and 0) and after 5 s at 1 MiB, per
 * profile and congestion control. The short gap is the run's (bench: four RTOs, rounded up to 100 ms).
 */
export function doneWhenRows(figs: readonly SlowstartFigure[], size_bytes = DONE_SIZE_BYTES): DoneRow[] {
  const keys = [...new Set(figs.filter((f) => f.part === 'size').map((f) => `${f.profile}\u0000${f.cc}`))];
  return keys.map((k) => {
    const [profile = '', cc = ''] = k.split('\u0000');
    const base = { part: 'size', profile, cc, size_bytes };
    const gaps = figs
      .filter((f) => f.part === 'size' && f.profile === profile && f.cc === cc && f.state === 'idle')
      .map((f) => f.idle_ms)
      .filter((g) => g < 5000);
    const idle_ms = gaps.length ? Math.min(...gaps) : null;
    return {
      profile,
      cc,
      size_bytes,
      idle_ms,
      cold: find(figs, { ...base, state: 'cold' }),
      warm: find(figs, { ...base, state: 'warm' }),
      idle_ssai1: idle_ms === null ? undefined : find(figs, { ...base, state: 'idle', idle_ms, ssai: 1 }),
      idle_ssai0: idle_ms === null ? undefined : find(figs, { ...base, state: 'idle', idle_ms, ssai: 0 }),
      idle5_ssai1: find(figs, { ...base, state: 'idle', idle_ms: 5000, ssai: 1 }),
    };
  });
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
          if (lost !== null && (worst.lost_rounds === null || lost > worst.lost_rounds))
            worst = { lost_rounds: lost, size_bytes: size };
        }
        return { idle_ms: idle, ssai, ...worst };
      }),
    };
  });
}

/**
 * C2's verdict: confirmed if warm saves rounds and idling never loses them, depends if idling (ssai=1) loses them
 * for some cc, refuted if warm saves none. Its evidence: the CIs of `comparisons` (./c2-evidence.ts, from samples).
 */
export function c2Verdict(findings: readonly C2Finding[], comparisons: readonly RoundsComparison[] = []): Verdict {
  const saving = findings.filter((f) => f.threshold_bytes !== null);
  const numbers: Record<string, number | null> = {};
  for (const f of findings) {
    numbers[`saved_rounds_${f.profile}_${f.cc}`] = f.saved_rounds_largest;
    numbers[`threshold_bytes_${f.profile}_${f.cc}`] = f.threshold_bytes;
    for (const g of f.idle_lost_rounds)
      numbers[`idle${g.idle_ms}ms_ssai${g.ssai}_lost_rounds_${f.profile}_${f.cc}`] = g.lost_rounds;
  }
  const rule = `warm saves slow-start rounds when it beats cold by ≥ ${SAVED_ROUNDS_MIN} RTT beyond the handshake; an idle connection lost them when ≥ ${LOST_ROUNDS_MIN} RTT slower than warm at some size (medians; evidence: the Hodges–Lehmann 95 % CI of each difference from the samples against the same thresholds)`;
  if (findings.length === 0)
    return { claim: 'C2', kind: 'not_run', figure: 'no slow-start sweep in this run', numbers };
  Object.assign(numbers, c2EvidenceNumbers(findings, comparisons));
  const at = (f: C2Finding, what: RoundsComparison['what'], size: number | null, idle_ms: number | null = null) =>
    comparisonAt(comparisons, f, what, size, idle_ms);
  const evidence = (kind: VerdictKind) => c2Evidence(kind, comparisons, SAVED_ROUNDS_MIN, LOST_ROUNDS_MIN);
  if (saving.length === 0) {
    return {
      claim: 'C2',
      kind: 'refuted',
      figure: 'a warm connection was never ≥ 1 round trip faster than a cold one beyond the handshake',
      numbers,
      rule,
      evidence: evidence('refuted'),
    };
  }
  const losers = findings.flatMap((f) =>
    f.idle_lost_rounds.filter((g) => g.ssai === 1 && (g.lost_rounds ?? 0) >= LOST_ROUNDS_MIN).map((g) => ({ f, g })),
  );
  const thresholds = saving.map((f) => f.threshold_bytes as number);
  const minT = Math.min(...thresholds);
  const maxT = Math.max(...thresholds);
  const best = saving.reduce((a, b) => ((b.saved_rounds_largest ?? 0) > (a.saved_rounds_largest ?? 0) ? b : a));
  const tText = minT === maxT ? fmtBytes(minT) : `${fmtBytes(minT)}–${fmtBytes(maxT)}`;
  let figure = `a warm connection skips slow start for responses from ~${tText} up: ${fmtRtt(best.saved_rounds_largest)}${ciWords(at(best, 'saved', best.largest_bytes))} saved beyond the handshake at ${fmtBytes(best.largest_bytes)} (${best.cc}, ${best.profile})`;
  let kind: VerdictKind = 'confirmed';
  let reason: string | undefined;
  if (losers.length > 0) {
    kind = 'depends';
    const l = losers.reduce((a, b) => ((b.g.lost_rounds ?? 0) > (a.g.lost_rounds ?? 0) ? b : a));
    const exempt = findings.filter((f) => IDLE_RESTART_EXEMPT_CC.includes(f.cc)).map((f) => f.cc);
    figure += `; after ${l.g.idle_ms / 1000} s idle with tcp_slow_start_after_idle=1 (${l.f.cc}) a ${fmtBytes(l.g.size_bytes)} response takes ${fmtRtt(l.g.lost_rounds)}${ciWords(at(l.f, 'idle_lost', l.g.size_bytes, l.g.idle_ms))} more than warm`;
    reason = `holds for responses above ~${fmtBytes(minT)} on connections idle less than the RTO, or with tcp_slow_start_after_idle=0${exempt.length ? `, or with ${[...new Set(exempt)].join('/')} (which ignores the setting)` : ''}`;
  }
  const v: Verdict = { claim: 'C2', kind, figure, numbers, rule, evidence: evidence(kind) };
  if (reason !== undefined) v.reason = reason;
  return v;
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

/** Bytes per RTT an h2 stream can receive with a given window: the limit when it is below the TCP window. */
export function h2WindowLimitedRounds(size_bytes: number, window_bytes: number): number {
  return Math.ceil(size_bytes / window_bytes);
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
  const gap = r.idle_ms === null ? 'idle' : `idle ${r.idle_ms / 1000} s`;
  const i1m = r.idle_ssai1?.model_rounds ?? null;
  const checks = [
    `cold = model ± 1: ${mark(c !== null && cm !== null ? Math.abs(c - cm) <= 1 : null)}`,
    `warm ≤ 2 + transfer: ${mark(w !== null ? w <= 2 + transfer : null)}`,
    // Linux halves the window once per RTO of idleness: a gap of a few RTOs (the bench's is four) leaves it above
    // initcwnd, so the short gap is checked against its model; only the 5 s gap is back at cold.
    i1m !== null
      ? `${gap} (ssai=1) = its model ± 1: ${mark(i1 !== null ? Math.abs(i1 - i1m) <= 1 : null)}`
      : `${gap} (ssai=1) = cold − handshake ± 1: ${mark(i1 !== null && c !== null ? Math.abs(i1 - (c - 1)) <= 1 : null)}`,
    `${gap} (ssai=0) = warm ± 1: ${mark(i0 !== null && w !== null ? Math.abs(i0 - w) <= 1 : null)}`,
  ];
  if (i5 !== null)
    checks.push(`idle 5 s (ssai=1) = cold − handshake ± 1: ${mark(c !== null ? Math.abs(i5 - (c - 1)) <= 1 : null)}`);
  return checks.join('; ');
}

export function medianInterval(points: readonly TracePoint[]): number | null {
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

/** A case the kernel did not allow (slowstart-skipped.csv). */
export interface SkippedCase {
  what: string;
  value: string;
  profile: string;
  reason: string;
}

export function skippedCases(rows: readonly CsvRow[]): SkippedCase[] {
  return rows.map((s) => ({
    what: s.what ?? '',
    value: s.value ?? '',
    profile: s.profile ?? '',
    reason: s.reason ?? '',
  }));
}

/** A warm 1 MiB response over h2 with the client's default window, against the rounds that window alone allows. */
export interface H2DefaultWindow {
  warm_rounds: number;
  window_limit_rounds: number;
}

export function h2DefaultWindow(figs: readonly SlowstartFigure[]): H2DefaultWindow | null {
  const warm = figs.find(
    (f) =>
      f.part === 'h2' &&
      f.state === 'warm' &&
      f.h2_window === H2_DEFAULT_WINDOW_BYTES &&
      f.size_bytes === DONE_SIZE_BYTES,
  );
  if (warm?.rounds == null) return null;
  return {
    warm_rounds: warm.rounds,
    window_limit_rounds: h2WindowLimitedRounds(DONE_SIZE_BYTES, H2_DEFAULT_WINDOW_BYTES),
  };
}

export interface SlowstartAnalysis {
  figs: SlowstartFigure[];
  traces: TracePoint[];
  /** Median time between two tcp_info samples of a trace (ms); null without traces. */
  trace_interval_ms: number | null;
  done_rows: DoneRow[];
  verdict: Verdict;
  skipped: SkippedCase[];
  h2_default_window: H2DefaultWindow | null;
}

export function analyseSlowstart(
  summary: readonly CsvRow[],
  tcpinfo: readonly CsvRow[],
  skipped: readonly CsvRow[],
  samples: readonly CsvRow[] = [],
): SlowstartAnalysis {
  const figs = slowstartFigures(summary);
  const traces = tracePoints(tcpinfo);
  return {
    figs,
    traces,
    trace_interval_ms: medianInterval(traces),
    done_rows: doneWhenRows(figs),
    verdict: c2Verdict(c2Findings(figs), c2Comparisons(figs, samples)),
    skipped: skippedCases(skipped),
    h2_default_window: h2DefaultWindow(figs),
  };
}
