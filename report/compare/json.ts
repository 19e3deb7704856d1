/**
 * compare.json: the gate and every verdict for other tools (CI bots, dashboards) without parsing Markdown.
 * `schema` names this layout; a field is added, never renamed, within a version.
 */
import { compareCsvRow } from './csv.ts';
import type { CompareResult } from './types.ts';

export const COMPARE_JSON_SCHEMA = 'keepalive-bench/compare@1';

export function renderJson(res: CompareResult): string {
  const o = res.options;
  const doc = {
    schema: COMPARE_JSON_SCHEMA,
    verdict: res.gate.verdict,
    exit_code: res.gate.exit_code,
    reasons: res.gate.findings,
    power: res.gate.power,
    options: o,
    unit: res.unit,
    base_runs: res.base_runs,
    head_runs: res.head_runs,
    counts: {
      regressed: res.rows.filter((r) => r.verdict === 'regressed').length,
      improved: res.rows.filter((r) => r.verdict === 'improved').length,
      no_change: res.rows.filter((r) => r.verdict === 'no_change').length,
      not_comparable: res.rows.filter((r) => r.verdict === 'not_comparable').length,
    },
    cases: res.rows.map((r) => ({ ...compareCsvRow(r), ...numbers(r) })),
    not_comparable: res.not_comparable,
    case_failures: res.case_failures,
    lost_cases: res.lost_cases,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** The row's figures as numbers (the CSV row has them as text), null where absent. */
function numbers(r: CompareResult['rows'][number]): Record<string, number | null> {
  return {
    n_base: r.n_base,
    n_head: r.n_head,
    errors_base: r.errors_base,
    errors_head: r.errors_head,
    base_median: r.base_median,
    head_median: r.head_median,
    base_low: r.base_low,
    base_high: r.base_high,
    head_low: r.head_low,
    head_high: r.head_high,
    shift_ms: r.shift_ms,
    shift_low_ms: r.shift_low_ms,
    shift_high_ms: r.shift_high_ms,
    change_pct: r.change_pct,
    change_low_pct: r.change_low_pct,
    change_high_pct: r.change_high_pct,
    p_value: r.p_value,
    q_value: r.p_adjusted,
    detectable_change_pct: r.detectable_change_pct,
    link_drift_pct: r.link_drift_pct,
  };
}

/** compare.json for a compare that could not run (a run folder that cannot be read): exit 2 and the reason. */
export function renderErrorJson(message: string): string {
  return `${JSON.stringify({ schema: COMPARE_JSON_SCHEMA, verdict: 'error', exit_code: 2, error: message }, null, 2)}\n`;
}
