/**
 * A typed view of summary.csv's rows (a case × metric), read back from the file as strings or taken as the
 * bench wrote them: the one shape every analysis of summarised figures reads (the report, the bench's headline).
 */
import { numberOrNull as num } from './numbers.ts';

type RowValue = string | number | null | undefined;

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

export function toFigure(r: Readonly<Record<string, RowValue>>): Figure {
  return {
    scenario: String(r.scenario ?? ''),
    case_key: String(r.case_key ?? ''),
    profile: String(r.profile ?? ''),
    link_backend: String(r.link_backend ?? ''),
    link_caveat: String(r.link_caveat ?? ''),
    rtt_ms_configured: num(r.rtt_ms_configured),
    rtt_ms_calibrated: num(r.rtt_ms_calibrated),
    protocol: String(r.protocol ?? ''),
    security: String(r.security ?? ''),
    conn_mode: String(r.conn_mode ?? ''),
    size_bytes: num(r.size_bytes),
    metric: String(r.metric ?? ''),
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

export function figuresOf(
  summary: readonly Readonly<Record<string, RowValue>>[],
  scenario: string,
  metric?: string,
): Figure[] {
  return summary.filter((r) => r.scenario === scenario && (metric === undefined || r.metric === metric)).map(toFigure);
}
