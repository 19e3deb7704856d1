/**
 * Typed views of the run's CSV rows (which load as strings): summary figures and failed samples.
 */
import type { CsvRow } from './load-run.ts';

import { numberOrNull } from '../lib/numbers.ts';

export const num = numberOrNull;

/** One summary.csv row: a case × metric. Figures in ms unless the name says otherwise. */
export interface Figure {
  scenario: string;
  case_key: string;
  profile: string;
  link_backend: string;
  link_caveat: string;
  rtt_ms_configured: number | null;
  rtt_ms_calibrated: number | null;
  protocol: string;
  security: string;
  conn_mode: string;
  size_bytes: number | null;
  metric: string;
  n: number;
  errors: number;
  median: number | null;
  ci95_low: number | null;
  ci95_high: number | null;
  p90: number | null;
  p99: number | null;
  model_ms: number | null;
  /** Processing the case cost beyond the model on the run's zero-RTT profile (null: no such profile). */
  cpu_baseline_ms: number | null;
}

export function toFigure(r: CsvRow): Figure {
  return {
    scenario: r.scenario ?? '',
    case_key: r.case_key ?? '',
    profile: r.profile ?? '',
    link_backend: r.link_backend ?? '',
    link_caveat: r.link_caveat ?? '',
    rtt_ms_configured: num(r.rtt_ms_configured),
    rtt_ms_calibrated: num(r.rtt_ms_calibrated),
    protocol: r.protocol ?? '',
    security: r.security ?? '',
    conn_mode: r.conn_mode ?? '',
    size_bytes: num(r.size_bytes),
    metric: r.metric ?? '',
    n: num(r.n) ?? 0,
    errors: num(r.errors) ?? 0,
    median: num(r.median),
    ci95_low: num(r.ci95_low),
    ci95_high: num(r.ci95_high),
    p90: num(r.p90),
    p99: num(r.p99),
    model_ms: num(r.model_ms),
    cpu_baseline_ms: num(r.cpu_baseline_ms),
  };
}

export function figuresOf(summary: readonly CsvRow[], scenario: string, metric?: string): Figure[] {
  return summary
    .filter((r) => r.scenario === scenario && (metric === undefined || r.metric === metric))
    .map(toFigure);
}

export interface FailedCase {
  case_key: string;
  profile: string;
  failed: number;
  measured: number;
  /** Error text → count, most frequent first. */
  reasons: Array<[string, number]>;
}

/** Cases of a scenario with failed (non-warm-up) requests, from samples.csv. */
export function failedCases(samples: readonly CsvRow[], scenario: string): FailedCase[] {
  const byCase = new Map<string, { profile: string; failed: number; measured: number; reasons: Map<string, number> }>();
  for (const r of samples) {
    if (r.scenario !== scenario || r.warmup === '1') continue;
    const key = r.case_key ?? '';
    let c = byCase.get(key);
    if (!c) byCase.set(key, (c = { profile: r.profile ?? '', failed: 0, measured: 0, reasons: new Map() }));
    c.measured++;
    const err = (r.error ?? '').trim();
    if (err !== '') {
      c.failed++;
      c.reasons.set(err, (c.reasons.get(err) ?? 0) + 1);
    }
  }
  const out: FailedCase[] = [];
  for (const [case_key, c] of byCase) {
    if (c.failed === 0) continue;
    out.push({ case_key, profile: c.profile, failed: c.failed, measured: c.measured, reasons: [...c.reasons].sort((a, b) => b[1] - a[1]) });
  }
  return out;
}

/** Profiles in the order the run measured them (meta.profiles), then any others found in rows. */
export function profileOrder(meta: Record<string, unknown>, rows: readonly { profile: string }[]): string[] {
  const out: string[] = [];
  const listed = Array.isArray(meta.profiles) ? meta.profiles : [];
  for (const p of listed) {
    const name = typeof p === 'object' && p !== null ? (p as Record<string, unknown>).name : undefined;
    if (typeof name === 'string' && !out.includes(name)) out.push(name);
  }
  for (const r of rows) if (!out.includes(r.profile)) out.push(r.profile);
  return out;
}
