/**
 * The gate: compare's exit code, and every reason for it as a finding of its own. It fails closed — a head
 * that did not complete, lost cases, failed where base did not, regressed, or could not be compared fails
 * (exit 1); a comparison without the power to catch twice the threshold cannot say "no change" (exit 2);
 * only what is left passes. Pure over the compared result.
 */
import { medianSorted, sortAsc } from '../../lib/stats.ts';
import { formatPct } from './format.ts';
import { minReachableP } from './test.ts';
import type {
  CaseFailures,
  CompareOptions,
  Gate,
  GateFinding,
  LostCase,
  MetricComparison,
  NotComparableCase,
  PowerSummary,
  RunInfo,
} from './types.ts';

/** At most this many findings of one rule are listed one by one; the rest are counted in one more row. */
export const MAX_FINDINGS_PER_RULE = 20;

function pct(errors: number, requests: number): number {
  return requests > 0 ? (errors / requests) * 100 : 0;
}

function pctText(v: number): string {
  return `${(Math.round(v * 10) / 10).toFixed(1)} %`;
}

function statusFindings(side: 'base' | 'head', runs: readonly RunInfo[]): GateFinding[] {
  return runs
    .filter((r) => r.status !== 'completed' || r.torn_files.length > 0)
    .map((r) => {
      const ended =
        r.status === 'running'
          ? 'still "running" in meta.json: killed, or not finished'
          : r.status === 'completed'
            ? 'completed'
            : `ended ${r.status}${r.status_detail === '' ? '' : `: ${r.status_detail}`}`;
      const torn = r.torn_files.length > 0 ? `; ${r.torn_files.join(', ')} cut mid-write (torn last row dropped)` : '';
      const what = `${ended}${torn}`;
      return {
        rule: 'run_status',
        blocking: true,
        subject: `${side} run ${r.run_id}`,
        figure: `${what}; only completed runs with whole files can pass`,
      };
    });
}

/**
 * A case fails the failure rule when the share of its head's requests that failed exceeds its base's share by
 * more than the tolerance, in percentage points (shares, not counts: the sides may have measured different
 * numbers of requests). Cases that measure failures on purpose are left out, and so are cases
 * in one side only (the lost-case rule has those).
 */
export function failureFindings(cases: readonly CaseFailures[], tolerance_pct: number): GateFinding[] {
  const out: GateFinding[] = [];
  for (const c of cases) {
    if (!c.in_base || !c.in_head || c.failure_is_outcome || c.errors_head === 0) continue;
    const head = pct(c.errors_head, c.requests_head);
    const base = pct(c.errors_base, c.requests_base);
    if (!(head - base > tolerance_pct)) continue;
    out.push({
      rule: 'failures',
      blocking: true,
      subject: c.key,
      figure:
        `${c.errors_head} of ${c.requests_head} requests failed in head (${pctText(head)}) vs ${c.errors_base} of ` +
        `${c.requests_base} in base (${pctText(base)}): +${pctText(head - base)}, tolerance ${pctText(tolerance_pct)}` +
        (c.first_error_head === ''
          ? ''
          : `; first: ${c.first_error_head.length > 80 ? `${c.first_error_head.slice(0, 77)}…` : c.first_error_head}`),
    });
  }
  return out;
}

function regressionFindings(rows: readonly MetricComparison[]): GateFinding[] {
  return rows
    .filter((r) => r.verdict === 'regressed')
    .sort((a, b) => (b.change_pct ?? 0) - (a.change_pct ?? 0))
    .map((r) => ({
      rule: 'regression',
      blocking: true,
      subject: `${r.key} ${r.metric}`,
      figure:
        `${formatPct(r.change_pct ?? 0)} [95 % CI ${formatPct(r.change_low_pct ?? 0)}, ${formatPct(r.change_high_pct ?? 0)}] ` +
        `(n = ${r.n_base} / ${r.n_head}); ${r.why}`,
    }));
}

/**
 * One finding per distinct not-comparable reason: the case-level ones (a lost case is the lost-case rule's),
 * and rows that could not be tested because one side has no samples of the metric (every head request a
 * warm-up or a failure, say) — a comparison that did not happen is not a comparison that passed.
 */
function incomparableFindings(
  cases: readonly NotComparableCase[],
  rows: readonly MetricComparison[],
  allowed: boolean,
): GateFinding[] {
  const groups = new Map<string, string[]>();
  const add = (detail: string, key: string): void => {
    let keys = groups.get(detail);
    if (!keys) groups.set(detail, (keys = []));
    if (!keys.includes(key)) keys.push(key);
  };
  for (const c of cases) for (const r of c.reasons) if (r.rule !== 'only_in_base') add(r.detail, c.key);
  for (const r of rows) if (r.reason === 'no_samples') add(r.why, `${r.key} ${r.metric}`);
  return [...groups].map(([detail, keys]) => ({
    rule: 'not_comparable',
    blocking: !allowed,
    subject: keys.length === 1 ? (keys[0] ?? '') : `${keys.length} cases`,
    figure: `${detail}${allowed ? ' (allowed by --allow-not-comparable)' : ''}`,
  }));
}

/**
 * A drift beyond the threshold was corrected, not refused; it is listed (not blocking) because the correction
 * assumes the link, not the head, moved: a head that burns CPU also slows the userspace delay line.
 */
function driftFindings(rows: readonly MetricComparison[], threshold_pct: number): GateFinding[] {
  const byDrift = new Map<string, string[]>();
  for (const r of rows) {
    if (r.link_drift_pct === null || !(Math.abs(r.link_drift_pct) > threshold_pct)) continue;
    const k = formatPct(r.link_drift_pct);
    const keys = byDrift.get(k) ?? [];
    if (!keys.includes(r.key)) keys.push(r.key);
    byDrift.set(k, keys);
  }
  return [...byDrift].map(([drift, keys]) => ({
    rule: 'link_drift',
    blocking: false,
    subject: keys.length === 1 ? (keys[0] ?? '') : `${keys.length} cases`,
    figure: `the head's link RTT during its run differed by ${drift} from the base's (in-run connect times), beyond ±${threshold_pct} %; the head's samples were corrected for it. If the head itself loads the CPU, the link slows with it: check with --force-comparable`,
  }));
}

function untestableText(keys: readonly string[]): string {
  if (keys.length === 0) return '';
  const shown = keys.slice(0, 3).join('; ');
  return `; ${keys.length} comparison${keys.length === 1 ? '' : 's'} can never be significant at these sample counts, whatever they measure: ${shown}${keys.length > 3 ? ` … and ${keys.length - 3} more` : ''}`;
}

/** Rows that were tested and can catch twice the threshold; what the rest need, in one line. */
export function powerSummary(
  rows: readonly MetricComparison[],
  o: Pick<CompareOptions, 'threshold_pct' | 'alpha'>,
  runsPerSide: number,
): PowerSummary {
  const tested = rows.filter((r) => r.p_value !== null);
  const required = 2 * o.threshold_pct;
  const weak = tested.filter((r) => r.detectable_change_pct === null || r.detectable_change_pct > required);
  const ns = tested.map((r) => Math.min(r.n_base, r.n_head));
  const median_n = ns.length > 0 ? medianSorted(sortAsc(ns)) : 0;
  // Unknown (no change catchable) counts as infinitely large, so the median is null when most are unknown.
  const dets = tested.map((r) => r.detectable_change_pct ?? Infinity);
  const medDet = dets.length > 0 ? medianSorted(sortAsc(dets)) : Infinity;
  // A row that can never be significant (3 pages against 3, 2 runs against 2) would pass whatever it measured.
  const untestable = tested
    .filter((r) => minReachableP(r.n_base, r.n_head) >= o.alpha)
    .map((r) => `${r.key} ${r.metric} (n = ${r.n_base} / ${r.n_head})`);
  const underpowered = tested.length > 0 && (weak.length * 2 > tested.length || untestable.length > 0);
  const unit = tested[0]?.unit ?? 'request';
  const advice =
    unit === 'run'
      ? `give more runs per side (each run's median is one sample; ${runsPerSide} per side is not enough), or one run per side made with --ci`
      : 'measure both sides with `npm run bench -- --ci` (its plan has the power), or more requests per case (--requests)';
  return {
    tested: tested.length,
    weak: weak.length,
    median_n,
    median_detectable_pct: Number.isFinite(medDet) ? medDet : null,
    required_pct: required,
    untestable,
    underpowered,
    advice,
  };
}

export interface GateInput {
  options: CompareOptions;
  base_runs: readonly RunInfo[];
  head_runs: readonly RunInfo[];
  rows: readonly MetricComparison[];
  not_comparable: readonly NotComparableCase[];
  case_failures: readonly CaseFailures[];
  lost_cases: readonly LostCase[];
}

function capped(findings: GateFinding[]): GateFinding[] {
  if (findings.length <= MAX_FINDINGS_PER_RULE) return findings;
  const first = findings[0];
  const rest = findings.length - MAX_FINDINGS_PER_RULE;
  if (!first) return findings;
  return [
    ...findings.slice(0, MAX_FINDINGS_PER_RULE),
    {
      rule: first.rule,
      blocking: first.blocking,
      subject: `… and ${rest} more`,
      figure: 'see compare.csv / compare.json',
    },
  ];
}

export function gateOf(g: GateInput): Gate {
  const o = g.options;
  const lost = g.lost_cases.map((l) => l.key);
  const findings: GateFinding[] = [...statusFindings('base', g.base_runs), ...statusFindings('head', g.head_runs)];
  if (lost.length > 0) {
    const shown = lost.slice(0, 5).join(', ');
    const runs = [...new Set(g.lost_cases.flatMap((l) => l.missing_from))];
    const from = g.head_runs.length > 1 ? ` (head run${runs.length === 1 ? '' : 's'} ${runs.join(', ')})` : '';
    findings.push({
      rule: 'lost_cases',
      blocking: true,
      subject: `${lost.length} case${lost.length === 1 ? '' : 's'}`,
      figure: `in base, missing from head${from}: ${shown}${lost.length > 5 ? ` … and ${lost.length - 5} more` : ''}`,
    });
  }
  findings.push(...capped(failureFindings(g.case_failures, o.failure_tolerance_pct)));
  findings.push(...capped(regressionFindings(g.rows)));
  findings.push(...incomparableFindings(g.not_comparable, g.rows, o.allow_not_comparable));
  findings.push(...driftFindings(g.rows, o.threshold_pct));
  const power = powerSummary(g.rows, o, Math.min(g.base_runs.length, g.head_runs.length));
  if (power.tested === 0) {
    findings.push({
      rule: 'nothing_compared',
      blocking: true,
      subject: 'all cases',
      figure: 'no case × metric could be tested, so nothing can be called unchanged',
    });
  }
  const failed = findings.some((f) => f.blocking);
  if (power.underpowered) {
    const det =
      power.median_detectable_pct === null
        ? 'no change at all'
        : `changes ≥ ${formatPct(power.median_detectable_pct).replace('+', '')}`;
    findings.push({
      rule: 'underpowered',
      blocking: !o.allow_underpowered && !failed,
      subject: `${power.weak} of ${power.tested} comparisons`,
      figure:
        `underpowered: ${power.median_n} samples per case catch ${det} (median), not the ${power.required_pct} % (twice the threshold) a gate must` +
        untestableText(power.untestable) +
        `; ${power.advice}${o.allow_underpowered ? ' (allowed by --allow-underpowered)' : ''}`,
    });
  }
  const verdict: Gate['verdict'] = failed
    ? 'fail'
    : power.underpowered && !o.allow_underpowered
      ? 'underpowered'
      : 'pass';
  return { verdict, exit_code: verdict === 'fail' ? 1 : verdict === 'underpowered' ? 2 : 0, findings, power };
}
